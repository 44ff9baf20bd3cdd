package sim

import (
	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sockaddr"
)

var (
	ruleNameNull = rule("GETSOCKNAME-FAULT-NULL", "getsockname", errors.WSAEFAULT,
		"name or namelen is NULL",
		"doc: getsockname — WSAEFAULT: the name or namelen parameter is not a valid part of the user address space",
		func(c *call) bool { return c.null || c.lenNull })
	ruleNameUnbound = rule("GETSOCKNAME-UNBOUND", "getsockname", errors.WSAEINVAL,
		"the socket has no local address (checked before namelen)",
		"doc: getsockname — WSAEINVAL: the socket has not been bound with bind; Wine sock.c test_getsockname",
		func(c *call) bool { return !c.s.hasLocal() })
	ruleNameShort = rule("GETSOCKNAME-FAULT-LEN", "getsockname", errors.WSAEFAULT,
		"*namelen is smaller than the address",
		"doc: getsockname — WSAEFAULT: namelen is too small; Wine sock.c test_getsockname",
		func(c *call) bool { return c.n < int64(addrSize(c.s.local)) || c.n > int64(len(c.buf)) })

	rulePeerNull = rule("GETPEERNAME-FAULT-NULL", "getpeername", errors.WSAEFAULT,
		"name or namelen is NULL",
		"doc: getpeername — WSAEFAULT; Wine sock.c test_getpeername (NULL pointers → WSAEFAULT after WSAENOTSOCK)",
		func(c *call) bool { return c.null || c.lenNull })
	rulePeerNotConn = rule("GETPEERNAME-NOTCONN", "getpeername", errors.WSAENOTCONN,
		"the socket has no peer: never connected, a listener, a datagram socket without connect (sendto does not connect), or connected by ConnectEx without SO_UPDATE_CONNECT_CONTEXT",
		"doc: getpeername — WSAENOTCONN; doc: ConnectEx remarks (a ConnectEx socket enables its connected state for other calls only after SO_UPDATE_CONNECT_CONTEXT); Wine sock.c test_getpeername, test_connecting_socket (WSAENOTCONN while ConnectEx is pending)",
		func(c *call) bool {
			s := c.s
			if s.has(bitViaConnectEx) {
				return true
			}
			return !(s.state == StateConnected || (s.state == StateConnecting && s.isStream()))
		})
	rulePeerShort = rule("GETPEERNAME-FAULT-LEN", "getpeername", errors.WSAEFAULT,
		"*namelen is smaller than the address",
		"doc: getpeername — WSAEFAULT: namelen is too small; Wine sock.c test_getpeername (namelen 0)",
		func(c *call) bool { return c.n < int64(addrSize(c.s.peerAddr())) || c.n > int64(len(c.buf)) })

	ruleShutdownNotConn = rule("SHUTDOWN-NOTCONN", "shutdown", errors.WSAENOTCONN,
		"a connection-oriented socket that is not connected (a listener included)",
		"doc: shutdown — WSAENOTCONN (connection-oriented sockets only); Wine sock.c test_shutdown",
		func(c *call) bool { return c.s.isStream() && (c.s.state != StateConnected || c.s.has(bitViaConnectEx)) })
	ruleShutdownHow = rule("SHUTDOWN-HOW", "shutdown", errors.WSAEINVAL,
		"how is not SD_RECEIVE, SD_SEND or SD_BOTH",
		"doc: shutdown — WSAEINVAL: the how parameter is not valid; Wine sock.c test_shutdown (how 0xdeadbeef)",
		func(c *call) bool { return c.ival < SD_RECEIVE || c.ival > SD_BOTH })
)

var (
	chainGetsockname = chain("getsockname", ruleNotInitialised, ruleNotSocket, ruleNameNull, ruleNameUnbound, ruleNameShort)
	chainGetpeername = chain("getpeername", ruleNotInitialised, ruleNotSocket, rulePeerNull, rulePeerNotConn, rulePeerShort)
	chainShutdown    = chain("shutdown", ruleNotInitialised, ruleNotSocket, ruleShutdownNotConn, ruleShutdownHow)
)

// Getsockname is getsockname(s, name, namelen). On success the local address is written to name
// and *namelen is set to its size.
func (t *Thread) Getsockname(h Handle, name []byte, namelen *int32) error {
	return t.nameCall("getsockname", chainGetsockname, h, name, namelen)
}

// Getpeername is getpeername(s, name, namelen).
func (t *Thread) Getpeername(h Handle, name []byte, namelen *int32) error {
	return t.nameCall("getpeername", chainGetpeername, h, name, namelen)
}

func (t *Thread) nameCall(fn string, rules []*Rule, h Handle, name []byte, namelen *int32) error {
	c := t.begin(fn)
	defer t.end(c)
	c.lookup(h)
	c.buf, c.null = name, name == nil
	c.lenNull = namelen == nil
	if namelen != nil {
		c.n = int64(*namelen)
	}
	err := t.run(c, rules, nameEffect)
	if err == nil {
		*namelen = int32(c.outAddr.PutInto(name))
	}
	return err
}

// addrSize is the size of the sockaddr an address is returned in.
func addrSize(a sockaddr.Addr) int {
	if n := a.Family.Size(); n > 0 {
		return n
	}
	return sockaddr.SizeofSockaddr
}

func nameEffect(c *call) error {
	if c.fn == "getsockname" {
		c.outAddr = c.s.local
	} else {
		c.outAddr = c.s.peerAddr()
	}
	return nil
}

// SocketName returns the socket's local address, through Getsockname.
func (t *Thread) SocketName(h Handle) (sockaddr.Addr, error) {
	var b [sockaddr.SizeofSockaddrInet6]byte
	n := int32(len(b))
	if err := t.Getsockname(h, b[:], &n); err != nil {
		return sockaddr.Addr{}, err
	}
	a, _ := sockaddr.Decode(b[:n])
	return a, nil
}

// PeerName returns the socket's peer address, through Getpeername.
func (t *Thread) PeerName(h Handle) (sockaddr.Addr, error) {
	var b [sockaddr.SizeofSockaddrInet6]byte
	n := int32(len(b))
	if err := t.Getpeername(h, b[:], &n); err != nil {
		return sockaddr.Addr{}, err
	}
	a, _ := sockaddr.Decode(b[:n])
	return a, nil
}

// Shutdown is shutdown(s, how).
func (t *Thread) Shutdown(h Handle, how int32) error {
	c := t.begin("shutdown")
	defer t.end(c)
	c.lookup(h)
	c.ival = how
	return t.run(c, chainShutdown, shutdownEffect)
}

func shutdownEffect(c *call) error {
	switch c.ival {
	case SD_SEND:
		c.s.set(bitShutSend, true)
	case SD_RECEIVE:
		c.s.set(bitShutRecv, true)
	case SD_BOTH:
		c.s.set(bitShutSend|bitShutRecv, true)
	}
	return nil
}
