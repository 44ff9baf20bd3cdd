//go:build !windows

package socket

// nativeOverlapped has no fields off Windows: there is no real API to hand it to.
type nativeOverlapped struct{}

// Default returns the embedded simulated host's API off Windows, and the real Winsock on
// Windows, so the same program runs on both.
func Default() API { return Simulated(Embedded().App().Main()) }
