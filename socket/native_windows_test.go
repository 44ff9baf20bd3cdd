//go:build windows

package socket_test

import (
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sockaddr"
	"github.com/wsssim/wsssim/socket"
	"github.com/wsssim/wsssim/socket/sockettest"
)

// wineDifferences are the places where Wine's ws2_32 answers differently from Windows, each
// investigated: none is covered by Wine's own Windows-validated tests, and the simulator
// follows Microsoft's published behaviour there. scripts/wine-conformance sets WSSSIM_UNDER_WINE.
var wineDifferences = map[string]string{
	"IPv4 EXCL W then Def W":  "Wine answers WSAEACCES; Microsoft's Table B says WSAEADDRINUSE, and Wine's test_reuseaddr does not test this cell",
	"IPv4 EXCL W then EXCL W": "Wine answers WSAEACCES; Microsoft's Table B says WSAEADDRINUSE, and Wine's test_reuseaddr does not test this cell",
	"IPv6 EXCL W then Def W":  "as for IPv4",
	"IPv6 EXCL W then EXCL W": "as for IPv4",

	"bind an IPv6 address on an IPv4 socket":       "Wine answers WSAEOPNOTSUPP; the bind page says WSAEFAULT when the family bytes do not match the socket's; untested by Wine",
	"bind a v4-mapped address with IPV6_V6ONLY on": "Wine passes on Linux's EINVAL; wsssim infers WSAEADDRNOTAVAIL (a v6-only socket sees ::ffff:a.b.c.d as an IPv6 address no interface has); no Windows evidence either way",
	"sendto on unconnected TCP":                    "Wine answers WSAECONNRESET; the sendto page says WSAENOTCONN; untested by Wine",
	"sendto 0.0.0.0":                               "Wine follows Linux, which delivers to 0.0.0.0 locally; the sendto page says WSAEADDRNOTAVAIL for ADDR_ANY",
	"connect to 0.0.0.0":                           "Wine follows Linux (0.0.0.0 means this host, so WSAECONNREFUSED); the connect page says WSAEADDRNOTAVAIL for INADDR_ANY",
	"SO_TYPE set on UDP":                           "Wine's own test marks WSAEINVAL as todo_wine: Windows gives WSAEINVAL, Wine WSAENOPROTOOPT",
	"listen on a connected socket":                 "Wine answers WSAEINVAL; the listen page says WSAEISCONN; untested by Wine",
	"getpeername before SO_UPDATE_CONNECT_CONTEXT": "Wine does not model SO_UPDATE_CONNECT_CONTEXT; the ConnectEx page says the connected state is enabled only after it",
	"connect after ConnectEx":                      "Wine's own test marks WSAEINVAL as todo_wine: Windows gives WSAEINVAL, Wine WSAEISCONN",
}

// TestNativeConformance runs the same checks against the real Winsock. Under Wine, whose
// fwpuclnt.dll aborts on the secure-socket functions, set WSSSIM_SKIP_SECURE=1.
func TestNativeConformance(t *testing.T) {
	var d socket.WSAData
	api := socket.Native()
	if err := api.WSAStartup(0x0202, &d); err != nil {
		t.Fatal(err)
	}
	defer api.WSACleanup()
	opts := sockettest.Options{SkipSecure: os.Getenv("WSSSIM_SKIP_SECURE") != ""}
	if os.Getenv("WSSSIM_UNDER_WINE") != "" {
		opts.Known = wineDifferences
	}
	sockettest.TestAPI(t, api, opts)
}

// WaitConnect is what the native scenario back end's settle waits with: it must report a
// connect that succeeded and one that was refused, and leave SO_ERROR for the program to read.
func TestNativeWaitConnect(t *testing.T) {
	api := socket.Native()
	var d socket.WSAData
	require.NoError(t, api.WSAStartup(0x0202, &d))
	defer api.WSACleanup()
	waiter, ok := api.(socket.ConnectWaiter)
	require.True(t, ok, "the native API waits for connects")

	l, err := api.Socket(socket.AF_INET, socket.SOCK_STREAM, 0)
	require.NoError(t, err)
	defer api.Closesocket(l)
	require.NoError(t, api.Bind(l, sockaddr.Inet4(127, 0, 0, 1, 0).Encode(), 16))
	require.NoError(t, api.Listen(l, 5))
	name := make([]byte, 16)
	n := int32(len(name))
	require.NoError(t, api.Getsockname(l, name, &n))
	listening, _ := sockaddr.Decode(name[:n])
	free := sockaddr.Inet4(127, 0, 0, 1, 9) // discard: nothing listens on it here

	for _, c := range []struct {
		to      sockaddr.Addr
		soError uint32
	}{{listening, 0}, {free, uint32(errors.WSAECONNREFUSED)}} {
		s, err := api.Socket(socket.AF_INET, socket.SOCK_STREAM, 0)
		require.NoError(t, err)
		require.NoError(t, api.Ioctlsocket(s, socket.FIONBIO, 1))
		require.ErrorIs(t, api.Connect(s, c.to.Encode(), 16), errors.WSAEWOULDBLOCK)
		finished, err := waiter.WaitConnect(s, 10*time.Second)
		require.NoError(t, err)
		assert.True(t, finished, "connect to %v finished", c.to)
		v := make([]byte, 4)
		vn := int32(4)
		require.NoError(t, api.Getsockopt(s, socket.SOL_SOCKET, socket.SO_ERROR, v, &vn))
		assert.Equal(t, c.soError, binary.LittleEndian.Uint32(v), "SO_ERROR after connecting to %v, unconsumed", c.to)
		require.NoError(t, api.Closesocket(s))
	}
}
