// Package replay records scenario runs and runs them again, call by call, to show that the
// simulator still answers as it did: the same seed and calls give a byte-identical trace.
//
// A recording is JSON lines. Each scenario run opens with a header naming the file and the
// SHA-256 of its content, has one record per executed statement holding its canonical trace
// line (scenario.Step.TraceLine) and the simulator's own trace lines for the call
// (sim.Event.String), and closes with an end record holding the run's status:
//
//	{"type":"scenario","format":"wsssim-replay/1","file":"pass.wss","sha256":"9f…","backend":"sim"}
//	{"type":"call","line":2,"trace":"pass.wss:2: local: bind s 127.0.0.1:80 = ok","events":["2 local: bind(0x100, 127.0.0.1:80) = ok"]}
//	{"type":"end","status":"passed","calls":1}
//
// Replay reads a recording, runs each scenario again on a fresh simulated network, and reports
// the first place where the new run differs from the recorded one: the record's file:line,
// what was expected and what came. Passwords never reach a recording: trace lines redact them.
package replay

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/wsssim/wsssim/scenario"
	"github.com/wsssim/wsssim/sim"
)

// FormatVersion names the recording format; Replay refuses recordings of another.
const FormatVersion = "wsssim-replay/1"

// The record types.
const (
	typeScenario = "scenario"
	typeCall     = "call"
	typeEnd      = "end"
)

// record is one line of a recording: a scenario header, a call, or an end.
type record struct {
	Type string `json:"type"`
	// scenario
	Format   string `json:"format,omitempty"`
	File     string `json:"file,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	Backend  string `json:"backend,omitempty"`
	Streamed bool   `json:"streamed,omitempty"`
	// call
	Line   int      `json:"line,omitempty"`
	Trace  string   `json:"trace,omitempty"`
	Events []string `json:"events,omitempty"`
	// end
	Status string `json:"status,omitempty"`
	Calls  int    `json:"calls,omitempty"`
	Error  string `json:"error,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Source identifies a scenario run in a recording.
type Source struct {
	File    string // the name the scenario ran under, as its trace lines show it
	SHA256  string // hex SHA-256 of the file's content ("" when it could not be read)
	Backend string // the back end's name; only "sim" recordings replay
	// Streamed says the scenario ran streamed (scenario.RunReader) rather than parsed whole;
	// the replay runs it the same way.
	Streamed bool
}

// Hash returns the hex SHA-256 of r's content and its length.
func Hash(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// Status is the word a recording keeps for a run's outcome, judged by its own expectations:
// "passed", "failed", "skipped" or "error".
func Status(res *scenario.Result) string {
	switch {
	case res == nil || res.Err != nil:
		return "error"
	case res.Skipped != "":
		return "skipped"
	case res.Passed():
		return "passed"
	}
	return "failed"
}

// eventLog collects the simulator's trace lines between two steps.
type eventLog struct {
	mu    sync.Mutex
	lines []string
}

// Event keeps e's line.
func (l *eventLog) Event(e sim.Event) {
	l.mu.Lock()
	l.lines = append(l.lines, e.String())
	l.mu.Unlock()
}

// take returns the lines since the last take.
func (l *eventLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.lines
	l.lines = nil
	return out
}

// tracedBackend is a simulator back end whose networks report their events to a log.
type tracedBackend struct {
	scenario.Backend
	log *eventLog
}

// Open builds the world and installs the log as its network's tracer.
func (b tracedBackend) Open(s *scenario.Script) (scenario.World, error) {
	w, err := b.Backend.Open(s)
	if sw, ok := w.(*scenario.SimWorld); ok && err == nil {
		sw.Network().SetTracer(b.log)
	}
	return w, err
}

// traced wraps a simulator back end so that its events reach log; other back ends (which have
// no simulator trace) are returned as they are.
func traced(b scenario.Backend, log *eventLog) scenario.Backend {
	if b == nil || b.Name() != "sim" {
		return b
	}
	return tracedBackend{Backend: b, log: log}
}

// Recorder writes a recording. Use one per output; its methods are called from the goroutine
// that runs the scenarios.
type Recorder struct {
	enc   *json.Encoder
	log   eventLog
	calls int
	err   error
}

// NewRecorder writes a recording to w.
func NewRecorder(w io.Writer) *Recorder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // trace lines keep their '<' and '>' readable
	return &Recorder{enc: enc}
}

func (r *Recorder) write(rec record) {
	if r.err == nil {
		r.err = r.enc.Encode(rec)
	}
}

// Begin opens a scenario's records.
func (r *Recorder) Begin(src Source) {
	r.calls = 0
	r.log.take()
	r.write(record{Type: typeScenario, Format: FormatVersion, File: src.File, SHA256: src.SHA256,
		Backend: src.Backend, Streamed: src.Streamed})
}

// Backend wraps b so that each call's simulator events are recorded with it. Run the scenario
// on the back end it returns.
func (r *Recorder) Backend(b scenario.Backend) scenario.Backend { return traced(b, &r.log) }

// Step records a statement that ran; it has the shape of scenario.Options.OnStep.
func (r *Recorder) Step(s scenario.Step) {
	r.calls++
	r.write(record{Type: typeCall, Line: s.Stmt.Pos.Line, Trace: s.TraceLine(), Events: r.log.take()})
}

// End closes the scenario's records with the run's result; readErr says why the file could
// not be read or run at all (res is nil then).
func (r *Recorder) End(res *scenario.Result, readErr error) {
	rec := record{Type: typeEnd, Status: Status(res), Calls: r.calls}
	switch {
	case readErr != nil:
		rec.Status, rec.Error = "error", readErr.Error()
	case res.Err != nil:
		rec.Error = res.Err.Error()
	case res.Skipped != "":
		rec.Reason = res.Skipped
	}
	r.write(rec)
}

// Err returns the first error writing the recording.
func (r *Recorder) Err() error { return r.err }

// reader reads a recording's records with their line numbers, one record of lookahead.
type reader struct {
	name   string
	sc     *bufio.Scanner
	line   int
	peeked *record
	peekAt int
}

// maxRecord bounds a record's line: a trace line, plus the simulator's lines of one call.
const maxRecord = 16 << 20

func newReader(r io.Reader, name string) *reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxRecord)
	return &reader{name: name, sc: sc}
}

// next returns the next record and its line, or nil at the end of the recording.
func (r *reader) next() (*record, int, error) {
	if r.peeked != nil {
		rec, at := r.peeked, r.peekAt
		r.peeked = nil
		return rec, at, nil
	}
	for r.sc.Scan() {
		r.line++
		b := r.sc.Bytes()
		if len(b) == 0 {
			continue
		}
		rec := new(record)
		if err := json.Unmarshal(b, rec); err != nil {
			return nil, r.line, fmt.Errorf("%s:%d: not a recording record: %v", r.name, r.line, err)
		}
		switch rec.Type {
		case typeScenario, typeCall, typeEnd:
		default:
			return nil, r.line, fmt.Errorf("%s:%d: unknown record type %q", r.name, r.line, rec.Type)
		}
		return rec, r.line, nil
	}
	if err := r.sc.Err(); err != nil {
		return nil, r.line, fmt.Errorf("%s: %w", r.name, err)
	}
	return nil, r.line, nil
}

func (r *reader) unread(rec *record, at int) { r.peeked, r.peekAt = rec, at }

// at names a record's place, "file:line".
func (r *reader) at(line int) string { return fmt.Sprintf("%s:%d", r.name, line) }
