package sim_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sim/ports"
)

// ruleCases exercises every rule of the table by its ID: each case builds the situation the rule
// describes and returns the error of the call that must fail because of it.
var ruleCases = map[string]func(f *fixture) error{
	"GEN-NOTINITIALISED": func(f *fixture) error {
		s := f.tcp()
		f.ok(f.th.WSACleanup())
		return f.th.Bind(s, nil, 0) // NOTINITIALISED wins over NOTSOCK and FAULT
	},
	"GEN-NOTSOCK": func(f *fixture) error { return f.th.Closesocket(0xdeadbeef) },
	"STARTUP-VERSION": func(f *fixture) error {
		var d sim.WSAData
		return f.th.WSAStartup(0x0900, &d) // 0.9
	},
	"STARTUP-FAULT": func(f *fixture) error { return f.th.WSAStartup(0x0202, nil) },
	"CLEANUP-NOTINITIALISED": func(f *fixture) error {
		f.ok(f.th.WSACleanup())
		return f.th.WSACleanup()
	},
	"SOCKET-UNSPEC": func(f *fixture) error {
		_, err := f.th.Socket(sim.AF_UNSPEC, sim.SOCK_STREAM, 0)
		return err
	},
	"SOCKET-TYPE": func(f *fixture) error {
		_, err := f.th.Socket(0xdead, 0xdead, 0) // the type is checked before the family
		return err
	},
	"SOCKET-FAMILY": func(f *fixture) error {
		_, err := f.th.Socket(0xdead, sim.SOCK_STREAM, 0xdead) // the family before the protocol
		return err
	},
	"SOCKET-PROTOCOL": func(f *fixture) error {
		_, err := f.th.Socket(sim.AF_INET, sim.SOCK_STREAM, sim.IPPROTO_UDP)
		return err
	},
	"SOCKET-RAW-ACCESS": func(f *fixture) error {
		_, err := f.alice.Socket(sim.AF_INET, sim.SOCK_RAW, 0)
		return err
	},
	"WSASOCKET-FLAGS": func(f *fixture) error {
		_, err := f.th.WSASocket(sim.AF_INET, sim.SOCK_STREAM, 0, 0x8000)
		return err
	},
	"SOCKET-MFILE": func(f *fixture) error {
		g := newFixture(f.t, func(c *sim.HostConfig) { c.MaxSockets = 1 })
		g.tcp()
		_, err := g.th.Socket(sim.AF_INET, sim.SOCK_STREAM, 0)
		return err
	},
	"SOCKOPT-NULL": func(f *fixture) error {
		return f.th.Setsockopt(f.tcp(), sim.SOL_SOCKET, sim.SO_REUSEADDR, nil, 4)
	},
	"SOCKOPT-LEVEL": func(f *fixture) error {
		return f.th.SetsockoptInt(f.tcp(), 0x1234, sim.SO_REUSEADDR, 1)
	},
	"SOCKOPT-UNKNOWN": func(f *fixture) error {
		return f.th.SetsockoptInt(f.tcp(), sim.SOL_SOCKET, 0x7777, 1)
	},
	"SOCKOPT-TYPE-DGRAM": func(f *fixture) error {
		return f.th.SetsockoptInt(f.udp(), sim.SOL_SOCKET, sim.SO_TYPE, 1)
	},
	"SOCKOPT-READONLY": func(f *fixture) error {
		return f.th.SetsockoptInt(f.tcp(), sim.SOL_SOCKET, sim.SO_ACCEPTCONN, 1)
	},
	"SOCKOPT-LEN-NEGATIVE": func(f *fixture) error {
		return f.th.Setsockopt(f.tcp6(), sim.IPPROTO_IPV6, sim.IPV6_V6ONLY, []byte{0, 0, 0, 0}, -1)
	},
	"SOCKOPT-LEN": func(f *fixture) error {
		return f.th.Setsockopt(f.tcp6(), sim.IPPROTO_IPV6, sim.IPV6_V6ONLY, []byte{0, 0, 0, 0}, 0)
	},
	"SOCKOPT-V6ONLY-BOUND": func(f *fixture) error {
		s := f.tcp6()
		f.ok(f.th.BindAddr(s, v4("[::1]:0")))
		return f.th.SetsockoptInt(s, sim.IPPROTO_IPV6, sim.IPV6_V6ONLY, 0)
	},
	"SOCKOPT-REUSE-EXCLUSIVE": func(f *fixture) error {
		s := f.tcp()
		f.ok(f.th.SetsockoptInt(s, sim.SOL_SOCKET, sim.SO_EXCLUSIVEADDRUSE, 1))
		return f.th.SetsockoptInt(s, sim.SOL_SOCKET, sim.SO_REUSEADDR, 1)
	},
	"GETSOCKOPT-NULL": func(f *fixture) error {
		return f.th.Getsockopt(f.tcp(), sim.SOL_SOCKET, sim.SO_TYPE, make([]byte, 4), nil)
	},
	"GETSOCKOPT-LEVEL": func(f *fixture) error {
		_, err := f.th.GetsockoptInt(f.tcp(), 0x1234, sim.SO_TYPE)
		return err
	},
	"GETSOCKOPT-UNKNOWN": func(f *fixture) error {
		_, err := f.th.GetsockoptInt(f.tcp(), sim.SOL_SOCKET, sim.SO_UPDATE_CONNECT_CONTEXT)
		return err
	},
	"GETSOCKOPT-LEN": func(f *fixture) error {
		n := int32(1)
		return f.th.Getsockopt(f.tcp(), sim.SOL_SOCKET, sim.SO_ERROR, make([]byte, 4), &n)
	},
	"IOCTLSOCKET-CMD": func(f *fixture) error { return f.th.Ioctlsocket(f.tcp(), 0x667e, 0) },
	"BIND-UNSUPPORTED": func(f *fixture) error {
		return f.th.BindAddr(f.sock(f.th, sim.AF_INET, sim.SOCK_RAW), v4("127.0.0.1:1"))
	},
	"BIND-FAULT": func(f *fixture) error {
		b := v4("127.0.0.1:80").Encode()
		return f.th.Bind(f.tcp(), b, 15)
	},
	"BIND-AFNOSUPPORT": func(f *fixture) error {
		b := make([]byte, 16)
		binary.LittleEndian.PutUint16(b, 0xdead)
		return f.th.Bind(f.tcp(), b, 16)
	},
	"BIND-FAMILY": func(f *fixture) error { return f.th.BindAddr(f.tcp(), v4("[::1]:80")) },
	"BIND-TWICE": func(f *fixture) error {
		s := f.tcp()
		f.ok(f.th.BindAddr(s, v4("127.0.0.1:0")))
		return f.th.BindAddr(s, v4("127.0.0.1:0"))
	},
	"BIND-MAPPED-V6ONLY": func(f *fixture) error {
		return f.th.BindAddr(f.tcp6(), v4("[::ffff:127.0.0.1]:80"))
	},
	"BIND-ADDRNOTAVAIL": func(f *fixture) error { return f.th.BindAddr(f.tcp(), v4("10.0.0.3:80")) },
	"BIND-SCOPE": func(f *fixture) error {
		a := v4("[fd00::2]:0")
		f.ok(f.th.BindAddr(f.tcp6(), a.WithScope(2)))
		return f.th.BindAddr(f.tcp6(), a.WithScope(0xabacab))
	},
	"SENDTO-BROADCAST": func(f *fixture) error {
		u := f.udp()
		c := f.udp()
		f.ok(f.th.ConnectAddr(c, v4("255.255.255.255:9"))) // connect is allowed
		_, err := f.th.Sendto(c, []byte("x"), 0, nil, 0)
		f.ok(err) // and send then works
		f.ok(f.th.SetsockoptInt(u, sim.SOL_SOCKET, sim.SO_BROADCAST, 1))
		_, err = f.th.SendtoAddr(u, []byte("x"), v4("255.255.255.255:9"))
		f.ok(err)
		_, err = f.th.SendtoAddr(f.udp(), []byte("x"), v4("255.255.255.255:9"))
		return err
	},
	"BIND-INUSE": func(f *fixture) error {
		f.ok(f.th.BindAddr(f.tcp(), v4("0.0.0.0:80")))
		return f.th.BindAddr(f.tcp(), v4("0.0.0.0:80"))
	},
	"BIND-ACCESS": func(f *fixture) error {
		s := f.tcp()
		f.ok(f.th.SetsockoptInt(s, sim.SOL_SOCKET, sim.SO_EXCLUSIVEADDRUSE, 1))
		f.ok(f.th.BindAddr(s, v4("0.0.0.0:80")))
		t := f.sock(f.alice, sim.AF_INET, sim.SOCK_STREAM)
		f.ok(f.alice.SetsockoptInt(t, sim.SOL_SOCKET, sim.SO_REUSEADDR, 1))
		return f.alice.BindAddr(t, v4("10.0.0.2:80"))
	},
	"BIND-NO-EPHEMERAL": func(f *fixture) error {
		g := newFixture(f.t, func(c *sim.HostConfig) { c.Ports = ports.Options{EphemeralFirst: 50000, EphemeralLast: 50000} })
		g.ok(g.th.BindAddr(g.tcp(), v4("0.0.0.0:0")))
		return g.th.BindAddr(g.tcp(), v4("0.0.0.0:0"))
	},
	"LISTEN-NOT-STREAM": func(f *fixture) error {
		s := f.udp()
		f.ok(f.th.BindAddr(s, v4("127.0.0.1:0")))
		return f.th.Listen(s, 1)
	},
	"LISTEN-ISCONN": func(f *fixture) error {
		c, _ := f.connected()
		return f.th.Listen(c, 1)
	},
	"LISTEN-CONNECTING": func(f *fixture) error {
		s := f.tcp()
		f.ok(f.th.Ioctlsocket(s, sim.FIONBIO, 1))
		requireRule(f.t, "CONNECT-WOULDBLOCK", f.th.ConnectAddr(s, v4("127.0.0.1:9")))
		return f.th.Listen(s, 1)
	},
	"LISTEN-UNBOUND": func(f *fixture) error { return f.th.Listen(f.tcp(), 1) },
	"CONNECT-UNSUPPORTED": func(f *fixture) error {
		return f.th.ConnectAddr(f.sock(f.th, sim.AF_INET, sim.SOCK_RAW), v4("127.0.0.1:1"))
	},
	"SENDTO-NETUNREACH": func(f *fixture) error {
		u := f.udp()
		f.ok(f.th.BindAddr(u, v4("127.0.0.1:0")))
		_, err := f.th.SendtoAddr(u, []byte("x"), v4("10.0.0.3:9"))
		return err
	},
	"CONNECT-FAULT":  func(f *fixture) error { return f.th.Connect(f.tcp(), nil, 16) },
	"CONNECT-FAMILY": func(f *fixture) error { return f.th.ConnectAddr(f.tcp(), v4("[::1]:80")) },
	"CONNECT-LISTENING": func(f *fixture) error {
		l := f.listener(f.th, "127.0.0.1:80")
		return f.th.ConnectAddr(l, v4("127.0.0.1:80"))
	},
	"CONNECT-AFTER-CONNECTEX": func(f *fixture) error {
		f.listener(f.th, "127.0.0.1:80")
		s := f.tcp()
		f.ok(f.th.BindAddr(s, v4("0.0.0.0:0")))
		var ov sim.Overlapped
		requireRule(f.t, "CONNECTEX-PENDING", f.th.ConnectEx(s, v4("127.0.0.1:80").Encode(), 16, &ov))
		return f.th.ConnectAddr(s, v4("127.0.0.1:80"))
	},
	"CONNECT-ALREADY": func(f *fixture) error {
		f.listener(f.th, "127.0.0.1:80")
		s := f.tcp()
		f.ok(f.th.Ioctlsocket(s, sim.FIONBIO, 1))
		requireRule(f.t, "CONNECT-WOULDBLOCK", f.th.ConnectAddr(s, v4("127.0.0.1:80")))
		return f.th.ConnectAddr(s, v4("127.0.0.1:80"))
	},
	"CONNECT-ISCONN": func(f *fixture) error {
		c, _ := f.connected()
		return f.th.ConnectAddr(c, v4("127.0.0.1:5000"))
	},
	"CONNECT-ADDRNOTAVAIL": func(f *fixture) error { return f.th.ConnectAddr(f.tcp(), v4("0.0.0.0:80")) },
	"CONNECT-MAPPED-V6ONLY": func(f *fixture) error {
		f.listener(f.th, "127.0.0.1:8100")
		return f.th.ConnectAddr(f.tcp6(), v4("[::ffff:127.0.0.1]:8100"))
	},
	"SENDTO-MAPPED-V6ONLY": func(f *fixture) error {
		_, err := f.th.SendtoAddr(f.sock(f.th, sim.AF_INET6, sim.SOCK_DGRAM), []byte("x"), v4("[::ffff:127.0.0.1]:9"))
		return err
	},
	"CLOSE-ABORTS-PENDING": func(f *fixture) error {
		s := f.tcp()
		f.ok(f.th.BindAddr(s, v4("0.0.0.0:0")))
		var ov sim.Overlapped
		requireRule(f.t, "CONNECTEX-PENDING", f.th.ConnectEx(s, v4("127.0.0.1:80").Encode(), 16, &ov))
		f.ok(f.th.Closesocket(s))
		f.net.Settle()
		done, err := ov.Completed()
		require.True(f.t, done)
		return err
	},
	"CONNECT-REFUSED":     func(f *fixture) error { return f.th.ConnectAddr(f.tcp(), v4("127.0.0.1:81")) },
	"CONNECT-UNREACHABLE": func(f *fixture) error { return f.th.ConnectAddr(f.tcp(), v4("10.9.9.9:80")) },
	"CONNECT-NEGOTIATION": func(f *fixture) error {
		// A secured listener on "far", a secured client on "h": neither host has credentials.
		l := f.sock(f.farT, sim.AF_INET, sim.SOCK_STREAM)
		f.ok(f.farT.WSASetSocketSecurity(l, nil, 0, nil, nil))
		f.ok(f.farT.BindAddr(l, v4("0.0.0.0:27015")))
		f.ok(f.farT.Listen(l, 1))
		c := f.tcp()
		f.ok(f.th.WSASetSocketSecurity(c, nil, 0, nil, nil))
		before := f.net.Now()
		err := f.th.ConnectAddr(c, v4("10.0.0.3:27015"))
		assert.Equal(f.t, 21*time.Second, f.net.Now()-before, "the connect blocks until the SYN times out")
		var re *sim.RuleError
		if assert.ErrorAs(f.t, err, &re) {
			assert.Equal(f.t, "extended mode failed: no common authentication method; client h has no credentials, server far has no credentials", re.Detail)
		}
		return err
	},
	"CLOSEHANDLE-INVALID": func(f *fixture) error { return f.th.CloseHandle(0x1234) },
	"INJECTED-DROP": func(f *fixture) error {
		_, err := f.net.DisturbLink(sim.LinkFault{Kind: sim.LinkDrop, To: "far"})
		f.ok(err)
		before := f.net.Now()
		err = f.th.ConnectAddr(f.tcp(), v4("10.0.0.3:80"))
		assert.Equal(f.t, 21*time.Second, f.net.Now()-before, "the SYN is unanswered until the time-out")
		return err
	},
	"INJECTED-UNREACHABLE": func(f *fixture) error {
		_, err := f.net.DisturbLink(sim.LinkFault{Kind: sim.LinkUnreachable, From: "h", To: "far"})
		f.ok(err)
		return f.th.ConnectAddr(f.tcp(), v4("10.0.0.3:80"))
	},
	"INJECTED-NEGOTIATION": func(f *fixture) error {
		l := f.sock(f.farT, sim.AF_INET, sim.SOCK_STREAM)
		f.ok(f.farT.BindAddr(l, v4("0.0.0.0:27015")))
		f.ok(f.farT.Listen(l, 1))
		_, err := f.net.DisturbLink(sim.LinkFault{Kind: sim.LinkNegotiationFailure, Reason: "the peer stopped answering"})
		f.ok(err)
		c := f.tcp()
		f.ok(f.th.WSASetSocketSecurity(c, nil, 0, nil, nil))
		err = f.th.ConnectAddr(c, v4("10.0.0.3:27015"))
		var re *sim.RuleError
		if assert.ErrorAs(f.t, err, &re) {
			assert.Equal(f.t, "main mode failed: injected: the peer stopped answering", re.Detail)
		}
		return err
	},
	"SENDTO-RESET": func(f *fixture) error {
		l := f.sock(f.farT, sim.AF_INET, sim.SOCK_STREAM)
		f.ok(f.farT.BindAddr(l, v4("0.0.0.0:80")))
		f.ok(f.farT.Listen(l, 1))
		c := f.tcp()
		f.ok(f.th.ConnectAddr(c, v4("10.0.0.3:80")))
		d, err := f.net.DisturbLink(sim.LinkFault{Kind: sim.LinkReset, From: "h", To: "far"})
		f.ok(err)
		assert.Equal(f.t, 1, d.Fired(), "the client's end; the server's is still in the listen queue")
		_, err = f.th.Sendto(c, []byte("x"), 0, nil, 0)
		return err
	},
	"CONNECT-NETUNREACH": func(f *fixture) error {
		return f.farT.ConnectAddr(f.sock(f.farT, sim.AF_INET6, sim.SOCK_STREAM), v4("[fd00::2]:80"))
	},
	"CONNECT-WOULDBLOCK": func(f *fixture) error {
		s := f.tcp()
		f.ok(f.th.Ioctlsocket(s, sim.FIONBIO, 1))
		return f.th.ConnectAddr(s, v4("127.0.0.1:80"))
	},
	"CONNECTEX-NULL-OVERLAPPED": func(f *fixture) error {
		return f.th.ConnectEx(f.tcp(), v4("127.0.0.1:80").Encode(), 16, nil)
	},
	"CONNECTEX-NOT-STREAM": func(f *fixture) error {
		var ov sim.Overlapped
		return f.th.ConnectEx(f.udp(), v4("127.0.0.1:80").Encode(), 16, &ov)
	},
	"CONNECTEX-CONNECTING": func(f *fixture) error {
		s := f.tcp()
		f.ok(f.th.BindAddr(s, v4("0.0.0.0:0")))
		var ov1, ov2 sim.Overlapped
		requireRule(f.t, "CONNECTEX-PENDING", f.th.ConnectEx(s, v4("127.0.0.1:80").Encode(), 16, &ov1))
		return f.th.ConnectEx(s, v4("127.0.0.1:80").Encode(), 16, &ov2)
	},
	"CONNECTEX-UNBOUND": func(f *fixture) error {
		var ov sim.Overlapped
		return f.th.ConnectEx(f.tcp(), v4("127.0.0.1:80").Encode(), 16, &ov)
	},
	"CONNECTEX-PENDING": func(f *fixture) error {
		s := f.tcp()
		f.ok(f.th.BindAddr(s, v4("0.0.0.0:0")))
		var ov sim.Overlapped
		return f.th.ConnectEx(s, v4("127.0.0.1:80").Encode(), 16, &ov)
	},
	"ACCEPT-FAULT": func(f *fixture) error {
		l := f.listener(f.th, "127.0.0.1:80")
		n := int32(0)
		_, err := f.th.Accept(l, make([]byte, 16), &n)
		return err
	},
	"ACCEPT-NOT-STREAM": func(f *fixture) error {
		_, err := f.th.Accept(f.udp(), nil, nil)
		return err
	},
	"ACCEPT-NOT-LISTENING": func(f *fixture) error {
		_, err := f.th.Accept(f.tcp(), nil, nil)
		return err
	},
	"ACCEPT-WOULDBLOCK": func(f *fixture) error {
		_, err := f.th.Accept(f.listener(f.th, "127.0.0.1:80"), nil, nil)
		return err
	},
	"GETOVERLAPPED-FAULT": func(f *fixture) error {
		_, err := f.th.WSAGetOverlappedResult(f.tcp(), nil, false)
		return err
	},
	"GETOVERLAPPED-INCOMPLETE": func(f *fixture) error {
		s := f.tcp()
		f.ok(f.th.BindAddr(s, v4("0.0.0.0:0")))
		var ov sim.Overlapped
		requireRule(f.t, "CONNECTEX-PENDING", f.th.ConnectEx(s, v4("127.0.0.1:80").Encode(), 16, &ov))
		_, err := f.th.WSAGetOverlappedResult(s, &ov, false)
		return err
	},
	"SENDTO-UNSUPPORTED": func(f *fixture) error {
		_, err := f.th.SendtoAddr(f.sock(f.th, sim.AF_UNIX, sim.SOCK_STREAM), []byte("x"), v4("127.0.0.1:1"))
		return err
	},
	"SENDTO-SHUTDOWN": func(f *fixture) error {
		s := f.udp()
		f.ok(f.th.BindAddr(s, v4("127.0.0.1:0")))
		f.ok(f.th.Shutdown(s, sim.SD_SEND))
		_, err := f.th.SendtoAddr(s, []byte("x"), v4("127.0.0.1:9"))
		return err
	},
	"SENDTO-NOTCONN": func(f *fixture) error {
		_, err := f.th.SendtoAddr(f.tcp(), []byte("x"), v4("127.0.0.1:9"))
		return err
	},
	"SENDTO-FAULT": func(f *fixture) error {
		_, err := f.th.Sendto(f.udp(), []byte("x"), 0, v4("127.0.0.1:9").Encode(), 8)
		return err
	},
	"SENDTO-NO-DEST": func(f *fixture) error {
		_, err := f.th.Sendto(f.udp(), []byte("x"), 0, nil, 0)
		return err
	},
	"SENDTO-FAMILY": func(f *fixture) error {
		_, err := f.th.SendtoAddr(f.udp(), []byte("x"), v4("[::1]:9"))
		return err
	},
	"SENDTO-ADDRNOTAVAIL": func(f *fixture) error {
		_, err := f.th.SendtoAddr(f.udp(), []byte("x"), v4("0.0.0.0:9"))
		return err
	},
	"GETSOCKNAME-FAULT-NULL": func(f *fixture) error { return f.th.Getsockname(f.tcp(), nil, nil) },
	"GETSOCKNAME-UNBOUND": func(f *fixture) error {
		n := int32(1) // too short, but the state is checked first
		return f.th.Getsockname(f.tcp(), make([]byte, 16), &n)
	},
	"GETSOCKNAME-FAULT-LEN": func(f *fixture) error {
		s := f.tcp()
		f.ok(f.th.BindAddr(s, v4("127.0.0.1:0")))
		n := int32(8)
		return f.th.Getsockname(s, make([]byte, 16), &n)
	},
	"GETPEERNAME-FAULT-NULL": func(f *fixture) error {
		c, _ := f.connected()
		return f.th.Getpeername(c, nil, nil)
	},
	"GETPEERNAME-NOTCONN": func(f *fixture) error {
		s := f.udp()
		_, err := f.th.SendtoAddr(s, []byte("x"), v4("127.0.0.1:9"))
		f.ok(err)
		_, err = f.th.PeerName(s) // sendto does not connect
		return err
	},
	"GETPEERNAME-FAULT-LEN": func(f *fixture) error {
		c, _ := f.connected()
		n := int32(0)
		return f.th.Getpeername(c, make([]byte, 16), &n)
	},
	"SHUTDOWN-NOTCONN": func(f *fixture) error {
		return f.th.Shutdown(f.listener(f.th, "127.0.0.1:80"), sim.SD_BOTH)
	},
	"SHUTDOWN-HOW": func(f *fixture) error {
		c, _ := f.connected()
		return f.th.Shutdown(c, 3)
	},
	"SETSEC-FAULT": func(f *fixture) error {
		return f.th.WSASetSocketSecurity(f.tcp(), make([]byte, 8), 88, nil, nil)
	},
	"SEC-FAMILY-TYPE": func(f *fixture) error {
		return f.th.WSASetSocketSecurity(f.sock(f.th, sim.AF_UNIX, sim.SOCK_STREAM), nil, 0, nil, nil)
	},
	"SETSEC-ISCONN": func(f *fixture) error {
		_, a := f.connected()
		return f.th.WSASetSocketSecurity(a, nil, 0, nil, nil)
	},
	"SETSEC-CONNECTING": func(f *fixture) error {
		s := f.tcp()
		f.ok(f.th.Ioctlsocket(s, sim.FIONBIO, 1))
		requireRule(f.t, "CONNECT-WOULDBLOCK", f.th.ConnectAddr(s, v4("127.0.0.1:9")))
		return f.th.WSASetSocketSecurity(s, nil, 0, nil, nil)
	},
	"SETSEC-LISTENING": func(f *fixture) error {
		return f.th.WSASetSocketSecurity(f.listener(f.th, "0.0.0.0:27015"), nil, 0, nil, nil)
	},
	"SETSEC-BOUND": func(f *fixture) error {
		s := f.udp()
		_, err := f.th.SendtoAddr(s, []byte("x"), v4("127.0.0.1:9")) // binds implicitly
		f.ok(err)
		return f.th.WSASetSocketSecurity(s, nil, 0, nil, nil)
	},
	"SETSEC-ONCE": func(f *fixture) error {
		s := f.tcp()
		f.ok(f.th.WSASetSocketSecurity(s, nil, 0, nil, nil))
		return f.th.WSASetSocketSecurity(s, nil, 0, nil, nil)
	},
	"SETSEC-REUSEADDR": func(f *fixture) error {
		s := f.tcp()
		f.ok(f.th.SetsockoptInt(s, sim.SOL_SOCKET, sim.SO_REUSEADDR, 1))
		return f.th.WSASetSocketSecurity(s, nil, 0, nil, nil)
	},
	"SETTINGS-LEN-MIN": func(f *fixture) error {
		return f.setSettings(make([]byte, 8), 7)
	},
	"SETTINGS-PROTOCOL": func(f *fixture) error {
		return f.setSettings(policy.Settings{Protocol: policy.ProtocolInvalid}.Encode(), 8)
	},
	"SETTINGS-IPSEC-LEN-MIN": func(f *fixture) error {
		return f.setSettings(policy.Settings{Protocol: policy.ProtocolIPsec, IPsec: &policy.IPsecSettings{}}.Encode(), 84)
	},
	"SETTINGS-IPSEC-STRINGS-LEN": func(f *fixture) error {
		b := policy.Settings{Protocol: policy.ProtocolIPsec, IPsec: &policy.IPsecSettings{UserName: "bob"}}.Encode()
		return f.setSettings(b, 88)
	},
	"SETTINGS-IPSEC-STRINGS-ODD": func(f *fixture) error {
		b := policy.Settings{Protocol: policy.ProtocolIPsec, IPsec: &policy.IPsecSettings{UserName: "bob"}}.Encode()
		binary.LittleEndian.PutUint32(b[72:], 5)
		return f.setSettings(b, uint32(len(b)))
	},
	"SETTINGS-DEFAULT-WITH-IPSEC-LAYOUT": func(f *fixture) error {
		b := policy.Settings{Protocol: policy.ProtocolDefault, IPsec: &policy.IPsecSettings{}}.Encode()
		return f.setSettings(b, 88)
	},
	"SETTINGS-FLAGS-UNKNOWN": func(f *fixture) error {
		return f.setSettings(policy.Settings{Flags: 0x80}.Encode(), 8)
	},
	"SETTINGS-IPSEC-FLAGS-UNKNOWN": func(f *fixture) error {
		b := policy.Settings{Protocol: policy.ProtocolIPsec, IPsec: &policy.IPsecSettings{Flags: 0x100}}.Encode()
		return f.setSettings(b, 88)
	},
}

func (f *fixture) setSettings(b []byte, n uint32) error {
	return f.th.WSASetSocketSecurity(f.tcp(), b, n, nil, nil)
}

func TestRules(t *testing.T) {
	for id, run := range ruleCases {
		t.Run(id, func(t *testing.T) {
			f := newFixture(t)
			requireRule(t, id, run(f))
		})
	}
}

func TestEveryRuleIsExercised(t *testing.T) {
	for _, r := range sim.Rules() {
		_, ok := ruleCases[r.ID]
		assert.True(t, ok, "rule %s (%s) has no test case", r.ID, r.Func)
	}
	for id := range ruleCases {
		_, ok := sim.RuleByID(id)
		assert.True(t, ok, "test case %s names no rule", id)
	}
}

func TestRuleTableIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range sim.Rules() {
		assert.False(t, seen[r.ID], "duplicate rule ID %s", r.ID)
		seen[r.ID] = true
		assert.NotEmpty(t, r.Func, r.ID)
		assert.NotEmpty(t, r.Condition, r.ID)
		assert.NotEmpty(t, r.Source, r.ID)
		assert.True(t, r.Code.Known(), "%s returns an unknown code %d", r.ID, r.Code)
	}
	for _, fn := range sim.Functions() {
		assert.NotEmpty(t, sim.RulesFor(fn), fn)
	}
}

func TestSetSocketSecuritySetsExclusiveAddrUse(t *testing.T) {
	f := newFixture(t)
	s := f.tcp()
	f.ok(f.th.WSASetSocketSecurity(s, policy.Settings{Flags: policy.SettingsGuaranteeEncryption}.Encode(), 8, nil, nil))
	v, err := f.th.GetsockoptInt(s, sim.SOL_SOCKET, sim.SO_EXCLUSIVEADDRUSE)
	require.NoError(t, err)
	assert.Equal(t, int32(1), v)
	requireRule(t, "SOCKOPT-REUSE-EXCLUSIVE", f.th.SetsockoptInt(s, sim.SOL_SOCKET, sim.SO_REUSEADDR, 1))
	info, ok := f.h.App().Inspect(s)
	require.True(t, ok)
	require.NotNil(t, info.Settings)
	assert.Equal(t, policy.SettingsGuaranteeEncryption, info.Settings.Flags)

	// A failed call changes nothing (ruling R6).
	u := f.tcp()
	f.ok(f.th.SetsockoptInt(u, sim.SOL_SOCKET, sim.SO_REUSEADDR, 1))
	requireRule(t, "SETSEC-REUSEADDR", f.th.WSASetSocketSecurity(u, nil, 0, nil, nil))
	info, _ = f.h.App().Inspect(u)
	assert.False(t, info.Secured)
	assert.False(t, info.Exclusive)
}

func TestSetSocketSecurityCompletesOverlappedOnOverlappedSocketsOnly(t *testing.T) {
	f := newFixture(t)
	ovSock, err := f.th.WSASocket(sim.AF_INET, sim.SOCK_STREAM, 0, sim.WSA_FLAG_OVERLAPPED)
	require.NoError(t, err)
	var ov sim.Overlapped
	f.ok(f.th.WSASetSocketSecurity(ovSock, nil, 0, &ov, nil))
	done, res := ov.Completed()
	assert.True(t, done)
	assert.NoError(t, res)

	plain, err := f.th.WSASocket(sim.AF_INET, sim.SOCK_STREAM, 0, 0)
	require.NoError(t, err)
	var ignored sim.Overlapped
	f.ok(f.th.WSASetSocketSecurity(plain, nil, 0, &ignored, nil))
	done, _ = ignored.Completed()
	assert.False(t, done, "a non-overlapped socket ignores the OVERLAPPED (R7)")
}

func TestSettingsWithCredentialsAreKeptButThePasswordNeverPrinted(t *testing.T) {
	f := newFixture(t)
	log := &sim.TraceLog{}
	f.net.SetTracer(log)
	st := policy.Settings{Protocol: policy.ProtocolIPsec, IPsec: &policy.IPsecSettings{UserName: "bob", DomainName: "CORP", Password: policy.NewSecret("hunter2")}}
	b := st.Encode()
	s := f.tcp()
	f.ok(f.th.WSASetSocketSecurity(s, b, uint32(len(b)), nil, nil))
	info, _ := f.h.App().Inspect(s)
	require.NotNil(t, info.Settings.IPsec)
	assert.Equal(t, "bob", info.Settings.IPsec.UserName)
	assert.NotContains(t, log.String(), "hunter2")
	assert.Contains(t, log.String(), "WSASetSocketSecurity")
}

func TestSocketDefaultsAndMatrix(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		af, typ, proto int32
		wantType       int32
	}{
		{sim.AF_INET, 0, 0, sim.SOCK_STREAM},
		{sim.AF_INET, 0, sim.IPPROTO_UDP, sim.SOCK_DGRAM},
		{sim.AF_INET6, sim.SOCK_DGRAM, 0, sim.SOCK_DGRAM},
		{sim.AF_UNSPEC, sim.SOCK_STREAM, sim.IPPROTO_TCP, sim.SOCK_STREAM},
	}
	for _, c := range cases {
		s, err := f.th.Socket(c.af, c.typ, c.proto)
		require.NoError(t, err, "%+v", c)
		v, err := f.th.GetsockoptInt(s, sim.SOL_SOCKET, sim.SO_TYPE)
		require.NoError(t, err)
		assert.Equal(t, c.wantType, v, "%+v", c)
	}
	for _, c := range []struct {
		af, typ, proto int32
		rule           string
	}{
		{sim.AF_UNSPEC, 0, 0, "SOCKET-UNSPEC"},
		{sim.AF_UNSPEC, 0xdead, 0, "SOCKET-UNSPEC"},
		{sim.AF_UNSPEC, 0xdead, sim.IPPROTO_UDP, "SOCKET-TYPE"},
		{sim.AF_UNSPEC, sim.SOCK_STREAM, 0xdead, "SOCKET-PROTOCOL"},
		{sim.AF_INET, 0, 0xdead, "SOCKET-PROTOCOL"},
		{sim.AF_INET, sim.SOCK_DGRAM, sim.IPPROTO_TCP, "SOCKET-PROTOCOL"},
		{sim.AF_INET, sim.SOCK_SEQPACKET, 0, "SOCKET-TYPE"},
		{0xdead, sim.SOCK_STREAM, 0, "SOCKET-FAMILY"},
		{sim.AF_UNIX, sim.SOCK_DGRAM, 0, "SOCKET-TYPE"},
	} {
		_, err := f.th.Socket(c.af, c.typ, c.proto)
		requireRule(t, c.rule, err)
	}
}

func TestOverlappedAttribute(t *testing.T) {
	f := newFixture(t)
	s, _ := f.th.Socket(sim.AF_INET, sim.SOCK_STREAM, 0)
	w, _ := f.th.WSASocket(sim.AF_INET, sim.SOCK_STREAM, 0, 0)
	wo, _ := f.th.WSASocket(sim.AF_INET, sim.SOCK_STREAM, 0, sim.WSA_FLAG_OVERLAPPED)
	for h, want := range map[sim.Handle]bool{s: true, w: false, wo: true} {
		info, _ := f.h.App().Inspect(h)
		assert.Equal(t, want, info.Overlapped, "%v", h)
	}
}

func TestHandlesLookLikeSocketsAndAreNeverReused(t *testing.T) {
	f := newFixture(t)
	seen := map[sim.Handle]bool{}
	for i := 0; i < 100; i++ {
		s := f.tcp()
		assert.Zero(t, s%4, "SOCKET values are multiples of 4")
		assert.False(t, seen[s], "handle %v reused", s)
		seen[s] = true
		f.ok(f.th.Closesocket(s))
		requireRule(t, "GEN-NOTSOCK", f.th.Closesocket(s))
	}
	// Another application's handle is not a socket here, even with the same value.
	other := f.sock(f.alice, sim.AF_INET, sim.SOCK_STREAM)
	if _, mine := f.h.App().Inspect(other); !mine {
		requireRule(t, "GEN-NOTSOCK", f.th.Listen(other, 1))
	}
}

func TestStartupIsCountedAndCleanupClosesSockets(t *testing.T) {
	f := newFixture(t)
	var d sim.WSAData
	f.ok(f.th.WSAStartup(0x0202, &d)) // the application now has two startups
	assert.Equal(t, uint16(0x0202), d.Version)
	assert.Equal(t, uint16(0x0202), d.HighVersion)
	f.ok(f.th.WSAStartup(0x0103, &d)) // 3.1: the low byte is the major version
	assert.Equal(t, uint16(0x0202), d.Version, "a request above 2.2 gets 2.2")
	f.ok(f.th.WSAStartup(0x0501, &d))
	assert.Equal(t, uint16(0x0101), d.Version, "1.5 gets 1.1")

	s := f.tcp()
	for i := 0; i < 3; i++ {
		f.ok(f.th.WSACleanup())
	}
	requireRule(t, "LISTEN-UNBOUND", f.th.Listen(s, 1)) // still initialised once: the socket lives
	f.ok(f.th.WSACleanup())
	requireRule(t, "GEN-NOTINITIALISED", f.th.Listen(s, 1))
	f.ok(f.th.WSAStartup(0x0202, &d))
	requireRule(t, "GEN-NOTSOCK", f.th.Listen(s, 1)) // the last cleanup closed it
	assert.Zero(t, f.h.App().Sockets())
}

// Regressions found by the state-machine test.
func TestAcceptedSocketsHaveALocalAddress(t *testing.T) {
	f := newFixture(t)
	c, a := f.connected()
	name, err := f.th.SocketName(a)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:5000", name.String())
	requireRule(t, "BIND-TWICE", f.th.BindAddr(a, v4("127.0.0.1:6000")))
	peer, err := f.th.PeerName(a)
	require.NoError(t, err)
	mine, _ := f.th.SocketName(c)
	assert.Equal(t, mine, peer)
}

func TestLoopbackBoundSocketsCannotReachOtherHosts(t *testing.T) {
	f := newFixture(t)
	f.listener(f.farT, "10.0.0.3:80")
	s := f.tcp()
	f.ok(f.th.BindAddr(s, v4("127.0.0.1:0")))
	requireRule(t, "CONNECT-NETUNREACH", f.th.ConnectAddr(s, v4("10.0.0.3:80")))
	u := f.tcp()
	f.ok(f.th.ConnectAddr(u, v4("10.0.0.3:80")))
	name, _ := f.th.SocketName(u)
	assert.Equal(t, "10.0.0.2", name.IP.String(), "the source is the host's own address")
}

func TestSOErrorIsSettableAndClearedByReading(t *testing.T) {
	f := newFixture(t)
	s := f.tcp()
	f.ok(f.th.SetsockoptInt(s, sim.SOL_SOCKET, sim.SO_ERROR, 1234))
	v, err := f.th.GetsockoptInt(s, sim.SOL_SOCKET, sim.SO_ERROR)
	require.NoError(t, err)
	assert.Equal(t, int32(1234), v)
	v, _ = f.th.GetsockoptInt(s, sim.SOL_SOCKET, sim.SO_ERROR)
	assert.Zero(t, v)
}

func TestUDPConnectToAllZerosDisconnects(t *testing.T) {
	f := newFixture(t)
	u := f.udp()
	f.ok(f.th.ConnectAddr(u, v4("127.0.0.1:9")))
	_, err := f.th.PeerName(u)
	require.NoError(t, err)
	f.ok(f.th.ConnectAddr(u, v4("0.0.0.0:0")))
	_, err = f.th.PeerName(u)
	requireRule(t, "GETPEERNAME-NOTCONN", err)
}

func TestConcurrentCleanupsSucceedOncePerStartup(t *testing.T) {
	for trial := 0; trial < 200; trial++ {
		n := sim.NewNetwork()
		app := n.MustAddHost("h").App()
		start := make(chan struct{})
		results := make(chan error, 8)
		for i := 0; i < 8; i++ {
			th := app.NewThread()
			go func() {
				<-start
				results <- th.WSACleanup()
			}()
		}
		close(start)
		ok := 0
		for i := 0; i < 8; i++ {
			if <-results == nil {
				ok++
			}
		}
		require.Equal(t, 1, ok, "trial %d", trial)
		var d sim.WSAData
		require.NoError(t, app.Main().WSAStartup(0x0202, &d))
		require.True(t, app.Initialised())
	}
}

// Found by running the corpus on a real Winsock (scripts/wine-conformance), each backed by a
// Windows-validated line of Wine's sock.c.

// IPV6_V6ONLY is a one-byte option on Windows (test_optsize row IPV6_V6ONLY: accepts_short_len,
// sizes {1, 1, 1}): any optlen from 1 is accepted, only the first byte counts, and getsockopt
// writes one byte and an optlen of 1.
func TestIPV6OnlyIsAOneByteOption(t *testing.T) {
	f := newFixture(t)
	s := f.tcp6()
	f.ok(f.th.Setsockopt(s, sim.IPPROTO_IPV6, sim.IPV6_V6ONLY, []byte{0, 0xee}, 2))
	v, err := f.th.GetsockoptInt(s, sim.IPPROTO_IPV6, sim.IPV6_V6ONLY)
	require.NoError(t, err)
	assert.Zero(t, v)
	f.ok(f.th.Setsockopt(s, sim.IPPROTO_IPV6, sim.IPV6_V6ONLY, []byte{1}, 1))
	f.ok(f.th.Setsockopt(s, sim.IPPROTO_IPV6, sim.IPV6_V6ONLY, []byte{0, 1, 0, 0}, 4)) // 0x100: low byte 0
	buf := []byte{0xee, 0xee, 0xee, 0xee}
	n := int32(4)
	f.ok(f.th.Getsockopt(s, sim.IPPROTO_IPV6, sim.IPV6_V6ONLY, buf, &n))
	assert.Equal(t, int32(1), n, "optlen 1")
	assert.Equal(t, []byte{0, 0xee, 0xee, 0xee}, buf, "one byte written")
	n = 2
	f.ok(f.th.Getsockopt(s, sim.IPPROTO_IPV6, sim.IPV6_V6ONLY, buf, &n))
	assert.Equal(t, int32(1), n)
	requireRule(t, "SOCKOPT-LEN", f.th.Setsockopt(s, sim.IPPROTO_IPV6, sim.IPV6_V6ONLY, []byte{1}, 0))
	requireRule(t, "SOCKOPT-LEN-NEGATIVE", f.th.Setsockopt(s, sim.IPPROTO_IPV6, sim.IPV6_V6ONLY, []byte{1, 0, 0, 0}, -1))
	n = 0
	requireRule(t, "GETSOCKOPT-LEN", f.th.Getsockopt(s, sim.IPPROTO_IPV6, sim.IPV6_V6ONLY, buf, &n))
}

// ioctlsocket accepts the three commands its page defines and answers WSAEOPNOTSUPP to others
// (test_fionread_siocatmark, test_unsupported_ioctls).
func TestIoctlsocketCommands(t *testing.T) {
	f := newFixture(t)
	s := f.tcp()
	f.ok(f.th.Ioctlsocket(s, sim.FIONREAD, 0))
	f.ok(f.th.Ioctlsocket(s, sim.SIOCATMARK, 0))
	f.ok(f.th.Ioctlsocket(s, sim.FIONBIO, 1))
	f.ok(f.th.Ioctlsocket(s, sim.FIONREAD, 0)) // reading leaves the socket non-blocking
	requireRule(t, "CONNECT-WOULDBLOCK", f.th.ConnectAddr(s, v4("127.0.0.1:9")))
	for _, cmd := range []uint32{0xdeadbeef, 0x667e, 0x8004667d /* FIOASYNC */} {
		requireRule(t, "IOCTLSOCKET-CMD", f.th.Ioctlsocket(s, cmd, 0))
	}
}

// WSAGetOverlappedResult reads only the OVERLAPPED (test_WSAGetOverlappedResult): one no
// operation has used reports success, and any socket may ask about any OVERLAPPED.
func TestGetOverlappedResultReadsOnlyTheOverlapped(t *testing.T) {
	f := newFixture(t)
	var unused sim.Overlapped
	n, err := f.th.WSAGetOverlappedResult(f.tcp(), &unused, false)
	require.NoError(t, err)
	assert.Zero(t, n)
	_, err = f.th.WSAGetOverlappedResult(f.tcp(), &unused, true)
	require.NoError(t, err)

	f.listener(f.th, "127.0.0.1:80")
	e, other := f.tcp(), f.tcp()
	f.ok(f.th.BindAddr(e, v4("0.0.0.0:0")))
	var ov sim.Overlapped
	requireRule(t, "CONNECTEX-PENDING", f.th.ConnectEx(e, v4("127.0.0.1:80").Encode(), 16, &ov))
	_, err = f.th.WSAGetOverlappedResult(other, &ov, false)
	requireRule(t, "GETOVERLAPPED-INCOMPLETE", err)
	_, err = f.th.WSAGetOverlappedResult(other, &ov, true)
	require.NoError(t, err)

	// The abort of a pending ConnectEx by closesocket is read through any open socket.
	g := f.tcp()
	f.ok(f.th.BindAddr(g, v4("0.0.0.0:0")))
	var ov2 sim.Overlapped
	requireRule(t, "CONNECTEX-PENDING", f.th.ConnectEx(g, v4("127.0.0.1:80").Encode(), 16, &ov2))
	f.ok(f.th.Closesocket(g))
	_, err = f.th.WSAGetOverlappedResult(other, &ov2, false)
	requireRule(t, "CLOSE-ABORTS-PENDING", err)
}
