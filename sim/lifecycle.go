package sim

import (
	"github.com/wsssim/wsssim/errors"
)

// Rules every socket call shares, in ruling R1's order.
var (
	ruleNotInitialised = rule("GEN-NOTINITIALISED", "*", errors.WSANOTINITIALISED,
		"the application has no successful WSAStartup that a WSACleanup has not undone",
		"doc: every Winsock function page lists WSANOTINITIALISED; ruling R1 puts it first",
		func(c *call) bool { return !c.app.Initialised() })
	ruleNotSocket = rule("GEN-NOTSOCK", "*", errors.WSAENOTSOCK,
		"the handle names no open socket of this application (never opened, closed, or another process's)",
		"doc: WSAENOTSOCK on every socket function page; ruling R1 puts it second",
		func(c *call) bool { return c.s == nil })
)

// WSAStartup and WSACleanup.
var (
	ruleStartupVersion = rule("STARTUP-VERSION", "WSAStartup", errors.WSAVERNOTSUPPORTED,
		"the requested version's major number is 0 (Winsock offers 1.0 to 2.2; a higher request gets 2.2); nothing is initialised",
		"doc: WSAStartup — WSAVERNOTSUPPORTED; ReactOS apitests WSAStartup.c: versions 0.0 and 0.9 fail so",
		func(c *call) bool { return c.version&0xff == 0 })
	ruleStartupFault = rule("STARTUP-FAULT", "WSAStartup", errors.WSAEFAULT,
		"lpWSAData is NULL (checked after the version)",
		"doc: WSAStartup — WSAEFAULT: the lpWSAData parameter is not a valid pointer; ReactOS apitests WSAStartup.c",
		func(c *call) bool { return c.null })
	ruleCleanupNotInit = rule("CLEANUP-NOTINITIALISED", "WSACleanup", errors.WSANOTINITIALISED,
		"WSACleanup without an outstanding WSAStartup",
		"doc: WSACleanup — WSANOTINITIALISED",
		func(c *call) bool { return !c.app.Initialised() })
)

// socket and WSASocket: the family × type × protocol matrix. Windows checks an unspecified
// family without a protocol first, then the type, then the family, then the protocol (Wine
// sock.c test_WSASocket, whose table passes on Windows).
var (
	ruleSocketUnspec = rule("SOCKET-UNSPEC", "socket", errors.WSAEINVAL,
		"AF_UNSPEC with protocol 0: Winsock cannot pick a provider (whatever the type)",
		"Wine sock.c test_WSASocket: {AF_UNSPEC, 0, 0}, {AF_UNSPEC, SOCK_STREAM, 0}, {AF_UNSPEC, 0xdead, 0} → WSAEINVAL",
		func(c *call) bool { return c.af == AF_UNSPEC && c.proto == 0 })
	ruleSocketType = rule("SOCKET-TYPE", "socket", errors.WSAESOCKTNOSUPPORT,
		"the socket type is not supported in the family (AF_INET/AF_INET6: 0, stream, datagram, raw; AF_UNIX: stream); checked before the family",
		"Wine sock.c test_WSASocket: {AF_INET, 0xdead, 0} and {0xdead, 0xdead, 0} → WSAESOCKTNOSUPPORT; doc: socket — WSAESOCKTNOSUPPORT",
		func(c *call) bool { return !typeKnown(c.af, c.typ) })
	ruleSocketFamily = rule("SOCKET-FAMILY", "socket", errors.WSAEAFNOSUPPORT,
		"the address family is not AF_INET, AF_INET6, AF_UNIX or AF_UNSPEC",
		"Wine sock.c test_WSASocket: {0xdead, SOCK_STREAM, 0} → WSAEAFNOSUPPORT; doc: socket — WSAEAFNOSUPPORT",
		func(c *call) bool { return !familyKnown(c.af) })
	ruleSocketProtocol = rule("SOCKET-PROTOCOL", "socket", errors.WSAEPROTONOSUPPORT,
		"the protocol does not exist in the family or does not fit the type (SOCK_STREAM takes 0 or IPPROTO_TCP, SOCK_DGRAM 0 or IPPROTO_UDP)",
		"Wine sock.c test_WSASocket: {AF_INET, SOCK_STREAM, IPPROTO_UDP}, {AF_INET, 0, 0xdead} → WSAEPROTONOSUPPORT",
		func(c *call) bool { return !protocolKnown(c.af, c.typ, c.proto) })
	ruleSocketRawAccess = rule("SOCKET-RAW-ACCESS", "socket", errors.WSAEACCES,
		"SOCK_RAW asked for by an application that is not running as an administrator",
		"doc: TCP/IP raw sockets — only members of the Administrators group can create raw sockets; Wine sock.c test_WSASocket",
		func(c *call) bool { return resolvedType(c.af, c.typ, c.proto) == SOCK_RAW && !c.app.admin })
	ruleWSASocketFlags = rule("WSASOCKET-FLAGS", "WSASocket", errors.WSAEINVAL,
		"dwFlags has bits that no WSA_FLAG_* defines",
		"doc: WSASocket — WSAEINVAL: this value is true for any of the following conditions: the parameter g specified is not valid … [INFER: unknown flag bits]",
		func(c *call) bool { return c.flags&^wsaFlagsKnown != 0 })
	ruleSocketLimit = rule("SOCKET-MFILE", "socket", errors.WSAEMFILE,
		"the host already has its maximum number of open sockets (HostConfig.MaxSockets)",
		"doc: socket — WSAEMFILE: no more socket descriptors are available",
		nil)
)

func familyKnown(af int32) bool {
	switch af {
	case AF_INET, AF_INET6, AF_UNIX, AF_UNSPEC:
		return true
	}
	return false
}

// resolvedFamily is the family a socket gets: AF_UNSPEC lets Winsock pick the first provider
// that matches the type and protocol, which is IPv4's.
func resolvedFamily(af int32) int32 {
	if af == AF_UNSPEC {
		return AF_INET
	}
	return af
}

func typeKnown(af, typ int32) bool {
	if af == AF_UNIX {
		return typ == SOCK_STREAM || typ == 0
	}
	switch typ {
	case 0, SOCK_STREAM, SOCK_DGRAM, SOCK_RAW:
		return true
	}
	return false
}

// resolvedType fills in a type of 0 from the protocol, as Winsock's provider match does:
// IPPROTO_UDP gives SOCK_DGRAM, the raw protocols (ICMP, ICMPv6, IPPROTO_RAW) SOCK_RAW, and
// anything else SOCK_STREAM (Wine sock.c test_WSASocket: {0, 0, IPPROTO_RAW} is a raw socket).
func resolvedType(af, typ, proto int32) int32 {
	if typ != 0 {
		return typ
	}
	switch proto {
	case IPPROTO_UDP:
		return SOCK_DGRAM
	case IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_RAW:
		return SOCK_RAW
	}
	return SOCK_STREAM
}

func protocolKnown(af, typ, proto int32) bool {
	if af == AF_UNIX {
		return proto == 0
	}
	switch resolvedType(af, typ, proto) {
	case SOCK_STREAM:
		return proto == 0 || proto == IPPROTO_TCP
	case SOCK_DGRAM:
		return proto == 0 || proto == IPPROTO_UDP
	case SOCK_RAW:
		return proto >= 0 && proto <= 255
	}
	return false
}

func resolvedProtocol(af, typ, proto int32) int32 {
	if proto != 0 || af == AF_UNIX {
		return proto
	}
	switch resolvedType(af, typ, proto) {
	case SOCK_STREAM:
		return IPPROTO_TCP
	case SOCK_DGRAM:
		return IPPROTO_UDP
	}
	return proto
}

var ruleCloseAborts = rule("CLOSE-ABORTS-PENDING", "closesocket", errors.WSA_OPERATION_ABORTED,
	"the socket was closed while an overlapped operation on it (ConnectEx) was pending: the operation completes with this code through its channel — the OVERLAPPED (WSAGetOverlappedResult), its event (signalled), or its completion routine (queued to the thread that issued it)",
	"doc: closesocket — pending overlapped operations are cancelled (WSA_OPERATION_ABORTED); Wine sock.c: pending I/O on close completes with ERROR_OPERATION_ABORTED",
	nil)

var ruleCloseInterrupts = rule("CLOSE-INTERRUPTS-BLOCKING", "*", errors.WSAEINTR,
	"another thread closed the socket while this blocking call was outstanding on it: accept, connect or WSAConnect on a socket without FIONBIO, which had reached the socket before the close did",
	"Windows Sockets 2 specification §2.7: closing a socket in one thread that has an outstanding blocking call on the same socket in another thread will cause the blocking call to fail with WSAEINTR; doc: closesocket — any pending blocking calls issued by any thread in this process are canceled",
	nil)

var (
	chainStartup   = chain("WSAStartup", ruleStartupVersion, ruleStartupFault)
	chainCleanup   = chain("WSACleanup", ruleCleanupNotInit)
	chainSocket    = chain("socket", ruleNotInitialised, ruleSocketUnspec, ruleSocketType, ruleSocketFamily, ruleSocketProtocol, ruleSocketRawAccess)
	chainWSASocket = chain("WSASocket", ruleNotInitialised, ruleSocketUnspec, ruleSocketType, ruleSocketFamily, ruleSocketProtocol, ruleWSASocketFlags, ruleSocketRawAccess)
	chainClose     = chain("closesocket", ruleNotInitialised, ruleNotSocket)
)

// WSAData is what WSAStartup reports.
type WSAData struct {
	Version     uint16 // the version the application will use (low byte major, high byte minor)
	HighVersion uint16 // the highest version the simulated Winsock supports: 2.2
	Description string
	Status      string
}

// WSAStartup initialises Winsock for the application and fills data (nil is a NULL pointer).
// Calls are counted: each needs a WSACleanup.
func (t *Thread) WSAStartup(version uint16, data *WSAData) error {
	c := t.begin("WSAStartup")
	defer t.end(c)
	c.version = version
	c.null = data == nil
	err := t.run(c, chainStartup, startupEffect)
	if err == nil {
		*data = WSAData{Version: negotiatedVersion(version), HighVersion: 0x0202, Description: "WinSock 2.0", Status: "Running"}
	}
	return err
}

func startupEffect(c *call) error {
	c.app.startups.Add(1)
	return nil
}

// negotiatedVersion is the version WSAStartup grants: the one asked for from 1.0 to 2.2, 1.1 for
// 1.2 and up, 2.2 for anything above 2.2 (ReactOS apitests WSAStartup.c, Wine sock.c).
func negotiatedVersion(v uint16) uint16 {
	major, minor := v&0xff, v>>8
	switch {
	case major > 2 || (major == 2 && minor > 2):
		return 0x0202
	case major == 1 && minor > 1:
		return 0x0101
	}
	return v
}

// WSACleanup undoes one WSAStartup. The last one closes every socket the application still has
// open, as Windows does ("sockets open when WSACleanup is called are reset and automatically
// deallocated as if closesocket was called").
func (t *Thread) WSACleanup() error {
	c := t.begin("WSACleanup")
	defer t.end(c)
	return t.run(c, chainCleanup, cleanupEffect)
}

// cleanupEffect decrements the count only if it is still positive, so that concurrent
// WSACleanup calls cannot both pass the rule check and drive the count below zero.
func cleanupEffect(c *call) error {
	for {
		n := c.app.startups.Load()
		if n <= 0 {
			return ruleCleanupNotInit.err
		}
		if c.app.startups.CompareAndSwap(n, n-1) {
			if n == 1 {
				for _, h := range c.app.handles.all() {
					c.app.closeHandle(h)
				}
			}
			return nil
		}
	}
}

// Socket is socket(af, type, protocol). The socket has the overlapped attribute, as sockets
// made by socket() do on Windows.
func (t *Thread) Socket(af, typ, proto int32) (Handle, error) {
	c := t.begin("socket")
	defer t.end(c)
	c.af, c.typ, c.proto, c.flags = af, typ, proto, WSA_FLAG_OVERLAPPED
	if err := t.run(c, chainSocket, socketEffect); err != nil {
		return INVALID_SOCKET, err
	}
	return c.outHandle, nil
}

func socketEffect(c *call) error {
	h, err := c.app.newSocket(c.t, c.af, c.typ, c.proto, c.flags&WSA_FLAG_OVERLAPPED != 0)
	c.outHandle = h
	return err
}

// WSASocket is WSASocket(af, type, protocol, NULL, 0, flags): the socket is overlapped only with
// WSA_FLAG_OVERLAPPED.
func (t *Thread) WSASocket(af, typ, proto int32, flags uint32) (Handle, error) {
	c := t.begin("WSASocket")
	defer t.end(c)
	c.af, c.typ, c.proto, c.flags = af, typ, proto, flags
	if err := t.run(c, chainWSASocket, socketEffect); err != nil {
		return INVALID_SOCKET, err
	}
	return c.outHandle, nil
}

func (a *App) newSocket(t *Thread, af, typ, proto int32, overlapped bool) (Handle, error) {
	if r := a.host.admitSocket(); r != nil {
		return INVALID_SOCKET, r.err
	}
	s := &Socket{
		app:    a,
		family: resolvedFamily(af),
		typ:    resolvedType(af, typ, proto),
		proto:  resolvedProtocol(af, typ, proto),
	}
	s.set(bitOverlapped, overlapped)
	// IPV6_V6ONLY reads 1 on a new socket of either IP family (Wine sock.c test_ipv6only).
	s.set(bitV6Only, true)
	s.handle = t.newHandle()
	a.handles.put(s.handle, s)
	return s.handle, nil
}

// Closesocket is closesocket(s): it releases the socket's port, resets connections waiting in a
// listener's backlog, and makes the handle invalid for good.
func (t *Thread) Closesocket(h Handle) error {
	c := t.begin("closesocket")
	defer t.end(c)
	c.lookup(h)
	return t.run(c, chainClose, closeEffect)
}

func closeEffect(c *call) error {
	c.s.closeLocked()
	c.app.handles.remove(c.h)
	return nil
}

// closeHandle closes a socket outside a call (WSACleanup).
func (a *App) closeHandle(h Handle) {
	s := a.handles.get(h)
	if s == nil {
		return
	}
	s.mu.Lock()
	if s.state != StateClosed {
		s.closeLocked()
	}
	s.mu.Unlock()
	a.handles.remove(h)
}

// closeLocked tears the socket down; s.mu is held.
func (s *Socket) closeLocked() {
	host := s.app.host
	if s.entry != nil {
		host.ports.Release(s.entry)
		s.entry = nil
	}
	if s.listenq != nil {
		// Connections that completed the handshake but were never accepted are reset; their
		// server-side sockets never had handles.
		for _, pending := range s.listenq.ready {
			pending.dropConnection()
			host.releaseSocket()
		}
		s.listenq = nil
	}
	if a := s.attemptOf(); a != nil {
		// Pending overlapped work ends with WSA_OPERATION_ABORTED when its socket closes.
		s.extra.attempt = nil
		a.timer.stop() // nothing left to deliver: no timer may outlive the socket
		if a.ov != nil {
			a.ov.complete(ruleCloseAborts, 0)
		}
	}
	s.dropConnection()
	s.state = StateClosed
	if s.extra != nil {
		// closesocket removes the socket's IPsec filters and policy: its connection's SAs are
		// no longer kept or rekeyed.
		s.extra.conn.close()
		s.extra.settings = nil
		s.dropNames()
	}
	host.net.dropUDPSecurity(s)
	host.releaseSocket()
}
