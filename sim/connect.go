package sim

import (
	"net/netip"
	"time"

	"github.com/wsssim/wsssim/sim/ipsec"
	"github.com/wsssim/wsssim/sim/ports"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sockaddr"
)

// listen.
var (
	ruleListenNotStream = rule("LISTEN-NOT-STREAM", "listen", errors.WSAEOPNOTSUPP,
		"the socket is not connection-oriented (SOCK_DGRAM)",
		"doc: listen — WSAEOPNOTSUPP: the referenced socket is not of a type that supports listen; Wine sock.c test_listen",
		func(c *call) bool { return !c.s.isStream() })
	ruleListenConnected = rule("LISTEN-ISCONN", "listen", errors.WSAEISCONN,
		"the socket is already connected",
		"doc: listen — WSAEISCONN: the socket is already connected",
		func(c *call) bool { return c.s.state == StateConnected })
	ruleListenConnecting = rule("LISTEN-CONNECTING", "listen", errors.WSAEINVAL,
		"a connect or ConnectEx is in progress on the socket",
		"doc: listen — WSAEINVAL [INFER: a socket being connected cannot also listen]",
		func(c *call) bool { return c.s.state == StateConnecting })
	ruleListenUnbound = rule("LISTEN-UNBOUND", "listen", errors.WSAEINVAL,
		"the socket has not been bound with bind",
		"doc: listen — WSAEINVAL: the socket has not been bound with bind; Wine sock.c test_listen",
		func(c *call) bool { return !c.s.hasLocal() })
)

var chainListen = chain("listen", ruleNotInitialised, ruleNotSocket, ruleListenNotStream, ruleListenConnected,
	ruleListenConnecting, ruleListenUnbound)

// Listen is listen(s, backlog).
//
// Windows keeps the first backlog: a second listen succeeds and changes nothing (Wine sock.c
// test_listen).
func (t *Thread) Listen(h Handle, backlog int32) error {
	c := t.begin("listen")
	defer t.end(c)
	c.lookup(h)
	c.ival = backlog
	return t.run(c, chainListen, listenEffect)
}

// backlogLimit is what Windows makes of the backlog argument: SOMAXCONN means "reasonable
// maximum" (200 on client editions), and anything below 1 still admits one connection.
func backlogLimit(n int32) int {
	switch {
	case n == SOMAXCONN:
		return 200
	case n < 1:
		return 1
	case n > 200:
		return 200
	}
	return int(n)
}

func listenEffect(c *call) error {
	s := c.s
	if s.listenq == nil {
		s.listenq = &listenQueue{backlog: backlogLimit(c.ival)}
	}
	s.state = StateListening
	s.app.host.ports.SetListening(s.entry, true)
	return nil
}

// connect, WSAConnect and ConnectEx.
var (
	ruleConnectFault = rule("CONNECT-FAULT", "connect", errors.WSAEFAULT,
		"name is NULL, or namelen is smaller than the family's sockaddr or larger than the buffer",
		"doc: connect — WSAEFAULT: the name or namelen parameter is not valid or namelen is too small",
		func(c *call) bool { return c.addrErr == errors.WSAEFAULT })
	ruleConnectFamily = rule("CONNECT-FAMILY", "connect", errors.WSAEAFNOSUPPORT,
		"the address's family is not the socket's (AF_UNSPEC is allowed on a datagram socket: it dissolves the association)",
		"doc: connect — WSAEAFNOSUPPORT: addresses in the specified family cannot be used with this socket",
		func(c *call) bool {
			if c.s.isDgram() && c.addr.Family == sockaddr.AF_UNSPEC {
				return false
			}
			return c.addrErr != 0 || int32(c.addr.Family) != c.s.family
		})
	ruleConnectUnix = rule("CONNECT-UNSUPPORTED", "connect", errors.WSAEOPNOTSUPP,
		"the socket is AF_UNIX or SOCK_RAW: wsssim does not model AF_UNIX paths or raw IP",
		"wsssim limitation (such sockets can be created, configured and closed only)",
		func(c *call) bool { return c.s.family == AF_UNIX || c.s.typ == SOCK_RAW })
	ruleConnectListening = rule("CONNECT-LISTENING", "connect", errors.WSAEINVAL,
		"the socket is listening",
		"doc: connect — WSAEINVAL: the parameter s is a listening socket; Wine sock.c test_connect",
		func(c *call) bool { return c.s.state == StateListening })
	ruleConnectAfterConnectEx = rule("CONNECT-AFTER-CONNECTEX", "connect", errors.WSAEINVAL,
		"the socket was (or is being) connected by ConnectEx",
		"Wine sock.c test_ConnectEx: connect on a socket connected by ConnectEx → WSAEINVAL; test_connecting_socket: connect while ConnectEx is pending → WSAEINVAL",
		func(c *call) bool { return c.s.has(bitViaConnectEx) })
	ruleConnectAlready = rule("CONNECT-ALREADY", "connect", errors.WSAEALREADY,
		"a non-blocking connect or a ConnectEx on the socket has not completed yet",
		"doc: connect — WSAEALREADY: a non-blocking connect call is in progress on the specified socket; Wine sock.c test_connecting_socket",
		func(c *call) bool { return c.s.state == StateConnecting })
	ruleConnectIsConn = rule("CONNECT-ISCONN", "connect", errors.WSAEISCONN,
		"the connection-oriented socket is already connected",
		"doc: connect — WSAEISCONN: the socket is already connected (connection-oriented sockets only)",
		func(c *call) bool { return c.s.isStream() && c.s.state == StateConnected })
	ruleConnectAddrNotAvail = rule("CONNECT-ADDRNOTAVAIL", "connect", errors.WSAEADDRNOTAVAIL,
		"the remote address is a wildcard (0.0.0.0 or ::) or the remote port is 0",
		"doc: connect — WSAEADDRNOTAVAIL: the remote address is not a valid address (such as INADDR_ANY or in6addr_any), or port 0 (connection-oriented sockets; a datagram socket connected to an all-zero address is disconnected instead)",
		func(c *call) bool { return c.s.isStream() && (c.addr.IsWildcard() || c.addr.Port == 0) })
	ruleConnectMappedV6Only = rule("CONNECT-MAPPED-V6ONLY", "connect", errors.WSAENETUNREACH,
		"an IPv4-mapped destination from an AF_INET6 socket with IPV6_V6ONLY on: such a socket has no IPv4 path",
		"doc: Dual-Stack Sockets — IPv4-mapped addresses reach IPv4 only when IPV6_V6ONLY is 0 [INFER: WSAENETUNREACH]",
		func(c *call) bool { return c.addr.IsV4Mapped() && c.s.has(bitV6Only) })

	ruleConnectRefused = rule("CONNECT-REFUSED", "connect", errors.WSAECONNREFUSED,
		"nothing listens on the destination address and port, the listener's backlog is full, or the listener's host has no room for the connection's socket (its socket limit or buffer budget is spent)",
		"doc: connect — WSAECONNREFUSED: the attempt to connect was forcefully rejected; Wine sock.c test_connect",
		nil)
	ruleConnectUnreachable = rule("CONNECT-UNREACHABLE", "connect", errors.WSAETIMEDOUT,
		"no host in the network owns the destination address, so the SYNs go unanswered",
		"doc: connect — WSAETIMEDOUT: an attempt to connect timed out without establishing a connection",
		nil)
	ruleConnectNoRoute = rule("CONNECT-NETUNREACH", "connect", errors.WSAENETUNREACH,
		"no local address can reach the destination: the host has no address of its family, or the socket is bound to loopback (or to another IP version) and the destination is elsewhere",
		"doc: connect — WSAENETUNREACH: the network cannot be reached from this host at this time",
		nil)
	ruleConnectWouldBlock = rule("CONNECT-WOULDBLOCK", "connect", errors.WSAEWOULDBLOCK,
		"the socket is non-blocking (FIONBIO): the connection completes later (SO_ERROR, or a wait, reports how)",
		"doc: connect — WSAEWOULDBLOCK: the socket is marked as nonblocking and the connection cannot be completed immediately",
		nil)

	ruleConnectExNullOverlapped = rule("CONNECTEX-NULL-OVERLAPPED", "ConnectEx", errors.ERROR_INVALID_PARAMETER,
		"lpOverlapped is NULL",
		"doc: ConnectEx — lpOverlapped must be a valid OVERLAPPED; Wine sock.c test_ConnectEx expects ERROR_INVALID_PARAMETER",
		func(c *call) bool { return c.ovNull })
	ruleConnectExNotStream = rule("CONNECTEX-NOT-STREAM", "ConnectEx", errors.WSAEINVAL,
		"ConnectEx on a socket that is not connection-oriented",
		"doc: ConnectEx — supported on connection-oriented sockets only [INFER: WSAEINVAL]",
		func(c *call) bool { return !c.s.isStream() })
	ruleConnectExConnecting = rule("CONNECTEX-CONNECTING", "ConnectEx", errors.WSAEINVAL,
		"a connect or ConnectEx is already in progress on the socket",
		"Wine sock.c test_ConnectEx / test_connecting_socket: a second ConnectEx while one is pending → WSAEINVAL",
		func(c *call) bool { return c.s.state == StateConnecting })
	ruleConnectExUnbound = rule("CONNECTEX-UNBOUND", "ConnectEx", errors.WSAEINVAL,
		"the socket is not bound (ConnectEx, unlike connect, does not bind implicitly)",
		"doc: ConnectEx — WSAEINVAL: the parameter s is an unbound or a listening socket; Wine sock.c test_ConnectEx",
		func(c *call) bool { return !c.s.hasLocal() })
	ruleConnectExPending = rule("CONNECTEX-PENDING", "ConnectEx", errors.WSA_IO_PENDING,
		"the connection attempt was started; it completes through the OVERLAPPED (WSAGetOverlappedResult)",
		"doc: ConnectEx — returns FALSE with ERROR_IO_PENDING when the operation is pending",
		nil)
)

var (
	chainConnect = chain("connect", ruleNotInitialised, ruleNotSocket, ruleConnectUnix, ruleConnectFault,
		ruleConnectFamily, ruleConnectListening, ruleConnectAfterConnectEx, ruleConnectAlready, ruleConnectIsConn,
		ruleConnectAddrNotAvail, ruleConnectMappedV6Only)
	chainWSAConnect = chain("WSAConnect", chainConnect...)
	chainConnectEx  = chain("ConnectEx", ruleNotInitialised, ruleNotSocket, ruleConnectExNullOverlapped,
		ruleConnectUnix, ruleConnectFault, ruleConnectFamily, ruleConnectExNotStream, ruleConnectListening,
		ruleConnectExConnecting, ruleConnectIsConn, ruleConnectExUnbound, ruleConnectAddrNotAvail, ruleConnectMappedV6Only)
)

// Connect is connect(s, name, namelen). A connect whose IPsec negotiation fails blocks until the
// SYN times out: the virtual clock moves by the time-out before it returns (ruling R18).
func (t *Thread) Connect(h Handle, name []byte, namelen int32) error {
	err := t.addrCall("connect", chainConnect, connectEffect, h, name, namelen)
	t.waitBlocked()
	return err
}

// waitBlocked moves the clock by the time the last call spent blocked, now that it holds no
// socket.
func (t *Thread) waitBlocked() {
	if d := time.Duration(t.blocked.Swap(0)); d > 0 {
		_ = t.app.host.net.Advance(d) // d is a positive constant: Advance cannot refuse it
	}
}

// ConnectAddr is Connect with a Go address.
func (t *Thread) ConnectAddr(h Handle, a sockaddr.Addr) error {
	b := a.Encode()
	return t.Connect(h, b, int32(len(b)))
}

// WSAConnect is WSAConnect(s, name, namelen, NULL, NULL, NULL, NULL): the caller and callee data
// and QoS arguments are not modelled (TCP/IP ignores them).
func (t *Thread) WSAConnect(h Handle, name []byte, namelen int32) error {
	err := t.addrCall("WSAConnect", chainWSAConnect, connectEffect, h, name, namelen)
	t.waitBlocked()
	return err
}

// ConnectEx is the ConnectEx extension function (no send buffer). It returns the CONNECTEX-PENDING
// error (WSA_IO_PENDING, the same number as ERROR_IO_PENDING) when the attempt started; the
// OVERLAPPED then completes when the network settles.
func (t *Thread) ConnectEx(h Handle, name []byte, namelen int32, ov *Overlapped) error {
	c := t.begin("ConnectEx")
	defer t.end(c)
	c.lookup(h)
	c.setBuf(name, int64(namelen))
	c.decodeAddr()
	c.ov, c.ovNull = ov, ov == nil
	return t.run(c, chainConnectEx, connectEffect)
}

// connectAttempt is a connection whose outcome is decided but not yet delivered to the
// connecting socket: a non-blocking connect or a ConnectEx.
type connectAttempt struct {
	s      *Socket
	result *Rule // nil: connected
	ov     *Overlapped
	due    time.Duration // virtual time at which the outcome reaches the socket
	detail string        // why it failed, in words (an IPsec negotiation's reason), or ""
	timer  *timer        // the delivery, cancelled when the socket closes first
}

func connectEffect(c *call) error {
	s := c.s
	if s.isDgram() {
		return s.associate(c.addr)
	}
	if !s.hasLocal() {
		if err := s.reserve(sockaddr.Any(sockaddr.Family(s.family), 0), true); err != nil {
			return err
		}
	}
	net := s.app.host.net
	result, failure, delay := s.handshake(c.addr)
	if result == nil {
		c.deliveredTo = s.ext().peerSock
	}
	if failure != nil {
		c.reason = failure.Error()
	}
	if c.fn == "ConnectEx" || s.has(bitNonBlocking) {
		s.state = StateConnecting
		s.setPeer(c.addr) // getpeername reports the target while a connect() is in flight
		s.set(bitViaConnectEx, c.fn == "ConnectEx")
		a := &connectAttempt{s: s, result: result, ov: c.ov, due: net.Now() + delay}
		if result != nil {
			a.detail = c.reason
		}
		s.ext().attempt = a
		if c.ov != nil {
			c.ov.start(c.t, nil) // ConnectEx takes no completion routine: the event or the OVERLAPPED reports
		}
		net.addPending(a)
		if c.fn == "ConnectEx" {
			return ruleConnectExPending.err
		}
		return ruleConnectWouldBlock.err
	}
	// The calling thread is blocked until the outcome arrives (the SYN times out, or a delayed
	// link answers): the clock moves once the call has let go of the socket (Thread.Connect).
	c.t.blocked.Store(int64(delay))
	if result != nil {
		if failure != nil {
			return result.errWith(c.reason)
		}
		return result.err
	}
	s.state = StateConnected
	return nil
}

// associate sets or clears a datagram socket's default peer. AF_UNSPEC, or an all-zero IP,
// dissolves the association (the connect page: "if the address parameter of the name structure
// is all zeros, the socket will be disconnected").
func (s *Socket) associate(dst sockaddr.Addr) error {
	if dst.Family == sockaddr.AF_UNSPEC || dst.IsWildcard() {
		s.setPeer(sockaddr.Addr{})
		if s.hasLocal() {
			s.state = StateBound
		} else {
			s.state = StateOpen
		}
		return nil
	}
	if !s.hasLocal() {
		if err := s.reserve(sockaddr.Any(sockaddr.Family(s.family), 0), true); err != nil {
			return err
		}
	}
	src, ok := s.sourceFor(dst)
	if !ok {
		return ruleConnectNoRoute.err
	}
	if s.local.IsWildcard() {
		s.local = src.WithPort(s.local.Port)
	}
	s.setPeer(dst)
	s.state = StateConnected
	return nil
}

// sourceFor picks the local address a packet to dst leaves from, as Windows' route lookup
// would: loopback for loopback, the destination itself for one of the host's own addresses, and
// otherwise the host's first address of the destination's family.
func (s *Socket) sourceFor(dst sockaddr.Addr) (sockaddr.Addr, bool) {
	host := s.app.host
	ip := dst.IP.Unmap()
	if !s.local.IsWildcard() {
		// A specific local address only reaches destinations of its IP version, and loopback
		// only reaches this host.
		local := s.local.IP.Unmap()
		if local.Is4() != ip.Is4() || (local.IsLoopback() && !host.owns(ip)) {
			return sockaddr.Addr{}, false
		}
		return s.local, true
	}
	if s.local.IsV4Mapped() && !ip.Is4() {
		// ::ffff:0.0.0.0 is the IPv4 wildcard: the port is reserved for IPv4 only.
		return sockaddr.Addr{}, false
	}
	var src netip.Addr
	switch {
	case ip.IsLoopback():
		src = ip
	case host.owns(ip):
		src = ip
	default:
		for _, a := range host.addrs {
			if a.Is4() == ip.Is4() && !a.IsLoopback() {
				src = a
				break
			}
		}
	}
	if !src.IsValid() {
		return sockaddr.Addr{}, false
	}
	if s.family == AF_INET6 && src.Is4() {
		src = netip.AddrFrom16(src.As16())
	}
	return sockaddr.From(src, s.local.Port), true
}

// handshake runs the TCP three-way handshake from s to dst and returns nil when a listener
// took the connection, or the rule that says why not (with the IPsec failure, when that was the
// reason, or when the connection runs in the clear after one). s.mu is held; the listener's
// lock is taken after it (a listener never connects, so the order cannot cycle).
//
// delay is how long the outcome takes to arrive on the virtual clock: the time-out of a connect
// whose SYN goes unanswered, or a link fault's delay.
func (s *Socket) handshake(dst sockaddr.Addr) (result *Rule, failure *ipsec.Failure, delay time.Duration) {
	net := s.app.host.net
	src, ok := s.sourceFor(dst)
	if !ok {
		return ruleConnectNoRoute, nil, 0
	}
	target := net.route(s.app.host, dst.IP)
	if target == nil {
		return ruleConnectUnreachable, nil, 0
	}
	if d := net.linkFault(s.app.host, target, LinkDrop, LinkUnreachable, LinkDelay); d != nil {
		switch d.fault.Kind {
		case LinkDrop:
			return ruleInjectedDrop, nil, negotiationTimeout
		case LinkUnreachable:
			return ruleInjectedUnreachable, nil, 0
		}
		delay = d.fault.Delay
	}
	entry := target.ports.Lookup(s.portsProto(), dst, true)
	if entry == nil {
		return ruleConnectRefused, nil, delay
	}
	l, _ := entry.Owner().(*Socket)
	if l == nil || l == s {
		return ruleConnectRefused, nil, delay
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state != StateListening || l.entry != entry || len(l.listenq.ready) >= l.listenq.backlog {
		return ruleConnectRefused, nil, delay
	}
	// IPsec, when either end asks for it. Traffic that stays on one host is loopback, which
	// IPsec never protects (ruling R17). A failed negotiation drops the SYN before it reaches a
	// full host's TCP, so it comes first; the SAs are made only once the host has room.
	var sc *secureConn
	var secure func() *secureConn
	if target != s.app.host {
		init := sideOf(s, ports.TCP, dst.Port, roleName("client", s.app.host))
		if n := s.namesOf(); n != nil && n.tcp != nil {
			init.peer.TargetName = n.tcp.Name
		}
		resp := sideOf(l, ports.TCP, dst.Port, roleName("server", target))
		o, f, flows := negotiate(init, resp)
		if init.wants || resp.wants {
			if d := net.linkFault(s.app.host, target, LinkNegotiationFailure); d != nil {
				f, flows = d.injectedFailure(), fallbackAllowed(init, resp)
				if !flows {
					return ruleInjectedNegotiation, f, negotiationTimeout
				}
			}
		}
		if !flows {
			return ruleConnectNegotiation, f, negotiationTimeout
		}
		failure = f
		if init.wants || resp.wants {
			secure = func() *secureConn {
				return net.newSecureConn(init, s.app, l.app, o, f, src.String()+" → "+dst.String())
			}
		}
	}
	if !target.reserveSocket() {
		return ruleConnectRefused, nil, delay
	}
	if secure != nil {
		sc = secure()
	}
	a := &acceptedSocket{
		s: Socket{
			app: l.app, family: l.family, typ: l.typ, proto: l.proto, state: StateConnected,
			local: asSeenBy(l, dst),
		},
		x: sockExtra{peer: asSeenBy(l, src), accepted: entry, peerSock: s, conn: sc},
	}
	srv := &a.s
	srv.extra = &a.x
	target.ports.AddConnection(entry)
	l.listenq.ready = append(l.listenq.ready, srv)
	l.listenq.received++
	s.local = src
	x := s.ext()
	x.peer = dst
	x.peerSock = l
	x.conn, x.initiator = sc, true
	return nil, failure, delay
}

// asSeenBy writes an address in the family of socket l: a dual-stack IPv6 socket sees IPv4 peers
// as IPv4-mapped IPv6 addresses.
func asSeenBy(l *Socket, a sockaddr.Addr) sockaddr.Addr {
	if l.family == AF_INET6 && a.Family == sockaddr.AF_INET {
		return sockaddr.Addr{Family: sockaddr.AF_INET6, IP: netip.AddrFrom16(a.IP.As16()), Port: a.Port}
	}
	if l.family == AF_INET && a.IsV4Mapped() {
		return sockaddr.Addr{Family: sockaddr.AF_INET, IP: a.IP.Unmap(), Port: a.Port}
	}
	return a
}

// dropConnection ends an accepted socket's hold on its listener's port entry.
func (s *Socket) dropConnection() {
	if x := s.extra; x != nil && x.accepted != nil {
		s.app.host.ports.DropConnection(x.accepted)
		x.accepted = nil
	}
}

// addPending schedules the attempt's outcome to reach its socket at its due time.
func (n *Network) addPending(a *connectAttempt) {
	a.timer = n.at(a.due, timerAttempt, func() { n.deliver(a) })
}

// Settle lets every connection attempt in flight reach its socket: non-blocking connects
// become connected (or record their error in SO_ERROR) and ConnectEx OVERLAPPEDs complete. An
// attempt that fails only after a time-out (a secure connect whose negotiation failed, ruling
// R18) moves the virtual clock to that time, as a thread blocked on it would see. Waiting calls
// settle the network first; a test can call it to let in-flight work finish. It must not be
// called while holding a socket, which no exported method does.
func (n *Network) Settle() {
	if due, ok := n.lastDue(timerAttempt); ok {
		// Advance fails only for a negative or overflowing step; due ≥ now by construction.
		_ = n.Advance(max(due-n.Now(), 0))
	}
}

// deliver gives an attempt's outcome to its socket, unless the socket moved on (closed, or
// connected again) in the meantime.
func (n *Network) deliver(a *connectAttempt) {
	a.s.mu.Lock()
	current := a.s.attemptOf() == a && a.s.state == StateConnecting
	if current {
		a.s.extra.attempt = nil
		if a.result == nil {
			a.s.state = StateConnected
		} else {
			a.s.state = StateBound
			a.s.setPeer(sockaddr.Addr{})
			a.s.soErr = a.result.Code
			a.s.set(bitViaConnectEx, false)
		}
	}
	a.s.mu.Unlock()
	if current && a.ov != nil {
		a.ov.completeWith(a.result, a.detail, 0)
	}
}

// accept.
var (
	ruleAcceptNotStream = rule("ACCEPT-NOT-STREAM", "accept", errors.WSAEOPNOTSUPP,
		"the socket is not connection-oriented (SOCK_DGRAM)",
		"doc: accept — WSAEOPNOTSUPP: the referenced socket is not a type that supports connection-oriented service",
		func(c *call) bool { return !c.s.isStream() })
	ruleAcceptNotListening = rule("ACCEPT-NOT-LISTENING", "accept", errors.WSAEINVAL,
		"listen was not called on the socket",
		"doc: accept — WSAEINVAL: the listen function was not invoked prior to accept; Wine sock.c test_accept",
		func(c *call) bool { return c.s.state != StateListening })
	ruleAcceptFault = rule("ACCEPT-FAULT", "accept", errors.WSAEFAULT,
		"addr and addrlen are given and *addrlen is smaller than the family's sockaddr (a NULL addrlen means the address is not wanted)",
		"doc: accept — WSAEFAULT: the addrlen parameter is too small; Wine sock.c test_accept (addrlen 0 → WSAEFAULT; NULL addrlen → success)",
		func(c *call) bool {
			return !c.null && !c.lenNull && (c.n < int64(sockaddr.Family(c.s.family).Size()) || c.n > int64(len(c.buf)))
		})
	ruleAcceptWouldBlock = rule("ACCEPT-WOULDBLOCK", "accept", errors.WSAEWOULDBLOCK,
		"no connection is waiting: a non-blocking socket says so; a blocking accept would wait forever, which the simulator reports the same way instead of hanging",
		"doc: accept — WSAEWOULDBLOCK: the socket is marked as nonblocking and no connections are present to be accepted",
		nil)
)

var chainAccept = chain("accept", ruleNotInitialised, ruleNotSocket, ruleAcceptFault, ruleAcceptNotStream,
	ruleAcceptNotListening)

// Accept is accept(s, addr, addrlen). addr nil is NULL; addrlen nil is a NULL length pointer.
// On success the peer address is written to addr and *addrlen is set.
func (t *Thread) Accept(h Handle, addr []byte, addrlen *int32) (Handle, error) {
	c := t.begin("accept")
	defer t.end(c)
	c.lookup(h)
	c.buf, c.null = addr, addr == nil
	c.lenNull = addrlen == nil
	if addrlen != nil {
		c.n = int64(*addrlen)
	}
	if err := t.run(c, chainAccept, acceptEffect); err != nil {
		return INVALID_SOCKET, err
	}
	if addr != nil && addrlen != nil {
		b := c.outAddr.Encode()
		*addrlen = int32(copy(addr, b))
	}
	return c.outHandle, nil
}

func acceptEffect(c *call) error {
	l := c.s
	if len(l.listenq.ready) == 0 {
		return ruleAcceptWouldBlock.err
	}
	srv := l.listenq.ready[0]
	l.listenq.ready[0] = nil
	if len(l.listenq.ready) == 1 {
		l.listenq.ready = l.listenq.ready[:0] // empty: the next connection reuses the array
	} else {
		l.listenq.ready = l.listenq.ready[1:]
	}
	// accept's socket "has the same properties as socket s" (the accept page): those of the
	// listener now, not when the handshake completed.
	srv.bits = l.bits &^ (bitImplicit | bitShutSend | bitShutRecv | bitReset | bitViaConnectEx)
	srv.ext().settings = l.settingsOf()
	srv.handle = c.t.newHandle()
	srv.app.handles.put(srv.handle, srv)
	c.outHandle, c.outAddr = srv.handle, srv.peerAddr()
	c.deliveredTo = srv
	return nil
}
