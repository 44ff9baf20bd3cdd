package sim

import (
	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sockaddr"
)

// Rules of WSAImpersonateSocketPeer, in ruling R1's order. A TCP connection identifies its peer,
// so PeerAddr is read (and checked) only on a UDP socket (ruling R13).
var (
	ruleImpNull = rule("IMPERSONATE-NULL", "WSAImpersonateSocketPeer", errors.WSAEFAULT,
		"UDP: PeerAddr is NULL (a TCP socket ignores PeerAddr, so NULL is fine there)",
		"doc: WSAImpersonateSocketPeer — WSAEFAULT: PeerAddr is NULL [D5]; ruling R13 (spec A17): TCP ignores it, as the SDK server sample and NtApiDotNet rely on [S2], [E1]",
		func(c *call) bool { return c.s.isDgram() && c.null })
	ruleImpFault = rule("IMPERSONATE-FAULT", "WSAImpersonateSocketPeer", errors.WSAEFAULT,
		"UDP: PeerAddrLen is larger than the buffer PeerAddr points to",
		"a pointer range Windows cannot read (WSAIoctl, which the secure-socket functions wrap — WSAEFAULT [D14]); ruling R13",
		func(c *call) bool { return c.s.isDgram() && c.n > int64(len(c.buf)) })
	ruleImpNotConn = rule("IMPERSONATE-NOTCONN", "WSAImpersonateSocketPeer", errors.WSAENOTCONN,
		"TCP: the socket is not connected (no connection made or accepted), so it has no peer",
		"ruling R14 (spec A18); doc: call it after the connection is established, or accepted on a server [D5]",
		func(c *call) bool { return c.s.isStream() && c.s.state != StateConnected })
	ruleImpLen = rule("IMPERSONATE-LEN", "WSAImpersonateSocketPeer", errors.WSAEMSGSIZE,
		"UDP: PeerAddrLen is shorter than the sockaddr of PeerAddr's family: 28 bytes for AF_INET6, 16 for AF_INET or any other family",
		"ruling R13 (spec A17); doc: WSAImpersonateSocketPeer — WSAEMSGSIZE: the buffer is too small [D5]",
		func(c *call) bool { return c.s.isDgram() && peerAddrLenShort(c) })
	ruleImpFamily = rule("IMPERSONATE-FAMILY", "WSAImpersonateSocketPeer", errors.WSAEAFNOSUPPORT,
		"UDP: PeerAddr's family is not the socket's (the other IP family, or not AF_INET/AF_INET6 at all)",
		"doc: WSAImpersonateSocketPeer lists WSAEAFNOSUPPORT [D5]; ruling R2 (spec A1)",
		func(c *call) bool { return c.s.isDgram() && peerAddrFamilyWrong(c) })
	ruleImpNotSecured = rule("IMPERSONATE-NOT-SECURED", "WSAImpersonateSocketPeer", errors.WSAENOTCONN,
		"the traffic with the peer is not secured — no IPsec negotiation protects the TCP connection, or the UDP peer at PeerAddr (nothing asked for IPsec, the traffic is loopback, or it runs in the clear after a failure ALLOW_INSECURE accepted) — so there is no peer token to impersonate",
		"ruling R14 (spec A18): impersonating a peer whose connection is not secured → WSAENOTCONN; doc: the thread takes the peer's user token, else its computer token [D5]",
		func(c *call) bool { return !c.s.peerSecured(c.addr) })
)

var chainImpersonate = chain("WSAImpersonateSocketPeer",
	ruleNotInitialised, ruleNotSocket, ruleImpNull, ruleImpFault, ruleSecFamilyType,
	ruleImpNotConn, ruleImpLen, ruleImpFamily, ruleImpNotSecured)

// peerSecured reports whether IPsec protects the socket's traffic with its peer (the TCP
// connection's, or the UDP peer at addr).
func (s *Socket) peerSecured(addr sockaddr.Addr) bool {
	conn, _ := s.securityWith(addr)
	return conn != nil && conn.secured()
}

// WSAImpersonateSocketPeer makes the thread act as the socket's peer (its user if a user token
// was negotiated, else its computer) for the application's own access checks. A TCP socket's
// connection names the peer and addr is ignored (nil, a NULL pointer, is fine); a UDP socket
// names it with addr, a SOCKADDR_IN or SOCKADDR_IN6 (ruling R13). Overlapped sockets are not
// refused.
//
// Only a secured connection has a peer token: otherwise the call fails with WSAENOTCONN, by
// IMPERSONATE-NOTCONN or IMPERSONATE-NOT-SECURED (ruling R14). On success the thread acts as
// the peer's user when extended mode authenticated one, else as the peer's machine (GetUserName
// shows which) until WSARevertImpersonation; impersonating again replaces the identity.
func (t *Thread) WSAImpersonateSocketPeer(h Handle, addr []byte, addrLen uint32) error {
	c := t.beginSecure("WSAImpersonateSocketPeer")
	defer t.end(c)
	c.lookup(h)
	c.setBuf(addr, int64(addrLen))
	c.decodePeerAddr()
	return t.run(c, chainImpersonate, impersonateEffect)
}

func impersonateEffect(c *call) error {
	conn, initiator := c.s.securityWith(c.addr)
	machine, user := conn.peerIdentity(initiator)
	id := machine
	if user != nil {
		id = *user
	}
	c.t.impersonating.Store(&id)
	return nil
}

// WSARevertImpersonation ends the thread's impersonation of a socket peer: the thread acts as
// its application's account again. A thread that is not impersonating one is left as it is and
// the call succeeds (ruling R15). Only this thread is affected: impersonation belongs to the
// thread that asked for it. It names no socket and checks no rule: the one error its page
// documents, WSASYSCALLFAILURE ("a system call that should never fail has failed"), has no
// cause in the simulator.
func (t *Thread) WSARevertImpersonation() error {
	c := t.beginSecure("WSARevertImpersonation")
	defer t.end(c)
	c.h = INVALID_SOCKET
	return t.run(c, nil, func(c *call) error {
		c.t.impersonating.Store(nil)
		return nil
	})
}
