package sim

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/wsssim/wsssim/errors"
)

// Fault makes calls that would succeed fail with a chosen code, so that a program's error
// handling can be tested against failures a real network throws at it (in the spirit of Go's
// net/internal/socktest filters). The zero value of each selector matches everything.
type Fault struct {
	Func   string       // the Winsock function ("WSASetSocketSecurity"), or "" for any
	Code   errors.Errno // the code the call fails with
	App    string       // the application ("host" or "host/app"), or "" for any
	Host   string       // the host, or "" for any
	Socket Handle       // the socket the call names, or 0 for any
	// Nth fires on the Nth matching call (1-based) and those after it; 0 is the first.
	Nth int
	// Times bounds how often the fault fires; 0 is without bound.
	Times int
	// Probability, when above 0, fires each eligible call with that chance, drawn from a
	// generator seeded with Seed, so a run replays exactly.
	Probability float64
	Seed        uint64
}

// Injection is an installed Fault.
type Injection struct {
	net   *Network
	fault Fault
	rule  *Rule

	mu      sync.Mutex
	matched int
	fired   int
	rng     *rand.Rand
}

// Rule returns the rule the injected failures carry: ID "INJECTED", the fault's function and
// code, so traces and errors say the failure was injected.
func (i *Injection) Rule() *Rule { return i.rule }

// Fired reports how many calls the fault has failed.
func (i *Injection) Fired() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.fired
}

// Remove uninstalls the fault.
func (i *Injection) Remove() {
	n := i.net
	n.faultMu.Lock()
	defer n.faultMu.Unlock()
	list := *n.faults.Load()
	out := make([]*Injection, 0, len(list))
	for _, x := range list {
		if x != i {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		n.faults.Store(nil)
		return
	}
	n.faults.Store(&out)
}

// Inject installs a fault. The code must be a known, non-zero Winsock or Win32 code.
func (n *Network) Inject(f Fault) (*Injection, error) {
	if f.Code == 0 || !f.Code.Known() {
		return nil, fmt.Errorf("sim: inject: %d is not a known error code", uint32(f.Code))
	}
	if f.Probability < 0 || f.Probability > 1 || f.Nth < 0 || f.Times < 0 {
		return nil, fmt.Errorf("sim: inject: probability must be in [0,1], nth and times not negative")
	}
	fn := f.Func
	if fn == "" {
		fn = "*"
	}
	r := &Rule{ID: "INJECTED", Func: fn, Code: f.Code,
		Condition: "a fault injected by the test (Network.Inject or an inject line) made this call fail",
		Source:    "fault injection: not Windows behaviour, the test's own choice"}
	r.err = &RuleError{Rule: r, code: f.Code}
	inj := &Injection{net: n, fault: f, rule: r, rng: rand.New(rand.NewPCG(f.Seed, f.Seed^0x5eed))}
	n.faultMu.Lock()
	defer n.faultMu.Unlock()
	var list []*Injection
	if p := n.faults.Load(); p != nil {
		list = append(list, *p...)
	}
	list = append(list, inj)
	n.faults.Store(&list)
	return inj, nil
}

// injected returns the error of the first installed fault that fires for the call, or nil.
// It runs after the call's checks passed, so a fault replaces a success, never a rule's answer.
func (n *Network) injected(c *call) error {
	p := n.faults.Load()
	if p == nil {
		return nil
	}
	for _, i := range *p {
		if i.fires(c) {
			return i.rule.err
		}
	}
	return nil
}

func (i *Injection) fires(c *call) bool {
	f := &i.fault
	if (f.Func != "" && f.Func != c.fn) || (f.App != "" && f.App != c.app.Label()) ||
		(f.Host != "" && f.Host != c.app.host.name) || (f.Socket != 0 && f.Socket != c.h) {
		return false
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.matched++
	if i.matched < f.Nth || (f.Times > 0 && i.fired >= f.Times) {
		return false
	}
	if f.Probability > 0 && i.rng.Float64() >= f.Probability {
		return false
	}
	i.fired++
	return true
}

// faultList is the installed faults; the call path reads it with one atomic load.
type faultList = atomic.Pointer[[]*Injection]
