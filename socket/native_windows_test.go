//go:build windows

package socket_test

import (
	"os"
	"testing"

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
