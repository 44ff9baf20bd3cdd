package sim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim/ports"
)

// A host's IPsec configuration besides its credentials: the administrator's connection-security
// rules, and the AuthIP policies that programs register as WFP provider contexts
// (FwpmProviderContextAdd0) and name in SOCKET_SECURITY_SETTINGS_IPSEC's AuthipMMPolicyKey and
// AuthipQMPolicyKey.

// RuleMode is how strongly a connection-security rule asks for IPsec.
type RuleMode uint8

// The modes of Windows Firewall's connection-security rules.
const (
	// Require: traffic on the port must be protected; unprotected traffic is dropped.
	Require RuleMode = iota
	// Request: protection is negotiated, and traffic flows in the clear when negotiation
	// fails (the rule's "request authentication" mode).
	Request
)

// ConnectionRule is an administrator's rule that asks for IPsec on one port, inbound (traffic
// to the port on this host) and outbound (traffic from this host to the port elsewhere), with
// the default secure-socket policy.
type ConnectionRule struct {
	Proto ports.Proto
	Port  uint16
	Mode  RuleMode
}

// String is the rule as host lines write it: require=tcp/445, request=udp/500.
func (r ConnectionRule) String() string {
	mode := "require"
	if r.Mode == Request {
		mode = "request"
	}
	proto := "tcp"
	if r.Proto == ports.UDP {
		proto = "udp"
	}
	return mode + "=" + proto + "/" + strconv.Itoa(int(r.Port))
}

// ParseConnectionRules reads a comma-separated list such as "tcp/445,udp/500" in one mode.
func ParseConnectionRules(list string, mode RuleMode) ([]ConnectionRule, error) {
	var out []ConnectionRule
	for _, item := range strings.Split(list, ",") {
		proto, port, ok := strings.Cut(strings.TrimSpace(item), "/")
		r := ConnectionRule{Mode: mode}
		switch strings.ToLower(proto) {
		case "tcp":
			r.Proto = ports.TCP
		case "udp":
			r.Proto = ports.UDP
		default:
			ok = false
		}
		n, err := strconv.ParseUint(port, 10, 16)
		if !ok || err != nil || n == 0 {
			return nil, fmt.Errorf("%q is not PROTO/PORT (tcp/445, udp/500)", item)
		}
		r.Port = uint16(n)
		out = append(out, r)
	}
	return out, nil
}

// ruleFor returns the host's rule for the protocol and port, if any.
func (h *Host) ruleFor(proto ports.Proto, port uint16) (ConnectionRule, bool) {
	for _, r := range h.rules {
		if r.Proto == proto && r.Port == port {
			return r, true
		}
	}
	return ConnectionRule{}, false
}

// providerContext is one registered AuthIP policy: a main-mode one, or a quick-mode one (which
// carries the extended-mode policy, as FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT does).
type providerContext struct {
	mainMode  *policy.MMPolicy
	quickMode *policy.QMPolicy
}

// AddMainModePolicy registers an AuthIP main-mode policy under key, as FwpmProviderContextAdd0
// with an FWPM_IPSEC_AUTHIP_MM_CONTEXT would; sockets name it with AuthipMMPolicyKey.
func (h *Host) AddMainModePolicy(key policy.GUID, p policy.MMPolicy) error {
	c := p
	c.AuthMethods = append([]policy.AuthMethod(nil), p.AuthMethods...)
	c.Proposals = append([]policy.MMProposal(nil), p.Proposals...)
	return h.addContext(key, providerContext{mainMode: &c})
}

// AddQuickModePolicy registers an AuthIP quick-mode (and extended-mode) policy under key, as
// FwpmProviderContextAdd0 with an FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT would (the SDK
// securesocket sample's AddCustomIPsecPolicy); sockets name it with AuthipQMPolicyKey.
func (h *Host) AddQuickModePolicy(key policy.GUID, p policy.QMPolicy) error {
	c := p
	c.Proposals = append([]policy.QMProposal(nil), p.Proposals...)
	c.EMPolicy.AuthMethods = append([]policy.AuthMethod(nil), p.EMPolicy.AuthMethods...)
	return h.addContext(key, providerContext{quickMode: &c})
}

func (h *Host) addContext(key policy.GUID, c providerContext) error {
	if key == (policy.GUID{}) {
		return fmt.Errorf("sim: host %s: a provider context needs a non-zero key", h.name)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, dup := h.contexts[key]; dup {
		// FwpmProviderContextAdd0 answers FWP_E_ALREADY_EXISTS.
		return fmt.Errorf("sim: host %s: a provider context with key %v already exists", h.name, key)
	}
	h.contexts[key] = c
	return nil
}

// DeletePolicy removes a registered policy (FwpmProviderContextDeleteByKey0). Connections
// already negotiated keep their SAs; new negotiations naming the key fail.
func (h *Host) DeletePolicy(key policy.GUID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.contexts[key]
	delete(h.contexts, key)
	return ok
}

// effectivePolicy is the AuthIP policy a socket's settings select on this host: the default
// secure-socket policy, with the main-mode and quick-mode parts replaced by the registered
// policies the settings name. A key that names nothing registered is an error that says so.
func (h *Host) effectivePolicy(st *policy.Settings) (policy.Policy, error) {
	p := policy.DefaultPolicy.Clone()
	if st == nil || st.IPsec == nil {
		return p, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if k := st.IPsec.MMPolicyKey; k != (policy.GUID{}) {
		c, ok := h.contexts[k]
		if !ok || c.mainMode == nil {
			return p, fmt.Errorf("AuthipMMPolicyKey %v is not a main-mode provider context on host %s", k, h.name)
		}
		p.MainMode = *c.mainMode
	}
	if k := st.IPsec.QMPolicyKey; k != (policy.GUID{}) {
		c, ok := h.contexts[k]
		if !ok || c.quickMode == nil {
			return p, fmt.Errorf("AuthipQMPolicyKey %v is not a quick-mode provider context on host %s", k, h.name)
		}
		p.QuickMode = *c.quickMode
	}
	return p, nil
}
