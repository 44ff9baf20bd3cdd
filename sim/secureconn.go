package sim

import (
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim/ipsec"
	"github.com/wsssim/wsssim/sim/ports"
	"github.com/wsssim/wsssim/sockaddr"
)

// IPsec between hosts: when to negotiate, what a negotiated connection holds (its main-mode and
// quick-mode SAs on the virtual clock), and what a failed one leaves behind. The negotiation
// itself is package ipsec.

// negotiationTimeout is how long a connect whose negotiation fails waits before it fails with
// WSAETIMEDOUT (ruling R18): while AuthIP fails the SYN is held or dropped, and Windows' TCP
// gives up on an unanswered SYN after about 21 s (an initial 3 s retransmission time-out,
// doubled twice).
const negotiationTimeout = 21 * time.Second

var ruleConnectNegotiation = rule("CONNECT-NEGOTIATION", "connect", errors.WSAETIMEDOUT,
	"IPsec was required (by the socket's WSASetSocketSecurity, the listener's, or a host's connection-security rule) and the negotiation failed, and no side that required it allows clear text (SOCKET_SETTINGS_ALLOW_INSECURE): the SYN is dropped and the connect times out after 21 s of virtual time. The trace and the error give the reason in words",
	"ruling R18: the secure connect fails as an unanswered SYN does; doc: WSASetSocketSecurity — SOCKET_SETTINGS_ALLOW_INSECURE allows clear text when IPsec cannot be negotiated [D1]",
	nil)

// side is one end's part in a negotiation: whether it asks for IPsec, and with what.
type side struct {
	host          *Host
	wants         bool   // the socket's settings install filters, or a host rule covers the port
	why           string // why it wants IPsec, for explanations
	allowInsecure bool   // clear text is acceptable when negotiation fails
	peer          ipsec.Peer
	policyErr     error // the settings name a policy the host does not have
}

// sideOf describes socket s's end of traffic on port (the service port: the destination for an
// initiator, the local port for a responder). It reads only what never changes once a socket
// has a local address (its application and published settings), so the caller need not hold
// s.mu.
func sideOf(s *Socket, proto ports.Proto, port uint16, role string) side {
	h := s.app.host
	applied := s.security.Load()
	var st *policy.Settings
	if applied != nil {
		st = applied.settings
	}
	d := side{host: h}
	skip := st != nil && st.IPsec != nil && st.IPsec.Flags&policy.IPsecSkipFilterInstantiation != 0
	if applied != nil && !skip {
		d.wants, d.why = true, "its socket called WSASetSocketSecurity"
		d.allowInsecure = st != nil && st.Flags&policy.SettingsAllowInsecure != 0
	}
	if r, ok := h.ruleFor(proto, port); ok && !d.wants {
		d.wants, d.why = true, "host "+h.name+" has the connection-security rule "+r.String()
		d.allowInsecure = r.Mode == Request
		st = nil // a rule negotiates with the default policy
	}
	d.peer = ipsec.Peer{Host: h.name, Role: role, Credentials: h.creds, User: s.app.user}
	d.peer.Policy, d.policyErr = h.effectivePolicy(st)
	if st != nil {
		d.peer.RequireEncryption = st.Flags&policy.SettingsGuaranteeEncryption != 0
		if st.IPsec != nil {
			d.peer.OptionalNameVerification = st.IPsec.Flags&policy.IPsecOptionalPeerNameVerification != 0
			if st.IPsec.UserName != "" || st.IPsec.DomainName != "" {
				d.peer.Explicit = &ipsec.Explicit{User: st.IPsec.UserName, Domain: st.IPsec.DomainName}
			}
		}
	}
	return d
}

// negotiate decides how traffic between an initiator and a responder flows: secured (an
// Outcome), in the clear because nobody asked for IPsec (nil, nil, true), in the clear after a
// failure every side that asked accepts (Failure, true), or not at all (Failure, false).
func negotiate(init, resp side) (o ipsec.Outcome, f *ipsec.Failure, flows bool) {
	switch {
	case !init.wants && !resp.wants:
		return o, nil, true
	case init.policyErr != nil:
		f = &ipsec.Failure{Phase: ipsec.PhasePolicy, Code: errors.ERROR_IPSEC_IKE_NO_POLICY, Reason: init.peer.Role + "'s " + init.policyErr.Error()}
	case resp.wants && resp.policyErr != nil:
		f = &ipsec.Failure{Phase: ipsec.PhasePolicy, Code: errors.ERROR_IPSEC_IKE_NO_POLICY, Reason: resp.peer.Role + "'s " + resp.policyErr.Error()}
	case init.wants && !resp.wants:
		f = &ipsec.Failure{Phase: ipsec.PhaseMainMode, Code: errors.ERROR_IPSEC_IKE_DROP_NO_RESPONSE,
			Reason: fmt.Sprintf("no response from %s; %s asks for IPsec (%s), but %s has no IPsec policy for the traffic (its socket did not call WSASetSocketSecurity and no connection-security rule covers the port)",
				resp.peer.Role, init.peer.Role, init.why, resp.peer.Role)}
	case !init.wants && resp.wants:
		f = &ipsec.Failure{Phase: ipsec.PhasePolicy, Code: errors.ERROR_IPSEC_IKE_NO_POLICY,
			Reason: fmt.Sprintf("%s sends in the clear (its socket did not call WSASetSocketSecurity and no connection-security rule covers the port), but %s requires IPsec (%s) and drops clear-text traffic",
				init.peer.Role, resp.peer.Role, resp.why)}
	default:
		o, f = ipsec.Negotiate(init.peer, resp.peer)
		if f == nil {
			return o, nil, true
		}
	}
	return o, f, fallbackAllowed(init, resp)
}

// fallbackAllowed reports whether traffic may flow in the clear after a failed negotiation:
// every end that asked for IPsec must allow clear text.
func fallbackAllowed(init, resp side) bool {
	return (!init.wants || init.allowInsecure) && (!resp.wants || resp.allowInsecure)
}

// mainModeSA is an IKE main-mode SA between two hosts. Connections between the same pair reuse
// it until its lifetime ends.
type mainModeSA struct {
	id      uint64
	key     string
	created time.Duration
	expired bool
}

// secureConn is what a negotiation left on a connection (TCP) or a pair of UDP endpoints: the
// outcome and its SAs, or the failure it runs in the clear after (ALLOW_INSECURE).
type secureConn struct {
	net              *Network
	initApp, respApp *App
	outcome          ipsec.Outcome
	failure          *ipsec.Failure // not nil: running in the clear after this failure
	label            string         // "10.0.0.1:49152 → 10.0.0.2:27015", for traces
	idle             policy.SAIdleTimeout

	mu        sync.Mutex
	mm        *mainModeSA
	qmID      uint64
	qmCreated time.Duration
	lastUse   time.Duration
	bytes     uint64
	qmTimer   *timer
	idleTimer *timer
	closed    bool
	rekeys    int
}

func (sc *secureConn) secured() bool { return sc.failure == nil }

// newSecureConn records a negotiation's result and, when it succeeded, creates its SAs.
func (n *Network) newSecureConn(init side, initApp, respApp *App, o ipsec.Outcome, f *ipsec.Failure, label string) *secureConn {
	sc := &secureConn{net: n, initApp: initApp, respApp: respApp, outcome: o, failure: f, label: label,
		idle: init.peer.Policy.QuickMode.SAIdleTimeout}
	if f == nil {
		sc.mu.Lock()
		sc.establish("negotiated")
		sc.mu.Unlock()
	}
	return sc
}

// idleTimeout is the quick-mode SA's idle time-out: the fail-over one when either host is in a
// fail-over cluster.
func (sc *secureConn) idleTimeout() time.Duration {
	idle := sc.idle
	if sc.initApp.host.failOver || sc.respApp.host.failOver {
		return time.Duration(idle.IdleTimeoutSecondsFailOver) * time.Second
	}
	return time.Duration(idle.IdleTimeoutSeconds) * time.Second
}

// establish makes a new quick-mode SA (and a main-mode one when the pair has none alive); sc.mu
// is held.
func (sc *secureConn) establish(how string) {
	n := sc.net
	now := n.Now()
	var mmNew bool
	sc.mm, mmNew = n.mainMode(sc.initApp.host, sc.respApp.host, sc.outcome.MainMode)
	sc.qmID = n.nextSAID()
	sc.qmCreated, sc.lastUse, sc.bytes = now, now, 0
	sc.qmTimer.stop()
	if life := time.Duration(sc.outcome.QuickMode.LifetimeSeconds) * time.Second; life > 0 {
		sc.qmTimer = n.at(now+life, timerSA, sc.lifetimeEnded)
	}
	if sc.idleTimer == nil {
		if idle := sc.idleTimeout(); idle > 0 {
			sc.idleTimer = n.at(now+idle, timerSA, sc.idleCheck)
		}
	}
	note := fmt.Sprintf("%s: quick-mode SA %d (%s)", how, sc.qmID, sc.outcome)
	if mmNew {
		note += fmt.Sprintf(", new main-mode SA %d", sc.mm.id)
	} else {
		note += fmt.Sprintf(", main-mode SA %d", sc.mm.id)
	}
	n.traceIPsec(sc.initApp, sc.label+" "+note)
}

// mainMode returns the live main-mode SA between two hosts, making one when there is none.
func (n *Network) mainMode(a, b *Host, p policy.MMProposal) (*mainModeSA, bool) {
	key := a.name + "\x00" + b.name
	n.saMu.Lock()
	defer n.saMu.Unlock()
	if sa := n.mmSAs[key]; sa != nil && !sa.expired {
		return sa, false
	}
	sa := &mainModeSA{id: n.nextSAIDLocked(), key: key, created: n.Now()}
	if n.mmSAs == nil {
		n.mmSAs = map[string]*mainModeSA{}
	}
	n.mmSAs[key] = sa
	if life := time.Duration(p.LifetimeSeconds) * time.Second; life > 0 {
		n.at(sa.created+life, timerSA, func() {
			n.saMu.Lock()
			sa.expired = true
			if n.mmSAs[key] == sa {
				delete(n.mmSAs, key)
			}
			n.saMu.Unlock()
			n.traceIPsec(a.defaultApp, fmt.Sprintf("%s ↔ %s: main-mode SA %d expired (lifetime %v)", a.name, b.name, sa.id, life))
		})
	}
	return sa, true
}

func (n *Network) nextSAID() uint64 {
	n.saMu.Lock()
	defer n.saMu.Unlock()
	return n.nextSAIDLocked()
}

func (n *Network) nextSAIDLocked() uint64 {
	n.saSeq++
	return n.saSeq
}

// lifetimeEnded rekeys the quick-mode SA when its lifetime in seconds runs out.
func (sc *secureConn) lifetimeEnded() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.closed || sc.qmID == 0 {
		return
	}
	sc.rekey(fmt.Sprintf("lifetime of %v reached", time.Duration(sc.outcome.QuickMode.LifetimeSeconds)*time.Second))
}

// rekey replaces the quick-mode SA; sc.mu is held.
func (sc *secureConn) rekey(why string) {
	old := sc.qmID
	sc.rekeys++
	sc.establish(fmt.Sprintf("rekeyed quick-mode SA %d (%s)", old, why))
}

// idleCheck deletes the quick-mode SA when no traffic used it for the idle time-out, or looks
// again when traffic came since.
func (sc *secureConn) idleCheck() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.idleTimer = nil
	if sc.closed || sc.qmID == 0 {
		return
	}
	idle := sc.idleTimeout()
	now := sc.net.Now()
	if due := sc.lastUse + idle; due > now {
		sc.idleTimer = sc.net.at(due, timerSA, sc.idleCheck)
		return
	}
	old := sc.qmID
	sc.qmID = 0
	sc.qmTimer.stop()
	sc.net.traceIPsec(sc.initApp, fmt.Sprintf("%s quick-mode SA %d deleted after %v idle; the next packet renegotiates", sc.label, old, idle))
}

// use records traffic of size bytes on the connection: it keeps the SA from idling out,
// renegotiates one that did, and rekeys when the byte lifetime is spent.
func (sc *secureConn) use(bytes int) {
	if sc == nil || !sc.secured() {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.closed {
		return
	}
	if sc.qmID == 0 {
		sc.establish("renegotiated after idle")
		if idle := sc.idleTimeout(); idle > 0 && sc.idleTimer == nil {
			sc.idleTimer = sc.net.at(sc.net.Now()+idle, timerSA, sc.idleCheck)
		}
	}
	sc.lastUse = sc.net.Now()
	sc.bytes += uint64(bytes)
	if kb := uint64(sc.outcome.QuickMode.LifetimeKilobytes); kb > 0 && sc.bytes >= kb*1024 {
		sc.rekey(fmt.Sprintf("%d KB lifetime reached", kb))
	}
}

// close ends the connection's protection: closesocket removes the socket's filters, and its SAs
// are no longer kept alive or rekeyed.
func (sc *secureConn) close() {
	if sc == nil {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.closed {
		return
	}
	sc.closed = true
	sc.qmTimer.stop()
	sc.idleTimer.stop()
}

// info fills a SOCKET_SECURITY_QUERY_INFO for the end that is (or is not) the initiator.
func (sc *secureConn) info(q *policy.QueryInfo, initiator bool) {
	if sc == nil {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if !sc.secured() {
		q.NegotiationWinerr = uint32(sc.failure.Code)
		return
	}
	q.Flags |= policy.InfoConnectionSecured
	if sc.outcome.Encrypted() {
		q.Flags |= policy.InfoConnectionEncrypted
	}
	if !initiator && sc.outcome.InitiatorUser != nil {
		q.Flags |= policy.InfoConnectionImpersonated
	}
	if sc.mm != nil {
		q.MmSaID = sc.mm.id
	}
	q.QmSaID = sc.qmID
	// The lookup context is opaque on Windows; here it carries both SA ids, so it is unique
	// and stable for a given pair of SAs.
	q.SaLookupContext = policy.GUID{Data1: uint32(q.MmSaID), Data2: uint16(q.MmSaID >> 32), Data3: uint16(q.MmSaID >> 48)}
	binary.LittleEndian.PutUint64(q.SaLookupContext.Data4[:], q.QmSaID)
}

// peerIdentity is who the peer of the end that is (or is not) the initiator authenticated as:
// its user when extended mode authenticated one, else its machine.
func (sc *secureConn) peerIdentity(initiator bool) (machine ipsec.Identity, user *ipsec.Identity) {
	if initiator {
		return sc.outcome.ResponderMachine, nil
	}
	return sc.outcome.InitiatorMachine, sc.outcome.InitiatorUser
}

// traceIPsec reports something the network did on its own (an SA made, rekeyed or expired) as
// an event of application a, function "IPsec".
func (n *Network) traceIPsec(a *App, note string) {
	n.emit(func(seq uint64, structured bool) Event {
		e := Event{Seq: seq, App: a.Label(), Thread: 1, Func: "IPsec", Handle: INVALID_SOCKET}
		if !structured {
			e.Note = note
		}
		return e
	})
}

// roleName is how explanations name an end: its role and its host ("client pc1"), or the role
// alone when the host is named after it.
func roleName(role string, h *Host) string {
	if strings.EqualFold(role, h.name) {
		return role
	}
	return role + " " + h.name
}

// securityWith returns what negotiation left on the socket's traffic with a peer: the TCP
// connection's, or for UDP the one with peer; s.mu is held.
func (s *Socket) securityWith(peer sockaddr.Addr) (*secureConn, bool) {
	if s.isDgram() {
		return s.app.host.net.udpSecurityOf(s, peer)
	}
	x := s.extra
	if x == nil {
		return nil, false
	}
	if s.isStream() {
		return x.conn, x.initiator
	}
	return s.app.host.net.udpSecurityOf(s, peer)
}

// udpKey names one UDP socket's traffic with one peer (the peer's address unmapped, so that a
// dual-stack socket's ::ffff:10.0.0.1 and 10.0.0.1 are the same peer).
type udpKey struct {
	s    *Socket
	peer peerKey
}

func udpKeyOf(s *Socket, peer sockaddr.Addr) udpKey {
	return udpKey{s: s, peer: peerKey{ip: peer.IP.Unmap().WithZone(""), port: peer.Port}}
}

func (n *Network) udpSecurityOf(s *Socket, peer sockaddr.Addr) (*secureConn, bool) {
	n.saMu.Lock()
	defer n.saMu.Unlock()
	u, ok := n.udpSec[udpKeyOf(s, peer)]
	if !ok {
		return nil, false
	}
	return u.conn, u.initiator
}

func (n *Network) storeUDPSecurity(k udpKey, u udpSecurity) {
	n.saMu.Lock()
	defer n.saMu.Unlock()
	if n.udpSec == nil {
		n.udpSec = map[udpKey]udpSecurity{}
	}
	if old, ok := n.udpSec[k]; ok && old.conn != u.conn {
		old.conn.close()
	}
	n.udpSec[k] = u
	k.s.udpSecured.Store(true)
}

// dropUDPSecurity forgets a closing socket's per-peer protection — its own entries and its
// peers' entries for it, so that a later socket on the same port negotiates afresh — and stops
// the SAs' timers.
func (n *Network) dropUDPSecurity(s *Socket) {
	if !s.udpSecured.Load() {
		return
	}
	n.saMu.Lock()
	gone := map[*secureConn]bool{}
	for k, u := range n.udpSec {
		if k.s == s {
			gone[u.conn] = true
		}
	}
	var conns []*secureConn
	for k, u := range n.udpSec {
		if gone[u.conn] {
			delete(n.udpSec, k)
		}
	}
	for c := range gone {
		conns = append(conns, c)
	}
	n.saMu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// secureDatagram runs IPsec for a datagram from s (s.mu held) to dst, received by r (nil when
// nothing receives there), leaving src: it reports whether the datagram may flow, and records
// the negotiation's result for both sockets the first time.
func (s *Socket) secureDatagram(c *call, r *Socket, src, dst sockaddr.Addr) bool {
	n := s.app.host.net
	if conn, _ := n.udpSecurityOf(s, dst); conn != nil {
		// Negotiated already, whichever end started it: a reply uses the same SA.
		conn.use(int(c.outValue))
		return true
	}
	init := sideOf(s, ports.UDP, dst.Port, roleName("sender", s.app.host))
	if names := s.namesOf(); names != nil {
		if ptn, ok := names.udp[keyOf(dst)]; ok {
			init.peer.TargetName = ptn.Name
		}
	}
	if r == nil {
		if init.wants {
			c.reason = "main mode failed: no response from " + dst.String() + "; nothing receives there, so AuthIP gets no answer"
		}
		return true // lost either way
	}
	resp := sideOf(r, ports.UDP, dst.Port, roleName("receiver", r.app.host))
	o, f, flows := negotiate(init, resp)
	if f != nil {
		c.reason = f.Error()
	}
	if !flows {
		return false // dropped; the next datagram negotiates again
	}
	if init.wants || resp.wants {
		sc := n.newSecureConn(init, s.app, r.app, o, f, src.String()+" → "+dst.String())
		n.storeUDPSecurity(udpKeyOf(s, dst), udpSecurity{conn: sc, initiator: true})
		n.storeUDPSecurity(udpKeyOf(r, src), udpSecurity{conn: sc})
	}
	return true
}
