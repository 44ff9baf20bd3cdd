package sim_test

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/sim"
)

// overtaken runs call on another goroutine (and its own thread) and makes closer overtake it:
// call reaches its socket, then closer runs to completion, then call goes on.
func overtaken(f *fixture, fn string, call func(th *sim.Thread) error, closer func()) error {
	reached, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool // only the call's own first lookup waits (closer may make the same call)
	sim.SetLookupHook(f.net, func(name string, _ sim.Handle) {
		if name == fn && first.CompareAndSwap(false, true) {
			close(reached)
			<-release
		}
	})
	defer sim.SetLookupHook(f.net, nil)
	th := f.h.App().NewThread()
	errc := make(chan error, 1)
	go func() { errc <- call(th) }()
	<-reached
	closer()
	close(release)
	return <-errc
}

func init() {
	ruleCases["CLOSE-INTERRUPTS-BLOCKING"] = func(f *fixture) error {
		l := f.listener(f.th, "127.0.0.1:6100")
		return overtaken(f, "accept", func(th *sim.Thread) error {
			_, err := th.Accept(l, nil, nil)
			return err
		}, func() { f.ok(f.th.Closesocket(l)) })
	}
}

// TestCloseOvertakingACall: a call that reached its socket before another thread closed it
// ends as on Windows — a blocking accept, connect or WSAConnect is interrupted (WSAEINTR); a
// WSAGetOverlappedResult waiting on a ConnectEx reports the abort (WSA_OPERATION_ABORTED); any
// other call, and any call on a non-blocking socket, finds no socket (WSAENOTSOCK). The socket
// is gone either way: the host holds no socket, port or buffer for it.
func TestCloseOvertakingACall(t *testing.T) {
	type setup func(f *fixture) (sim.Handle, func(th *sim.Thread, s sim.Handle) error)
	nonBlocking := func(f *fixture, s sim.Handle) sim.Handle {
		f.ok(f.th.Ioctlsocket(s, sim.FIONBIO, 1))
		return s
	}
	target := func(f *fixture) []byte {
		f.listener(f.th, "127.0.0.1:6200")
		return v4("127.0.0.1:6200").Encode()
	}
	cases := []struct {
		name, fn, rule string
		setup          setup
	}{
		{"blocking accept", "accept", "CLOSE-INTERRUPTS-BLOCKING", func(f *fixture) (sim.Handle, func(*sim.Thread, sim.Handle) error) {
			return f.listener(f.th, "127.0.0.1:6300"), func(th *sim.Thread, s sim.Handle) error { _, err := th.Accept(s, nil, nil); return err }
		}},
		{"non-blocking accept", "accept", "GEN-NOTSOCK", func(f *fixture) (sim.Handle, func(*sim.Thread, sim.Handle) error) {
			return nonBlocking(f, f.listener(f.th, "127.0.0.1:6300")), func(th *sim.Thread, s sim.Handle) error { _, err := th.Accept(s, nil, nil); return err }
		}},
		{"blocking connect", "connect", "CLOSE-INTERRUPTS-BLOCKING", func(f *fixture) (sim.Handle, func(*sim.Thread, sim.Handle) error) {
			to := target(f)
			return f.tcp(), func(th *sim.Thread, s sim.Handle) error { return th.Connect(s, to, int32(len(to))) }
		}},
		{"blocking WSAConnect", "WSAConnect", "CLOSE-INTERRUPTS-BLOCKING", func(f *fixture) (sim.Handle, func(*sim.Thread, sim.Handle) error) {
			to := target(f)
			return f.tcp(), func(th *sim.Thread, s sim.Handle) error { return th.WSAConnect(s, to, int32(len(to))) }
		}},
		{"non-blocking connect", "connect", "GEN-NOTSOCK", func(f *fixture) (sim.Handle, func(*sim.Thread, sim.Handle) error) {
			to := target(f)
			return nonBlocking(f, f.tcp()), func(th *sim.Thread, s sim.Handle) error { return th.Connect(s, to, int32(len(to))) }
		}},
		{"bind", "bind", "GEN-NOTSOCK", func(f *fixture) (sim.Handle, func(*sim.Thread, sim.Handle) error) {
			return f.tcp(), func(th *sim.Thread, s sim.Handle) error { return th.BindAddr(s, v4("127.0.0.1:6400")) }
		}},
		{"listen", "listen", "GEN-NOTSOCK", func(f *fixture) (sim.Handle, func(*sim.Thread, sim.Handle) error) {
			s := f.tcp()
			f.ok(f.th.BindAddr(s, v4("127.0.0.1:6500")))
			return s, func(th *sim.Thread, s sim.Handle) error { return th.Listen(s, 5) }
		}},
		{"sendto", "sendto", "GEN-NOTSOCK", func(f *fixture) (sim.Handle, func(*sim.Thread, sim.Handle) error) {
			return f.udp(), func(th *sim.Thread, s sim.Handle) error {
				_, err := th.SendtoAddr(s, []byte("x"), v4("127.0.0.1:9"))
				return err
			}
		}},
		{"WSASetSocketSecurity", "WSASetSocketSecurity", "GEN-NOTSOCK", func(f *fixture) (sim.Handle, func(*sim.Thread, sim.Handle) error) {
			return f.tcp(), func(th *sim.Thread, s sim.Handle) error { return th.WSASetSocketSecurity(s, nil, 0, nil, nil) }
		}},
		{"WSAQuerySocketSecurity", "WSAQuerySocketSecurity", "GEN-NOTSOCK", func(f *fixture) (sim.Handle, func(*sim.Thread, sim.Handle) error) {
			c, _ := f.connected()
			return c, func(th *sim.Thread, s sim.Handle) error {
				n := uint32(24)
				return th.WSAQuerySocketSecurity(s, nil, 0, make([]byte, 24), &n, nil, nil)
			}
		}},
		{"getsockopt", "getsockopt", "GEN-NOTSOCK", func(f *fixture) (sim.Handle, func(*sim.Thread, sim.Handle) error) {
			return f.tcp(), func(th *sim.Thread, s sim.Handle) error {
				_, err := th.GetsockoptInt(s, sim.SOL_SOCKET, sim.SO_TYPE)
				return err
			}
		}},
		{"closesocket", "closesocket", "GEN-NOTSOCK", func(f *fixture) (sim.Handle, func(*sim.Thread, sim.Handle) error) {
			return f.udp(), func(th *sim.Thread, s sim.Handle) error { return th.Closesocket(s) }
		}},
		{"WSAGetOverlappedResult waiting on a ConnectEx", "WSAGetOverlappedResult", "CLOSE-ABORTS-PENDING", func(f *fixture) (sim.Handle, func(*sim.Thread, sim.Handle) error) {
			to := target(f)
			s := f.tcp()
			f.ok(f.th.BindAddr(s, v4("127.0.0.1:0")))
			ov := new(sim.Overlapped)
			requireRule(t, "CONNECTEX-PENDING", f.th.ConnectEx(s, to, int32(len(to)), ov))
			return s, func(th *sim.Thread, s sim.Handle) error { _, err := th.WSAGetOverlappedResult(s, ov, true); return err }
		}},
		{"WSAGetOverlappedResult not waiting", "WSAGetOverlappedResult", "GEN-NOTSOCK", func(f *fixture) (sim.Handle, func(*sim.Thread, sim.Handle) error) {
			to := target(f)
			s := f.tcp()
			f.ok(f.th.BindAddr(s, v4("127.0.0.1:0")))
			ov := new(sim.Overlapped)
			requireRule(t, "CONNECTEX-PENDING", f.th.ConnectEx(s, to, int32(len(to)), ov))
			return s, func(th *sim.Thread, s sim.Handle) error {
				_, err := th.WSAGetOverlappedResult(s, ov, false)
				return err
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			s, call := c.setup(f)
			open := f.h.OpenSockets()
			err := overtaken(f, c.fn, func(th *sim.Thread) error { return call(th, s) }, func() { f.ok(f.th.Closesocket(s)) })
			requireRule(t, c.rule, err)
			require.Equal(t, open-1, f.h.OpenSockets(), "the socket is closed for good")
			_, still := f.h.App().Inspect(s)
			require.False(t, still)
			requireRule(t, "GEN-NOTSOCK", f.th.Closesocket(s))
		})
	}
}

// TestCleanupOvertakingACall: the application's last WSACleanup closes every socket, as
// closesocket would: a blocking accept outstanding on one is interrupted (WSAEINTR); a call that
// is not outstanding finds Winsock uninitialised, which R1 checks first.
func TestCleanupOvertakingACall(t *testing.T) {
	f := newFixture(t)
	l := f.listener(f.th, "127.0.0.1:6600")
	err := overtaken(f, "accept", func(th *sim.Thread) error { _, err := th.Accept(l, nil, nil); return err },
		func() { f.ok(f.th.WSACleanup()) })
	requireRule(t, "CLOSE-INTERRUPTS-BLOCKING", err)

	g := newFixture(t)
	s := g.tcp()
	err = overtaken(g, "bind", func(th *sim.Thread) error { return th.BindAddr(s, v4("127.0.0.1:6601")) },
		func() { g.ok(g.th.WSACleanup()) })
	requireRule(t, "GEN-NOTINITIALISED", err)
	require.Zero(t, g.h.OpenSockets())
}
