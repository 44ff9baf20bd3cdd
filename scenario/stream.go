package scenario

import (
	"bufio"
	stderrors "errors"
	"fmt"
	"io"
	"strings"
)

// Bounds of a streamed run: input is measured before anything is allocated for it, so a file of
// any length runs in memory that does not grow with it.
const (
	// MaxLineLength is the longest line RunReader reads (1 MiB); a longer one is an error.
	MaxLineLength = 1 << 20
	// MaxStreamFailures is how many failed steps a streamed run keeps in Result.Steps; the
	// rest are counted in Result.FailureCount (and all of them reach Options.OnStep and Trace).
	MaxStreamFailures = 1000
	// MaxParseSize is the largest file ParseFile reads into memory (64 MiB); RunReader runs
	// larger ones.
	MaxParseSize = 64 << 20
)

// RunReader runs a scenario as it reads it, one line at a time, without ever holding the whole
// script: the way to run files too large to parse at once (wsssim run streams large files).
// Steps reach Options.OnStep and Options.Trace as they run, exactly as with Run; the Result keeps
// only the failed steps (up to MaxStreamFailures), with Streamed set and every step and failure
// counted in StepCount and FailureCount. Its Script holds the declarations but no statements.
//
// A streamed script differs from a parsed one in two ways. Its host and app lines must come
// before its first statement, since the world is built when the first statement runs. And a
// mistake in the text stops the run where it stands (Err holds the problems of that line), so
// statements before it have already run, where Parse would have refused the whole file.
//
// The back end sees only the declarations when it opens the world, so back ends that judge a
// script by its statements cannot stream: RunReader refuses the native one (use Run).
func RunReader(name string, r io.Reader, b Backend, opts Options) *Result {
	res := &Result{Script: &Script{Name: name}, Streamed: true}
	switch {
	case b == nil:
		res.Err = stderrors.New("scenario: no back end")
		return res
	case r == nil:
		res.Err = stderrors.New("scenario: no reader")
		return res
	}
	res.Backend = b.Name()
	if _, native := b.(nativeBackend); native {
		res.Err = fmt.Errorf("%s: the native back end cannot run a streamed script (it checks every statement before the first runs); use Run", name)
		return res
	}
	st := &streamer{res: res, b: b, opts: opts, p: &parser{errs: errSink{file: name}, s: res.Script}}
	defer st.close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineLength)
	var words [32]token
	toks := words[:0]
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if lineNo == 1 {
			line = strings.TrimPrefix(line, "\xef\xbb\xbf")
		}
		hosts, apps := len(st.p.s.Hosts), len(st.p.s.Apps)
		toks = st.p.line(lineNo, line, toks)
		if st.p.errs.list != nil {
			return st.fail()
		}
		if st.world != nil && (len(st.p.s.Hosts) > hosts || len(st.p.s.Apps) > apps) {
			st.p.errs.at(st.p.pos(lineNo, 1), "host and app lines must come before the first statement in a streamed run (the world is built when the first statement runs)")
			return st.fail()
		}
		if len(st.p.s.Stmts) == 0 {
			continue
		}
		if !st.statement() {
			return res
		}
	}
	if err := sc.Err(); err != nil {
		if stderrors.Is(err, bufio.ErrTooLong) {
			st.p.errs.at(st.p.pos(lineNo+1, 1), "line longer than %d bytes", MaxLineLength)
			return st.fail()
		}
		res.Err = fmt.Errorf("%s: %w", name, err)
		return res
	}
	if st.world == nil && !st.open() { // a file of declarations only: an empty, passing run
		return res
	}
	return res
}

// streamer is one streamed run: the parser and analyzer kept from line to line, and the world
// and runner made when the first statement arrives.
type streamer struct {
	res   *Result
	b     Backend
	opts  Options
	p     *parser
	a     *analyzer
	world World
	r     *runner
	done  bool // StopAtFirstFailure stopped the run
}

// open checks the declarations and builds the world; false when the run is over (Err or
// Skipped set).
func (st *streamer) open() bool {
	st.a = newAnalyzer(st.p.s, &st.p.errs, true)
	st.a.declarations()
	if st.p.errs.list != nil {
		st.fail()
		return false
	}
	w, err := st.b.Open(st.p.s)
	if err != nil {
		var skip *SkipError
		if stderrors.As(err, &skip) {
			st.res.Skipped = skip.Reason
		} else {
			st.res.Err = err
		}
		return false
	}
	st.world = w
	st.r = &runner{world: w}
	st.r.threads, _ = w.(threadRunner)
	return true
}

// statement checks and runs the statement the parser just read, then forgets it; false when
// the run is over.
func (st *streamer) statement() bool {
	s := st.p.s.Stmts[0]
	st.p.s.Stmts[0] = nil
	st.p.s.Stmts = st.p.s.Stmts[:0]
	if st.done {
		return false
	}
	if st.world == nil && !st.open() {
		return false
	}
	a := st.a
	a.out.ops = a.out.ops[:0]
	a.stmt(s)
	if st.p.errs.list != nil {
		st.fail()
		return false
	}
	if len(a.out.ops) == 0 {
		return true
	}
	o := &a.out.ops[0]
	for len(st.r.envs) < len(a.out.apps) {
		st.r.envs = append(st.r.envs, nil)
	}
	for len(st.r.apis) < len(a.out.threads) {
		st.r.apis = append(st.r.apis, nil)
	}
	step := st.r.step(o)
	*o = op{} // the closure and its arguments go with the line
	res := st.res
	res.StepCount++
	if step.Failure != "" {
		res.FailureCount++
		if len(res.Steps) < MaxStreamFailures {
			res.Steps = append(res.Steps, step)
		}
	}
	if st.opts.OnStep != nil {
		st.opts.OnStep(step)
	}
	if st.opts.Trace != nil {
		fmt.Fprintln(st.opts.Trace, step.traceLine())
	}
	if step.Failure != "" && st.opts.StopAtFirstFailure {
		st.done = true
		return false
	}
	return true
}

// fail ends the run with the problems found so far.
func (st *streamer) fail() *Result {
	st.res.Err = st.p.errs.result()
	return st.res
}

func (st *streamer) close() {
	if st.world != nil {
		st.world.Close()
	}
}

// TraceLine is the step as Options.Trace prints it: "file:line: who: CALL ARGS = RESULT [RULE]
// KEY=VALUE…", one deterministic line (passwords redacted), the form recordings keep.
func (s Step) TraceLine() string { return s.traceLine() }
