package sim

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sim/ipsec"
)

// Network faults: what a real network does to a program between two machines — packets lost
// or late, connections reset, a host gone, an IPsec negotiation that fails — made to happen on
// purpose, so a program's reaction can be tested. Call faults (inject.go) make one call fail;
// these act on the traffic between hosts, and the calls that meet them fail (or are delayed) the
// way the network would make them. Every failure they cause carries a rule whose ID starts with
// INJECTED, so traces say it was injected.

// LinkFaultKind is what a link fault does to the traffic it matches.
type LinkFaultKind uint8

// The kinds of link fault.
const (
	// LinkDrop loses packets: a TCP connect's SYN goes unanswered (WSAETIMEDOUT after the
	// 21 s time-out), a datagram vanishes (sendto still succeeds).
	LinkDrop LinkFaultKind = iota
	// LinkDelay delivers packets Delay later on the virtual clock: a blocking connect returns
	// after the delay, a non-blocking one or a ConnectEx completes then.
	LinkDelay
	// LinkReset resets the TCP connections between the hosts when the fault is installed: the
	// next sendto on either end fails with WSAECONNRESET. New connections are not affected.
	LinkReset
	// LinkUnreachable makes the destination host unreachable (an ICMP host-unreachable comes
	// back): connect fails at once with WSAEHOSTUNREACH; datagrams are lost.
	LinkUnreachable
	// LinkNegotiationFailure makes every IPsec negotiation between the hosts fail (the reason
	// given, or "injected"), with ALLOW_INSECURE fallback as for a real failure.
	LinkNegotiationFailure
)

var linkFaultNames = [...]string{"drop", "delay", "reset", "unreachable", "negotiation"}

// String names the kind as scenario netfault lines do.
func (k LinkFaultKind) String() string {
	if int(k) < len(linkFaultNames) {
		return linkFaultNames[k]
	}
	return fmt.Sprintf("LinkFaultKind(%d)", k)
}

// ParseLinkFaultKind reads a kind's name: drop, delay, reset, unreachable, negotiation.
func ParseLinkFaultKind(s string) (LinkFaultKind, bool) {
	for i, n := range linkFaultNames {
		if strings.EqualFold(n, s) {
			return LinkFaultKind(i), true
		}
	}
	return 0, false
}

// LinkFault selects traffic between hosts and what happens to it.
type LinkFault struct {
	Kind LinkFaultKind
	// From and To name the hosts the traffic goes from and to; "" matches any host. Traffic
	// within one host (loopback) is never disturbed.
	From, To string
	// Delay is LinkDelay's lateness.
	Delay time.Duration
	// Reason is LinkNegotiationFailure's explanation ("" is "injected").
	Reason string
	// Times bounds how many connections or datagrams the fault disturbs; 0 is without bound.
	Times int
}

// Disturbance is an installed LinkFault.
type Disturbance struct {
	net   *Network
	fault LinkFault
	fired atomic.Int64
}

// Fired reports how many connections or datagrams the fault has disturbed.
func (d *Disturbance) Fired() int { return int(d.fired.Load()) }

// Remove uninstalls the fault; traffic flows normally again.
func (d *Disturbance) Remove() {
	n := d.net
	n.linkMu.Lock()
	defer n.linkMu.Unlock()
	for i, x := range n.links {
		if x == d {
			n.links = append(n.links[:i:i], n.links[i+1:]...)
			n.linkCount.Store(int32(len(n.links)))
			return
		}
	}
}

var (
	ruleInjectedDrop = rule("INJECTED-DROP", "connect", errors.WSAETIMEDOUT,
		"a link fault drops the traffic to the destination host: the SYN goes unanswered and the connect times out after 21 s of virtual time (Network.DisturbLink, scenario netfault drop)",
		"wsssim fault injection (issue 6); doc: connect — WSAETIMEDOUT: an attempt to connect timed out without establishing a connection",
		nil)
	ruleInjectedUnreachable = rule("INJECTED-UNREACHABLE", "connect", errors.WSAEHOSTUNREACH,
		"a link fault makes the destination host unreachable: a host-unreachable error comes back at once (Network.DisturbLink, scenario netfault unreachable)",
		"wsssim fault injection (issue 6); doc: connect — WSAEHOSTUNREACH: a socket operation was attempted to an unreachable host",
		nil)
	ruleInjectedNegotiation = rule("INJECTED-NEGOTIATION", "connect", errors.WSAETIMEDOUT,
		"a link fault makes the IPsec negotiation fail, and no end that asked for IPsec allows clear text: the connect times out after 21 s as for a real failure (ruling R18) (Network.DisturbLink, scenario netfault negotiation)",
		"wsssim fault injection (issue 6); ruling R18",
		nil)
	ruleSendtoReset = rule("SENDTO-RESET", "sendto", errors.WSAECONNRESET,
		"the TCP connection was reset (by a link fault, LinkReset): sending on it fails",
		"doc: sendto — WSAECONNRESET: the virtual circuit was reset by the remote side executing a hard or abortive close",
		func(c *call) bool { return c.s.isStream() && c.s.has(bitReset) })
)

// DisturbLink installs a network fault between hosts.
func (n *Network) DisturbLink(f LinkFault) (*Disturbance, error) {
	if int(f.Kind) >= len(linkFaultNames) {
		return nil, fmt.Errorf("sim: unknown link fault kind %d", f.Kind)
	}
	for _, name := range []string{f.From, f.To} {
		if _, ok := n.Host(name); name != "" && !ok {
			return nil, fmt.Errorf("sim: link fault names no host %q", name)
		}
	}
	if f.Delay < 0 || f.Times < 0 {
		return nil, fmt.Errorf("sim: link fault with a negative delay or count")
	}
	d := &Disturbance{net: n, fault: f}
	if f.Kind == LinkReset {
		d.fired.Add(int64(n.resetConnections(f.From, f.To)))
		return d, nil
	}
	n.linkMu.Lock()
	n.links = append(n.links, d)
	n.linkCount.Store(int32(len(n.links)))
	n.linkMu.Unlock()
	return d, nil
}

// linkFault returns the first installed fault of one of the kinds on the traffic from one host
// to another, and counts it as fired; nil when the traffic flows normally.
func (n *Network) linkFault(from, to *Host, kinds ...LinkFaultKind) *Disturbance {
	if from == to || n.linkCount.Load() == 0 {
		return nil
	}
	n.linkMu.Lock()
	defer n.linkMu.Unlock()
	for _, d := range n.links {
		f := &d.fault
		if !slices.Contains(kinds, f.Kind) {
			continue
		}
		if (f.From != "" && f.From != from.name) || (f.To != "" && f.To != to.name) {
			continue
		}
		if f.Times > 0 && d.fired.Load() >= int64(f.Times) {
			continue
		}
		d.fired.Add(1)
		return d
	}
	return nil
}

// injectedFailure is the IPsec failure a LinkNegotiationFailure makes.
func (d *Disturbance) injectedFailure() *ipsec.Failure {
	reason := d.fault.Reason
	if reason == "" {
		reason = "the negotiation was made to fail"
	}
	return &ipsec.Failure{Phase: ipsec.PhaseMainMode, Code: errors.ERROR_IPSEC_IKE_TIMED_OUT, Reason: "injected: " + reason}
}

// resetConnections resets the established TCP connections between the two hosts (either
// direction; "" matches any host) and returns how many ends it reset.
func (n *Network) resetConnections(from, to string) int {
	match := func(a, b *Host) bool {
		return a != b && (from == "" || from == a.name) && (to == "" || to == b.name)
	}
	var socks []*Socket
	for _, h := range n.Hosts() {
		for _, a := range h.Apps() {
			for _, hd := range a.handles.all() {
				if s := a.handles.get(hd); s != nil {
					socks = append(socks, s)
				}
			}
		}
	}
	reset := 0
	for _, s := range socks {
		s.mu.Lock()
		if s.isStream() && s.state == StateConnected && s.extra != nil && s.extra.peerSock != nil {
			peerHost := s.extra.peerSock.app.host
			if match(s.app.host, peerHost) || match(peerHost, s.app.host) {
				s.set(bitReset, true)
				reset++
			}
		}
		s.mu.Unlock()
	}
	return reset
}
