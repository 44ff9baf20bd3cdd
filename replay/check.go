package replay

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wsssim/wsssim/scenario"
)

// RunFile runs one scenario file the way recordings are made and replayed: read whole and parsed
// (files up to scenario.MaxParseSize), or streamed with scenario.RunReader, and on b with opts.
// It returns the hex SHA-256 of the file's content, and the result or the error that kept the
// file from running (unreadable, or a mistake in its text when parsed whole).
func RunFile(name string, open func() (io.ReadCloser, error), streamed bool, b scenario.Backend, opts scenario.Options) (sum string, res *scenario.Result, err error) {
	f, err := open()
	if err != nil {
		return "", nil, err
	}
	if streamed {
		sum, _, err = Hash(f)
		f.Close()
		if err != nil {
			return "", nil, err
		}
		if f, err = open(); err != nil {
			return sum, nil, err
		}
		defer f.Close()
		return sum, scenario.RunReader(name, f, b, opts), nil
	}
	src, err := io.ReadAll(io.LimitReader(f, scenario.MaxParseSize+1))
	f.Close()
	if err != nil {
		return "", nil, err
	}
	sum, _, _ = Hash(bytes.NewReader(src))
	if len(src) > scenario.MaxParseSize {
		return sum, nil, fmt.Errorf("%s: more than %d bytes, which a run parses at once; run it streamed", name, scenario.MaxParseSize)
	}
	script, err := scenario.Parse(name, src)
	if err != nil {
		return sum, nil, err
	}
	return sum, scenario.Run(script, b, opts), nil
}

// Options tunes Replay.
type Options struct {
	// Open opens a scenario a recording names. Nil opens the path as recorded and, if that
	// fails and the path is relative, the same path under Dir.
	Open func(path string) (io.ReadCloser, error)
	// Dir is where relative paths are also looked for: the recording's directory, say.
	Dir string
}

func (o Options) open(path string) (io.ReadCloser, error) {
	if o.Open != nil {
		return o.Open(path)
	}
	f, err := os.Open(path)
	if err != nil && o.Dir != "" && !filepath.IsAbs(path) {
		if g, err2 := os.Open(filepath.Join(o.Dir, path)); err2 == nil {
			return g, nil
		}
	}
	return f, err
}

// Divergence is a place where a replayed run differs from its recording.
type Divergence struct {
	// At is the record's place in the recording, "rec.jsonl:5".
	At string
	// Stmt is the scenario statement's place, "pass.wss:3", when the difference is a call's.
	Stmt string
	// What says what differs.
	What          string
	Expected, Got string
}

// String is the report: "rec.jsonl:5: pass.wss:3: WHAT", then the expected and the new text.
func (d Divergence) String() string {
	var b strings.Builder
	b.WriteString(d.At)
	b.WriteString(": ")
	if d.Stmt != "" {
		b.WriteString(d.Stmt)
		b.WriteString(": ")
	}
	b.WriteString(d.What)
	b.WriteString("\n  expected: ")
	b.WriteString(d.Expected)
	b.WriteString("\n  got:      ")
	b.WriteString(d.Got)
	return b.String()
}

// Outcome is one scenario's replay.
type Outcome struct {
	File  string
	Calls int // calls replayed and compared
	// Skipped is why the scenario was not replayed: it was skipped when it was recorded.
	Skipped string
	// Divergences are, in order, a change of the scenario's content since the recording (if
	// any) and the first difference in its run (if any). None: the replay is identical.
	Divergences []Divergence
}

// Report is a recording's replay.
type Report struct {
	Name      string
	Scenarios []Outcome
}

// Identical reports whether every scenario replayed as recorded.
func (r *Report) Identical() bool {
	for _, o := range r.Scenarios {
		if len(o.Divergences) > 0 {
			return false
		}
	}
	return true
}

// Summary is the report's last line: how many scenarios and calls replayed, and how many
// diverged.
func (r *Report) Summary() string {
	calls, diverged, skipped := 0, 0, 0
	for _, o := range r.Scenarios {
		calls += o.Calls
		if len(o.Divergences) > 0 {
			diverged++
		}
		if o.Skipped != "" {
			skipped++
		}
	}
	s := fmt.Sprintf("replay %s: %s, %s", r.Name, plural(len(r.Scenarios), "scenario"), plural(calls, "call"))
	if skipped > 0 {
		s += fmt.Sprintf(" (%d skipped when recorded)", skipped)
	}
	if diverged > 0 {
		return s + fmt.Sprintf(": %d diverged", diverged)
	}
	return s + ": identical"
}

// Replay runs every scenario a recording holds again, on a fresh simulated network, comparing
// each call's trace line and simulator events, and each run's outcome, with the recorded ones.
// name names the recording in messages. The error is for a recording that cannot be read (a
// malformed record, another format, another back end); differences are the Report's.
func Replay(recording io.Reader, name string, opts Options) (*Report, error) {
	rd := newReader(recording, name)
	rep := &Report{Name: name}
	for {
		hdr, at, err := rd.next()
		switch {
		case err != nil:
			return rep, err
		case hdr == nil:
			if len(rep.Scenarios) == 0 {
				return rep, fmt.Errorf("%s: no scenario in the recording", name)
			}
			return rep, nil
		case hdr.Type != typeScenario:
			return rep, fmt.Errorf("%s: a %s record outside a scenario (want a scenario header first)", rd.at(at), hdr.Type)
		case hdr.Format != FormatVersion:
			return rep, fmt.Errorf("%s: format %q, want %q", rd.at(at), hdr.Format, FormatVersion)
		case hdr.Backend != "sim":
			return rep, fmt.Errorf("%s: %s was recorded on the %q back end; only simulator recordings replay", rd.at(at), hdr.File, hdr.Backend)
		}
		o, err := replayOne(rd, hdr, at, opts)
		if err != nil {
			return rep, err
		}
		rep.Scenarios = append(rep.Scenarios, o)
	}
}

// replayOne replays the scenario whose header was at line at.
func replayOne(rd *reader, hdr *record, at int, opts Options) (Outcome, error) {
	o := Outcome{File: hdr.File}
	first, firstAt, err := rd.next()
	if err != nil {
		return o, err
	}
	if first != nil && first.Type == typeEnd && first.Status == "skipped" {
		o.Skipped = first.Reason
		return o, nil
	}
	if first != nil {
		rd.unread(first, firstAt)
	}

	diverged := false
	diverge := func(d Divergence) {
		if !diverged {
			o.Divergences = append(o.Divergences, d)
			diverged = true
		}
	}
	var log eventLog
	onStep := func(s scenario.Step) {
		if diverged {
			return
		}
		got := s.TraceLine()
		events := log.take()
		stmt := s.Stmt.Pos.File + ":" + strconv.Itoa(s.Stmt.Pos.Line)
		rec, recAt, err := rd.next()
		if err != nil || rec == nil || rec.Type != typeCall {
			if rec != nil {
				rd.unread(rec, recAt)
			}
			diverge(Divergence{At: rd.at(recAt), Stmt: stmt, What: "the run made a call the recording does not have",
				Expected: "no more calls", Got: got})
			return
		}
		o.Calls++
		if rec.Trace != got {
			diverge(Divergence{At: rd.at(recAt), Stmt: stmt, What: "the call's result differs", Expected: rec.Trace, Got: got})
			return
		}
		for i := 0; i < max(len(rec.Events), len(events)); i++ {
			want, have := "(no event)", "(no event)"
			if i < len(rec.Events) {
				want = rec.Events[i]
			}
			if i < len(events) {
				have = events[i]
			}
			if want != have {
				diverge(Divergence{At: rd.at(recAt), Stmt: stmt,
					What:     fmt.Sprintf("the simulator's trace of the call differs at its event %d", i+1),
					Expected: want, Got: have})
				return
			}
		}
	}
	sum, res, runErr := RunFile(hdr.File, func() (io.ReadCloser, error) { return opts.open(hdr.File) },
		hdr.Streamed, traced(scenario.SimBackend(), &log), scenario.Options{OnStep: onStep})
	if sum != hdr.SHA256 && (sum != "" || runErr == nil) {
		// Reported first: a changed scenario explains the differences that follow.
		changed := Divergence{At: rd.at(at), What: "the scenario's content changed since the recording",
			Expected: "sha256 " + hdr.SHA256, Got: "sha256 " + sum}
		o.Divergences = append([]Divergence{changed}, o.Divergences...)
	}

	// The recorded calls the run did not make, then the end record.
	for {
		rec, recAt, err := rd.next()
		switch {
		case err != nil:
			return o, err
		case rec == nil:
			return o, fmt.Errorf("%s: the recording ends inside the scenario %s (no end record)", rd.at(recAt), hdr.File)
		case rec.Type == typeScenario:
			return o, fmt.Errorf("%s: a scenario header inside the scenario %s (no end record)", rd.at(recAt), hdr.File)
		case rec.Type == typeCall:
			diverge(Divergence{At: rd.at(recAt), Stmt: hdr.File + ":" + strconv.Itoa(rec.Line),
				What: "the recording has a call the run did not make", Expected: rec.Trace, Got: "the run ended: " + outcomeText(res, runErr)})
			continue
		}
		want := rec.Status
		if rec.Error != "" {
			want += ": " + rec.Error
		}
		if got := outcomeText(res, runErr); got != want {
			diverge(Divergence{At: rd.at(recAt), What: "the run's outcome differs", Expected: want, Got: got})
		}
		return o, nil
	}
}

// outcomeText is a run's status, with its error when it has one, as end records hold them.
func outcomeText(res *scenario.Result, err error) string {
	switch {
	case err != nil:
		return "error: " + err.Error()
	case res.Err != nil:
		return "error: " + res.Err.Error()
	}
	return Status(res)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
