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
