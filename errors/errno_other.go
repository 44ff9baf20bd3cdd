//go:build !windows

package errors

// isPlatformErrno matches only Errno values off Windows: a syscall.Errno there is a POSIX
// number whose meaning differs from the Winsock code with the same value.
func isPlatformErrno(Errno, error) bool { return false }
