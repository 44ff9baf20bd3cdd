//go:build windows

package main

import (
	"github.com/wsssim/wsssim/socket"
)

// nativeAPI is the real Winsock. It is not initialised here: the native back end calls
// WSAStartup for each scenario (every scenario application starts initialised once) and
// balances it afterwards.
func nativeAPI() (socket.API, error) { return socket.Native(), nil }
