package fuzz

import (
	"fmt"
	"net/netip"

	"github.com/wsssim/wsssim/scenario"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sockaddr"
)

// sockKey names a socket across applications.
type sockKey struct {
	app string
	h   sim.Handle
}

// sockState is what the checker knows of a socket from the calls made on it.
type sockState struct {
	placed    bool // bound, listening, connecting or connected: security may no longer be applied
	exclusive bool // SO_EXCLUSIVEADDRUSE was on when it took its address
	exclOpt   bool // SO_EXCLUSIVEADDRUSE currently on
	holds     holdKey
	holding   bool
	closed    bool
}

// holdKey is an address held on a host, in one protocol's port space.
type holdKey struct {
	host  string
	proto int32 // the socket type: TCP and UDP ports are separate
	addr  netip.AddrPort
}

// checker follows the trace of a run and checks the invariants after every call.
type checker struct {
	world  *scenario.SimWorld
	script *scenario.Script

	socks   map[sockKey]*sockState
	holders map[holdKey]sockKey
	inits   map[string]int

	events         int
	violation      *Violation
	violationEvent int
}

func newChecker() *checker {
	c := &checker{socks: map[sockKey]*sockState{}, holders: map[holdKey]sockKey{}, inits: map[string]int{}}
	for _, a := range apps {
		c.inits[a] = 1
	}
	return c
}

// StructuredOnly marks the checker as a sim.StructuredTracer: it reads the events' fields, never
// their text, so the simulator need not format it.
func (*checker) StructuredOnly() {}

// step is told of each statement once it has run (scenario.Options.OnStep): the events since
// the previous statement are its calls, so a violation among them is on its line.
func (c *checker) step(s scenario.Step) {
	if c.violation != nil && c.violation.Line == 0 && c.violationEvent < c.events {
		c.violation.Line = s.Stmt.Pos.Line
	}
}

func (c *checker) fail(invariant, format string, args ...any) {
	if c.violation == nil {
		c.violation = &Violation{Invariant: invariant, Detail: fmt.Sprintf(format, args...)}
		c.violationEvent = c.events - 1
	}
}

// host returns the host a destination address belongs to, seen from host from.
func (c *checker) host(from string, a sockaddr.Addr) string {
	ip := a.IP.Unmap()
	if ip.IsLoopback() {
		return from
	}
	for _, h := range c.script.Hosts {
		for _, own := range h.Addrs {
			if own == ip {
				return h.Name
			}
		}
	}
	return ""
}

func key(host string, typ int32, a sockaddr.Addr) holdKey {
	return holdKey{host, typ, netip.AddrPortFrom(a.IP.Unmap(), a.Port)}
}

// Event checks one call.
func (c *checker) Event(e sim.Event) {
	c.events++
	if c.violation != nil {
		return
	}
	ok := e.Code == 0
	k := sockKey{e.App, e.Handle}
	// INVALID_SOCKET names no socket: the event, wait and thread calls report it, and so does a
	// socket call given it. Such a call only has to fail (or succeed) by the rule table.
	noSocket := e.Handle == sim.INVALID_SOCKET
	var s *sockState // nil for a handle no call has made
	if !noSocket {
		s = c.socks[k]
	}
	c.checkRule(e)
	c.checkClosed(e, s)

	switch e.Func {
	case "WSAStartup":
		if ok {
			c.inits[e.App]++
		}
		return
	case "WSACleanup":
		if ok {
			c.inits[e.App]--
			if c.inits[e.App] == 0 {
				for sk, ss := range c.socks {
					if sk.app == e.App {
						c.release(sk, ss)
					}
				}
			}
		}
		return
	case "WSARevertImpersonation":
		return // a thread's call: it names no socket (its Handle is INVALID_SOCKET)
	}
	if e.NewHandle != 0 && e.NewHandle != sim.INVALID_SOCKET {
		ns := &sockState{}
		if e.Func == "accept" {
			ns.placed = true
		}
		c.socks[sockKey{e.App, e.NewHandle}] = ns
		if e.NewHandle == e.Handle {
			s = ns
		}
	}
	if s == nil {
		if noSocket {
			return
		}
		s = &sockState{}
		c.socks[k] = s
	}
	host := hostOf(e.App)
	switch e.Func {
	case "setsockopt":
		if ok && e.Level == sim.SOL_SOCKET && e.Option == sim.SO_EXCLUSIVEADDRUSE {
			s.exclOpt = e.Value != 0
		}
	case "WSASetSocketSecurity", "WSAIoctl":
		if e.Func == "WSAIoctl" && e.IoctlCode != sim.SIO_SET_SECURITY {
			break
		}
		if ok {
			if s.placed {
				c.fail("security-after-bind", "WSASetSocketSecurity succeeded on %s %v, which was already bound, listening or connected", e.App, e.Handle)
			}
			s.exclOpt = true
		}
	case "bind", "listen", "connect", "WSAConnect", "ConnectEx", "sendto":
		// A socket with a local address (bound, or implicitly bound by a connect or sendto, even
		// one that then failed) may no longer be secured. A datagram socket "connected" to the
		// all-zero address is disconnected instead, and stays unbound.
		if e.Local.Family != sockaddr.AF_UNSPEC {
			s.placed = true
		}
		// Only an explicit bind to a specific address holds that address; implicit binds are
		// to the wildcard.
		if e.Func == "bind" && ok && s.exclOpt && !e.Local.IsWildcard() {
			s.exclusive, s.holding = true, true
			s.holds = key(host, e.SockType, e.Local)
			c.holders[s.holds] = k
		}
		if e.DeliveredTo != "" && (e.Func == "connect" || e.Func == "WSAConnect" || e.Func == "ConnectEx" || e.Func == "sendto") {
			dst := key(c.host(host, e.Addr), e.SockType, e.Addr)
			if holder, held := c.holders[dst]; held && holder != (sockKey{e.DeliveredTo, e.Receiver}) {
				c.fail("exclusive-delivery", "%s to %v from %s reached %s %v, but %s %v holds that address exclusively",
					e.Func, e.Addr, e.App, e.DeliveredTo, e.Receiver, holder.app, holder.h)
			}
		}
	case "closesocket":
		if ok {
			c.release(k, s)
		}
	}
}

func (c *checker) release(k sockKey, s *sockState) {
	s.closed = true
	if s.holding && c.holders[s.holds] == k {
		delete(c.holders, s.holds)
	}
	s.holding = false
}

// checkRule: a failure must come from a rule the table lists for that call, with its code.
func (c *checker) checkRule(e sim.Event) {
	if e.Code == 0 {
		return
	}
	if e.Rule == nil {
		c.fail("rule-table", "%s failed with %s but named no rule", e.Func, e.Code.Name())
		return
	}
	if e.Rule.Code != e.Code {
		c.fail("rule-table", "%s returned %s under rule %s, whose code is %s", e.Func, e.Code.Name(), e.Rule.ID, e.Rule.Code.Name())
		return
	}
	for _, r := range rulesFor(e.Func) {
		if r == e.Rule {
			return
		}
	}
	c.fail("rule-table", "%s failed under rule %s, which the table does not list for %s", e.Func, e.Rule.ID, e.Func)
}

// listed caches sim.RulesFor, which copies the rule table's list on every call, for every
// function of the scenario language. The rule table is fixed once package sim is initialised,
// so the map is filled once and only read afterwards: concurrent checkers share it without a
// lock, and a look-up is a plain map access rather than a sync.Map's.
var listed = func() map[string][]*sim.Rule {
	m := map[string][]*sim.Rule{}
	for _, c := range scenario.Calls() {
		m[c.Name] = sim.RulesFor(c.Name)
	}
	return m
}()

func rulesFor(fn string) []*sim.Rule {
	if l, ok := listed[fn]; ok {
		return l
	}
	return sim.RulesFor(fn)
}

// checkClosed: once closed, a handle is not a socket. s is what the checker knows of the
// call's handle (nil: nothing).
func (c *checker) checkClosed(e sim.Event, s *sockState) {
	switch e.Func {
	case "socket", "WSASocket", "WSAStartup", "WSACleanup", "WSARevertImpersonation":
		return
	}
	if s == nil || !s.closed || c.inits[e.App] <= 0 {
		return
	}
	if e.Rule == nil || e.Rule.ID != "GEN-NOTSOCK" {
		got := "success"
		if e.Rule != nil {
			got = e.Rule.ID
		}
		c.fail("closed-handle", "%s on the closed handle %v of %s gave %s, want GEN-NOTSOCK", e.Func, e.Handle, e.App, got)
	}
}
