package scenario

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHostLimitKeys(t *testing.T) {
	s := mustParse(t, "l.wss", "host h maxsockets=2 buffers=0x10000\ns = socket AF_INET SOCK_STREAM 0\n")
	w, err := NewSimWorld(s)
	require.NoError(t, err)
	h, ok := w.Network().Host("h")
	require.True(t, ok)
	assert.Equal(t, int64(2), h.MaxSockets())
	assert.Equal(t, int64(0x10000), h.Buffers())

	for _, c := range []struct{ src, want string }{
		{"host h maxsockets=0\n", `e.wss:1:19: host h: maxsockets= takes a number from 1 to 16777216 (the most sockets the host holds at once (WSAEMFILE beyond)), got "0"`},
		{"host h maxsockets=16777217\n", `e.wss:1:19: host h: maxsockets= takes a number from 1 to 16777216`},
		{"host h buffers=-1\n", `e.wss:1:16: host h: buffers= takes a number from 1 to 1099511627776 (the host's buffer budget in bytes (WSAENOBUFS when spent; each socket holds 1024)), got "-1"`},
		{"host h buffers=lots\n", `got "lots"`},
		{"host h buffers=99999999999999999999999\n", `e.wss:1:16: host h: buffers= takes a number`},
	} {
		_, err := Parse("e.wss", []byte(c.src))
		require.Error(t, err, c.src)
		assert.Contains(t, err.Error(), c.want, c.src)
	}
}

func TestNativeBackendSkipsHostLimits(t *testing.T) {
	b, _ := nativeOnSim(t, NativeOptions{})
	r := Run(mustParse(t, "skip.wss", "host h maxsockets=5\nWSACleanup\n"), b, Options{})
	assert.Equal(t, "host h sets maxsockets=; only the simulator's limits can be set", r.Skipped)
	assert.Empty(t, r.Steps)
}
