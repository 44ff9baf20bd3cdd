//go:build windows

package socket_test

import (
	"os"
	"testing"

	"github.com/wsssim/wsssim/socket"
	"github.com/wsssim/wsssim/socket/sockettest"
)

// TestNativeConformance runs the same checks against the real Winsock. Under Wine, whose
// fwpuclnt.dll aborts on the secure-socket functions, set WSSSIM_SKIP_SECURE=1.
func TestNativeConformance(t *testing.T) {
	var d socket.WSAData
	api := socket.Native()
	if err := api.WSAStartup(0x0202, &d); err != nil {
		t.Fatal(err)
	}
	defer api.WSACleanup()
	sockettest.TestAPI(t, api, sockettest.Options{SkipSecure: os.Getenv("WSSSIM_SKIP_SECURE") != ""})
}
