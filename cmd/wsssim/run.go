package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wsssim/wsssim/replay"
	"github.com/wsssim/wsssim/scenario"
)

func init() {
	register(&command{
		name:    "run",
		summary: "run .wss scenario files and check every call's result",
		usage:   "run [--format text|json|junit] [--trace] [--trace-out FILE] [--stream] [-v] [--backend sim|native] [--known FILE] FILE|DIR...",
		run:     runRun,
	})
}

// fileResult is one scenario file's outcome, as every output format reports it.
type fileResult struct {
	path   string
	result *scenario.Result // nil when the file could not be read or parsed
	err    error            // why the file is unusable
	known  *knownDiffs
}

// failures are the steps whose expectation failed and that are not known differences.
func (f fileResult) failures() []scenario.Step {
	var out []scenario.Step
	for _, s := range f.result.Failures() {
		if _, ok := f.knownReason(s); !ok {
			out = append(out, s)
		}
	}
	return out
}

func (f fileResult) knownReason(s scenario.Step) (string, bool) {
	if f.known == nil {
		return "", false
	}
	r, ok := f.known.lines[fmt.Sprintf("%s:%d", filepath.ToSlash(s.Stmt.Pos.File), s.Stmt.Pos.Line)]
	return r, ok
}

// knownDiffs are the investigated differences of a --known file: statements whose failure is
// reported but not counted, and whole files that are skipped (a call in them cannot run on this
// back end, for example because it crashes the process).
type knownDiffs struct {
	lines map[string]string // "FILE:LINE" → reason
	files map[string]string // "FILE" → reason
}

// readKnown reads "FILE:LINE: reason" lines (a statement's failure is a known difference) and
// "FILE: reason" lines (the whole file is skipped); blank lines and # comments are ignored.
// Paths use forward slashes and are compared as given on the command line.
func readKnown(path string) (*knownDiffs, error) {
	known := &knownDiffs{lines: map[string]string{}, files: map[string]string{}}
	if path == "" {
		return known, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		loc, reason, ok := strings.Cut(line, ": ")
		reason = strings.TrimSpace(reason)
		if !ok || loc == "" || reason == "" {
			return nil, fmt.Errorf("%s:%d: want \"FILE:LINE: reason\" or \"FILE: reason\"", path, i+1)
		}
		if file, num, ok := strings.Cut(loc[strings.LastIndex(loc, "/")+1:], ":"); ok {
			if _, err := strconv.Atoi(num); err != nil || file == "" {
				return nil, fmt.Errorf("%s:%d: %q is not FILE:LINE", path, i+1, loc)
			}
			known.lines[loc] = reason
			continue
		}
		known.files[loc] = reason
	}
	return known, nil
}

// skipReason says why a known difference keeps the whole file from running.
func (k *knownDiffs) skipReason(path string) (string, bool) {
	if k == nil {
		return "", false
	}
	r, ok := k.files[filepath.ToSlash(path)]
	return r, ok
}

func (f fileResult) status() string {
	switch {
	case f.err != nil || (f.result != nil && f.result.Err != nil):
		return "error"
	case f.result.Skipped != "":
		return "skipped"
	case len(f.failures()) == 0 && f.result.FailureCount <= len(f.result.Steps):
		return "passed"
	}
	return "failed"
}

func runRun(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("run", flag.ContinueOnError)
	fset.SetOutput(stderr)
	format := fset.String("format", "text", "output format: text, json (JSON lines) or junit (JUnit XML)")
	trace := fset.Bool("trace", false, "print every call with its result and the rule that decided it")
	verbose := fset.Bool("v", false, "text format: also name every file that passed, as it finishes")
	backendName := fset.String("backend", "sim", "sim (the simulator) or native (the real Winsock; Windows only)")
	timeout := fset.Duration("timeout", 0, "give up on a scenario after this long (default 30s with --backend native, where a call can block; none on the simulator)")
	knownFile := fset.String("known", "", "file of investigated differences: \"FILE:LINE: reason\" lines report those failures as known, not counted; \"FILE: reason\" lines skip the file")
	unavailable := fset.String("native-unavailable", "", "comma-separated calls the native Winsock lacks (e.g. the secure-socket functions under Wine): scenarios using them are skipped")
	traceOutFile := fset.String("trace-out", "", "record the run in FILE (JSON lines: each scenario's name and content hash, then every call's trace line); wsssim replay FILE runs it again")
	stream := fset.Bool("stream", false, "run every file streamed, line by line in bounded memory (files over 1 MiB always are, on the simulator)")
	if err := fset.Parse(args); err != nil {
		return exitUsage
	}
	if fset.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: wsssim run [--format text|json|junit] [--trace] [--trace-out FILE] [--stream] [-v] [--backend sim|native] [--known FILE] FILE|DIR...")
		return exitUsage
	}
	switch *format {
	case "text", "json", "junit":
	default:
		fmt.Fprintf(stderr, "wsssim run: unknown format %q (text, json or junit)\n", *format)
		return exitUsage
	}
	var backend scenario.Backend
	switch *backendName {
	case "sim":
		backend = scenario.SimBackend()
	case "native":
		api, err := nativeAPI()
		if err != nil {
			fmt.Fprintln(stderr, "wsssim run:", err)
			return exitUsage
		}
		opts := scenario.NativeOptions{HasAddress: machineHasAddress, Unavailable: map[string]string{}}
		for _, call := range strings.Split(*unavailable, ",") {
			if call = strings.TrimSpace(call); call != "" {
				opts.Unavailable[call] = "named by --native-unavailable"
			}
		}
		backend = scenario.NativeBackendWith(api, opts)
	default:
		fmt.Fprintf(stderr, "wsssim run: unknown back end %q (sim or native)\n", *backendName)
		return exitUsage
	}
	known, err := readKnown(*knownFile)
	if err != nil {
		fmt.Fprintln(stderr, "wsssim run:", err)
		return exitUsage
	}
	files, err := scenarioFiles(fset.Args())
	if err != nil {
		fmt.Fprintln(stderr, "wsssim run:", err)
		return exitUsage
	}

	if *stream && *backendName != "sim" {
		fmt.Fprintln(stderr, "wsssim run: --stream runs on the simulator only (the native back end checks a whole script before it runs)")
		return exitUsage
	}
	var rec *replay.Recorder
	if *traceOutFile != "" {
		f, err := os.Create(*traceOutFile)
		if err != nil {
			fmt.Fprintln(stderr, "wsssim run:", err)
			return exitUsage
		}
		bw := bufio.NewWriter(f)
		defer func() {
			if err := bw.Flush(); err != nil {
				fmt.Fprintln(stderr, "wsssim run: --trace-out:", err)
			}
			f.Close()
		}()
		rec = replay.NewRecorder(bw)
	}

	var traceOut io.Writer
	if *trace && *format == "text" {
		traceOut = stdout
	}
	limit := *timeout
	if limit == 0 && *backendName == "native" {
		limit = 30 * time.Second
	}
	// Each file is reported as soon as it has run (JUnit, one document, at the end): a native
	// Winsock can take the whole process down (an access violation inside ws2_32), and what ran
	// before must not be lost with it.
	results := make([]fileResult, 0, len(files))
	enc := json.NewEncoder(stdout)
	for _, path := range files {
		fr := fileResult{path: path, known: known}
		streamed := *backendName == "sim" && (*stream || fileSize(path) > streamAbove)
		b := backend
		if rec != nil {
			b = rec.Backend(backend)
		}
		opts := scenario.Options{Trace: traceOut}
		opts.OnStep = func(s scenario.Step) {
			if rec != nil {
				rec.Step(s)
			}
			if streamed && *format == "json" && (*trace || s.Failure != "") {
				// A streamed result keeps only failures: its steps are written as they run.
				writeJSONStep(enc, fr, s)
			}
		}
		if rec != nil {
			sum, _ := hashFile(path)
			rec.Begin(replay.Source{File: path, SHA256: sum, Backend: backend.Name(), Streamed: streamed})
		}
		if reason, skip := known.skipReason(path); skip {
			// Skipped unread: a file that crashes this back end is not even parsed for it.
			fr.result = &scenario.Result{Script: &scenario.Script{Name: path}, Backend: backend.Name(), Skipped: "known difference: " + reason}
		} else {
			fr.result, fr.err = runFile(path, streamed, b, opts, limit)
		}
		if rec != nil {
			rec.End(fr.result, fr.err)
		}
		results = append(results, fr)
		switch *format {
		case "text":
			writeTextFile(stdout, stderr, fr, *verbose)
		case "json":
			writeJSONFile(enc, fr, *trace)
		}
	}

	switch *format {
	case "text":
		fmt.Fprintln(stdout, summary(results))
	case "json":
		writeJSONSummary(enc, results)
	case "junit":
		writeJUnit(stdout, results)
	}
	code := exitOK
	for _, r := range results {
		switch r.status() {
		case "error":
			return exitUsage
		case "failed":
			code = exitFail
		}
	}
	return code
}

// streamAbove is the size above which a file runs streamed (scenario.RunReader) on the
// simulator, in memory that does not grow with it.
const streamAbove = 1 << 20

// fileSize is the file's size, or 0 when it cannot be read (the run then reports why).
func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}

// hashFile is the hex SHA-256 of a file's content ("" when it cannot be read).
func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sum, _, err := replay.Hash(f)
	return sum, err
}

// runFile runs a scenario file (parsed whole, or streamed), giving up after limit (0: no
// limit). A real Winsock call can block for good (an accept nobody connects to); the run then
// reports the scenario as unusable and goes on with the next, leaving the blocked call behind.
// err is why the file could not run at all.
func runFile(path string, streamed bool, b scenario.Backend, opts scenario.Options, limit time.Duration) (*scenario.Result, error) {
	open := func() (io.ReadCloser, error) { return os.Open(path) }
	if limit <= 0 {
		_, res, err := replay.RunFile(path, open, streamed, b, opts)
		return res, err
	}
	type outcome struct {
		res *scenario.Result
		err error
	}
	done := make(chan outcome, 1)
	var traced bytes.Buffer
	inner := opts
	if opts.Trace != nil {
		inner.Trace = &traced
	}
	go func() {
		_, res, err := replay.RunFile(path, open, streamed, b, inner)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		if opts.Trace != nil {
			_, _ = opts.Trace.Write(traced.Bytes())
		}
		return o.res, o.err
	case <-time.After(limit):
		return &scenario.Result{Script: &scenario.Script{Name: path}, Backend: b.Name(), Err: fmt.Errorf("%s: no result after %v: a call blocked", path, limit)}, nil
	}
}

// machineHasAddress reports whether one of this machine's interfaces has the address, so that
// scenarios declaring it can run natively.
func machineHasAddress(ip netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Unmap() == ip.Unmap() {
			return true
		}
	}
	return false
}

// scenarioFiles expands the arguments: files as given, directories to every .wss below them, in
// lexical order so that runs are reproducible.
func scenarioFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		info, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(p, ".wss") {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no .wss files", a)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// tally counts the files by outcome; an unusable file counts as failed.
func tally(results []fileResult) (passed, failed, skipped int) {
	for _, r := range results {
		switch r.status() {
		case "passed":
			passed++
		case "skipped":
			skipped++
		default:
			failed++
		}
	}
	return passed, failed, skipped
}

func summary(results []fileResult) string {
	passed, failed, skipped := tally(results)
	s := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if skipped > 0 {
		s += fmt.Sprintf(", %d skipped", skipped)
	}
	return s
}

// writeTextFile reports one file: its failures (known differences marked as such), or why it
// was skipped or unusable; with verbose, a line for a file that passed too.
func writeTextFile(stdout, stderr io.Writer, r fileResult, verbose bool) {
	switch {
	case r.err != nil:
		fmt.Fprintln(stderr, r.err)
	case r.result.Err != nil:
		fmt.Fprintln(stderr, r.result.Err)
	case r.result.Skipped != "":
		fmt.Fprintf(stdout, "%s: skipped: %s\n", r.path, r.result.Skipped)
	default:
		known := 0
		for _, f := range r.result.Failures() {
			if reason, ok := r.knownReason(f); ok {
				fmt.Fprintf(stdout, "%s (known difference: %s)\n", f.Message(), reason)
				known++
				continue
			}
			fmt.Fprintln(stdout, f.Message())
		}
		if more := r.result.FailureCount - len(r.result.Steps); r.result.Streamed && more > 0 {
			fmt.Fprintf(stdout, "%s: %d more failures not shown (a streamed run keeps the first %d)\n", r.path, more, scenario.MaxStreamFailures)
		}
		if verbose && r.status() == "passed" {
			if known > 0 {
				fmt.Fprintf(stdout, "%s: passed (%d known differences)\n", r.path, known)
			} else {
				fmt.Fprintf(stdout, "%s: passed\n", r.path)
			}
		}
	}
}

// jsonStep is one call in the JSON lines output.
type jsonStep struct {
	Type    string            `json:"type"`
	File    string            `json:"file"`
	Line    int               `json:"line"`
	App     string            `json:"app,omitempty"`
	Call    string            `json:"call"`
	Got     string            `json:"got"`
	Rule    string            `json:"rule,omitempty"`
	Values  map[string]string `json:"values,omitempty"`
	Failure string            `json:"failure,omitempty"`
	Known   string            `json:"known,omitempty"` // why a failure is an accepted difference
}

// jsonFile closes each scenario file in the JSON lines output.
type jsonFile struct {
	Type    string   `json:"type"`
	File    string   `json:"file"`
	Status  string   `json:"status"`
	Backend string   `json:"backend,omitempty"`
	Reason  string   `json:"reason,omitempty"`
	Errors  []string `json:"errors,omitempty"`
	Failed  int      `json:"failed"`
	Steps   int      `json:"steps"`
}

// writeJSONFile writes one file's step lines (every step with allSteps, else the failures) and
// its closing file line.
func writeJSONFile(enc *json.Encoder, r fileResult, allSteps bool) {
	jf := jsonFile{Type: "file", File: r.path, Status: r.status()}
	if r.err != nil {
		jf.Errors = strings.Split(r.err.Error(), "\n")
	} else {
		jf.Backend, jf.Reason = r.result.Backend, r.result.Skipped
		if r.result.Err != nil {
			jf.Errors = strings.Split(r.result.Err.Error(), "\n")
		}
		for _, s := range r.result.Steps {
			if r.result.Streamed || (!allSteps && s.Failure == "") {
				continue // a streamed run's steps were written as they ran
			}
			writeJSONStep(enc, r, s)
		}
		jf.Steps, jf.Failed = len(r.result.Steps), len(r.failures())
		if r.result.Streamed {
			jf.Steps, jf.Failed = r.result.StepCount, len(r.failures())+r.result.FailureCount-len(r.result.Steps)
		}
	}
	_ = enc.Encode(jf)
}

// writeJSONStep writes one step line.
func writeJSONStep(enc *json.Encoder, r fileResult, s scenario.Step) {
	js := jsonStep{Type: "step", File: r.path, Line: s.Stmt.Pos.Line, App: s.App, Call: s.Stmt.Call,
		Got: codeText(s), Values: s.Values.Map(), Failure: s.Failure}
	if s.Rule != nil {
		js.Rule = s.Rule.ID
	}
	if reason, ok := r.knownReason(s); ok && s.Failure != "" {
		js.Known = reason
	}
	_ = enc.Encode(js)
}

// writeJSONSummary writes the closing summary line.
func writeJSONSummary(enc *json.Encoder, results []fileResult) {
	passed, failed, skipped := tally(results)
	_ = enc.Encode(map[string]any{"type": "summary", "passed": passed, "failed": failed, "skipped": skipped})
}

func codeText(s scenario.Step) string {
	if s.Err == nil {
		return "ok"
	}
	return s.Got.Name()
}

// JUnit XML, the subset CI systems read.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func writeJUnit(stdout io.Writer, results []fileResult) {
	suite := junitSuite{Name: "wsssim", Tests: len(results)}
	for _, r := range results {
		c := junitCase{Name: r.path, Classname: "wsssim.scenario"}
		switch r.status() {
		case "error":
			err := r.err
			if err == nil {
				err = r.result.Err
			}
			c.Error = &junitMessage{Message: "unusable scenario", Text: err.Error()}
			suite.Errors++
		case "skipped":
			c.Skipped = &junitMessage{Message: r.result.Skipped}
			suite.Skipped++
		case "failed":
			var lines []string
			for _, f := range r.failures() {
				lines = append(lines, f.Message())
			}
			c.Failure = &junitMessage{Message: fmt.Sprintf("%d expectation(s) failed", len(lines)), Text: strings.Join(lines, "\n")}
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, c)
	}
	fmt.Fprint(stdout, xml.Header)
	enc := xml.NewEncoder(stdout)
	enc.Indent("", "  ")
	_ = enc.Encode(junitSuites{Suites: []junitSuite{suite}})
	fmt.Fprintln(stdout)
}
