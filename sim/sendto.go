package sim

import (
	"net/netip"
	"time"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sockaddr"
)

var (
	ruleSendtoShutdown = rule("SENDTO-SHUTDOWN", "sendto", errors.WSAESHUTDOWN,
		"shutdown(SD_SEND or SD_BOTH) was called on the socket",
		"doc: sendto — WSAESHUTDOWN: the socket has been shut down",
		func(c *call) bool { return c.s.has(bitShutSend) })
	ruleSendtoStreamNotConn = rule("SENDTO-NOTCONN", "sendto", errors.WSAENOTCONN,
		"a connection-oriented socket that is not connected",
		"doc: sendto — WSAENOTCONN: the socket is not connected (connection-oriented sockets only); the address is ignored",
		func(c *call) bool { return c.s.isStream() && c.s.state != StateConnected })
	ruleSendtoMappedV6Only = rule("SENDTO-MAPPED-V6ONLY", "sendto", errors.WSAENETUNREACH,
		"an IPv4-mapped destination from an AF_INET6 socket with IPV6_V6ONLY on: such a socket has no IPv4 path",
		"doc: Dual-Stack Sockets — IPv4-mapped addresses reach IPv4 only when IPV6_V6ONLY is 0 [INFER: WSAENETUNREACH]",
		func(c *call) bool { return c.s.isDgram() && !c.null && c.addr.IsV4Mapped() && c.s.has(bitV6Only) })
	ruleSendtoBroadcast = rule("SENDTO-BROADCAST", "sendto", errors.WSAEACCES,
		"a datagram to the broadcast address 255.255.255.255 without SO_BROADCAST (a connect to it is allowed, and send then works)",
		"doc: sendto — WSAEACCES: the requested address is a broadcast address, but the appropriate flag was not set; Wine sock.c test_broadcast",
		func(c *call) bool {
			return c.s.isDgram() && !c.null && c.addr.IP.Unmap() == netip.AddrFrom4([4]byte{255, 255, 255, 255}) && !c.s.has(bitBroadcast)
		})
	ruleSendtoNoRoute = rule("SENDTO-NETUNREACH", "sendto", errors.WSAENETUNREACH,
		"no local address can reach the destination: the host has no address of its family, or the socket is bound to loopback (or to the other IP version) and the destination is elsewhere",
		"doc: sendto — WSAENETUNREACH: the network cannot be reached from this host at this time [INFER: as connect's route check]",
		nil)
	ruleSendtoUnix = rule("SENDTO-UNSUPPORTED", "sendto", errors.WSAEOPNOTSUPP,
		"the socket is AF_UNIX or SOCK_RAW: wsssim does not model their traffic",
		"wsssim limitation",
		func(c *call) bool { return c.s.family == AF_UNIX || c.s.typ == SOCK_RAW })
	ruleSendtoFault = rule("SENDTO-FAULT", "sendto", errors.WSAEFAULT,
		"to is given with tolen smaller than the family's sockaddr or larger than the buffer",
		"doc: sendto — WSAEFAULT: the to parameter is not valid or tolen is too small",
		func(c *call) bool { return c.s.isDgram() && !c.null && c.addrErr == errors.WSAEFAULT })
	ruleSendtoDestReq = rule("SENDTO-NO-DEST", "sendto", errors.WSAENOTCONN,
		"a datagram socket without a default peer and no destination address",
		"Wine sock.c: send() on an unconnected UDP socket → WSAENOTCONN",
		func(c *call) bool { return c.s.isDgram() && c.null && c.s.state != StateConnected })
	ruleSendtoFamily = rule("SENDTO-FAMILY", "sendto", errors.WSAEAFNOSUPPORT,
		"the destination's family is not the socket's",
		"doc: sendto — WSAEAFNOSUPPORT: addresses in the specified family cannot be used with this socket",
		func(c *call) bool {
			return c.s.isDgram() && !c.null && (c.addrErr != 0 || int32(c.addr.Family) != c.s.family)
		})
	ruleSendtoAddrNotAvail = rule("SENDTO-ADDRNOTAVAIL", "sendto", errors.WSAEADDRNOTAVAIL,
		"the destination is a wildcard address (port 0 is allowed: Windows sends to it)",
		"doc: sendto — WSAEADDRNOTAVAIL: the remote address is not a valid address (such as ADDR_ANY); Wine sock.c: sendto to 127.0.0.1 port 0 succeeds",
		func(c *call) bool { return c.s.isDgram() && !c.null && c.addr.IsWildcard() })
)

var chainSendto = chain("sendto", ruleNotInitialised, ruleNotSocket, ruleSendtoUnix, ruleSendtoShutdown, ruleSendtoStreamNotConn, ruleSendtoReset,
	ruleSendtoFault, ruleSendtoDestReq, ruleSendtoFamily, ruleSendtoAddrNotAvail, ruleSendtoMappedV6Only, ruleSendtoBroadcast)

// Sendto is sendto(s, buf, len, flags, to, tolen) and returns the bytes sent. On a
// connection-oriented socket the destination is ignored, as on Windows. A datagram socket
// without a local address is bound implicitly to the wildcard address and an ephemeral port.
func (t *Thread) Sendto(h Handle, data []byte, flags int32, to []byte, tolen int32) (int, error) {
	c := t.begin("sendto")
	defer t.end(c)
	c.lookup(h)
	c.ival = flags
	c.setBuf(to, int64(tolen))
	if !c.null {
		c.decodeAddr()
	}
	c.outValue = int32(len(data))
	if err := t.run(c, chainSendto, sendtoEffect); err != nil {
		return 0, err
	}
	return int(c.outValue), nil
}

// SendtoAddr is Sendto with a Go address.
func (t *Thread) SendtoAddr(h Handle, data []byte, to sockaddr.Addr) (int, error) {
	b := to.Encode()
	return t.Sendto(h, data, 0, b, int32(len(b)))
}

func sendtoEffect(c *call) error {
	s := c.s
	if s.isStream() {
		if x := s.extra; x != nil {
			x.conn.use(int(c.outValue))
		}
		return nil
	}
	dst := s.peerAddr()
	if !c.null {
		dst = c.addr
	}
	if !s.hasLocal() {
		if err := s.reserve(sockaddr.Any(sockaddr.Family(s.family), 0), true); err != nil {
			return err
		}
	}
	src, ok := s.sourceFor(dst)
	if !ok {
		return ruleSendtoNoRoute.err
	}
	target := s.app.host.net.route(s.app.host, dst.IP)
	if target == nil {
		return nil // a datagram to nowhere is sent and lost
	}
	var r *Socket
	if e := target.ports.Lookup(s.portsProto(), dst, false); e != nil {
		r, _ = e.Owner().(*Socket)
	}
	// A link fault may lose or delay the datagram; sendto still succeeds: UDP does not know.
	var delay time.Duration
	if d := s.app.host.net.linkFault(s.app.host, target, LinkDrop, LinkUnreachable, LinkDelay); d != nil {
		if d.fault.Kind != LinkDelay {
			c.reason = "injected: the " + d.fault.Kind.String() + " link fault lost it"
			return nil
		}
		delay = d.fault.Delay
	}
	// IPsec, when either end asks for it, except on loopback (ruling R17). A datagram whose
	// negotiation fails is dropped.
	if target != s.app.host && !s.secureDatagram(c, r, src, dst) {
		return nil
	}
	if r != nil {
		c.deliveredTo = r
		if delay > 0 {
			net := s.app.host.net
			net.at(net.Now()+delay, timerAttempt, func() { r.datagrams.Add(1) })
		} else {
			r.datagrams.Add(1)
		}
	}
	return nil
}
