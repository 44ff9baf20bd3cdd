package scenario

import (
	stderrors "errors"
	"fmt"
	"io"
	"strings"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/socket"
)

// noCode is Step.Got for a failure that carries no Winsock code (a back end's own error).
const noCode = errors.Errno(^uint32(0))

// Options tunes Run.
type Options struct {
	// Trace, when set, receives one line per statement run:
	// "file:line: who: CALL ARGS = RESULT [RULE] KEY=VALUE…".
	Trace io.Writer
	// StopAtFirstFailure ends the run at the first statement whose expectation fails, for
	// shrinking and for reading the one failure that matters.
	StopAtFirstFailure bool
	// OnStep, when set, is called with each step as soon as it has run, before the next
	// statement runs (and before Trace gets its line): a hook for tools that follow a run as
	// it goes, as the fuzzer does to tell which statement made each simulator event.
	OnStep func(Step)
	// FailedStepsOnly keeps in Result.Steps only the failed steps (the first
	// MaxStreamFailures), as a streamed run does, with StepCount and FailureCount counting
	// them all: for callers that follow the steps through OnStep and need not keep every one
	// (the fuzzer runs millions of statements and reads none of them afterwards).
	FailedStepsOnly bool
}

// Result is one script's run on one back end.
type Result struct {
	Script  *Script
	Backend string
	// Skipped is why the back end could not run the script; no statement ran.
	Skipped string
	// Err is set when the script could not run at all (it does not check, or the back end
	// failed to build its world). Steps is then empty.
	Err   error
	Steps []Step
	// Streamed marks a RunReader result: Steps then holds only failed steps (the first
	// MaxStreamFailures), and StepCount and FailureCount count every step and failure, as
	// they also do for a Run with Options.FailedStepsOnly.
	Streamed                bool
	StepCount, FailureCount int
}

// Passed reports whether the script ran and every expectation held. A skipped script has not
// passed (nor failed): callers report it separately.
func (r *Result) Passed() bool {
	return r.Err == nil && r.Skipped == "" && len(r.Failures()) == 0
}

// Failures returns the steps whose expectation did not hold.
func (r *Result) Failures() []Step {
	var out []Step
	for _, s := range r.Steps {
		if s.Failure != "" {
			out = append(out, s)
		}
	}
	return out
}

// Step is one statement's run.
type Step struct {
	Stmt *Stmt
	// App is the application that made the call ("host" or "host/app"; "" for settle).
	App string
	// Thread is the thread of App that made it: "" for the main thread.
	Thread string
	// Got is the error code the call returned, 0 for success.
	Got errors.Errno
	// Err is the error as the back end returned it (nil for success).
	Err error
	// Rule is the simulator rule that decided a failure; nil on success or natively.
	Rule *sim.Rule
	// Values are the values the call returned ("value", "len", "addr", "peer", "bytes",
	// "version", and "handle" for calls that return a SOCKET).
	Values Values
	// Failure is "" when the expectation held, else e.g. "got WSAEINVAL, want ok".
	Failure string
}

// Message is the report line for a failed step: "file:line: CALL …: got X, want Y", followed by
// the rule that decided X when there is one ("[rule SETSEC-BOUND: condition]").
func (s Step) Message() string {
	var b strings.Builder
	b.WriteString(s.Stmt.Pos.lineString())
	b.WriteString(": ")
	b.WriteString(s.Stmt.format(true, false))
	b.WriteString(": ")
	b.WriteString(s.Failure)
	if s.Rule != nil {
		b.WriteString(" [rule ")
		b.WriteString(s.Rule.ID)
		b.WriteString(": ")
		if r, _ := s.Values.Get("reason"); r != "" {
			// The model's own words for this call say more than the rule's general condition.
			b.WriteString(r)
		} else {
			b.WriteString(s.Rule.Condition)
		}
		b.WriteString("]")
	}
	return b.String()
}

// traceLine is the statement and its outcome in one deterministic line.
func (s Step) traceLine() string {
	var b strings.Builder
	b.WriteString(s.Stmt.Pos.lineString())
	b.WriteString(": ")
	if s.App != "" {
		b.WriteString(s.App)
		if s.Thread != "" {
			b.WriteByte('@')
			b.WriteString(s.Thread)
		}
		b.WriteString(": ")
	}
	b.WriteString(s.Stmt.callText(true))
	b.WriteString(" = ")
	b.WriteString(codeString(s.Got))
	if s.Rule != nil {
		b.WriteString(" [")
		b.WriteString(s.Rule.ID)
		b.WriteString("]")
	}
	for _, v := range s.Values.sorted() {
		name := v.Key
		if v.Key == "handle" && s.Stmt.Var != "" {
			name = s.Stmt.Var
		}
		b.WriteString(" ")
		b.WriteString(name)
		b.WriteString("=")
		b.WriteString(v.Value)
	}
	if s.Failure != "" {
		b.WriteString(" FAIL: ")
		b.WriteString(s.Failure)
	}
	return b.String()
}

// Run runs a script on a back end: statements in file order, each on its application, each
// checked against its expectation. It never panics on a Script, parsed or built by hand; a
// script that does not check comes back with Err set.
func Run(s *Script, b Backend, opts Options) *Result {
	res := &Result{Script: s}
	if b == nil {
		res.Err = stderrors.New("scenario: no back end")
		return res
	}
	res.Backend = b.Name()
	if s == nil {
		res.Err = stderrors.New("scenario: no script")
		return res
	}
	prog := s.prog
	if prog == nil || fingerprintOf(s) != prog.fingerprint {
		var err error
		if prog, err = compile(s); err != nil {
			res.Err = err
			return res
		}
	}
	w, err := b.Open(s)
	if err != nil {
		var skip *SkipError
		if stderrors.As(err, &skip) {
			res.Skipped = skip.Reason
		} else {
			res.Err = err
		}
		return res
	}
	defer w.Close()
	r := &runner{world: w, envs: make([]*appEnv, len(prog.apps)), apis: make([]socket.API, len(prog.threads))}
	r.threads, _ = w.(threadRunner)
	_, r.x.forgetClosed = w.(handleValueReuser)
	if !opts.FailedStepsOnly {
		res.Steps = make([]Step, 0, len(prog.ops))
	}
	for i := range prog.ops {
		step := r.step(&prog.ops[i])
		if opts.FailedStepsOnly {
			res.StepCount++
			if step.Failure != "" {
				res.FailureCount++
				if len(res.Steps) < MaxStreamFailures {
					res.Steps = append(res.Steps, step)
				}
			}
		} else {
			res.Steps = append(res.Steps, step)
		}
		if opts.OnStep != nil {
			opts.OnStep(step)
		}
		if opts.Trace != nil {
			fmt.Fprintln(opts.Trace, step.traceLine())
		}
		if step.Failure != "" && opts.StopAtFirstFailure {
			break
		}
	}
	return res
}

// runner is one run's state: each application's variables (indexed as compiled.apps), each
// thread's API (indexed as compiled.threads), and the context lines run in, reused from one
// line to the next.
type runner struct {
	world   World
	threads threadRunner // the world's, when its threads are real ones
	envs    []*appEnv
	apis    []socket.API
	x       execCtx
}

// threadRunner is a World whose threads are real OS threads (the native back end): a thread's
// calls must all run on it, since completion routines are queued to the thread that made the call
// and run in that thread's alertable waits.
type threadRunner interface {
	// RunOn runs f on the named thread ("" is the main thread) and returns when it has.
	RunOn(thread string, f func())
}

// handleValueReuser is a World whose handle values come back: a real Winsock, where Windows
// gives a closed handle's value to the next handle any thread of the process opens (the
// closesocket page warns of it; Wine hands out the lowest free slot). There a variable the
// script closed (closesocket, WSACloseEvent, or for sockets the last WSACleanup) is rebound to
// socket.NeverIssuedHandle, so that using it again reaches no
// handle, as it does in the simulator, which never reuses a value, instead of the socket or
// event that got the value next (the script's own, or one the Go runtime opened).
type handleValueReuser interface {
	// socketsClosed reports whether the process's last WSACleanup has closed every socket.
	socketsClosed() bool
}

// runOnThread runs the statement on its thread of a world whose threads are real. It is a
// function of its own so that the closure's captured result escapes to the heap only here, not
// on every simulated step.
func (r *runner) runOnThread(o *op, x *execCtx) outcome {
	var out outcome
	r.threads.RunOn(o.thread, func() { out = o.run(x) })
	return out
}

// step runs one statement and judges its outcome.
func (r *runner) step(o *op) Step {
	step := Step{Stmt: o.st, App: o.app, Thread: o.thread}
	env := r.envs[o.appIdx]
	if env == nil {
		env = newAppEnv()
		r.envs[o.appIdx] = env
	}
	// The context lives in the runner, on the heap: it is given only the pointers that change,
	// since each one stored costs a write barrier while the garbage collector marks.
	x := &r.x
	if x.env != env {
		x.env = env
	}
	if x.world != r.world {
		x.world = r.world
	}
	if len(x.scratch) != 0 {
		x.scratch = x.scratch[:0]
	}
	if len(x.ran) != 0 {
		x.ran = x.ran[:0]
	}
	var api socket.API // a pseudo-statement acts on no application: its context has no API
	if !o.spec.pseudo {
		api = r.apis[o.apiIdx]
		if api == nil {
			var err error
			api, err = r.world.API(o.app, o.thread)
			if err != nil {
				step.Err = err
				step.Got = noCode
				step.Failure = "cannot reach " + o.app + ": " + err.Error()
				return step
			}
			r.apis[o.apiIdx] = api
		}
	}
	if x.api != api {
		x.api = api
	}
	var out outcome
	if r.threads != nil && !o.spec.pseudo {
		out = r.runOnThread(o, x)
	} else {
		out = o.run(x)
	}
	step.Err = out.err
	step.Values = out.values
	if out.hasHandle {
		step.set("handle", out.handle.String())
		if o.st.Var != "" {
			env.vars[o.st.Var] = out.handle
			if x.forgetClosed {
				env.noteSocketVar(o.st.Var, o.spec.name != "WSACreateEvent")
			}
		}
	}
	if out.err != nil {
		step.Got, step.Rule = classify(out.err)
	}
	step.Failure = judge(o, step)
	return step
}

// classify finds the Winsock code of a failure (noCode when it carries none) and the simulator
// rule that decided it, if any.
func classify(err error) (errors.Errno, *sim.Rule) {
	// The simulator's own errors, answered without errors.As's reflection (what follows gives
	// the same answer, slower): a *RuleError unwraps to its code.
	if re, ok := err.(*sim.RuleError); ok {
		if code, ok := re.Unwrap().(errors.Errno); ok && code != 0 {
			return code, re.Rule
		}
	}
	got := noCode
	var code errors.Errno
	if stderrors.As(err, &code) && code != 0 {
		got = code
	}
	var re *sim.RuleError
	if stderrors.As(err, &re) {
		return got, re.Rule
	}
	return got, nil
}

func (s *Step) set(k, v string) { s.Values.set(k, v) }

// judge compares the outcome with the expectation: "" when it held.
func judge(o *op, s Step) string {
	e := o.st.Expect
	if !e.accepts(s.Got) {
		return "got " + codeString(s.Got) + ", want " + e.String()
	}
	if s.Got != 0 && !o.failChecks {
		return ""
	}
	var bad []string
	for _, c := range o.checks {
		got, ok := s.Values.Get(c.vc.Key)
		switch {
		case !ok:
			bad = append(bad, "got no "+c.vc.Key+", want "+c.vc.Key+"="+c.vc.Value)
		case !c.match(got):
			bad = append(bad, "got "+c.vc.Key+"="+got+", want "+c.vc.Key+"="+c.vc.Value)
		}
	}
	return strings.Join(bad, "; ")
}
