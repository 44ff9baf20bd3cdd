package sim

import (
	"net/netip"
	"sort"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sockaddr"
)

// peerNames are the names WSASetSocketPeerTargetName gave a socket: one for a TCP socket (the
// last one set wins, ruling R11), one per peer address for a UDP socket.
type peerNames struct {
	tcp *policy.PeerTargetName
	udp map[peerKey]policy.PeerTargetName
}

// peerKey identifies a UDP peer: its IP address and port.
type peerKey struct {
	ip   netip.Addr
	port uint16
}

func keyOf(a sockaddr.Addr) peerKey { return peerKey{a.IP, a.Port} }

// Rules of WSASetSocketPeerTargetName, in ruling R1's order. The structure checks come from
// the policy package and join the table as rows of their own.
var (
	ruleSetPTNNull = rule("SETPTN-NULL", "WSASetSocketPeerTargetName", errors.WSAEFAULT,
		"PeerTargetName is NULL",
		"doc: WSASetSocketPeerTargetName — WSAEFAULT: the PeerTargetName parameter is a NULL pointer [D3]",
		func(c *call) bool { return c.null })
	ruleSetPTNFault = rule("SETPTN-FAULT", "WSASetSocketPeerTargetName", errors.WSAEFAULT,
		"PeerTargetNameLen is larger than the buffer PeerTargetName points to",
		"WSAIoctl (which WSASetSocketPeerTargetName wraps) — WSAEFAULT: lpvInBuffer is not totally contained in a valid part of the user address space [D14]",
		func(c *call) bool { return c.n > int64(len(c.buf)) })
	ruleSetPTNIsConn = rule("SETPTN-ISCONN", "WSASetSocketPeerTargetName", errors.WSAEISCONN,
		"the socket is connected: a TCP connection (made or accepted) or a UDP socket with a default peer",
		"doc: WSASetSocketPeerTargetName — WSAEISCONN: the socket is connected, connection-oriented or connectionless [D3]; ruling R11",
		func(c *call) bool { return c.s.state == StateConnected })
	ruleSetPTNConnecting = rule("SETPTN-CONNECTING", "WSASetSocketPeerTargetName", errors.WSAEINVAL,
		"a connect or ConnectEx is in progress on the socket: the name had to be set before the connection was started",
		"doc: the name must be set before WSAConnect [D3]; code [INFER] as SETSEC-CONNECTING (ruling R3; spec A3, A15)",
		func(c *call) bool { return c.s.state == StateConnecting })
	ruleSetPTNPeerFamily = rule("SETPTN-PEER-FAMILY", "WSASetSocketPeerTargetName", errors.WSAEAFNOSUPPORT,
		"UDP: PeerAddress is of the other IP family than the socket (TCP ignores PeerAddress)",
		"ruling R2 (spec A1): WSAEAFNOSUPPORT is for an address argument whose family differs from the socket's; doc lists WSAEAFNOSUPPORT [D3]",
		func(c *call) bool { return c.s.isDgram() && c.sec.ptnOK && inStructFamilyWrong(c) })
	ruleSetPTNZeroPeer = rule("SETPTN-ZERO-PEER", "WSASetSocketPeerTargetName", errors.WSAEINVAL,
		"UDP: PeerAddress has IP address and port both zero (or no family at all): a connectionless socket names one peer per call",
		"doc: WSASetSocketPeerTargetName — WSAEINVAL: a connectionless socket and a PeerAddress whose IP address and port are both zero [D3]; ruling R11",
		func(c *call) bool {
			a := c.addr
			return c.s.isDgram() && c.sec.ptnOK && (a.Family == sockaddr.AF_UNSPEC || (a.IsWildcard() && a.Port == 0))
		})
)

var chainSetPeerTargetName = chain("WSASetSocketPeerTargetName", append(append([]*Rule{
	ruleNotInitialised, ruleNotSocket, ruleSetPTNNull, ruleSetPTNFault, ruleSecFamilyType,
	ruleSetPTNIsConn, ruleSetPTNConnecting},
	peerTargetNameRules()...), ruleSetPTNPeerFamily, ruleSetPTNZeroPeer)...)

// peerTargetNameRules turns the policy package's SOCKET_PEER_TARGET_NAME checks into rules of
// this table, run over exactly PeerTargetNameLen bytes.
func peerTargetNameRules() []*Rule {
	out := make([]*Rule, 0, len(policy.PeerTargetNameChecks))
	for i := range policy.PeerTargetNameChecks {
		pc := &policy.PeerTargetNameChecks[i]
		out = append(out, rule(pc.ID, "WSASetSocketPeerTargetName", pc.Code, pc.Condition, pc.Source,
			func(c *call) bool { return !c.null && pc.Fails(c.buf[:c.n]) }))
	}
	return out
}

// setPeerTargetName records WSASetSocketPeerTargetName's arguments (or SIO_SET_PEER_TARGET_NAME's).
func (c *call) setPeerTargetName(name []byte, nameLen uint32) {
	c.setBuf(name, int64(nameLen))
	c.addrErr = errors.WSAEFAULT
	if !c.null && c.n <= int64(len(c.buf)) {
		if p, bad := policy.DecodePeerTargetName(c.buf[:c.n]); bad == nil {
			c.sec.ptn, c.sec.ptnOK = p, true
			c.addr, c.addrErr = p.PeerAddress, 0
		}
	}
}

// WSASetSocketPeerTargetName tells the security layer which principal (SPN) the peer must
// authenticate as. name is the SOCKET_PEER_TARGET_NAME (nil is NULL), nameLen
// PeerTargetNameLen as passed; policy.PeerTargetName.Encode builds it. On a TCP socket the last
// name set before connect wins and PeerAddress is ignored; a UDP socket keeps one name per peer
// address (ruling R11). The names are kept for the IPsec negotiation, which the current model
// does not perform yet. On an overlapped socket a non-nil ov completes at once (ruling R7),
// through routine when it is not nil.
func (t *Thread) WSASetSocketPeerTargetName(h Handle, name []byte, nameLen uint32, ov *Overlapped, routine CompletionRoutine) error {
	c := t.beginSecure("WSASetSocketPeerTargetName")
	defer t.end(c)
	c.lookup(h)
	c.setPeerTargetName(name, nameLen)
	c.ov, c.routine = ov, routine
	return t.run(c, chainSetPeerTargetName, setPeerTargetNameEffect)
}

func setPeerTargetNameEffect(c *call) error {
	s := c.s
	x := s.ext()
	if x.names == nil {
		x.names = &peerNames{}
	}
	p := c.sec.ptn
	// The name the new one replaces (TCP's last, or this peer's) gives its bytes back.
	var old int64
	if s.isStream() {
		if x.names.tcp != nil {
			old = nameCost(*x.names.tcp)
		}
	} else if prev, ok := x.names.udp[keyOf(p.PeerAddress)]; ok {
		old = nameCost(prev)
	}
	host := s.app.host
	if !host.chargeBuffers(nameCost(p) - old) {
		return ruleSetPTNNoBufs.err
	}
	if s.isStream() {
		x.names.tcp = &p
	} else {
		if x.names.udp == nil {
			x.names.udp = map[peerKey]policy.PeerTargetName{}
		}
		x.names.udp[keyOf(p.PeerAddress)] = p
	}
	completeAtOnce(c, 0)
	return nil
}

// dropNames forgets the socket's peer target names and gives their bytes back to the host's
// budget; s.mu is held.
func (s *Socket) dropNames() {
	x := s.extra
	if x == nil || x.names == nil {
		return
	}
	var n int64
	if x.names.tcp != nil {
		n += nameCost(*x.names.tcp)
	}
	for _, p := range x.names.udp {
		n += nameCost(p)
	}
	x.names = nil
	s.app.host.refundBuffers(n)
}

// Rules of WSADeleteSocketPeerTargetName, in ruling R1's order.
var (
	ruleDelPTNNull = rule("DELPTN-NULL", "WSADeleteSocketPeerTargetName", errors.WSAEFAULT,
		"PeerAddr is NULL",
		"doc: WSADeleteSocketPeerTargetName — WSAEFAULT: the PeerAddr parameter is a NULL pointer [D4]",
		func(c *call) bool { return c.null })
	ruleDelPTNFault = rule("DELPTN-FAULT", "WSADeleteSocketPeerTargetName", errors.WSAEFAULT,
		"PeerAddrLen is larger than the buffer PeerAddr points to",
		"WSAIoctl (which WSADeleteSocketPeerTargetName wraps) — WSAEFAULT: lpvInBuffer is not totally contained in a valid part of the user address space [D14]",
		func(c *call) bool { return c.n > int64(len(c.buf)) })
	ruleDelPTNLen = rule("DELPTN-LEN", "WSADeleteSocketPeerTargetName", errors.WSAEMSGSIZE,
		"PeerAddrLen is shorter than the sockaddr of PeerAddr's family: 28 bytes for AF_INET6, 16 for AF_INET or any other family",
		"doc: WSADeleteSocketPeerTargetName — WSAEMSGSIZE: the buffer is too small [D4]; ruling R1 (lengths before content)",
		peerAddrLenShort)
	ruleDelPTNFamily = rule("DELPTN-FAMILY", "WSADeleteSocketPeerTargetName", errors.WSAEAFNOSUPPORT,
		"PeerAddr's family is not the socket's (the other IP family, or not AF_INET/AF_INET6 at all)",
		"doc: WSADeleteSocketPeerTargetName lists WSAEAFNOSUPPORT [D4]; ruling R2 (spec A1)",
		peerAddrFamilyWrong)
)

var chainDeletePeerTargetName = chain("WSADeleteSocketPeerTargetName",
	ruleNotInitialised, ruleNotSocket, ruleDelPTNNull, ruleDelPTNFault, ruleSecFamilyType,
	ruleDelPTNLen, ruleDelPTNFamily)

// setDeletePeerTargetName records WSADeleteSocketPeerTargetName's arguments (or
// SIO_DELETE_PEER_TARGET_NAME's).
func (c *call) setDeletePeerTargetName(addr []byte, addrLen uint32) {
	c.setBuf(addr, int64(addrLen))
	c.decodePeerAddr()
}

// WSADeleteSocketPeerTargetName removes the name a UDP socket keeps for the peer at addr (a
// SOCKADDR_IN or SOCKADDR_IN6; nil is NULL). Deleting a name that was never set, and any call
// on a TCP socket, succeed and change nothing (ruling R12). On an overlapped socket a non-nil ov
// completes at once (ruling R7), through routine when it is not nil.
func (t *Thread) WSADeleteSocketPeerTargetName(h Handle, addr []byte, addrLen uint32, ov *Overlapped, routine CompletionRoutine) error {
	c := t.beginSecure("WSADeleteSocketPeerTargetName")
	defer t.end(c)
	c.lookup(h)
	c.setDeletePeerTargetName(addr, addrLen)
	c.ov, c.routine = ov, routine
	return t.run(c, chainDeletePeerTargetName, deletePeerTargetNameEffect)
}

func deletePeerTargetNameEffect(c *call) error {
	if s := c.s; s.isDgram() && s.extra != nil && s.extra.names != nil {
		if p, ok := s.extra.names.udp[keyOf(c.addr)]; ok {
			delete(s.extra.names.udp, keyOf(c.addr))
			s.app.host.refundBuffers(nameCost(p))
		}
	}
	completeAtOnce(c, 0)
	return nil
}

// PeerTargetNames returns the names WSASetSocketPeerTargetName left on the socket with that
// handle: a TCP socket's one name, or a UDP socket's names ordered by peer address. It is not a
// Winsock call: it changes nothing and checks no rule; ok is false when the application has no
// such socket.
func (a *App) PeerTargetNames(h Handle) (names []policy.PeerTargetName, ok bool) {
	s := a.handles.get(h)
	if s == nil {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == StateClosed {
		return nil, false
	}
	if s.extra == nil || s.extra.names == nil {
		return nil, true
	}
	if s.extra.names.tcp != nil {
		names = append(names, *s.extra.names.tcp)
	}
	for _, p := range s.extra.names.udp {
		names = append(names, p)
	}
	sort.Slice(names, func(i, j int) bool {
		ai, aj := names[i].PeerAddress, names[j].PeerAddress
		if c := ai.IP.Compare(aj.IP); c != 0 {
			return c < 0
		}
		return ai.Port < aj.Port
	})
	return names, true
}

// namesOf returns the socket's peer target names, or nil; s.mu is held.
func (s *Socket) namesOf() *peerNames {
	if s.extra == nil {
		return nil
	}
	return s.extra.names
}
