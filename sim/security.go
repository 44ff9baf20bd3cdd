package sim

import (
	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
)

// Rules of WSASetSocketSecurity, in ruling R1's order. The structure checks come from the
// policy package, which owns the byte layout; they join this table as rows of their own.
var (
	ruleSecFault = rule("SETSEC-FAULT", "WSASetSocketSecurity", errors.WSAEFAULT,
		"SecuritySettingsLen is larger than the buffer SecuritySettings really points to",
		"WSAIoctl (which WSASetSocketSecurity wraps) — WSAEFAULT: lpvInBuffer is not in a valid part of the user address space",
		func(c *call) bool { return !c.null && c.n > int64(len(c.buf)) })
	// ruleSecFamilyType is shared by every secure-socket function that takes a socket: one row
	// of the table, in each of their chains (secureSocketFunctions).
	ruleSecFamilyType = rule("SEC-FAMILY-TYPE", secureSocketFunctions, errors.WSAEINVAL,
		"the socket is not (AF_INET or AF_INET6) × (SOCK_STREAM or SOCK_DGRAM)",
		"doc: WSASetSocketSecurity, WSAQuerySocketSecurity, WSASetSocketPeerTargetName, WSADeleteSocketPeerTargetName — WSAEINVAL: the socket was not created with AF_INET/AF_INET6 and SOCK_DGRAM/SOCK_STREAM [D1]–[D4]; WSAImpersonateSocketPeer imposes the same restriction but lists no code [D5] (rulings R1, R2; spec A1)",
		func(c *call) bool { return !c.s.isInet() || !(c.s.isStream() || c.s.isDgram()) })
	ruleSecIsConn = rule("SETSEC-ISCONN", "WSASetSocketSecurity", errors.WSAEISCONN,
		"the socket is connected: a TCP connection (made or accepted) or a UDP socket with a default peer",
		"doc: WSASetSocketSecurity — WSAEISCONN: not allowed on a connected socket, connection-oriented or connectionless (ruling R3)",
		func(c *call) bool { return c.s.state == StateConnected })
	ruleSecConnecting = rule("SETSEC-CONNECTING", "WSASetSocketSecurity", errors.WSAEINVAL,
		"a connect or ConnectEx is in progress on the socket",
		"doc: WSASetSocketSecurity must precede connect/ConnectEx/WSAConnect; code by ruling R3 (spec A3)",
		func(c *call) bool { return c.s.state == StateConnecting })
	ruleSecListening = rule("SETSEC-LISTENING", "WSASetSocketSecurity", errors.WSAEINVAL,
		"the socket is listening (so it was bound first)",
		"doc: for TCP servers WSASetSocketSecurity must precede bind; code by ruling R3 (spec A3)",
		func(c *call) bool { return c.s.state == StateListening })
	ruleSecBound = rule("SETSEC-BOUND", "WSASetSocketSecurity", errors.WSAEINVAL,
		"the socket has (or had) a local address: bind, or an implicit bind by sendto or connect",
		"doc: settings must be applied before bind; UDP sockets immediately after socket/WSASocket; code by ruling R3 (spec A3)",
		func(c *call) bool { return c.s.hasLocal() || c.s.has(bitWasBound) })
	ruleSecOnce = rule("SETSEC-ONCE", "WSASetSocketSecurity", errors.WSAEINVAL,
		"WSASetSocketSecurity already succeeded on this socket",
		"doc: WSASetSocketSecurity can be called only once per socket; code by ruling R3 (spec A2)",
		func(c *call) bool { return c.s.has(bitSecured) })
	ruleSecReuseAddr = rule("SETSEC-REUSEADDR", "WSASetSocketSecurity", errors.WSAEINVAL,
		"SO_REUSEADDR is on: the function sets SO_EXCLUSIVEADDRUSE internally, and the two are mutually exclusive",
		"doc: WSASetSocketSecurity internally calls setsockopt with SO_EXCLUSIVEADDRUSE; ruling R6 (spec A13)",
		func(c *call) bool { return c.s.has(bitReuseAddr) })
)

var chainSetSecurity = chain("WSASetSocketSecurity", append(append([]*Rule{
	ruleNotInitialised, ruleNotSocket, ruleSecFault, ruleSecFamilyType,
	ruleSecIsConn, ruleSecConnecting, ruleSecListening, ruleSecBound, ruleSecOnce},
	settingsRules()...), ruleSecReuseAddr)...)

// settingsRules turns the policy package's structure checks into rules of this table: they only
// run for a non-NULL SecuritySettings, over exactly SecuritySettingsLen bytes.
func settingsRules() []*Rule {
	out := make([]*Rule, 0, len(policy.SettingsChecks))
	for i := range policy.SettingsChecks {
		pc := &policy.SettingsChecks[i]
		out = append(out, rule(pc.ID, "WSASetSocketSecurity", pc.Code, pc.Condition, pc.Source,
			func(c *call) bool { return !c.null && pc.Fails(c.buf[:c.n]) }))
	}
	return out
}

// WSASetSocketSecurity applies security settings to a socket. settings nil is a NULL pointer,
// which means "the default settings"; settingsLen is SecuritySettingsLen as passed. On an
// overlapped socket a non-nil ov completes at once (ruling R7) — through routine, queued to the
// thread, when it is not nil; on other sockets both are ignored.
func (t *Thread) WSASetSocketSecurity(h Handle, settings []byte, settingsLen uint32, ov *Overlapped, routine CompletionRoutine) error {
	c := t.begin("WSASetSocketSecurity")
	defer t.end(c)
	c.lookup(h)
	c.setBuf(settings, int64(settingsLen))
	c.ov, c.routine = ov, routine
	return t.run(c, chainSetSecurity, setSecurityEffect)
}

// defaultSettingsApplied is every NULL-settings WSASetSocketSecurity's record: it never changes,
// so the sockets share one.
var defaultSettingsApplied = &appliedSecurity{}

func setSecurityEffect(c *call) error {
	s := c.s
	applied := defaultSettingsApplied
	if !c.null {
		st, _ := policy.DecodeSettings(c.buf[:c.n])
		// The password has been used: the socket keeps whether credentials were given, the
		// user and domain, and a salted verifier for a later negotiation — not the password.
		st.IPsec.Seal()
		s.ext().settings = &st
		applied = &appliedSecurity{settings: &st}
	}
	s.security.Store(applied)
	s.set(bitSecured, true)
	s.set(bitExclusive, true)
	completeAtOnce(c, 0)
	return nil
}
