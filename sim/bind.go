package sim

import (
	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sim/ports"
	"github.com/wsssim/wsssim/sockaddr"
)

var (
	ruleBindFault = rule("BIND-FAULT", "bind", errors.WSAEFAULT,
		"name is NULL, or namelen is smaller than the family's sockaddr (16 for AF_INET, 28 for AF_INET6) or larger than the buffer",
		"doc: bind — WSAEFAULT: name or namelen not valid, or namelen too small",
		func(c *call) bool { return c.addrErr == errors.WSAEFAULT })
	ruleBindAFNoSupport = rule("BIND-AFNOSUPPORT", "bind", errors.WSAEAFNOSUPPORT,
		"the family in name is not one Winsock has a provider for (neither AF_INET nor AF_INET6)",
		"Wine sock.c test_bind: family 0xdead → WSAEAFNOSUPPORT",
		func(c *call) bool { return c.addrErr == errors.WSAEAFNOSUPPORT })
	ruleBindFamily = rule("BIND-FAMILY", "bind", errors.WSAEFAULT,
		"the first two bytes of name (the family) do not match the socket's address family",
		"doc: bind — WSAEFAULT: the first two bytes of the memory block specified by name do not match the address family associated with the socket descriptor",
		func(c *call) bool { return int32(c.addr.Family) != c.s.family })
	ruleBindTwice = rule("BIND-TWICE", "bind", errors.WSAEINVAL,
		"the socket already has a local address (bound explicitly, or implicitly by connect/sendto)",
		"doc: bind — WSAEINVAL: the socket is already bound to an address; Wine sock.c test_bind",
		func(c *call) bool { return c.s.hasLocal() })
	ruleBindMappedV6Only = rule("BIND-MAPPED-V6ONLY", "bind", errors.WSAEADDRNOTAVAIL,
		"an IPv4-mapped address (::ffff:a.b.c.d) bound on an AF_INET6 socket with IPV6_V6ONLY on",
		"doc: Dual-Stack Sockets — IPv4-mapped addresses need IPV6_V6ONLY off [INFER: WSAEADDRNOTAVAIL]",
		func(c *call) bool { return c.addr.IsV4Mapped() && c.s.has(bitV6Only) })
	ruleBindScope = rule("BIND-SCOPE", "bind", errors.WSAEADDRNOTAVAIL,
		"an IPv6 address with a scope id that is not the index of the interface holding it (loopback is interface 1, the host's other addresses interface 2)",
		"Wine sock.c test_bind: sin6_scope_id 0xabacab on the host's own IPv6 address → WSAEADDRNOTAVAIL",
		func(c *call) bool {
			return c.addr.Family == sockaddr.AF_INET6 && c.addr.ScopeID != 0 && c.addr.ScopeID != c.app.host.interfaceOf(c.addr.IP)
		})
	ruleBindNotLocal = rule("BIND-ADDRNOTAVAIL", "bind", errors.WSAEADDRNOTAVAIL,
		"the IP address is neither a wildcard nor one of this host's addresses",
		"doc: bind — WSAEADDRNOTAVAIL: the specified address is not a valid address for this computer",
		func(c *call) bool { return !c.addr.IsWildcard() && !c.app.host.owns(c.addr.IP) })
	ruleBindUnix = rule("BIND-UNSUPPORTED", "bind", errors.WSAEOPNOTSUPP,
		"the socket is AF_UNIX or SOCK_RAW: wsssim does not model AF_UNIX paths or raw IP",
		"wsssim limitation (such sockets can be created, configured and closed only)",
		func(c *call) bool { return c.s.family == AF_UNIX || c.s.typ == SOCK_RAW })

	ruleBindInUse = rule("BIND-INUSE", "bind", errors.WSAEADDRINUSE,
		"another socket holds the address and port, and Microsoft's tables say the two binds conflict",
		"doc: Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE, Tables B and C (ruling R16); Wine sock.c test_reuseaddr",
		nil)
	ruleBindAccess = rule("BIND-ACCESS", "bind", errors.WSAEACCES,
		"another socket holds the address and port exclusively, or under another user without SO_REUSEADDR, as Microsoft's tables say",
		"doc: Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE, Tables B and C (ruling R16); Wine sock.c test_reuseaddr",
		nil)
	ruleBindNoPorts = rule("BIND-NO-EPHEMERAL", "bind", errors.WSAENOBUFS,
		"port 0 was asked for and every port of the dynamic range (49152–65535) is taken",
		"doc: bind — WSAENOBUFS: not enough buffers available, too many connections",
		nil)
)

var chainBind = chain("bind", ruleNotInitialised, ruleNotSocket, ruleBindUnix, ruleBindFault, ruleBindAFNoSupport, ruleBindFamily,
	ruleBindTwice, ruleBindMappedV6Only, ruleBindNotLocal, ruleBindScope)

// Bind is bind(s, name, namelen). name nil is a NULL pointer.
func (t *Thread) Bind(h Handle, name []byte, namelen int32) error {
	return t.addrCall("bind", chainBind, bindEffect, h, name, namelen)
}

// BindAddr is Bind with a Go address.
func (t *Thread) BindAddr(h Handle, a sockaddr.Addr) error {
	b := a.Encode()
	return t.Bind(h, b, int32(len(b)))
}

func bindEffect(c *call) error {
	return c.s.reserve(c.addr, false)
}

// reserve takes addr in the host's port table and makes it the socket's local address.
func (s *Socket) reserve(addr sockaddr.Addr, implicit bool) error {
	e, code := s.app.host.ports.Bind(ports.Request{
		Proto:     s.portsProto(),
		Addr:      addr,
		DualStack: s.dualStack(),
		ReuseAddr: s.has(bitReuseAddr),
		Exclusive: s.has(bitExclusive),
		User:      s.app.user,
		Owner:     s,
	})
	switch code {
	case 0:
	case errors.WSAEACCES:
		return ruleBindAccess.err
	case errors.WSAEADDRINUSE:
		return ruleBindInUse.err
	default:
		return ruleBindNoPorts.err
	}
	s.entry = e
	s.local = addr.WithPort(e.Port())
	s.local.IP = s.local.IP.WithZone("") // the scope is ScopeID's, as the port table keeps it
	s.set(bitImplicit, implicit)
	s.set(bitWasBound, true)
	if s.state == StateOpen {
		s.state = StateBound
	}
	return nil
}
