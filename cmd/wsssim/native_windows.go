//go:build windows

package main

import (
	"github.com/wsssim/wsssim/socket"
)

// nativeAPI is the real Winsock, initialised once for the run as every scenario application
// starts initialised.
func nativeAPI() (socket.API, error) {
	api := socket.Native()
	var d socket.WSAData
	if err := api.WSAStartup(0x0202, &d); err != nil {
		return nil, err
	}
	return api, nil
}
