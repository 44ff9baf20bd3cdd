package scenario

import (
	"strconv"

	"github.com/wsssim/wsssim/sim"
)

// Host keys that set a simulated host's limits, and the largest values they take: every count
// and size a scenario gives is bounded before anything is allocated for it.
const (
	// MaxHostSockets is the largest maxsockets= (sim.HostConfig.MaxSockets).
	MaxHostSockets = 1 << 24
	// MaxHostBuffers is the largest buffers= in bytes (sim.HostConfig.Buffers). The budget is a
	// count, not an allocation, so it may be large.
	MaxHostBuffers = 1 << 40
)

// hostLimit is one limit key of a host line.
type hostLimit struct {
	key  string
	max  uint64
	what string
}

var hostLimits = []hostLimit{
	{"maxsockets", MaxHostSockets, "the most sockets the host holds at once (WSAEMFILE beyond)"},
	{"buffers", MaxHostBuffers, "the host's buffer budget in bytes (WSAENOBUFS when spent; each socket holds " + strconv.Itoa(sim.SocketBufferCost) + ")"},
}

// limitValue reads a limit key's value: a number from 1 to max; ok is false otherwise.
func limitValue(v string, max uint64) (uint64, bool) {
	mag, neg, ok := parseNumber(v)
	if !ok || neg || mag < 1 || mag > max {
		return 0, false
	}
	return mag, true
}

// checkHostLimits reports limit keys of a host line whose values are out of range.
func (a *analyzer) checkHostLimits(h *HostDecl) {
	for _, l := range hostLimits {
		for _, o := range h.Options {
			if o.Key != l.key {
				continue
			}
			if _, ok := limitValue(o.Value, l.max); !ok {
				a.errs.at(valueStart(&o), "host %s: %s= takes a number from 1 to %d (%s), got %q", h.Name, l.key, l.max, l.what, o.Value)
			}
		}
	}
}

// applyHostLimits sets the limits a host line gives (checked already) in its configuration.
func applyHostLimits(hd *HostDecl, cfg *sim.HostConfig) {
	if v, ok := hd.Option("maxsockets"); ok {
		n, _ := limitValue(v, MaxHostSockets)
		cfg.MaxSockets = int(n)
	}
	if v, ok := hd.Option("buffers"); ok {
		n, _ := limitValue(v, MaxHostBuffers)
		cfg.Buffers = int64(n)
	}
}

// limitedHost names a host that sets a limit, for back ends that cannot honour one.
func limitedHost(s *Script) (string, bool) {
	for _, h := range s.Hosts {
		for _, l := range hostLimits {
			if _, ok := h.Option(l.key); ok {
				return h.Name + " sets " + l.key + "=", true
			}
		}
	}
	return "", false
}
