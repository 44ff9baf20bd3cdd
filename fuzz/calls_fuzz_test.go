package fuzz

// Go native fuzz targets over call sequences: the fuzzer's bytes decode into Winsock calls made
// straight on simulated threads (every argument, raw buffers and lying lengths included), one
// host's applications in FuzzCallsOneHost, both hosts' in FuzzCallsAcrossHosts. This file depends
// only on the package's own (non-test) code: ClusterFuzzLite's compile_native_go_fuzzer builds it
// as an ordinary source file, without the package's other _test.go files. Seeds live in
// testdata/fuzz/<Target>/ at the module root (see internal/fuzzseed).
//
// After every call the run checks:
//   - the package's invariants (the checker Check uses: security never after bind or connect,
//     exclusive delivery, every failure from a rule the table lists for the call with its code,
//     a closed handle only gives WSAENOTSOCK);
//   - the failure is one the rule table allows in the state the call found: a call whose chain
//     checks initialisation fails with it in an application that is not initialised, one that
//     checks the handle fails with GEN-NOTSOCK exactly when the handle is not a live socket of
//     the application, and a rule that depends on the socket's state fires only in that state
//     (stateRules);
//   - a failed check leaves the socket as it was; a success moves it where the call says;
//   - the password never reaches a trace or an error;
//   - nothing panics or hangs (a program has at most maxCalls calls);
//   - the same bytes give the same trace, byte for byte.

import (
	stderrors "errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/internal/fuzzseed"
	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/scenario"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sockaddr"
)

// maxCalls bounds one program, so that no input runs long.
const maxCalls = 400

// fuzzPassword is the only password the programs pass in structured settings; no trace or error
// may contain it.
const fuzzPassword = "Pw-6d1f3a0c-fuzz"

// callWorld is who may call and with which addresses.
type callWorld struct {
	actors  []string        // applications that make calls (labels as the checker knows them)
	local   []sockaddr.Addr // addresses to bind (port 0)
	targets []sockaddr.Addr // addresses to reach (port 0)
}

func addrs(list ...string) []sockaddr.Addr {
	out := make([]sockaddr.Addr, len(list))
	for i, s := range list {
		out[i] = sockaddr.From(netip.MustParseAddr(s), 0)
	}
	return out
}

var (
	// oneHost is host a's three applications (SYSTEM, alice, a second SYSTEM) and only host a's
	// addresses, besides two it does not own.
	oneHost = callWorld{
		actors:  []string{"a", "a/alice", "a/svc"},
		local:   addrs("0.0.0.0", "127.0.0.1", "10.0.0.1", "::", "::1", "fd00::1", "::ffff:127.0.0.1", "10.0.0.9", "fe80::1"),
		targets: addrs("127.0.0.1", "10.0.0.1", "::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "0.0.0.0", "::", "10.0.0.9", "255.255.255.255"),
	}
	// acrossHosts adds host b and its application.
	acrossHosts = callWorld{
		actors:  []string{"a", "a/alice", "a/svc", "b"},
		local:   oneHost.local,
		targets: append(addrs("10.0.0.2", "::ffff:10.0.0.2"), oneHost.targets...),
	}
	fuzzPorts  = []uint16{0, 80, 81, 27015}
	rawHandles = []sim.Handle{0, sim.INVALID_SOCKET, 4, 0x100, 0xFFFFFFFC}
)

// input hands out the fuzzer's bytes; once they run out every draw is zero and the program ends.
type input struct{ b []byte }

func (in *input) byte() byte {
	if len(in.b) == 0 {
		return 0
	}
	v := in.b[0]
	in.b = in.b[1:]
	return v
}

func (in *input) pick(n int) int { return int(in.byte()) % n }

func (in *input) u32() uint32 {
	return uint32(in.byte()) | uint32(in.byte())<<8 | uint32(in.byte())<<16 | uint32(in.byte())<<24
}

// raw copies up to n bytes (the simulator must not see the fuzzer's own buffer).
func (in *input) raw(n int) []byte {
	n = min(n, len(in.b))
	out := append([]byte(nil), in.b[:n]...)
	in.b = in.b[n:]
	return out
}

// callRun is one program's run.
type callRun struct {
	t       *testing.T
	in      input
	w       callWorld
	world   *scenario.SimWorld
	apps    []*sim.App
	threads []*sim.Thread
	handles [][]sim.Handle // per actor, every handle it was given, in order
	all     []sim.Handle   // every handle any actor was given
	ovs     [][2]sim.Overlapped
	log     sim.TraceLog
	check   *checker
	errs    strings.Builder // every error's text
	calls   int
}

// tee gives every event to the checker and the log. It is not a sim.StructuredTracer, so the
// log's events carry their text.
type tee struct{ a, b sim.Tracer }

func (t tee) Event(e sim.Event) { t.a.Event(e); t.b.Event(e) }

func newCallRun(t *testing.T, w callWorld, data []byte) *callRun {
	world, err := scenario.NewSimWorld(declared)
	require.NoError(t, err)
	r := &callRun{t: t, in: input{data}, w: w, world: world, check: newChecker(),
		handles: make([][]sim.Handle, len(w.actors)), ovs: make([][2]sim.Overlapped, len(w.actors))}
	r.check.script = declared
	world.Network().SetTracer(tee{r.check, &r.log})
	for _, label := range w.actors {
		app, ok := world.App(label)
		require.True(t, ok, "no application %s", label)
		r.apps = append(r.apps, app)
		r.threads = append(r.threads, app.Main())
	}
	return r
}

// run makes the program's calls and checks the invariants after each.
func (r *callRun) run() {
	for r.calls = 0; len(r.in.b) > 0 && r.calls < maxCalls; r.calls++ {
		r.step()
		if v := r.check.violation; v != nil {
			r.t.Fatalf("call %d: %v\n%s", r.calls+1, v, r.traceTail())
		}
	}
}

func (r *callRun) traceTail() string {
	lines := strings.Split(strings.TrimSuffix(r.log.String(), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-25):], "\n")
}

// handle draws a socket handle: mostly one the actor was given (the newest first), sometimes one
// another actor was given, sometimes a value no call returned.
func (r *callRun) handle(a int) sim.Handle {
	v := int(r.in.byte())
	switch own := r.handles[a]; {
	case v < 0xC0 && len(own) > 0:
		return own[len(own)-1-v%len(own)]
	case v < 0xE0 && len(r.all) > 0:
		return r.all[v%len(r.all)]
	}
	return rawHandles[v%len(rawHandles)]
}

// addr draws an address argument and its length: from the world's list with a port, an
// AF_UNSPEC SOCKADDR, NULL, a lying length, or raw bytes.
func (r *callRun) addr(list []sockaddr.Addr) ([]byte, int32) {
	v := int(r.in.byte())
	pick := func() []byte {
		a := list[v%len(list)].WithPort(fuzzPorts[r.in.pick(len(fuzzPorts))])
		if r.in.pick(8) == 0 {
			a = a.WithScope(uint32(r.in.pick(4)))
		}
		return a.Encode()
	}
	switch v >> 5 {
	case 5:
		return make([]byte, sockaddr.SizeofSockaddr), sockaddr.SizeofSockaddr // AF_UNSPEC
	case 6:
		b := pick()
		return b, []int32{0, -1, int32(len(b)) - 1, int32(len(b)) + 1, sockaddr.SizeofSockaddrStorage}[r.in.pick(5)]
	case 7:
		if v&1 == 0 {
			return nil, int32(r.in.pick(40))
		}
		b := r.in.raw(r.in.pick(40))
		return b, int32(len(b))
	}
	b := pick()
	return b, int32(len(b))
}

func (r *callRun) ov(a int) *sim.Overlapped {
	if i := r.in.pick(3); i < 2 {
		return &r.ovs[a][i]
	}
	return nil
}

// length draws the length passed with a buffer of n bytes: mostly n, else a lie.
func (r *callRun) length(n int) uint32 {
	switch r.in.pick(8) {
	case 5:
		return 0
	case 6:
		return uint32(max(n-1, 0))
	case 7:
		return uint32(n) + 1 + uint32(r.in.pick(200))
	}
	return uint32(n)
}

// Call kinds, in the order the program's first byte of a call selects them.
const (
	opSocket = iota
	opSetsockopt
	opGetsockopt
	opIoctlsocket
	opBind
	opListen
	opConnect
	opConnectEx
	opGetOverlapped
	opAccept
	opSendto
	opName
	opShutdown
	opClose
	opSetSecurity
	opQuerySecurity
	opSetPeerName
	opDeletePeerName
	opImpersonate
	opIoctl
	opStartup
	opSettle
	numOps
)

var (
	callFamilies  = []int32{sim.AF_INET, sim.AF_INET6, sim.AF_INET, sim.AF_INET6, sim.AF_UNSPEC, sim.AF_UNIX}
	callTypes     = []int32{sim.SOCK_STREAM, sim.SOCK_DGRAM, sim.SOCK_STREAM, sim.SOCK_DGRAM, sim.SOCK_RAW, sim.SOCK_SEQPACKET}
	callProtocols = []int32{0, 0, sim.IPPROTO_TCP, sim.IPPROTO_UDP, sim.IPPROTO_ICMP}
	wsaFlags      = []uint32{0, sim.WSA_FLAG_OVERLAPPED, sim.WSA_FLAG_OVERLAPPED | sim.WSA_FLAG_NO_HANDLE_INHERIT, 0x8000}
	sockOpts      = [][2]int32{{sim.SOL_SOCKET, sim.SO_REUSEADDR}, {sim.SOL_SOCKET, sim.SO_EXCLUSIVEADDRUSE}, {sim.IPPROTO_IPV6, sim.IPV6_V6ONLY}, {sim.SOL_SOCKET, sim.SO_BROADCAST}, {sim.SOL_SOCKET, sim.SO_UPDATE_CONNECT_CONTEXT}, {sim.SOL_SOCKET, sim.SO_TYPE}, {sim.SOL_SOCKET, sim.SO_ACCEPTCONN}, {sim.SOL_SOCKET, sim.SO_ERROR}, {sim.SOL_SOCKET, 0x9999}, {0x1234, 1}}
	ioctlCmds     = []uint32{sim.FIONBIO, sim.FIONREAD, sim.SIOCATMARK, 0x12345678}
	wsaIoctls     = []uint32{sim.SIO_SET_SECURITY, sim.SIO_QUERY_SECURITY, sim.SIO_SET_PEER_TARGET_NAME, sim.SIO_DELETE_PEER_TARGET_NAME, sim.SIO_SOCKET_USAGE_NOTIFICATION, sim.FIONBIO}
	protocolsS    = []policy.Protocol{policy.ProtocolDefault, policy.ProtocolIPsec, policy.ProtocolIPsec2, policy.ProtocolInvalid, -1}
)

func (r *callRun) value(list []int32) int32 {
	if i := r.in.pick(len(list) + 1); i < len(list) {
		return list[i]
	}
	return int32(r.in.u32())
}

// settings draws a WSASetSocketSecurity buffer: NULL, a SOCKET_SECURITY_SETTINGS, an _IPSEC
// one with the fuzz password, or raw bytes.
func (r *callRun) settings() []byte {
	switch r.in.pick(4) {
	case 0:
		return nil
	case 1:
		return policy.Settings{Protocol: protocolsS[r.in.pick(len(protocolsS))], Flags: policy.SecurityFlags(r.in.pick(4) | int(r.in.byte()&0x80))}.Encode()
	case 2:
		ip := &policy.IPsecSettings{Flags: policy.IPsecFlags(r.in.pick(0x11))}
		if r.in.pick(2) == 1 {
			ip.MMPolicyKey = policy.DefaultQM2PolicyKey
		}
		if r.in.pick(2) == 1 {
			ip.UserName, ip.DomainName, ip.Password = "alice", "CORP", policy.NewSecret(fuzzPassword)
		}
		return policy.Settings{Protocol: protocolsS[r.in.pick(3)], Flags: policy.SecurityFlags(r.in.pick(4)), IPsec: ip}.Encode()
	}
	return r.in.raw(r.in.pick(160))
}

// peerName draws a WSASetSocketPeerTargetName buffer.
func (r *callRun) peerName() []byte {
	switch r.in.pick(3) {
	case 0:
		return nil
	case 1:
		p := policy.PeerTargetName{Protocol: protocolsS[r.in.pick(len(protocolsS))], Name: []string{"host/b.corp", "", "é😀"}[r.in.pick(3)]}
		if r.in.pick(2) == 1 {
			b, _ := r.addr(r.w.targets)
			p.PeerAddress, _ = sockaddr.Decode(b)
		}
		return p.Encode()
	}
	return r.in.raw(r.in.pick(200))
}

// template draws a WSAQuerySocketSecurity template.
func (r *callRun) template() []byte {
	switch r.in.pick(3) {
	case 0:
		return nil
	case 1:
		q := policy.QueryTemplate{Protocol: protocolsS[r.in.pick(len(protocolsS))], PeerTokenAccessMask: uint32(r.in.pick(3))}
		q.IPsec2 = q.Protocol == policy.ProtocolIPsec2
		if r.in.pick(2) == 1 {
			b, _ := r.addr(r.w.targets)
			q.PeerAddress, _ = sockaddr.Decode(b)
		}
		return q.Encode()
	}
	return r.in.raw(r.in.pick(200))
}

// step decodes and makes one call.
func (r *callRun) step() {
	op := r.in.pick(numOps)
	a := r.in.pick(len(r.w.actors))
	th := r.threads[a]
	switch op {
	case opSocket:
		af, typ, proto := r.value(callFamilies), r.value(callTypes), r.value(callProtocols)
		fn, flags := "socket", uint32(0)
		if r.in.pick(2) == 1 {
			fn, flags = "WSASocket", wsaFlags[r.in.pick(len(wsaFlags))]
		}
		var h sim.Handle
		r.call(a, fn, sim.INVALID_SOCKET, func() (err error) {
			if fn == "socket" {
				h, err = th.Socket(af, typ, proto)
			} else {
				h, err = th.WSASocket(af, typ, proto, flags)
			}
			return err
		}, func(sim.SocketInfo) { r.newHandle(a, fn, h) })
	case opSetsockopt:
		h, lo := r.handle(a), sockOpts[r.in.pick(len(sockOpts))]
		v := []int32{0, 1, int32(r.in.byte())}[r.in.pick(3)]
		buf := []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
		n := []int32{4, 4, 4, 1, 0, -1, 8}[r.in.pick(7)]
		if r.in.pick(8) == 0 {
			buf = nil
		}
		r.call(a, "setsockopt", h, func() error { return th.Setsockopt(h, lo[0], lo[1], buf, n) }, func(info sim.SocketInfo) {
			if n == 4 && lo[0] == sim.SOL_SOCKET && lo[1] == sim.SO_REUSEADDR {
				require.Equal(r.t, v != 0, info.ReuseAddr, "SO_REUSEADDR set to %d", v)
			}
			if n == 4 && lo[0] == sim.SOL_SOCKET && lo[1] == sim.SO_EXCLUSIVEADDRUSE {
				require.Equal(r.t, v != 0, info.Exclusive, "SO_EXCLUSIVEADDRUSE set to %d", v)
			}
		})
	case opGetsockopt:
		h, lo := r.handle(a), sockOpts[r.in.pick(len(sockOpts))]
		buf, n := make([]byte, 8), []int32{4, 4, 1, 0, 16}[r.in.pick(5)]
		np := &n
		switch r.in.pick(6) {
		case 0:
			np = nil
		case 1:
			buf = nil
		}
		before, _ := r.apps[a].Inspect(h)
		r.call(a, "getsockopt", h, func() error { return th.Getsockopt(h, lo[0], lo[1], buf, np) }, func(info sim.SocketInfo) {
			if n != 4 || lo[0] != sim.SOL_SOCKET {
				return
			}
			got := int32(uint32(buf[0]) | uint32(buf[1])<<8 | uint32(buf[2])<<16 | uint32(buf[3])<<24)
			switch lo[1] {
			case sim.SO_TYPE:
				require.Equal(r.t, before.Type, got, "SO_TYPE")
			case sim.SO_ACCEPTCONN:
				require.Equal(r.t, before.State == sim.StateListening, got != 0, "SO_ACCEPTCONN in state %v", before.State)
			case sim.SO_REUSEADDR:
				require.Equal(r.t, before.ReuseAddr, got != 0, "SO_REUSEADDR")
			case sim.SO_EXCLUSIVEADDRUSE:
				require.Equal(r.t, before.Exclusive, got != 0, "SO_EXCLUSIVEADDRUSE")
			}
		})
	case opIoctlsocket:
		h, cmd := r.handle(a), ioctlCmds[r.in.pick(len(ioctlCmds))]
		arg := uint32(r.in.pick(3))
		r.call(a, "ioctlsocket", h, func() error { return th.Ioctlsocket(h, cmd, arg) }, func(info sim.SocketInfo) {
			if cmd == sim.FIONBIO {
				require.Equal(r.t, arg != 0, info.NonBlocking, "FIONBIO %d", arg)
			}
		})
	case opBind:
		h := r.handle(a)
		b, n := r.addr(r.w.local)
		r.call(a, "bind", h, func() error { return th.Bind(h, b, n) }, func(info sim.SocketInfo) {
			require.Equal(r.t, sim.StateBound, info.State, "after bind")
			want, _ := sockaddr.Decode(b[:n])
			require.Equal(r.t, want.IP, info.Local.IP, "bound to another address")
			require.NotZero(r.t, info.Local.Port, "bound to port 0")
			if want.Port != 0 {
				require.Equal(r.t, want.Port, info.Local.Port, "bound to another port")
			}
		})
	case opListen:
		h, backlog := r.handle(a), []int32{0, 1, 5, sim.SOMAXCONN, -1}[r.in.pick(5)]
		r.call(a, "listen", h, func() error { return th.Listen(h, backlog) }, func(info sim.SocketInfo) {
			require.Equal(r.t, sim.StateListening, info.State, "after listen")
		})
	case opConnect:
		h := r.handle(a)
		b, n := r.addr(r.w.targets)
		fn, connect := "connect", th.Connect
		if r.in.pick(2) == 1 {
			fn, connect = "WSAConnect", th.WSAConnect
		}
		r.call(a, fn, h, func() error { return connect(h, b, n) }, func(info sim.SocketInfo) {
			if info.Type == sim.SOCK_STREAM {
				require.Equal(r.t, sim.StateConnected, info.State, "after %s", fn)
			}
		})
	case opConnectEx:
		h, ov := r.handle(a), r.ov(a)
		b, n := r.addr(r.w.targets)
		r.call(a, "ConnectEx", h, func() error { return th.ConnectEx(h, b, n, ov) }, nil)
	case opGetOverlapped:
		h, ov, wait := r.handle(a), r.ov(a), r.in.pick(2) == 1
		r.call(a, "WSAGetOverlappedResult", h, func() error { _, err := th.WSAGetOverlappedResult(h, ov, wait); return err }, nil)
	case opAccept:
		h := r.handle(a)
		buf, n := make([]byte, sockaddr.SizeofSockaddrStorage), []int32{128, 16, 28, 0, -1}[r.in.pick(5)]
		np := &n
		switch r.in.pick(5) {
		case 0:
			np = nil
		case 1:
			buf = nil
		}
		var nh sim.Handle
		r.call(a, "accept", h, func() error {
			var err error
			nh, err = th.Accept(h, buf, np)
			return err
		}, func(sim.SocketInfo) { r.newHandle(a, "accept", nh) })
	case opSendto:
		h := r.handle(a)
		b, n := r.addr(r.w.targets)
		if r.in.pick(4) == 0 {
			b, n = nil, 0
		}
		data, flags := make([]byte, r.in.pick(3)*50), int32(r.in.pick(3)-1)
		r.call(a, "sendto", h, func() error { _, err := th.Sendto(h, data, flags, b, n); return err }, func(info sim.SocketInfo) {
			require.NotEqual(r.t, sockaddr.AF_UNSPEC, info.Local.Family, "sendto leaves the socket unbound")
		})
	case opName:
		h := r.handle(a)
		buf, n := make([]byte, sockaddr.SizeofSockaddrStorage), []int32{128, 16, 28, 0, 200}[r.in.pick(5)]
		np := &n
		switch r.in.pick(6) {
		case 0:
			np = nil
		case 1:
			buf = nil
		}
		fn, name := "getsockname", th.Getsockname
		if r.in.pick(2) == 1 {
			fn, name = "getpeername", th.Getpeername
		}
		r.call(a, fn, h, func() error { return name(h, buf, np) }, func(info sim.SocketInfo) {
			got, code := sockaddr.Decode(buf[:n])
			require.Zero(r.t, code, "%s wrote an address that does not decode", fn)
			want := info.Local
			if fn == "getpeername" {
				want = info.Peer
			}
			require.Equal(r.t, want, got, "%s", fn)
		})
	case opShutdown:
		h, how := r.handle(a), int32(r.in.pick(5)-1)
		r.call(a, "shutdown", h, func() error { return th.Shutdown(h, how) }, nil)
	case opClose:
		h := r.handle(a)
		r.call(a, "closesocket", h, func() error { return th.Closesocket(h) }, nil)
	case opSetSecurity:
		h, s, ov := r.handle(a), r.settings(), r.ov(a)
		n := r.length(len(s))
		if s == nil && r.in.pick(4) > 0 {
			n = 0
		}
		before, _ := r.apps[a].Inspect(h)
		r.call(a, "WSASetSocketSecurity", h, func() error { return th.WSASetSocketSecurity(h, s, n, ov, nil) }, func(info sim.SocketInfo) {
			require.True(r.t, info.Secured && info.Exclusive, "secured: %v, exclusive: %v", info.Secured, info.Exclusive)
			require.Equal(r.t, before.State, info.State, "WSASetSocketSecurity moved the socket")
		})
	case opQuerySecurity:
		h, tmpl, ov := r.handle(a), r.template(), r.ov(a)
		n := r.length(len(tmpl))
		info, infoLen := make([]byte, policy.SizeofQueryInfoIPsec2), uint32([]int{24, 64, 0, 8, 100}[r.in.pick(5)])
		lp := &infoLen
		switch r.in.pick(6) {
		case 0:
			lp = nil
		case 1:
			info = nil
		}
		if int(infoLen) > len(info) && info != nil {
			info = make([]byte, infoLen)
		}
		r.call(a, "WSAQuerySocketSecurity", h, func() error { return th.WSAQuerySocketSecurity(h, tmpl, n, info, lp, ov, nil) }, nil)
	case opSetPeerName:
		h, p, ov := r.handle(a), r.peerName(), r.ov(a)
		n := r.length(len(p))
		r.call(a, "WSASetSocketPeerTargetName", h, func() error { return th.WSASetSocketPeerTargetName(h, p, n, ov, nil) }, nil)
	case opDeletePeerName:
		h, ov := r.handle(a), r.ov(a)
		b, n := r.addr(r.w.targets)
		r.call(a, "WSADeleteSocketPeerTargetName", h, func() error { return th.WSADeleteSocketPeerTargetName(h, b, uint32(n), ov, nil) }, nil)
	case opImpersonate:
		if r.in.pick(3) == 0 {
			r.call(a, "WSARevertImpersonation", sim.INVALID_SOCKET, th.WSARevertImpersonation, nil)
			return
		}
		h := r.handle(a)
		b, n := r.addr(r.w.targets)
		r.call(a, "WSAImpersonateSocketPeer", h, func() error { return th.WSAImpersonateSocketPeer(h, b, uint32(n)) }, nil)
	case opIoctl:
		h, code, ov := r.handle(a), wsaIoctls[r.in.pick(len(wsaIoctls))], r.ov(a)
		var in []byte
		switch code {
		case sim.SIO_SET_SECURITY:
			in = r.settings()
		case sim.SIO_QUERY_SECURITY:
			in = r.template()
		case sim.SIO_SET_PEER_TARGET_NAME:
			in = r.peerName()
		case sim.SIO_DELETE_PEER_TARGET_NAME:
			in, _ = r.addr(r.w.targets)
		default:
			in = []byte{byte(r.in.pick(4)), 0, 0, 0}
		}
		inLen := r.length(len(in))
		out, outLen := make([]byte, 64), uint32([]int{0, 24, 64, 8}[r.in.pick(4)])
		var bytes uint32
		bp := &bytes
		switch r.in.pick(6) {
		case 0:
			bp = nil
		case 1:
			out = nil
		}
		r.call(a, "WSAIoctl", h, func() error { return th.WSAIoctl(h, code, in, inLen, out, outLen, bp, ov, nil) }, nil)
	case opStartup:
		if r.in.pick(2) == 0 {
			r.call(a, "WSACleanup", sim.INVALID_SOCKET, th.WSACleanup, nil)
			return
		}
		version := []uint16{0x0202, 0x0101, 0x0000, 0x0302, 0x0201}[r.in.pick(5)]
		data := &sim.WSAData{}
		if r.in.pick(6) == 0 {
			data = nil
		}
		r.call(a, "WSAStartup", sim.INVALID_SOCKET, func() error { return th.WSAStartup(version, data) }, nil)
	case opSettle:
		r.world.Settle()
	}
}

// newHandle records a handle a call returned: a multiple of 4, never one the application was
// given before, a live socket in the state the call leaves it in.
func (r *callRun) newHandle(a int, fn string, h sim.Handle) {
	require.Zero(r.t, h%4, "%s returned %v", fn, h)
	for _, old := range r.handles[a] {
		require.NotEqual(r.t, old, h, "%s returned %v again", fn, h)
	}
	info, live := r.apps[a].Inspect(h)
	require.True(r.t, live, "%s returned %v, which is no socket", fn, h)
	want := sim.StateOpen
	if fn == "accept" {
		want = sim.StateConnected
	}
	require.Equal(r.t, want, info.State, "%s returned a socket in state %v", fn, info.State)
	r.handles[a] = append(r.handles[a], h)
	r.all = append(r.all, h)
}

// handleless lists the calls that name no socket.
var handleless = map[string]bool{"socket": true, "WSASocket": true, "WSAStartup": true, "WSACleanup": true, "WSARevertImpersonation": true}

// call makes one call fn (on the socket h unless fn names none) and judges its result; ok, if
// set, checks what a success returned, with the socket's state after it.
func (r *callRun) call(a int, fn string, h sim.Handle, do func() error, ok func(sim.SocketInfo)) {
	app := r.apps[a]
	c := callState{fn: fn, h: h, hasHandle: !handleless[fn], wasInit: app.Initialised()}
	if c.hasHandle {
		c.before, c.live = app.Inspect(h)
	}
	err := do()
	r.judge(a, c, err)
	if err != nil {
		return
	}
	after, live := app.Inspect(h)
	switch {
	case fn == "closesocket":
		require.False(r.t, live, "closesocket succeeded but %v is still a socket", h)
	case c.hasHandle:
		require.True(r.t, live, "%s succeeded on %v, which is then no socket", fn, h)
	}
	if ok != nil {
		ok(after)
	}
}

// callState is what a call found: its socket, and whether the application was initialised.
type callState struct {
	fn        string
	h         sim.Handle
	hasHandle bool
	wasInit   bool
	before    sim.SocketInfo
	live      bool
}

// listedRules and returning index the rule table: each function's rules, each code's rules.
var listedRules, returning = func() (map[string]map[*sim.Rule]bool, map[errors.Errno]map[*sim.Rule]bool) {
	byFn, byCode := map[string]map[*sim.Rule]bool{}, map[errors.Errno]map[*sim.Rule]bool{}
	for _, fn := range sim.Functions() {
		byFn[fn] = map[*sim.Rule]bool{}
		for _, rule := range sim.RulesFor(fn) {
			byFn[fn][rule] = true
			if byCode[rule.Code] == nil {
				byCode[rule.Code] = map[*sim.Rule]bool{}
				for _, same := range sim.RulesReturning(rule.Code) {
					byCode[rule.Code][same] = true
				}
			}
		}
	}
	return byFn, byCode
}()

// chainChecks reports whether fn's rules include the one with that ID.
func chainChecks(fn, id string) bool {
	for rule := range listedRules[fn] {
		if rule.ID == id {
			return true
		}
	}
	return false
}

// judge checks a call's result against the rule table and the state the call found.
func (r *callRun) judge(a int, c callState, err error) {
	t, fn := r.t, c.fn
	var rule *sim.Rule
	if err != nil {
		r.errs.WriteString(err.Error())
		var re *sim.RuleError
		require.True(t, stderrors.As(err, &re), "%s failed with %v, which names no rule", fn, err)
		rule = re.Rule
		require.True(t, stderrors.Is(err, rule.Code), "%s: %v does not unwrap to %s", fn, err, rule.Code.Name())
		require.True(t, listedRules[fn][rule], "%s failed under %s, which the table does not list for it", fn, rule.ID)
		require.True(t, returning[rule.Code][rule], "%s: rule %s is not among those returning %s", fn, rule.ID, rule.Code.Name())
	}
	id := "success"
	if rule != nil {
		id = rule.ID
	}
	if chainChecks(fn, "GEN-NOTINITIALISED") || chainChecks(fn, "CLEANUP-NOTINITIALISED") {
		notInit := rule != nil && rule.Code == errors.WSANOTINITIALISED
		if !c.wasInit {
			require.True(t, notInit, "%s gave %s in %s, which is not initialised", fn, id, r.w.actors[a])
			return
		}
		require.False(t, notInit, "%s gave %s in %s, which is initialised", fn, id, r.w.actors[a])
	}
	if !c.hasHandle || !chainChecks(fn, "GEN-NOTSOCK") {
		return
	}
	if !c.live {
		require.Equal(t, "GEN-NOTSOCK", id, "%s on %v, which is no socket of %s", fn, c.h, r.w.actors[a])
		return
	}
	require.NotEqual(t, "GEN-NOTSOCK", id, "%s on the live socket %v", fn, c.h)
	if rule == nil {
		return
	}
	before := c.before
	if allowed, ok := stateRules[rule.ID]; ok {
		require.True(t, allowed(before), "%s failed under %s on a socket in state %v (local %v, type %d)", fn, rule.ID, before.State, before.Local, before.Type)
	}
	if !rule.IsOutcome() {
		after, live := r.apps[a].Inspect(c.h)
		require.True(t, live, "%s failed under %s yet closed %v", fn, rule.ID, c.h)
		after.Settings, before.Settings = nil, nil
		require.Equal(t, before, after, "%s failed its check %s yet changed the socket", fn, rule.ID)
	}
}

func connected(i sim.SocketInfo) bool { return i.State == sim.StateConnected }
func stream(i sim.SocketInfo) bool    { return i.Type == sim.SOCK_STREAM }
func hasLocal(i sim.SocketInfo) bool  { return i.Local.Family != sockaddr.AF_UNSPEC }

// stateRules says, for each rule that depends only on the socket's state, in which states it may
// fire (the condition the rule table gives it, read from the socket's snapshot).
var stateRules = map[string]func(sim.SocketInfo) bool{
	"LISTEN-NOT-STREAM":    func(i sim.SocketInfo) bool { return !stream(i) },
	"ACCEPT-NOT-STREAM":    func(i sim.SocketInfo) bool { return !stream(i) },
	"CONNECTEX-NOT-STREAM": func(i sim.SocketInfo) bool { return !stream(i) },
	"LISTEN-ISCONN":        connected,
	"SETSEC-ISCONN":        connected,
	"SETPTN-ISCONN":        connected,
	"CONNECT-ISCONN":       func(i sim.SocketInfo) bool { return stream(i) && connected(i) },
	"LISTEN-CONNECTING":    func(i sim.SocketInfo) bool { return i.State == sim.StateConnecting },
	"CONNECT-ALREADY":      func(i sim.SocketInfo) bool { return i.State == sim.StateConnecting },
	"CONNECTEX-CONNECTING": func(i sim.SocketInfo) bool { return i.State == sim.StateConnecting },
	"SETSEC-CONNECTING":    func(i sim.SocketInfo) bool { return i.State == sim.StateConnecting },
	"SETPTN-CONNECTING":    func(i sim.SocketInfo) bool { return i.State == sim.StateConnecting },
	"CONNECT-LISTENING":    func(i sim.SocketInfo) bool { return i.State == sim.StateListening },
	"SETSEC-LISTENING":     func(i sim.SocketInfo) bool { return i.State == sim.StateListening },
	"ACCEPT-NOT-LISTENING": func(i sim.SocketInfo) bool { return i.State != sim.StateListening },
	"BIND-TWICE":           hasLocal,
	"LISTEN-UNBOUND":       func(i sim.SocketInfo) bool { return !hasLocal(i) },
	"CONNECTEX-UNBOUND":    func(i sim.SocketInfo) bool { return !hasLocal(i) },
	"GETSOCKNAME-UNBOUND":  func(i sim.SocketInfo) bool { return !hasLocal(i) },
	"SETSEC-ONCE":          func(i sim.SocketInfo) bool { return i.Secured },
	"SETSEC-REUSEADDR":     func(i sim.SocketInfo) bool { return i.ReuseAddr },
	"QUERYSEC-NOTCONN":     func(i sim.SocketInfo) bool { return stream(i) && !connected(i) },
	"SENDTO-NOTCONN":       func(i sim.SocketInfo) bool { return stream(i) && !connected(i) },
	"IMPERSONATE-NOTCONN":  func(i sim.SocketInfo) bool { return stream(i) && !connected(i) },
	"SEC-FAMILY-TYPE": func(i sim.SocketInfo) bool {
		return (i.Family != sim.AF_INET && i.Family != sim.AF_INET6) || (i.Type != sim.SOCK_STREAM && i.Type != sim.SOCK_DGRAM)
	},
}

// fuzzCalls runs the program data decodes to in world w, twice, and checks the runs.
func fuzzCalls(t *testing.T, w callWorld, data []byte) {
	first := newCallRun(t, w, data)
	first.run()
	trace := first.log.String()
	require.NotContains(t, trace, fuzzPassword, "the password is in the trace")
	require.NotContains(t, first.errs.String(), fuzzPassword, "the password is in an error")

	again := newCallRun(t, w, data)
	again.run()
	require.Equal(t, trace, again.log.String(), "the same calls traced differently")
}

func addFuzzSeeds(f *testing.F) {
	seeds, err := fuzzseed.Load(f.Name())
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		f.Add(s)
	}
}

func FuzzCallsOneHost(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzCalls(t, oneHost, data) })
}

func FuzzCallsAcrossHosts(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzCalls(t, acrossHosts, data) })
}
