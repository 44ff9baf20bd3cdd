package sim_test

// The IPsec half of the state-machine test (issue 4): random credentials, connection-security
// rules and settings on the hosts, and a reference model of negotiation with the default policy,
// written from the WSASetSocketSecurity page, the default policy and rulings R14, R17 and R18
// rather than from package ipsec, which it never calls. It predicts whether a connection or a
// datagram between two hosts is secured, runs in the clear, or is refused (CONNECT-NEGOTIATION,
// or a dropped datagram), and what WSAQuerySocketSecurity, WSAImpersonateSocketPeer and
// GetUserName say afterwards, while the virtual clock moves SAs through their idle time-outs
// and rekeys.
//
// The model of negotiation, for traffic between two different hosts:
//
//   - An end wants IPsec when its socket called WSASetSocketSecurity without
//     SKIP_FILTER_INSTANTIATION (clear text acceptable iff ALLOW_INSECURE), or else when its
//     host has a connection-security rule for the protocol and service port (acceptable iff the
//     rule is request=, and the rule brings the default policy without the socket's flags).
//   - Nobody wants: clear text, nothing negotiated. One end wants: the negotiation fails (no
//     response from a responder without policy; clear text refused by a responder that
//     requires IPsec).
//   - Both want: extended mode authenticates with a certificate when both machines have one,
//     else with Kerberos when the initiator's domain (its explicit credentials' domain, if any)
//     is the responder's; otherwise it fails. A peer target name set by the initiator must then
//     name the responder as it authenticated (host/NAME, host/NAME.DOMAIN, DOMAIN\NAME$; the
//     certificate's subject with or without CN=), unless OPTIONAL_PEER_NAME_VERIFICATION.
//   - Success: SECURED; ENCRYPTED iff either end set GUARANTEE_ENCRYPTION (the default quick
//     mode's first proposal authenticates only); the responder's peer is the initiator's user
//     (and IMPERSONATED is set) only when Kerberos ran with explicit credentials.
//   - Failure: the traffic flows in the clear iff every end that wants IPsec allows clear text;
//     otherwise a connect fails with CONNECT-NEGOTIATION after 21 s and a datagram is dropped.
//
// Properties checked besides the exact predictions:
//
//  7. WSAQuerySocketSecurity reports SECURED only for traffic the model negotiated, ENCRYPTED only
//     with SECURED and a cipher, Flags 0 for clear text, and clear text between hosts only when
//     every end that wanted IPsec allowed it; both ends of a connection report the same SAs, and
//     an SA id changes only when the model rekeyed or renegotiated it.
//  8. Impersonation belongs to one thread: WSAImpersonateSocketPeer changes only the calling
//     thread, a failed one changes nothing, and after WSARevertImpersonation GetUserName gives the
//     application's own account again.
//  9. Peer tokens are handles the application must close: App.OpenTokens counts those not closed.
// 10. The explicit credentials' password never appears in a trace.

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sim/ipsec"
	"github.com/wsssim/wsssim/sim/ports"
	"github.com/wsssim/wsssim/sockaddr"
)

const (
	// smPassword is the explicit credentials' password; property 10 looks for it in traces.
	smPassword = "Tr0ub4dor-smPassword"
	// smNegotiationTimeout is how long a connect whose negotiation fails waits (ruling R18).
	smNegotiationTimeout = 21 * time.Second
	// smQMLifetime is the default quick-mode proposals' lifetime; their kilobyte lifetime (55 GB)
	// is never reached by 8-byte datagrams.
	smQMLifetime = time.Hour
	// The default policy's idle time-outs of a quick-mode SA: normal, and when either host is in
	// a fail-over cluster.
	smIdle         = 5 * time.Minute
	smIdleFailOver = time.Minute
)

// smRuleChoices are the connection-security rules a host may have; most have none.
var smRuleChoices = [][]sim.ConnectionRule{
	nil, nil, nil, nil,
	{{Proto: ports.TCP, Port: 80, Mode: sim.Require}},
	{{Proto: ports.TCP, Port: 80, Mode: sim.Request}},
	{{Proto: ports.UDP, Port: 81, Mode: sim.Require}},
	{{Proto: ports.TCP, Port: 81, Mode: sim.Request}, {Proto: ports.UDP, Port: 80, Mode: sim.Request}},
}

// drawHostIPsec draws a host's credentials (domain CORP, EAST or none; a certificate or not),
// its connection-security rules and whether it is in a fail-over cluster.
func drawHostIPsec(t *rapid.T, name string) (ipsec.Credentials, []sim.ConnectionRule, bool) {
	var c ipsec.Credentials
	c.Domain = rapid.SampledFrom([]string{"CORP", "CORP", "EAST", ""}).Draw(t, "domain_"+name)
	if rapid.Bool().Draw(t, "certificate_"+name) {
		c.Certificate = "CN=" + name
	}
	rules := rapid.SampledFrom(smRuleChoices).Draw(t, "rules_"+name)
	failOver := rapid.IntRange(0, 3).Draw(t, "failOver_"+name) == 0
	return c, rules, failOver
}

// smTargetNames are the peer target names the test sets: right for some responders and
// credentials, wrong for others.
var smTargetNames = func() []string {
	var out []string
	for _, h := range []string{"a", "b", "c"} {
		out = append(out, "host/"+h, "host/"+h+".corp", "host/"+h+".east", "CN="+h, h, `CORP\`+strings.ToUpper(h)+"$")
	}
	return out
}()

// ---------------------------------------------------------------------------------------------
// Sides and negotiation

// smSide is one end's part in a negotiation, as the model sees it.
type smSide struct {
	host     *smHost
	wants    bool
	allow    bool // clear text is acceptable when negotiation fails
	encrypt  bool // GUARANTEE_ENCRYPTION
	optional bool // OPTIONAL_PEER_NAME_VERIFICATION
	explicit *[2]string
}

// side is socket m's end of traffic on the service port port.
func (w *smWorld) side(m *smSock, proto ports.Proto, port uint16) smSide {
	d := smSide{host: m.app.host}
	st := m.settings
	skip := st != nil && st.IPsec != nil && st.IPsec.Flags&policy.IPsecSkipFilterInstantiation != 0
	if m.secured && !skip {
		d.wants = true
		d.allow = st != nil && st.Flags&policy.SettingsAllowInsecure != 0
	}
	if !d.wants {
		for _, r := range m.app.host.rules {
			if r.Proto == proto && r.Port == port {
				d.wants, d.allow = true, r.Mode == sim.Request
				st = nil // a rule negotiates with the default policy and no socket flags
			}
		}
	}
	if m.secured && st != nil {
		d.encrypt = st.Flags&policy.SettingsGuaranteeEncryption != 0
		if st.IPsec != nil {
			d.optional = st.IPsec.Flags&policy.IPsecOptionalPeerNameVerification != 0
			if st.IPsec.UserName != "" || st.IPsec.DomainName != "" {
				d.explicit = &[2]string{st.IPsec.UserName, st.IPsec.DomainName}
			}
		}
	}
	return d
}

// smNeg is the model's outcome of a negotiation.
type smNeg struct {
	flows  bool
	reason string // how the explanation of a failure starts; "" when nothing failed
	sa     *smSA  // nil when nobody asked for IPsec, or when the traffic does not flow
}

// machineName is how a Kerberos-authenticated machine is named: DOMAIN\HOST$.
func machineName(domain, host string) string {
	if domain == "" {
		return strings.ToUpper(host) + "$"
	}
	return domain + `\` + strings.ToUpper(host) + "$"
}

// negotiate predicts IPsec between an initiator and a responder on different hosts; target is
// the initiator's peer target name ("" = none).
func (w *smWorld) negotiate(init, resp smSide, target string) smNeg {
	if !init.wants && !resp.wants {
		return smNeg{flows: true}
	}
	sa := &smSA{idle: smIdle, sides: [2]smSide{init, resp}}
	if init.host.failOver || resp.host.failOver {
		sa.idle = smIdleFailOver
	}
	var reason string
	switch {
	case !resp.wants:
		reason, sa.codes = "main mode failed: no response from", []errors.Errno{errors.ERROR_IPSEC_IKE_DROP_NO_RESPONSE}
	case !init.wants:
		reason, sa.codes = "negotiation failed: ", []errors.Errno{errors.ERROR_IPSEC_IKE_NO_POLICY}
	default:
		ic, rc := init.host.creds, resp.host.creds
		kerberosDomain := ic.Domain
		if init.explicit != nil {
			kerberosDomain = init.explicit[1]
		}
		var names []string
		switch {
		case ic.Certificate != "" && rc.Certificate != "": // SSL comes first in the default EM list
			sa.initMachine, sa.respMachine = ic.Certificate, rc.Certificate
			names = []string{rc.Certificate, strings.TrimPrefix(rc.Certificate, "CN=")}
		case kerberosDomain != "" && strings.EqualFold(kerberosDomain, rc.Domain):
			sa.initMachine, sa.respMachine = machineName(ic.Domain, init.host.name), machineName(rc.Domain, resp.host.name)
			names = []string{"host/" + resp.host.name, "host/" + resp.host.name + "." + strings.ToLower(rc.Domain), sa.respMachine}
			if init.explicit != nil {
				sa.user = init.explicit[1] + `\` + init.explicit[0]
			}
		default:
			reason = "extended mode failed: no common authentication method"
			sa.codes = []errors.Errno{errors.ERROR_IPSEC_IKE_KERBEROS_ERROR, errors.ERROR_IPSEC_IKE_NO_CERT, errors.ERROR_IPSEC_IKE_AUTH_FAIL}
		}
		if reason == "" && target != "" && !init.optional && !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, target) }) {
			reason, sa.codes = "extended mode failed: peer name mismatch", []errors.Errno{errors.ERROR_IPSEC_IKE_AUTH_FAIL}
			smCount("~ negotiation failed: peer name mismatch")
		}
		if reason == "" {
			sa.secured, sa.encrypted = true, init.encrypt || resp.encrypt
			sa.alive, sa.created, sa.lastUse, sa.gen = true, w.now, w.now, 1
			w.conns = append(w.conns, sa)
			switch {
			case target != "" && init.optional:
				smCount("~ negotiated: peer name not verified (optional)")
			case target != "":
				smCount("~ negotiated: peer name verified")
			}
			if sa.user != "" {
				smCount("~ negotiated: with explicit credentials")
			}
			return smNeg{flows: true, sa: sa}
		}
	}
	flows := (!init.wants || init.allow) && (!resp.wants || resp.allow)
	if !flows {
		return smNeg{reason: reason}
	}
	sa.clear = true
	smCount("~ negotiation failed: in the clear (ALLOW_INSECURE)")
	return smNeg{flows: true, reason: reason, sa: sa}
}

// ---------------------------------------------------------------------------------------------
// Security associations on the virtual clock

// smSA is what a negotiation left on a TCP connection or a pair of UDP endpoints: secured (with
// its quick-mode SA's life on the clock), or in the clear after a failure.
type smSA struct {
	secured, clear, encrypted bool
	codes                     []errors.Errno // the IKE errors a failure may report
	initMachine, respMachine  string         // who each machine authenticated as
	user                      string         // the initiator's user, when extended mode authenticated one
	sides                     [2]smSide      // the initiator's and the responder's, as they were

	idle      time.Duration
	closed    bool // an end closed: the SAs are no longer kept alive or rekeyed
	alive     bool // the quick-mode SA exists (it is deleted after the idle time-out)
	created   time.Duration
	lastUse   time.Duration
	gen       int  // how many quick-mode SAs it has had
	uncertain bool // an idle time-out and a rekey fell due together: which ran first is not modelled

	seenGen        int // the generation when an IPSEC2 query last saw the SA ids
	seenMM, seenQM uint64
}

// runUntil moves the SA's life to virtual time T: a quick-mode SA unused for the idle time-out
// is deleted; one that reaches its lifetime is rekeyed (a new SA, counted as used now).
func (s *smSA) runUntil(T time.Duration) {
	for s.secured && !s.closed && s.alive {
		idleAt, rekeyAt := s.lastUse+s.idle, s.created+smQMLifetime
		if min(idleAt, rekeyAt) > T {
			return
		}
		if idleAt == rekeyAt {
			s.uncertain = true
		}
		if idleAt <= rekeyAt {
			s.alive = false
			return
		}
		s.created, s.lastUse = rekeyAt, rekeyAt
		s.gen++
	}
}

// use records traffic at now: an idle-deleted SA is negotiated again.
func (s *smSA) use(now time.Duration) {
	if s == nil || !s.secured || s.closed {
		return
	}
	if !s.alive {
		s.alive, s.created = true, now
		s.gen++
		smCount("~ quick-mode SA renegotiated after idle")
	}
	s.lastUse = now
}

func (s *smSA) close() {
	if s != nil {
		s.closed = true
	}
}

// peerOf is who the end that is (or is not) the initiator sees as its peer: the responder's
// machine, or the initiator's user (else machine).
func (s *smSA) peerOf(initiator bool) string {
	switch {
	case initiator:
		return s.respMachine
	case s.user != "":
		return s.user
	}
	return s.initMachine
}

// advanceTo moves the model's clock to T: connection attempts due by then reach their sockets,
// and SAs idle out or rekey.
func (w *smWorld) advanceTo(T time.Duration) {
	slices.SortStableFunc(w.attempts, func(x, y *smAttempt) int { return cmp.Compare(x.due, y.due) })
	keep := w.attempts[:0]
	for _, at := range w.attempts {
		if at.due <= T {
			w.fire(at)
		} else {
			keep = append(keep, at)
		}
	}
	clear(w.attempts[len(keep):])
	w.attempts = keep
	live := w.conns[:0]
	for _, sa := range w.conns {
		sa.runUntil(T)
		if !sa.closed {
			live = append(live, sa)
		}
	}
	clear(w.conns[len(live):])
	w.conns = live
	w.now = T
}

// ---------------------------------------------------------------------------------------------
// UDP: protection per socket and peer

// smUDPKey names one UDP socket's traffic with one peer (its address unmapped).
type smUDPKey struct {
	s    *smSock
	peer sockaddr.Addr
}

type smUDPSec struct {
	sa        *smSA
	initiator bool
}

func udpKey(s *smSock, a sockaddr.Addr) smUDPKey {
	return smUDPKey{s: s, peer: sockaddr.Addr{IP: a.IP.Unmap().WithZone(""), Port: a.Port}}
}

func (w *smWorld) storeUDP(k smUDPKey, u smUDPSec) {
	if old, ok := w.udp[k]; ok && old.sa != u.sa {
		old.sa.close()
	}
	w.udp[k] = u
}

// dropUDP forgets a closing socket's protection with its peers, and their protection with it.
func (w *smWorld) dropUDP(m *smSock) {
	ended := map[*smSA]bool{}
	for k, u := range w.udp {
		if k.s == m {
			u.sa.close()
			ended[u.sa] = true
			delete(w.udp, k)
		}
	}
	for k, u := range w.udp {
		if ended[u.sa] {
			delete(w.udp, k)
		}
	}
}

// secureDatagram predicts IPsec for a datagram from m (leaving src) to dst, which r receives
// (nil: nobody), between two hosts. It returns who receives it and the start of the failure's
// explanation, if one failed.
func (w *smWorld) secureDatagram(m, r *smSock, src, dst sockaddr.Addr) (*smSock, string) {
	if u, ok := w.udp[udpKey(m, dst)]; ok {
		if !u.initiator {
			smCount("~ datagram back to the initiator on its SA")
		}
		u.sa.use(w.now)
		return r, ""
	}
	init := w.side(m, ports.UDP, dst.Port)
	if r == nil {
		if init.wants {
			return nil, "main mode failed: no response from"
		}
		return nil, ""
	}
	neg := w.negotiate(init, w.side(r, ports.UDP, dst.Port), "")
	if !neg.flows {
		smCount("~ datagram dropped: negotiation failed")
		return nil, neg.reason
	}
	if neg.sa != nil {
		w.storeUDP(udpKey(m, dst), smUDPSec{sa: neg.sa, initiator: true})
		w.storeUDP(udpKey(r, src), smUDPSec{sa: neg.sa})
		if neg.sa.secured {
			smCount("~ datagram secured")
		}
	}
	return r, neg.reason
}

// security is what protects m's traffic with peer (a UDP socket) or its connection (TCP).
func (w *smWorld) security(m *smSock, peer sockaddr.Addr) (*smSA, bool) {
	if m.dgram() {
		u := w.udp[udpKey(m, peer)]
		return u.sa, u.initiator
	}
	return m.sa, m.initiator
}

func (w *smWorld) hasUDPSec(m *smSock) bool {
	for k := range w.udp {
		if k.s == m {
			return true
		}
	}
	return false
}

// drawUDPPeer picks, as socket m writes addresses, mostly a peer m has negotiated with,
// sometimes another address.
func (w *smWorld) drawUDPPeer(t *rapid.T, m *smSock) sockaddr.Addr {
	var peers []sockaddr.Addr
	for k := range w.udp {
		if k.s == m {
			peers = append(peers, sockaddr.From(k.peer.IP, k.peer.Port))
		}
	}
	slices.SortFunc(peers, func(x, y sockaddr.Addr) int { return strings.Compare(x.String(), y.String()) })
	if len(peers) > 0 && smVariant(t, "otherPeer", 1, 6) == 0 {
		return asSeenBy(m.family, rapid.SampledFrom(peers).Draw(t, "udpPeer"))
	}
	return w.drawAddr(t, m.app, m.family, sim.SOCK_DGRAM, false)
}

// ---------------------------------------------------------------------------------------------
// Threads and identities

// smThread is one thread of an application and the identity the model says it impersonates.
type smThread struct {
	th  *sim.Thread
	id  int
	imp string // "" = its application's own account
}

func (w *smWorld) drawThread(t *rapid.T, a *smApp) *smThread {
	return a.threads[rapid.IntRange(0, len(a.threads)-1).Draw(t, "thread")]
}

// identity is the application's account as GetUserName writes it.
func (a *smApp) identity() string {
	if strings.EqualFold(a.user, "SYSTEM") {
		return `NT AUTHORITY\SYSTEM`
	}
	domain := a.host.creds.Domain
	if domain == "" {
		domain = strings.ToUpper(a.host.name)
	}
	return domain + `\` + a.user
}

// checkThreads compares every thread's impersonation with the model (property 8).
func (w *smWorld) checkThreads(t *rapid.T, a *smApp) {
	for _, x := range a.threads {
		id, ok := x.th.Impersonating()
		if ok != (x.imp != "") || (ok && id.String() != x.imp) {
			t.Fatalf("%s thread %d impersonates %v (%v), model %q", a.label, x.id, id, ok, x.imp)
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Actions

func (w *smWorld) actSetPeerTargetName(t *rapid.T) {
	a, h := w.drawTarget(t, func(m *smSock) bool { return m.stream() && m.inet() && !m.connected && !m.connecting })
	name := rapid.SampledFrom(smTargetNames).Draw(t, "targetName")
	proto := rapid.SampledFrom([]policy.Protocol{policy.ProtocolIPsec, policy.ProtocolIPsec2, policy.ProtocolDefault}).Draw(t, "ptnProtocol")
	w.doSetPeerTargetName(t, a, h, name, proto)
}

// doSetPeerTargetName calls WSASetSocketPeerTargetName with a TCP socket's name (PeerAddress
// left zero) and checks it.
func (w *smWorld) doSetPeerTargetName(t *rapid.T, a *smApp, h sim.Handle, name string, proto policy.Protocol) {
	buf := policy.PeerTargetName{Protocol: proto, Name: name}.Encode()
	m, want := common(a, h)
	if want == "" {
		switch {
		case !m.inet() || !(m.stream() || m.dgram()):
			want = "SEC-FAMILY-TYPE"
		case m.state() == sim.StateConnected:
			want = "SETPTN-ISCONN"
		case m.state() == sim.StateConnecting:
			want = "SETPTN-CONNECTING"
		case m.dgram():
			want = "SETPTN-ZERO-PEER" // the name is for a TCP socket: PeerAddress is left zero
		}
	}
	_, n0 := w.tr.take()
	err := a.th.WSASetSocketPeerTargetName(h, buf, uint32(len(buf)), nil, nil)
	got := w.result(t, "WSASetSocketPeerTargetName", a, h, err, n0)
	expect(t, "WSASetSocketPeerTargetName", m, got, want)
	if got == "" {
		m.ptn = name
	}
}

// actQuery calls WSAQuerySocketSecurity, mostly on a connected TCP socket or on a UDP socket
// for a peer it negotiated with, and checks the answer against the model (property 7).
func (w *smWorld) actQuery(t *rapid.T) {
	a, h := w.drawTarget(t, func(m *smSock) bool { return (m.stream() && m.connected) || (m.dgram() && w.hasUDPSec(m)) })
	x := w.drawThread(t, a)
	m0 := a.open(h)
	var peer sockaddr.Addr
	if m0 != nil && m0.dgram() {
		peer = w.drawUDPPeer(t, m0)
	}
	kind := rapid.IntRange(0, 3).Draw(t, "template")
	infoLen := uint32(policy.SizeofQueryInfoIPsec2)
	if smVariant(t, "infoShort", 1, 8) == 1 {
		infoLen = 16
	}
	w.doQuery(t, a, x, h, peer, kind, infoLen)
}

// doQuery calls WSAQuerySocketSecurity on thread x with no template (kind 0), an IPSEC2 one
// (1), an IPSEC2 one asking for tokens (2) or an IPSEC one asking for tokens (3), naming peer
// (for UDP), and an output buffer of infoLen bytes, and checks it.
func (w *smWorld) doQuery(t *rapid.T, a *smApp, x *smThread, h sim.Handle, peer sockaddr.Addr, kind int, infoLen uint32) {
	var tq policy.QueryTemplate
	var tmpl []byte
	need := uint32(policy.SizeofQueryInfo)
	switch kind {
	case 1, 2:
		tq = policy.QueryTemplate{Protocol: policy.ProtocolIPsec2, IPsec2: true, PeerAddress: peer}
		need = policy.SizeofQueryInfoIPsec2
	case 3:
		tq = policy.QueryTemplate{Protocol: policy.ProtocolIPsec, PeerAddress: peer}
	}
	if kind >= 2 {
		tq.PeerTokenAccessMask = 0x8 // TOKEN_QUERY
	}
	if kind > 0 {
		tmpl = tq.Encode()
	}
	info := make([]byte, policy.SizeofQueryInfoIPsec2)
	m, want := common(a, h)
	if want == "" {
		switch {
		case !m.inet() || !(m.stream() || m.dgram()):
			want = "SEC-FAMILY-TYPE"
		case m.stream() && m.state() != sim.StateConnected:
			want = "QUERYSEC-NOTCONN"
		case m.dgram() && tmpl == nil:
			want = "QUERYSEC-NO-TEMPLATE"
		case m.dgram() && peer.Family != sockaddr.AF_UNSPEC && int32(peer.Family) != m.family:
			want = "QUERYSEC-PEER-FAMILY"
		case m.dgram() && (peer.Family == sockaddr.AF_UNSPEC || peer.IsWildcard() || peer.Port == 0):
			want = "QUERYSEC-PEER-UNSET"
		case infoLen < need && tmpl == nil:
			want = "QUERYSEC-INFO-SMALL-NULL-TEMPLATE"
		case infoLen < need:
			want = "QUERYSEC-INFO-SMALL"
		}
	}
	_, n0 := w.tr.take()
	err := x.th.WSAQuerySocketSecurity(h, tmpl, uint32(len(tmpl)), info, &infoLen, nil, nil)
	got := w.resultOn(t, "WSAQuerySocketSecurity", a, x.id, h, err, n0)
	expect(t, "WSAQuerySocketSecurity", m, got, want)
	if got == "QUERYSEC-INFO-SMALL" || got == "QUERYSEC-INFO-SMALL-NULL-TEMPLATE" {
		if infoLen != need {
			t.Fatalf("WSAQuerySocketSecurity on %v: *SecurityQueryInfoLen = %d after %s, want %d", m, infoLen, got, need)
		}
		return
	}
	if got != "" {
		return
	}
	if infoLen != need {
		t.Fatalf("WSAQuerySocketSecurity on %v wrote %d bytes, want %d", m, infoLen, need)
	}
	q, _ := policy.DecodeQueryInfo(info[:infoLen])
	w.checkQuery(t, m, peer, tq, kind > 0, q)
}

func (w *smWorld) checkQuery(t *rapid.T, m *smSock, peer sockaddr.Addr, tq policy.QueryTemplate, hasTemplate bool, q policy.QueryInfo) {
	sa, initiator := w.security(m, peer)
	bad := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("WSAQuerySocketSecurity on %v (peer %v): "+format+"\nmodel: %+v initiator=%v", append(append([]any{m, peer}, args...), sa, initiator)...)
	}
	wantProto := policy.ProtocolDefault
	if hasTemplate {
		wantProto = tq.Protocol
	}
	if q.Protocol != wantProto {
		bad("protocol %v, want %v", q.Protocol, wantProto)
	}
	secured := sa != nil && sa.secured
	var want policy.InfoFlags
	if secured {
		want = policy.InfoConnectionSecured
		if sa.encrypted {
			want |= policy.InfoConnectionEncrypted
		}
		if !initiator && sa.user != "" {
			want |= policy.InfoConnectionImpersonated
		}
	}
	// Property 7, in its own words before the exact comparison.
	switch {
	case q.Flags&policy.InfoConnectionSecured != 0 && !secured:
		bad("SECURED, but the model negotiated nothing")
	case q.Flags&policy.InfoConnectionEncrypted != 0 && (q.Flags&policy.InfoConnectionSecured == 0 || !sa.encrypted):
		bad("ENCRYPTED (flags %#x) without a cipher negotiated", uint32(q.Flags))
	case q.Flags == 0 && sa != nil && !sa.clear:
		bad("clear text, but the model negotiated")
	case q.Flags == 0 && sa != nil && ((sa.sides[0].wants && !sa.sides[0].allow) || (sa.sides[1].wants && !sa.sides[1].allow)):
		bad("clear text, but an end that asked for IPsec (%+v, %+v) did not allow it", sa.sides[0], sa.sides[1])
	case q.Flags != want:
		bad("flags %#x, model %#x", uint32(q.Flags), uint32(want))
	}
	if cross := sa != nil; cross && sa.clear {
		smCount("~ query: clear text after a failed negotiation")
	}
	switch {
	case q.Flags&policy.InfoConnectionImpersonated != 0:
		smCount("~ query: SECURED|IMPERSONATED")
	case q.Flags&policy.InfoConnectionEncrypted != 0:
		smCount("~ query: SECURED|ENCRYPTED")
	case q.Flags&policy.InfoConnectionSecured != 0:
		smCount("~ query: SECURED")
	}

	// Tokens: a secured connection hands out the peer machine's token, and the peer user's when
	// extended mode authenticated one, if the template asks for any.
	a := m.app
	for _, tok := range []struct {
		name string
		h    uint64
		want bool
	}{
		{"PeerMachineAccessTokenHandle", q.PeerMachineAccessTokenHandle, secured && tq.PeerTokenAccessMask != 0},
		{"PeerApplicationAccessTokenHandle", q.PeerApplicationAccessTokenHandle, secured && tq.PeerTokenAccessMask != 0 && !initiator && sa.user != ""},
	} {
		switch {
		case (tok.h != 0) != tok.want:
			bad("%s = %#x, model expects one: %v", tok.name, tok.h, tok.want)
		case tok.h == 0:
		case tok.h%4 != 0 || a.tokens[tok.h] || uint64(sim.Handle(tok.h)) != tok.h:
			bad("%s = %#x: not a new handle", tok.name, tok.h)
		default:
			a.tokens[tok.h] = true
			a.tokenOrder = append(a.tokenOrder, tok.h)
			smCount("~ query: token " + tok.name)
		}
	}

	if !q.IPsec2 {
		return
	}
	switch {
	case !secured && (q.MmSaID != 0 || q.QmSaID != 0 || q.SaLookupContext != (policy.GUID{})):
		bad("SA ids %d/%d on traffic that is not secured", q.MmSaID, q.QmSaID)
	case sa == nil && q.NegotiationWinerr != 0:
		bad("NegotiationWinerr %d, but nothing was negotiated", q.NegotiationWinerr)
	case sa != nil && sa.clear && !slices.Contains(sa.codes, errors.Errno(q.NegotiationWinerr)):
		bad("NegotiationWinerr %d, model expects one of %v", q.NegotiationWinerr, sa.codes)
	case secured && q.NegotiationWinerr != 0:
		bad("NegotiationWinerr %d on a secured connection", q.NegotiationWinerr)
	case secured && q.MmSaID == 0:
		bad("secured without a main-mode SA id")
	}
	if !secured || sa.uncertain {
		return
	}
	// The quick-mode SA exists unless it idled out; its ids change only with a new SA.
	switch {
	case (q.QmSaID != 0) != sa.alive:
		bad("quick-mode SA id %d at %v, model says the SA exists: %v (last used %v, idle time-out %v, closed %v)",
			q.QmSaID, w.now, sa.alive, sa.lastUse, sa.idle, sa.closed)
	case sa.seenGen == sa.gen && q.MmSaID != sa.seenMM:
		bad("main-mode SA id %d, was %d with the same quick-mode SA", q.MmSaID, sa.seenMM)
	case sa.seenGen == sa.gen && sa.alive && q.QmSaID != sa.seenQM:
		bad("quick-mode SA id %d, was %d, and the model made no new SA", q.QmSaID, sa.seenQM)
	case sa.seenGen != 0 && sa.seenGen != sa.gen && sa.alive && q.QmSaID <= sa.seenQM:
		bad("quick-mode SA id %d after a new SA, was %d", q.QmSaID, sa.seenQM)
	}
	if sa.seenGen != 0 && sa.seenGen != sa.gen {
		smCount("~ query: a new quick-mode SA since the last query")
	}
	if !sa.alive {
		smCount("~ query: quick-mode SA idled out")
	}
	if sa.alive {
		sa.seenGen, sa.seenMM, sa.seenQM = sa.gen, q.MmSaID, q.QmSaID
	}
}

// actImpersonate calls WSAImpersonateSocketPeer on one of the application's threads and checks
// that only that thread changed, and only on success (property 8).
func (w *smWorld) actImpersonate(t *rapid.T) {
	a, h := w.drawTarget(t, func(m *smSock) bool {
		return (m.stream() && m.connected && m.sa != nil) || (m.dgram() && w.hasUDPSec(m))
	})
	x := w.drawThread(t, a)
	m0 := a.open(h)
	var peer sockaddr.Addr
	var buf []byte
	if m0 != nil && m0.dgram() {
		peer = w.drawUDPPeer(t, m0)
		buf = peer.Encode()
	} else if rapid.Bool().Draw(t, "tcpPeerAddr") {
		buf = sockaddr.From(smIP("10.0.0.9"), 80).Encode() // TCP ignores PeerAddr
	}
	n := uint32(len(buf))
	switch smVariant(t, "peerAddrShape", 4, 16) {
	case 1:
		buf, n = nil, 16
	case 2:
		if n > 0 {
			n--
		}
	case 3:
		switch {
		case m0 == nil || !m0.dgram() || !peer.IP.IsValid():
		case peer.Family == sockaddr.AF_INET6 && peer.IP.Unmap().Is4():
			buf = sockaddr.Addr{Family: sockaddr.AF_INET, IP: peer.IP.Unmap(), Port: peer.Port}.Encode()
		case peer.Family == sockaddr.AF_INET6:
			buf = sockaddr.From(smIP("10.0.0.2"), peer.Port).Encode()
		default:
			buf = sockaddr.Addr{Family: sockaddr.AF_INET6, IP: netip.AddrFrom16(peer.IP.As16()), Port: peer.Port}.Encode()
		}
		n = uint32(len(buf))
	case 4:
		n += 4 // longer than the buffer
	}
	var addr sockaddr.Addr
	short := false
	if buf != nil && int(n) <= len(buf) {
		f, ok := sockaddr.FamilyOf(buf[:n])
		need := uint32(sockaddr.SizeofSockaddr)
		if f == sockaddr.AF_INET6 {
			need = sockaddr.SizeofSockaddrInet6
		}
		short = !ok || n < need
		addr, _ = sockaddr.Decode(buf[:n])
	}
	m, want := common(a, h)
	var sa *smSA
	var initiator bool
	if want == "" {
		sa, initiator = w.security(m, addr)
		switch {
		case m.dgram() && buf == nil:
			want = "IMPERSONATE-NULL"
		case m.dgram() && int(n) > len(buf):
			want = "IMPERSONATE-FAULT"
		case !m.inet() || !(m.stream() || m.dgram()):
			want = "SEC-FAMILY-TYPE"
		case m.stream() && m.state() != sim.StateConnected:
			want = "IMPERSONATE-NOTCONN"
		case m.dgram() && short:
			want = "IMPERSONATE-LEN"
		case m.dgram() && int32(addr.Family) != m.family:
			want = "IMPERSONATE-FAMILY"
		case sa == nil || !sa.secured:
			want = "IMPERSONATE-NOT-SECURED"
		}
	}
	_, n0 := w.tr.take()
	err := x.th.WSAImpersonateSocketPeer(h, buf, n)
	got := w.resultOn(t, "WSAImpersonateSocketPeer", a, x.id, h, err, n0)
	expect(t, "WSAImpersonateSocketPeer", m, got, want)
	if got == "" {
		x.imp = sa.peerOf(initiator)
		w.checkNote(t, "WSAImpersonateSocketPeer", "-> acting as "+x.imp)
		smCount("~ impersonating " + map[bool]string{true: "the responder's machine", false: "the initiator"}[initiator])
		if !initiator && sa.user != "" {
			smCount("~ impersonating the initiator's user")
		}
	} else if x.imp != "" {
		smCount("~ failed impersonation while impersonating")
	}
	w.checkThreads(t, a)
}

func (w *smWorld) actRevert(t *rapid.T) {
	a := w.drawApp(t)
	x := w.drawThread(t, a)
	if x.imp != "" {
		smCount("~ revert while impersonating")
	}
	_, n0 := w.tr.take()
	err := x.th.WSARevertImpersonation()
	expect(t, "WSARevertImpersonation", nil, w.resultOn(t, "WSARevertImpersonation", a, x.id, sim.INVALID_SOCKET, err, n0), "")
	x.imp = ""
	w.checkThreads(t, a)
}

func (w *smWorld) actGetUserName(t *rapid.T) {
	a := w.drawApp(t)
	x := w.drawThread(t, a)
	want := x.imp
	if want == "" {
		want = a.identity()
	}
	_, n0 := w.tr.take()
	name, err := x.th.GetUserName()
	expect(t, "GetUserName", nil, w.resultOn(t, "GetUserName", a, x.id, sim.INVALID_SOCKET, err, n0), "")
	if name != want {
		t.Fatalf("GetUserName on %s thread %d = %q, model %q", a.label, x.id, name, want)
	}
	w.checkNote(t, "GetUserName", "-> "+want)
	if x.imp != "" {
		smCount("~ GetUserName while impersonating")
	}
}

// actCloseHandle closes a peer token the application holds, or a handle it does not.
func (w *smWorld) actCloseHandle(t *rapid.T) {
	a := w.drawApp(t)
	x := w.drawThread(t, a)
	h := uint64(0x40000000 + 4*rapid.IntRange(0, 3).Draw(t, "tokenGuess"))
	if len(a.tokenOrder) > 0 && smVariant(t, "closeWhich", 1, 5) == 0 {
		h = rapid.SampledFrom(a.tokenOrder).Draw(t, "token")
	}
	want := ""
	if !a.tokens[h] {
		want = "CLOSEHANDLE-INVALID"
	}
	_, n0 := w.tr.take()
	err := x.th.CloseHandle(h)
	expect(t, "CloseHandle", nil, w.resultOn(t, "CloseHandle", a, x.id, sim.Handle(h), err, n0), want)
	delete(a.tokens, h)
	a.tokenOrder = slices.DeleteFunc(a.tokenOrder, func(v uint64) bool { return v == h })
}

// actSecureServer builds, call by call, a listener (or a bound UDP socket) on a host, usually
// secured, for actSecureClient to reach from another host: random call sequences rarely make
// both ends of a connection between hosts ask for IPsec.
func (w *smWorld) actSecureServer(t *rapid.T) {
	host := w.hosts[rapid.SampledFrom([]int{1, 2, 2, 0}).Draw(t, "serverHost")]
	a := rapid.SampledFrom(host.apps).Draw(t, "serverApp")
	typ := rapid.SampledFrom([]int32{sim.SOCK_STREAM, sim.SOCK_STREAM, sim.SOCK_DGRAM}).Draw(t, "serverType")
	port := rapid.SampledFrom([]uint16{80, 81, 0}).Draw(t, "serverPort")
	// A server restarts: the socket that had the port closes, and a new one (secured or not)
	// takes it, while clients may still hold what they negotiated with the old one.
	for _, m := range w.openSocks(host) {
		if port != 0 && m.typ == typ && m.res != nil && m.res.addr.Port == port && rapid.Bool().Draw(t, "restart") {
			w.doClose(t, m.app, m.h)
			smCount("~ server restarted")
			break
		}
	}
	h := w.doSocket(t, a, sim.AF_INET, typ, 0, false, 0)
	if h == sim.INVALID_SOCKET {
		return
	}
	if rapid.IntRange(0, 3).Draw(t, "serverSecured") > 0 {
		buf, n := drawAcceptableSettings(t)
		w.doSetSecurity(t, a, h, buf, n, "", false)
	}
	addr := sockaddr.From(smIP("0.0.0.0"), port).Encode()
	w.doBind(t, a, h, addr, int32(len(addr)))
	if typ == sim.SOCK_STREAM {
		w.doListen(t, a, h, 5)
	}
}

// actSecureClient makes a socket, usually secured and (for TCP) sometimes with a peer target
// name, and connects it (or sends a datagram) to a server on another host.
func (w *smWorld) actSecureClient(t *rapid.T) {
	a := w.drawApp(t)
	typ := rapid.SampledFrom([]int32{sim.SOCK_STREAM, sim.SOCK_STREAM, sim.SOCK_DGRAM}).Draw(t, "clientType")
	var servers []*smSock
	for _, m := range w.allOpen() {
		if m.app.host != a.host && m.typ == typ && m.res != nil && (m.listening || m.dgram()) && m.res.v4 {
			servers = append(servers, m)
		}
	}
	if len(servers) == 0 {
		return
	}
	l := rapid.SampledFrom(servers).Draw(t, "server")
	if typ == sim.SOCK_DGRAM {
		// A UDP client sends again, perhaps to a server that closed since and was replaced.
		var again []*smSock
		for _, m := range w.openSocks(a.host) {
			if m.app == a && m.dgram() && m.family == sim.AF_INET && m.hasLocal && w.hasUDPSec(m) {
				again = append(again, m)
			}
		}
		if len(again) > 0 && rapid.Bool().Draw(t, "sendAgain") {
			m := rapid.SampledFrom(again).Draw(t, "again")
			dst := sockaddr.From(l.app.host.addrs[0], l.res.addr.Port).Encode()
			w.doSendto(t, a, m.h, dst, int32(len(dst)))
			return
		}
	}
	h := w.doSocket(t, a, sim.AF_INET, typ, 0, false, 0)
	if h == sim.INVALID_SOCKET {
		return
	}
	if rapid.IntRange(0, 3).Draw(t, "clientSecured") > 0 {
		buf, n := drawAcceptableSettings(t)
		w.doSetSecurity(t, a, h, buf, n, "", false)
	}
	if typ == sim.SOCK_STREAM && rapid.IntRange(0, 2).Draw(t, "clientTargetName") == 0 {
		w.doSetPeerTargetName(t, a, h, rapid.SampledFrom(smTargetNames).Draw(t, "targetName"), policy.ProtocolIPsec)
	}
	ip := l.res.addr.IP.Unmap()
	if !l.res.specificAddr {
		ip = l.app.host.addrs[0]
	}
	dst := sockaddr.From(ip, l.res.addr.Port).Encode()
	if typ == sim.SOCK_DGRAM {
		w.doSendto(t, a, h, dst, int32(len(dst)))
		// The server answers, as the responder of whatever was negotiated.
		if m := a.open(h); m != nil && m.hasLocal && !l.closed && rapid.Bool().Draw(t, "serverAnswers") {
			back := sockaddr.From(a.host.addrs[0], m.local.Port).Encode()
			w.doSendto(t, l.app, l.h, back, int32(len(back)))
		}
		return
	}
	w.doConnect(t, rapid.SampledFrom([]string{"connect", "WSAConnect"}).Draw(t, "clientConnect"), a, h, dst, int32(len(dst)), nil)
}

// actKeepAlive sends on a secured TCP connection between steps of the clock shorter than the
// idle time-out (or not, on a fail-over host), for up to an hour and a half, so that quick-mode
// SAs reach their lifetime and are rekeyed, then queries it.
func (w *smWorld) actKeepAlive(t *rapid.T) {
	var conns []*smSock
	for _, m := range w.allOpen() {
		if m.stream() && m.connected && m.sa != nil && m.sa.secured && !m.sa.closed {
			conns = append(conns, m)
		}
	}
	if len(conns) == 0 {
		return
	}
	m := rapid.SampledFrom(conns).Draw(t, "keepAlive")
	for range rapid.IntRange(1, 24).Draw(t, "keepAliveSteps") {
		d := rapid.SampledFrom([]time.Duration{50 * time.Second, 4 * time.Minute}).Draw(t, "keepAliveStep")
		d += time.Duration(rapid.IntRange(0, 999).Draw(t, "keepAliveMs")) * time.Millisecond
		if err := w.net.Advance(d); err != nil {
			t.Fatalf("Advance(%v): %v", d, err)
		}
		w.advanceTo(w.now + d)
		w.doSendto(t, m.app, m.h, nil, 0)
	}
	w.doQuery(t, m.app, m.app.threads[0], m.h, sockaddr.Addr{}, 1, policy.SizeofQueryInfoIPsec2)
}

// actAdvance moves the virtual clock by a random step; a few steps try to move it backwards.
func (w *smWorld) actAdvance(t *rapid.T) {
	if smVariant(t, "advanceBack", 1, 20) == 1 {
		if err := w.net.Advance(-time.Second); err == nil {
			t.Fatalf("Advance(-1s) succeeded")
		}
		return
	}
	d := rapid.SampledFrom([]time.Duration{time.Second, 21 * time.Second, 59 * time.Second, 61 * time.Second,
		4 * time.Minute, 301 * time.Second, 30 * time.Minute, time.Hour, 2 * time.Hour}).Draw(t, "advance")
	// A fraction of a second, so that a rekey and an idle time-out rarely fall due together.
	d += time.Duration(rapid.IntRange(0, 999).Draw(t, "advanceMs")) * time.Millisecond
	if err := w.net.Advance(d); err != nil {
		t.Fatalf("Advance(%v): %v", d, err)
	}
	w.advanceTo(w.now + d)
}

// drainIPsec counts what the network's own IPsec events reported.
func (w *smWorld) drainIPsec() {
	for _, note := range w.tr.drainIPsec() {
		switch {
		case strings.Contains(note, "rekeyed quick-mode SA"):
			smCount("~ IPsec: quick-mode SA rekeyed")
		case strings.Contains(note, "deleted after"):
			smCount("~ IPsec: quick-mode SA deleted when idle")
		case strings.Contains(note, "main-mode SA") && strings.Contains(note, "expired"):
			smCount("~ IPsec: main-mode SA expired")
		}
	}
}
