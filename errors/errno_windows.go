//go:build windows

package errors

import "syscall"

// isPlatformErrno lets errors.Is(simErr, realErr) hold between the simulator and the real API:
// on Windows a syscall.Errno carries the WSAGetLastError number itself.
func isPlatformErrno(e Errno, target error) bool {
	t, ok := target.(syscall.Errno)
	return ok && uint32(t) == uint32(e)
}
