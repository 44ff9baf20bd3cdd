package scenario

import (
	"fmt"
	"time"
)

// clockWorld is a World whose time a script can move: the simulator's virtual clock. A real
// machine's clock moves by itself, so the native back end skips scripts with advance lines.
type clockWorld interface {
	Advance(time.Duration) error
	Now() time.Duration
}

// Advance moves the simulated network's virtual clock (an advance line).
func (w *SimWorld) Advance(d time.Duration) error { return w.net.Advance(d) }

// Now is the simulated network's virtual time.
func (w *SimWorld) Now() time.Duration { return w.net.Now() }

// maxAdvance bounds one advance line: a century is more than any SA lifetime, and the bound
// keeps the clock far from overflow however many lines a file has.
const maxAdvance = 100 * 365 * 24 * time.Hour

var advanceSpec = &callSpec{
	name:     "advance",
	synopsis: "advance DURATION (Go syntax: 90s, 5m, 1h30m)",
	pseudo:   true,
	compile:  compileAdvance,
}

// compileAdvance reads an advance line: the virtual clock moves forward by DURATION, firing the
// timers due on the way (SA expiry and rekeying, connection attempts that time out).
func compileAdvance(r *reader) action {
	var d time.Duration
	if a := r.positional("DURATION", true); a != nil {
		v, err := time.ParseDuration(a.Value)
		switch {
		case err != nil:
			r.errAt(a.Pos, "advance: %q is not a duration (write it as Go does: 90s, 5m, 1h30m)", a.Value)
		case v < 0:
			r.errAt(a.Pos, "advance: %s goes back in time; the clock only moves forward", a.Value)
		case v > maxAdvance:
			r.errAt(a.Pos, "advance: %s is more than a century", a.Value)
		}
		d = v
	}
	r.finish()
	return func(x *execCtx) outcome {
		cw, ok := x.world.(clockWorld)
		if !ok {
			return outcome{err: fmt.Errorf("advance: this back end has no virtual clock")}
		}
		return outcome{err: cw.Advance(d)}
	}
}
