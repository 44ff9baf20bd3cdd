package scenario

import (
	"fmt"
	"strconv"
	"time"

	"github.com/wsssim/wsssim/sim"
)

// injector is a World that can make calls fail on purpose: the simulator can, a real Winsock
// cannot (the native back end skips scripts with inject lines).
type injector interface {
	Inject(sim.Fault) (*sim.Injection, error)
}

// Inject installs a fault in the simulated network (an inject line).
func (w *SimWorld) Inject(f sim.Fault) (*sim.Injection, error) { return w.net.Inject(f) }

var injectSpec = &callSpec{
	name:     "inject",
	synopsis: "inject CALL CODE [times=N] [nth=N] [probability=P] [seed=N] [app=HOST/APP] [host=HOST]",
	keys:     []string{"times", "nth", "probability", "seed", "app", "host"},
	pseudo:   true,
	compile:  compileInject,
}

// compileInject reads an inject line: from then on, calls of CALL that would succeed fail with
// CODE, as sim.Fault describes.
func compileInject(r *reader) action {
	var f sim.Fault
	if a := r.positional("CALL", true); a != nil {
		if spec, ok := callSpecs[a.Value]; !ok || spec.pseudo {
			r.errAt(a.Pos, "inject: unknown function %q%s", a.Value, didYouMean(a.Value, callNames()))
		} else {
			f.Func = a.Value
		}
	}
	if a := r.positional("CODE", true); a != nil {
		if code, ok := parseCode(a.Value); ok && code != 0 && code.Known() {
			f.Code = code
		} else {
			r.errAt(a.Pos, "inject: %q is not a known error code%s", a.Value, didYouMean(a.Value, resultVocabulary()))
		}
	}
	r.finish()
	count := func(key string) int {
		a := r.key(key)
		if a == nil {
			return 0
		}
		n, err := strconv.Atoi(a.Value)
		if err != nil || n < 0 {
			r.errAt(valueStart(a), "inject: %s=%s is not a count", key, a.Value)
		}
		return n
	}
	f.Times, f.Nth = count("times"), count("nth")
	if a := r.key("probability"); a != nil {
		p, err := strconv.ParseFloat(a.Value, 64)
		if err != nil || p < 0 || p > 1 {
			r.errAt(valueStart(a), "inject: probability=%s is not a number from 0 to 1", a.Value)
		}
		f.Probability = p
	}
	if a := r.key("seed"); a != nil {
		s, err := strconv.ParseUint(a.Value, 0, 64)
		if err != nil {
			r.errAt(valueStart(a), "inject: seed=%s is not a number", a.Value)
		}
		f.Seed = s
	}
	if a := r.key("app"); a != nil {
		f.App = a.Value
	}
	if a := r.key("host"); a != nil {
		f.Host = a.Value
	}
	return func(x *execCtx) outcome {
		in, ok := x.world.(injector)
		if !ok {
			return outcome{err: fmt.Errorf("inject: this back end cannot inject faults")}
		}
		_, err := in.Inject(f)
		return outcome{err: err}
	}
}

// linkDisturber is a World whose network can be disturbed between hosts: the simulator.
type linkDisturber interface {
	DisturbLink(sim.LinkFault) (*sim.Disturbance, error)
}

// DisturbLink installs a network fault between simulated hosts (a netfault line).
func (w *SimWorld) DisturbLink(f sim.LinkFault) (*sim.Disturbance, error) {
	return w.net.DisturbLink(f)
}

var netfaultSpec = &callSpec{
	name:     "netfault",
	synopsis: `netfault drop|delay|reset|unreachable|negotiation [from=HOST] [to=HOST] [delay=D] [reason="..."] [times=N]`,
	keys:     []string{"from", "to", "delay", "reason", "times"},
	pseudo:   true,
	compile:  compileNetfault,
}

// compileNetfault reads a netfault line: from then on, traffic from one host to another is
// lost, late, reset, refused as unreachable, or its IPsec negotiation fails (sim.LinkFault).
func compileNetfault(r *reader) action {
	var f sim.LinkFault
	if a := r.positional("KIND", true); a != nil {
		k, ok := sim.ParseLinkFaultKind(a.Value)
		if !ok {
			r.errAt(a.Pos, "netfault: unknown kind %q%s", a.Value, didYouMean(a.Value, []string{"drop", "delay", "reset", "unreachable", "negotiation"}))
		}
		f.Kind = k
	}
	r.finish()
	if a := r.key("from"); a != nil {
		f.From = a.Value
	}
	if a := r.key("to"); a != nil {
		f.To = a.Value
	}
	if a := r.key("delay"); a != nil {
		d, err := time.ParseDuration(a.Value)
		if err != nil || d < 0 || d > maxAdvance {
			r.errAt(valueStart(a), "netfault: delay=%s is not a duration (250ms, 5s)", a.Value)
		}
		f.Delay = d
	}
	if a := r.key("reason"); a != nil {
		f.Reason = a.Value
	}
	if a := r.key("times"); a != nil {
		n, err := strconv.Atoi(a.Value)
		if err != nil || n < 0 {
			r.errAt(valueStart(a), "netfault: times=%s is not a count", a.Value)
		}
		f.Times = n
	}
	return func(x *execCtx) outcome {
		ld, ok := x.world.(linkDisturber)
		if !ok {
			return outcome{err: fmt.Errorf("netfault: this back end cannot disturb a network")}
		}
		_, err := ld.DisturbLink(f)
		return outcome{err: err}
	}
}
