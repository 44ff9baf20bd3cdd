// Package ipsec is the AuthIP negotiation that wsssim runs between two simulated Windows hosts
// when a secure socket (or an administrator's connection-security rule) asks for IPsec: main
// mode, extended mode and quick mode, as Microsoft's default secure-socket policy describes
// them, and — unlike Windows, where a failed negotiation is an opaque time-out — the reason each
// one fails, in plain words.
//
// The package is pure: it knows nothing of sockets or time. Package sim decides when to
// negotiate (who has filters, loopback exemption, SA lifetimes on its virtual clock) and asks
// Negotiate for the result.
//
// The model, phase by phase (spec §6.4, the SDK securesocket sample [S3]):
//
//   - Main mode (MM): the initiator's proposals in its order; the first one the responder also
//     lists wins. MM authentication is the first method of the initiator's list the responder
//     lists too and both can satisfy; the default policy's is IKE_ANONYMOUS, which always can.
//   - Extended mode (EM, the page's "UM policy"): the initiator's EM methods in order; the first
//     that the responder lists and both hosts hold credentials for wins. Kerberos needs both
//     machines in the same domain (or, with explicit credentials, the responder in the
//     credentials' domain); SSL and certificate methods need a machine certificate on both. An
//     empty EM list skips extended mode.
//   - The peer target name the initiator set must name the responder's authenticated identity,
//     unless OPTIONAL_PEER_NAME_VERIFICATION is set.
//   - Quick mode (QM): the initiator's proposals in its order, without those that do not encrypt
//     when it requires encryption (GUARANTEE_ENCRYPTION); the first the responder accepts (its
//     own list, filtered the same way for its own requirement) wins.
package ipsec

import (
	"fmt"
	"strings"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
)

// Credentials are what a machine can prove its identity with.
type Credentials struct {
	// Domain is the Active Directory domain the machine is joined to ("" = a workgroup
	// machine): it can use Kerberos with other members of the domain.
	Domain string
	// Certificate is the subject of the machine's certificate ("" = none), for the SSL and
	// certificate methods.
	Certificate string
}

// String describes the credentials for explanations: "domain CORP, certificate CN=web1".
func (c Credentials) String() string {
	var parts []string
	if c.Domain != "" {
		parts = append(parts, "domain "+c.Domain)
	}
	if c.Certificate != "" {
		parts = append(parts, "certificate "+c.Certificate)
	}
	if len(parts) == 0 {
		return "no credentials"
	}
	return strings.Join(parts, ", ")
}

// Explicit are the explicit credentials of SOCKET_SECURITY_SETTINGS_IPSEC (UserName,
// DomainName; the password stays with the settings).
type Explicit struct {
	User   string
	Domain string
}

// Peer is one end of a negotiation: its machine, the application's account, and the policy and
// flags its socket (or its host's rule) brings.
type Peer struct {
	Host        string // the machine's name
	Role        string // how explanations call it: "client", "server", or a host name
	Credentials Credentials
	// User is the account the application runs under ("SYSTEM" for a service).
	User string
	// Explicit, when not nil, are the socket's explicit credentials: the initiator's extended
	// mode authenticates as that user with Kerberos.
	Explicit *Explicit
	Policy   policy.Policy
	// RequireEncryption is SOCKET_SETTINGS_GUARANTEE_ENCRYPTION: only cipher proposals.
	RequireEncryption bool
	// TargetName is the peer target name the initiator set for this peer ("" = none), and
	// OptionalNameVerification the IPsec flag that makes a mismatch acceptable.
	TargetName               string
	OptionalNameVerification bool
}

// Identity is an authenticated principal: a machine account (CORP\WEB1$), a user (CORP\alice),
// a certificate subject, or the anonymous logon when only anonymous methods ran.
type Identity struct {
	Domain  string
	Name    string
	Machine bool
}

// Anonymous is the identity a peer has when no method authenticated it.
var Anonymous = Identity{Domain: "NT AUTHORITY", Name: "ANONYMOUS LOGON"}

// String is the SAM-compatible form, DOMAIN\name, or the bare name without a domain.
func (i Identity) String() string {
	if i.Domain == "" {
		return i.Name
	}
	return i.Domain + `\` + i.Name
}

// Outcome is a successful negotiation.
type Outcome struct {
	MainMode     policy.MMProposal
	MainModeAuth policy.AuthMethod
	// ExtendedModeAuth is the EM method that authenticated (Type is meaningful only when
	// ExtendedMode is true).
	ExtendedMode     bool
	ExtendedModeAuth policy.AuthMethod
	QuickMode        policy.QMProposal
	// The machines' identities, and the initiator's user when extended mode authenticated one
	// (explicit credentials, or socket-principal impersonation for a user account).
	InitiatorMachine, ResponderMachine Identity
	InitiatorUser                      *Identity
}

// Encrypted reports whether the quick-mode SA encrypts (SOCKET_INFO_CONNECTION_ENCRYPTED).
func (o Outcome) Encrypted() bool { return o.QuickMode.Encrypts() }

// String summarises the outcome for traces.
func (o Outcome) String() string {
	auth := o.MainModeAuth.Type.String()
	if o.ExtendedMode {
		auth += "+" + o.ExtendedModeAuth.Type.String()
	}
	return fmt.Sprintf("MM %s, auth %s, QM %s", mmShort(o.MainMode), auth, qmShort(o.QuickMode))
}

// Phase is where a negotiation failed.
type Phase uint8

// The phases, in the order they run.
const (
	PhasePolicy Phase = iota // before any packet: the policy itself is unusable
	PhaseMainMode
	PhaseExtendedMode
	PhaseQuickMode
)

var phaseNames = [...]string{"negotiation", "main mode", "extended mode", "quick mode"}

// String names the phase as explanations do ("main mode").
func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "phase?"
}

// Failure is a failed negotiation: the phase, the Win32 IKE error Windows records for it
// (SOCKET_SECURITY_QUERY_INFO_IPSEC2's NegotiationWinerr), and the reason in words.
type Failure struct {
	Phase  Phase
	Code   errors.Errno
	Reason string
}

// Error reads like "extended mode failed: no common authentication method; client offers
// Kerberos(CORP), server has no credentials".
func (f *Failure) Error() string { return f.Phase.String() + " failed: " + f.Reason }

func fail(p Phase, code errors.Errno, format string, args ...any) *Failure {
	return &Failure{Phase: p, Code: code, Reason: fmt.Sprintf(format, args...)}
}

// Negotiate runs AuthIP between an initiator (the side that connects or sends first) and a
// responder, both of which have IPsec policy for the traffic.
func Negotiate(init, resp Peer) (Outcome, *Failure) {
	var o Outcome
	mm, f := mainMode(init, resp)
	if f != nil {
		return o, f
	}
	o.MainMode = mm
	auth, f := mainModeAuth(init, resp)
	if f != nil {
		return o, f
	}
	o.MainModeAuth = auth
	o.InitiatorMachine, o.ResponderMachine = identityFor(auth, init), identityFor(auth, resp)

	em, user, f := extendedMode(init, resp)
	if f != nil {
		return o, f
	}
	if em != nil {
		o.ExtendedMode, o.ExtendedModeAuth = true, *em
		o.InitiatorMachine, o.ResponderMachine = identityFor(*em, init), identityFor(*em, resp)
		o.InitiatorUser = user
	}
	if f := checkTargetName(init, resp, o); f != nil {
		return o, f
	}
	qm, f := quickMode(init, resp)
	if f != nil {
		return o, f
	}
	o.QuickMode = qm
	return o, nil
}

func mainMode(init, resp Peer) (policy.MMProposal, *Failure) {
	if len(init.Policy.MainMode.Proposals) == 0 {
		return policy.MMProposal{}, fail(PhasePolicy, errors.ERROR_IPSEC_IKE_NO_MM_POLICY,
			"%s's main-mode policy has no proposals", init.Role)
	}
	for _, p := range init.Policy.MainMode.Proposals {
		for _, q := range resp.Policy.MainMode.Proposals {
			if p.Cipher == q.Cipher && p.Integrity == q.Integrity && p.DHGroup == q.DHGroup {
				// The shorter lifetime governs, as IKE takes the smaller of the two.
				if q.LifetimeSeconds != 0 && (p.LifetimeSeconds == 0 || q.LifetimeSeconds < p.LifetimeSeconds) {
					p.LifetimeSeconds = q.LifetimeSeconds
				}
				return p, nil
			}
		}
	}
	return policy.MMProposal{}, fail(PhaseMainMode, errors.ERROR_IPSEC_IKE_ATTRIB_FAIL,
		"no common proposal; %s offers %s, %s accepts %s", init.Role, mmList(init.Policy.MainMode.Proposals),
		resp.Role, mmList(resp.Policy.MainMode.Proposals))
}

func mmList(ps []policy.MMProposal) string {
	if len(ps) == 0 {
		return "none"
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = mmShort(p)
	}
	return strings.Join(out, ", ")
}

// mmShort is a main-mode proposal as explanations print it: AES_128/SHA1/ECP_256.
func mmShort(p policy.MMProposal) string {
	return strings.TrimPrefix(p.Cipher.String(), "IKE_CIPHER_") + "/" +
		strings.TrimPrefix(p.Integrity.String(), "IKE_INTEGRITY_") + "/" +
		strings.TrimPrefix(p.DHGroup.String(), "IKE_DH_")
}

// qmShort is a quick-mode proposal as explanations print it: "ESP HMAC_SHA_1_96+AES_128",
// "AH HMAC_SHA_1_96".
func qmShort(p policy.QMProposal) string {
	proto := "ESP"
	if p.Transform == policy.TransformAH {
		proto = "AH"
	}
	var algos []string
	if p.Transform.HasAuth() {
		algos = append(algos, strings.TrimPrefix(p.Auth.String(), "IPSEC_AUTH_TRANSFORM_ID_"))
	}
	if p.Transform.HasCipher() {
		algos = append(algos, strings.TrimPrefix(p.Cipher.String(), "IPSEC_CIPHER_TRANSFORM_ID_"))
	}
	return proto + " " + strings.Join(algos, "+")
}

func mainModeAuth(init, resp Peer) (policy.AuthMethod, *Failure) {
	m, ok := commonMethod(init.Policy.MainMode.AuthMethods, resp.Policy.MainMode.AuthMethods, init, resp, false)
	if !ok {
		return m, noCommonMethod(PhaseMainMode, init, resp, init.Policy.MainMode.AuthMethods, false)
	}
	return m, nil
}

// extendedMode picks the EM method; it returns nil when the initiator's policy has no extended
// mode (its EM list is empty).
func extendedMode(init, resp Peer) (*policy.AuthMethod, *Identity, *Failure) {
	methods := init.Policy.QuickMode.EMPolicy.AuthMethods
	if len(methods) == 0 {
		return nil, nil, nil
	}
	m, ok := commonMethod(methods, resp.Policy.QuickMode.EMPolicy.AuthMethods, init, resp, true)
	if !ok {
		return nil, nil, noCommonMethod(PhaseExtendedMode, init, resp, methods, true)
	}
	var user *Identity
	switch {
	case init.Explicit != nil && m.Type == policy.AuthKerberos:
		user = &Identity{Domain: init.Explicit.Domain, Name: init.Explicit.User}
	case init.Policy.QuickMode.EMPolicy.Impersonation == policy.ImpersonationSocketPrincipal && !isSystem(init.User):
		u := Identity{Domain: init.Credentials.Domain, Name: init.User}
		if u.Domain == "" {
			u.Domain = strings.ToUpper(init.Host)
		}
		user = &u
	}
	return &m, user, nil
}

func isSystem(user string) bool { return user == "" || strings.EqualFold(user, "SYSTEM") }

// commonMethod returns the first of the initiator's methods that the responder lists and both
// can satisfy.
func commonMethod(mine, theirs []policy.AuthMethod, init, resp Peer, extended bool) (policy.AuthMethod, bool) {
	for _, m := range mine {
		if !lists(theirs, m.Type) {
			continue
		}
		if satisfiable(m.Type, init, resp, extended) {
			return m, true
		}
	}
	return policy.AuthMethod{}, false
}

func lists(ms []policy.AuthMethod, t policy.AuthMethodType) bool {
	for _, m := range ms {
		if m.Type == t {
			return true
		}
	}
	return false
}

// satisfiable reports whether both sides hold what method t needs.
func satisfiable(t policy.AuthMethodType, init, resp Peer, extended bool) bool {
	switch t {
	case policy.AuthAnonymous:
		return true
	case policy.AuthKerberos:
		domain := init.Credentials.Domain
		if extended && init.Explicit != nil {
			domain = init.Explicit.Domain
		}
		return domain != "" && strings.EqualFold(domain, resp.Credentials.Domain)
	case policy.AuthSSL, policy.AuthCertificate, policy.AuthSSLECDSAP256, policy.AuthSSLECDSAP384,
		policy.AuthCertificateECDSAP256, policy.AuthCertificateECDSAP384:
		return init.Credentials.Certificate != "" && resp.Credentials.Certificate != ""
	}
	// Pre-shared keys, NTLM, CGA and EAP are not modelled: no simulated host holds them.
	return false
}

// offers lists what one side could authenticate with among methods, for explanations:
// "Kerberos(CORP)", "certificate(CN=web1)".
func offers(p Peer, methods []policy.AuthMethod, extended bool) string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, m := range methods {
		switch m.Type {
		case policy.AuthAnonymous:
			add("anonymous")
		case policy.AuthKerberos:
			switch {
			case extended && p.Explicit != nil:
				add("Kerberos(" + p.Explicit.Domain + `\` + p.Explicit.User + ")")
			case p.Credentials.Domain != "":
				add("Kerberos(" + p.Credentials.Domain + ")")
			}
		case policy.AuthSSL, policy.AuthCertificate, policy.AuthSSLECDSAP256, policy.AuthSSLECDSAP384,
			policy.AuthCertificateECDSAP256, policy.AuthCertificateECDSAP384:
			if p.Credentials.Certificate != "" {
				add("certificate(" + p.Credentials.Certificate + ")")
			}
		}
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, ", ")
}

func noCommonMethod(phase Phase, init, resp Peer, methods []policy.AuthMethod, extended bool) *Failure {
	describe := func(p Peer, ms []policy.AuthMethod) string {
		if o := offers(p, ms, extended); o != "" {
			return p.Role + " offers " + o
		}
		if p.Credentials == (Credentials{}) && p.Explicit == nil {
			return p.Role + " has no credentials"
		}
		return p.Role + " has " + p.Credentials.String() + ", which none of its methods (" + methodList(ms) + ") can use"
	}
	respMethods := resp.Policy.MainMode.AuthMethods
	if extended {
		respMethods = resp.Policy.QuickMode.EMPolicy.AuthMethods
	}
	code := errors.ERROR_IPSEC_IKE_AUTH_FAIL
	switch {
	case lists(methods, policy.AuthKerberos) && (init.Credentials.Domain != "" || init.Explicit != nil):
		code = errors.ERROR_IPSEC_IKE_KERBEROS_ERROR
	case init.Credentials.Certificate == "" && (lists(methods, policy.AuthSSL) || lists(methods, policy.AuthCertificate)):
		code = errors.ERROR_IPSEC_IKE_NO_CERT
	}
	return fail(phase, code, "no common authentication method; %s, %s", describe(init, methods), describe(resp, respMethods))
}

func methodList(ms []policy.AuthMethod) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Type.String()
	}
	return strings.Join(out, ", ")
}

// identityFor is the machine identity that method m proves for peer p.
func identityFor(m policy.AuthMethod, p Peer) Identity {
	switch m.Type {
	case policy.AuthKerberos:
		return Identity{Domain: p.Credentials.Domain, Name: strings.ToUpper(p.Host) + "$", Machine: true}
	case policy.AuthAnonymous:
		return Anonymous
	}
	return Identity{Name: p.Credentials.Certificate, Machine: true}
}

// Names returns the names that identify a responder authenticated as id: for Kerberos its
// service principal names (host/NAME, host/NAME.DOMAIN) and account (DOMAIN\NAME$); for a
// certificate its subject, with or without "CN=".
func Names(resp Peer, id Identity) []string {
	if id == Anonymous {
		return nil
	}
	if id.Domain != "" {
		host := strings.ToLower(resp.Host)
		return []string{"host/" + host, "host/" + host + "." + strings.ToLower(id.Domain), id.String()}
	}
	return []string{id.Name, strings.TrimPrefix(id.Name, "CN=")}
}

func checkTargetName(init, resp Peer, o Outcome) *Failure {
	if init.TargetName == "" || init.OptionalNameVerification {
		return nil
	}
	names := Names(resp, o.ResponderMachine)
	for _, n := range names {
		if strings.EqualFold(n, init.TargetName) {
			return nil
		}
	}
	phase := PhaseMainMode
	if o.ExtendedMode {
		phase = PhaseExtendedMode
	}
	if len(names) == 0 {
		return fail(phase, errors.ERROR_IPSEC_IKE_AUTH_FAIL,
			"peer name mismatch; %s expects %s, but %s authenticated anonymously, so no name can be verified",
			init.Role, init.TargetName, resp.Role)
	}
	return fail(phase, errors.ERROR_IPSEC_IKE_AUTH_FAIL, "peer name mismatch; %s expects %s, %s authenticated as %s",
		init.Role, init.TargetName, resp.Role, strings.Join(names, " or "))
}

func quickMode(init, resp Peer) (policy.QMProposal, *Failure) {
	mine := acceptable(init)
	theirs := acceptable(resp)
	if len(mine) == 0 {
		return policy.QMProposal{}, fail(PhaseQuickMode, errors.ERROR_IPSEC_IKE_ATTRIB_FAIL,
			"%s requires encryption, but none of its quick-mode proposals (%s) encrypts", init.Role, qmList(init.Policy.QuickMode.Proposals))
	}
	for _, p := range mine {
		for _, q := range theirs {
			if sameTransform(p, q) {
				if q.LifetimeSeconds != 0 && (p.LifetimeSeconds == 0 || q.LifetimeSeconds < p.LifetimeSeconds) {
					p.LifetimeSeconds = q.LifetimeSeconds
				}
				if q.LifetimeKilobytes != 0 && (p.LifetimeKilobytes == 0 || q.LifetimeKilobytes < p.LifetimeKilobytes) {
					p.LifetimeKilobytes = q.LifetimeKilobytes
				}
				return p, nil
			}
		}
	}
	why := func(p Peer, ps []policy.QMProposal) string {
		s := qmList(ps)
		if p.RequireEncryption {
			s += " (it requires encryption)"
		}
		return s
	}
	return policy.QMProposal{}, fail(PhaseQuickMode, errors.ERROR_IPSEC_IKE_ATTRIB_FAIL,
		"no common proposal; %s offers %s, %s accepts %s", init.Role, why(init, mine), resp.Role, why(resp, theirs))
}

func acceptable(p Peer) []policy.QMProposal {
	var out []policy.QMProposal
	for _, q := range p.Policy.QuickMode.Proposals {
		if !p.RequireEncryption || q.Encrypts() {
			out = append(out, q)
		}
	}
	return out
}

func sameTransform(a, b policy.QMProposal) bool {
	if a.Transform != b.Transform {
		return false
	}
	if a.Transform.HasAuth() && a.Auth != b.Auth {
		return false
	}
	return !a.Transform.HasCipher() || a.Cipher == b.Cipher
}

func qmList(ps []policy.QMProposal) string {
	if len(ps) == 0 {
		return "none"
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = qmShort(p)
	}
	return strings.Join(out, ", ")
}
