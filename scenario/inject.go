package scenario

import (
	"fmt"
	"strconv"

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
