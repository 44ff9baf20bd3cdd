package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim"
)

// IPsec in scenarios: host credentials and connection-security rules (host-line keys), AuthIP
// policies registered as provider contexts (mmpolicy and qmpolicy lines), and the identity calls
// (GetUserName, CloseHandle).

// hostKeys are the KEY=VALUE options a host line takes.
var hostKeys = []string{"domain", "cert", "require", "request", "failover", "maxsockets", "buffers"}

// hostConfig turns a host line into the simulator's configuration; problems are reported at
// the option's position.
func hostConfig(hd *HostDecl, errAt func(Pos, string, ...any)) sim.HostConfig {
	cfg := sim.HostConfig{Name: hd.Name, Addresses: hd.Addrs}
	for _, o := range hd.Options {
		vp := valuePos(o.Pos, o.Key)
		switch o.Key {
		case "domain":
			if !validName(o.Value) || strings.ContainsAny(o.Value, `\`) {
				errAt(vp, "host %s: domain=%q is not a domain name (one word, e.g. CORP)", hd.Name, o.Value)
			}
			cfg.Credentials.Domain = strings.ToUpper(o.Value)
		case "cert":
			if strings.TrimSpace(o.Value) == "" {
				errAt(vp, "host %s: cert= needs the certificate's subject, e.g. cert=\"CN=web1.example\"", hd.Name)
			}
			cfg.Credentials.Certificate = o.Value
		case "require", "request":
			mode := sim.Require
			if o.Key == "request" {
				mode = sim.Request
			}
			rules, err := sim.ParseConnectionRules(o.Value, mode)
			if err != nil {
				errAt(vp, "host %s: %s=: %v", hd.Name, o.Key, err)
			}
			cfg.Rules = append(cfg.Rules, rules...)
		case "failover":
			switch o.Value {
			case "1", "yes", "true":
				cfg.FailOver = true
			case "0", "no", "false":
			default:
				errAt(vp, "host %s: failover= takes yes or no, got %q", hd.Name, o.Value)
			}
		case "maxsockets", "buffers":
			// limits: checked by checkHostLimits, applied below
		default:
			errAt(o.Pos, "host %s: unknown option %s=%s", hd.Name, o.Key, didYouMean(o.Key, hostKeys))
		}
	}
	applyHostLimits(hd, &cfg)
	return cfg
}

// policyWorld is a World whose hosts can register AuthIP policies: the simulator. A real
// machine's policies are its administrator's, so the native back end skips such scripts.
type policyWorld interface {
	AddPolicy(host string, key policy.GUID, mm *policy.MMPolicy, qm *policy.QMPolicy) error
}

// AddPolicy registers an AuthIP policy on a simulated host (an mmpolicy or qmpolicy line).
func (w *SimWorld) AddPolicy(host string, key policy.GUID, mm *policy.MMPolicy, qm *policy.QMPolicy) error {
	h, ok := w.net.Host(host)
	if !ok {
		return fmt.Errorf("no host %s", host)
	}
	if mm != nil {
		return h.AddMainModePolicy(key, *mm)
	}
	return h.AddQuickModePolicy(key, *qm)
}

var mmPolicySpec = &callSpec{
	name:     "mmpolicy",
	synopsis: "mmpolicy GUID host=HOST [proposals=AES_128/SHA1/ECP_256,...] [auth=ANONYMOUS,KERBEROS,...] [lifetime=2h]",
	keys:     []string{"host", "proposals", "auth", "lifetime"},
	pseudo:   true,
	compile:  compilePolicy,
}

var qmPolicySpec = &callSpec{
	name:     "qmpolicy",
	synopsis: "qmpolicy GUID host=HOST [proposals=ESP:SHA1+AES_128,AH:SHA1,...] [em=KERBEROS,SSL,...] [impersonation=SOCKET_PRINCIPAL|NONE] [lifetime=1h] [kb=N] [idle=5m] [failoveridle=1m]",
	keys:     []string{"host", "proposals", "em", "impersonation", "lifetime", "kb", "idle", "failoveridle"},
	pseudo:   true,
	compile:  compilePolicy,
}

// compilePolicy reads an mmpolicy or qmpolicy line: from then on, sockets of HOST whose
// settings name GUID (mmpolicy=/qmpolicy= keys of WSASetSocketSecurity) negotiate with it.
// Unset parts are the default secure-socket policy's.
func compilePolicy(r *reader) action {
	var key policy.GUID
	if a := r.positional("GUID", true); a != nil {
		g, err := policy.ParseGUID(a.Value)
		if err != nil || g == (policy.GUID{}) {
			r.errAt(a.Pos, "%s: %q is not a non-zero GUID", r.spec.name, a.Value)
		}
		key = g
	}
	r.finish()
	host := ""
	if a := r.key("host"); a != nil {
		host = a.Value
	} else {
		r.errAt(r.st.Pos, "%s needs host=HOST: a policy belongs to one machine", r.spec.name)
	}
	base := policy.DefaultPolicy.Clone()
	var mm *policy.MMPolicy
	var qm *policy.QMPolicy
	duration := func(k string, into *uint32) {
		if a := r.key(k); a != nil {
			d, err := time.ParseDuration(a.Value)
			if err != nil || d < 0 || d > 100*365*24*time.Hour {
				r.errAt(valueStart(a), "%s=%s is not a duration (90s, 5m, 1h)", k, a.Value)
				return
			}
			*into = uint32(d / time.Second)
		}
	}
	if r.spec.name == "mmpolicy" {
		p := base.MainMode
		if a := r.key("proposals"); a != nil {
			props, err := parseMMProposals(a.Value)
			if err != nil {
				r.errAt(valueStart(a), "proposals=: %v", err)
			}
			p.Proposals = props
		}
		if a := r.key("auth"); a != nil {
			ms, err := parseAuthMethods(a.Value)
			if err != nil {
				r.errAt(valueStart(a), "auth=: %v", err)
			}
			p.AuthMethods = ms
		}
		var life uint32
		duration("lifetime", &life)
		if r.key("lifetime") != nil {
			for i := range p.Proposals {
				p.Proposals[i].LifetimeSeconds = life
			}
		}
		mm = &p
	} else {
		p := base.QuickMode
		if a := r.key("proposals"); a != nil {
			props, err := parseQMProposals(a.Value)
			if err != nil {
				r.errAt(valueStart(a), "proposals=: %v", err)
			}
			p.Proposals = props
		}
		if a := r.key("em"); a != nil {
			ms, err := parseAuthMethods(a.Value)
			if err != nil {
				r.errAt(valueStart(a), "em=: %v", err)
			}
			p.EMPolicy.AuthMethods = ms
		}
		if a := r.key("impersonation"); a != nil {
			switch strings.TrimPrefix(strings.ToUpper(a.Value), "IKEEXT_IMPERSONATION_") {
			case "NONE":
				p.EMPolicy.Impersonation = policy.ImpersonationNone
			case "SOCKET_PRINCIPAL":
				p.EMPolicy.Impersonation = policy.ImpersonationSocketPrincipal
			default:
				r.errAt(valueStart(a), "impersonation= takes NONE or SOCKET_PRINCIPAL, got %q", a.Value)
			}
		}
		var life, kb uint32
		duration("lifetime", &life)
		if a := r.key("kb"); a != nil {
			n, err := strconv.ParseUint(a.Value, 10, 32)
			if err != nil {
				r.errAt(valueStart(a), "kb=%s is not a number of kilobytes", a.Value)
			}
			kb = uint32(n)
		}
		for i := range p.Proposals {
			if r.key("lifetime") != nil {
				p.Proposals[i].LifetimeSeconds = life
			}
			if r.key("kb") != nil {
				p.Proposals[i].LifetimeKilobytes = kb
			}
		}
		duration("idle", &p.SAIdleTimeout.IdleTimeoutSeconds)
		duration("failoveridle", &p.SAIdleTimeout.IdleTimeoutSecondsFailOver)
		qm = &p
	}
	return func(x *execCtx) outcome {
		pw, ok := x.world.(policyWorld)
		if !ok {
			return outcome{err: fmt.Errorf("this back end cannot register AuthIP policies")}
		}
		return outcome{err: pw.AddPolicy(host, key, mm, qm)}
	}
}

// parseMMProposals reads "AES_128/SHA1/ECP_256,3DES/SHA1/GROUP_2": cipher/integrity/DH group,
// each an IKEEXT name without its prefix; lifetimes are the default's (2 h).
func parseMMProposals(list string) ([]policy.MMProposal, error) {
	var out []policy.MMProposal
	for _, item := range strings.Split(list, ",") {
		parts := strings.Split(item, "/")
		if len(parts) != 3 {
			return nil, fmt.Errorf("%q is not CIPHER/INTEGRITY/DHGROUP (e.g. AES_128/SHA1/ECP_256)", item)
		}
		p := policy.MMProposal{LifetimeSeconds: 2 * 3600}
		var ok bool
		if p.Cipher, ok = policy.ParseIKECipher(parts[0]); !ok {
			return nil, fmt.Errorf("unknown cipher %q (AES_128, AES_192, AES_256, 3DES, DES, AES_GCM_128 …)", parts[0])
		}
		if p.Integrity, ok = policy.ParseIKEIntegrity(parts[1]); !ok {
			return nil, fmt.Errorf("unknown integrity %q (SHA1, SHA_256, SHA_384, MD5)", parts[1])
		}
		if p.DHGroup, ok = policy.ParseDHGroup(parts[2]); !ok {
			return nil, fmt.Errorf("unknown DH group %q (GROUP_1, GROUP_2, GROUP_14, ECP_256, ECP_384, GROUP_24, NONE)", parts[2])
		}
		out = append(out, p)
	}
	return out, nil
}

// parseQMProposals reads "ESP:SHA1+AES_128,ESP:SHA1,AH:SHA1": ESP with an integrity algorithm
// and optionally a cipher, or AH with an integrity algorithm; lifetimes are the default's
// (1 h, 55 GB).
func parseQMProposals(list string) ([]policy.QMProposal, error) {
	var out []policy.QMProposal
	def := policy.DefaultPolicy.QuickMode.Proposals[0]
	for _, item := range strings.Split(list, ",") {
		proto, algos, ok := strings.Cut(item, ":")
		if !ok {
			return nil, fmt.Errorf("%q is not PROTO:ALGORITHMS (ESP:SHA1+AES_128, ESP:SHA1, AH:SHA1)", item)
		}
		p := policy.QMProposal{LifetimeSeconds: def.LifetimeSeconds, LifetimeKilobytes: def.LifetimeKilobytes}
		names := strings.Split(algos, "+")
		auth, ok := policy.ParseAuthTransform(names[0])
		if !ok {
			return nil, fmt.Errorf("unknown integrity %q (SHA1, SHA_256, MD5)", names[0])
		}
		p.Auth = auth
		switch strings.ToUpper(proto) {
		case "AH":
			if len(names) != 1 {
				return nil, fmt.Errorf("%q: AH authenticates only; it takes no cipher", item)
			}
			p.Transform = policy.TransformAH
		case "ESP":
			switch len(names) {
			case 1:
				p.Transform = policy.TransformESPAuth
			case 2:
				c, ok := policy.ParseCipherTransform(names[1])
				if !ok {
					return nil, fmt.Errorf("unknown cipher %q (AES_128, AES_192, AES_256, CBC_3DES, CBC_DES)", names[1])
				}
				p.Transform, p.Cipher = policy.TransformESPAuthAndCipher, c
			default:
				return nil, fmt.Errorf("%q: ESP takes an integrity algorithm and at most one cipher", item)
			}
		default:
			return nil, fmt.Errorf("%q: the protocol is ESP or AH", item)
		}
		out = append(out, p)
	}
	return out, nil
}

// parseAuthMethods reads "KERBEROS,SSL,ANONYMOUS": IKEEXT authentication method names without
// their prefix.
func parseAuthMethods(list string) ([]policy.AuthMethod, error) {
	var out []policy.AuthMethod
	if list == "" || strings.EqualFold(list, "NONE") {
		return nil, nil
	}
	for _, item := range strings.Split(list, ",") {
		t, ok := policy.ParseAuthMethodType(item)
		if !ok {
			return nil, fmt.Errorf("unknown authentication method %q (ANONYMOUS, KERBEROS, SSL, CERTIFICATE …)", item)
		}
		out = append(out, policy.AuthMethod{Type: t, NullRootConfig: t == policy.AuthSSL})
	}
	return out, nil
}

var getUserNameSpec = &callSpec{
	name:     "GetUserName",
	synopsis: "GetUserName",
	checks:   []string{"name"},
	compile: func(r *reader) action {
		r.finish()
		return func(x *execCtx) outcome {
			name, err := x.api.GetUserName()
			o := outcome{err: err}
			if err == nil {
				o.set("name", name)
			}
			return o
		}
	},
}

var closeHandleSpec = &callSpec{
	name:     "CloseHandle",
	synopsis: "CloseHandle machinetoken|apptoken|HANDLE",
	compile: func(r *reader) action {
		a := r.positional("HANDLE", true)
		r.finish()
		var fixed uint64
		which := ""
		if a != nil {
			switch a.Value {
			case "machinetoken", "apptoken":
				which = a.Value
			default:
				mag, neg, ok := parseNumber(a.Value)
				if !ok || neg {
					r.errAt(a.Pos, "CloseHandle takes machinetoken, apptoken (the handles the application's last WSAQuerySocketSecurity returned) or a number, got %q", a.Value)
				}
				fixed = mag
			}
		}
		return func(x *execCtx) outcome {
			h := fixed
			switch which {
			case "machinetoken":
				h = x.env.machineToken
			case "apptoken":
				h = x.env.appToken
			}
			return outcome{err: x.api.CloseHandle(h)}
		}
	},
}
