package scenario

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValuesAFailedCallReturnsMayBeChecked(t *testing.T) {
	r := runSim(t, "q.wss", `l = socket AF_INET SOCK_STREAM 0
bind l 127.0.0.1:80
listen l 5
c = socket AF_INET SOCK_STREAM 0
connect c 127.0.0.1:80
WSAQuerySocketSecurity c info=NULL infolen=0 => WSAEFAULT infolen=24
WSAQuerySocketSecurity c protocol=IPSEC2 => ok|WSAEMSGSIZE infolen=64
WSAIoctl c SIO_QUERY_SECURITY outlen=1 => WSAEFAULT bytes=24
WSAQuerySocketSecurity c info=NULL infolen=0 => WSAEFAULT infolen=64
`)
	require.NoError(t, r.Err)
	msgs := failureMessages(r)
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0], "q.wss:9: ")
	assert.Contains(t, msgs[0], "got infolen=24, want infolen=64")

	_, err := Parse("e.wss", []byte("s = socket AF_INET SOCK_STREAM 0\nWSAQuerySocketSecurity s => WSAENOTCONN flags=0\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "value checks need the call to succeed: write => ok flags=0")
}

func TestIoctlKeysBelongToTheirCode(t *testing.T) {
	for src, want := range map[string]string{
		"WSAIoctl s SIO_SET_SECURITY peer=127.0.0.1:1\n":          "WSAIoctl with SIO_SET_SECURITY takes no key peer",
		"WSAIoctl s 0x1234 name=x\n":                              "WSAIoctl with a code wsssim does not model (0x00001234) takes no key name",
		"WSAIoctl s SIO_QUERY_SECURITY in=NULL protocol=IPSEC\n":  "in=NULL passes no structure: protocol= has nowhere to go",
		"WSAIoctl s SIO_DELETE_PEER_TARGET_NAME\n":                "missing ADDR",
		"WSASetSocketPeerTargetName s peer=127.0.0.1:1\n":         "missing name=",
		"WSAQuerySocketSecurity s template=NULL protocol=IPSEC\n": "template=NULL passes no structure",
		"WSAQuerySocketSecurity s len=8\n":                        "len= needs a template",
	} {
		_, err := Parse("e.wss", []byte("s = socket AF_INET SOCK_STREAM 0\n"+src))
		require.Error(t, err, src)
		assert.Contains(t, err.Error(), want, strings.TrimSpace(src))
	}
}
