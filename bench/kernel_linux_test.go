//go:build linux

package bench

import (
	"net"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkKernelTCPLifecycle is the baseline on the real kernel: a client socket, connect to a
// listener made once, accept, one getsockopt, close both — over loopback.
func BenchmarkKernelTCPLifecycle(b *testing.B) {
	l, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	must(b, err)
	defer unix.Close(l)
	must(b, unix.Bind(l, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	must(b, unix.Listen(l, 4096))
	sa, err := unix.Getsockname(l)
	must(b, err)
	b.ReportAllocs()
	for b.Loop() {
		c, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		must(b, err)
		must(b, unix.Connect(c, sa))
		a, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC)
		must(b, err)
		_, err = unix.GetsockoptInt(a, unix.SOL_SOCKET, unix.SO_TYPE)
		must(b, err)
		// SO_LINGER 0 resets instead of leaving the port in TIME_WAIT, so a long run does not
		// exhaust the ephemeral range.
		must(b, unix.SetsockoptLinger(c, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}))
		must(b, unix.Close(a))
		must(b, unix.Close(c))
	}
}

// BenchmarkNetTCPLifecycle is the same with Go's net package: Dial, Accept, Close.
func BenchmarkNetTCPLifecycle(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(b, err)
	defer ln.Close()
	addr := ln.Addr().String()
	b.ReportAllocs()
	for b.Loop() {
		c, err := net.Dial("tcp", addr)
		must(b, err)
		a, err := ln.Accept()
		must(b, err)
		c.(*net.TCPConn).SetLinger(0)
		must(b, a.Close())
		must(b, c.Close())
	}
}
