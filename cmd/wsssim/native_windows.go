//go:build windows

package main

import (
	"github.com/wsssim/wsssim/socket"
)

// nativeAPI is the real Winsock, with the process's own initialisation released: the Go runtime
// calls WSAStartup when it starts (internal/poll), which would keep Winsock initialised through
// a scenario's last WSACleanup. wsssim makes no network calls of its own, so it gives that
// reference back; the native back end then calls WSAStartup for each scenario (every scenario
// application starts initialised once) and balances it afterwards.
func nativeAPI() (socket.API, error) {
	api := socket.Native()
	if err := api.WSACleanup(); err != nil {
		return nil, err
	}
	return api, nil
}
