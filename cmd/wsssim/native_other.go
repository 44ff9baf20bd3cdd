//go:build !windows

package main

import (
	"fmt"
	"runtime"

	"github.com/wsssim/wsssim/socket"
)

// nativeAPI is the real Winsock, which only Windows has.
func nativeAPI() (socket.API, error) {
	return nil, fmt.Errorf("--backend native needs Windows (the real ws2_32.dll and fwpuclnt.dll); this is %s — use --backend sim", runtime.GOOS)
}
