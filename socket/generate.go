//go:build generate

package socket

// The native back end's DLL bindings are generated, never hand-written: edit the //sys lines of
// syscall_windows.go, then run `go generate -tags generate ./socket` on any OS.

//go:generate go run golang.org/x/sys/windows/mkwinsyscall -output zsyscall_windows.go syscall_windows.go
