package scenario

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"github.com/wsssim/wsssim/errors"
)

// maxErrors caps the messages of one file: past that many, the rest are usually consequences.
const maxErrors = 20

// errSink collects errors of one file.
type errSink struct {
	file string
	list ErrorList
}

func (s *errSink) at(p Pos, format string, args ...any) {
	s.list = append(s.list, &Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// result sorts the errors into file order and caps them.
func (s *errSink) result() ErrorList {
	if len(s.list) == 0 {
		return nil
	}
	sort.SliceStable(s.list, func(i, j int) bool {
		a, b := s.list[i].Pos, s.list[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	if len(s.list) > maxErrors {
		last := s.list[maxErrors-1].Pos
		s.list = append(s.list[:maxErrors:maxErrors], &Error{Pos: last, Msg: "too many errors"})
	}
	return s.list
}

// ParseFile reads and parses a .wss file. A read failure is returned as is; problems in the text
// are an ErrorList.
//
// Files larger than MaxParseSize are refused before they are read: RunReader runs them.
func ParseFile(path string) (*Script, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Size() > MaxParseSize {
		return nil, fmt.Errorf("%s: %d bytes is more than ParseFile reads at once (%d); run it streamed (scenario.RunReader)", path, info.Size(), MaxParseSize)
	}
	src, err := io.ReadAll(io.LimitReader(f, MaxParseSize+1))
	if err != nil {
		return nil, err
	}
	if len(src) > MaxParseSize {
		return nil, fmt.Errorf("%s: more than %d bytes, which ParseFile reads at once; run it streamed (scenario.RunReader)", path, MaxParseSize)
	}
	return Parse(path, src)
}

// Parse reads a scenario. It checks everything that does not need a running network — names,
// arguments, variables, expectations — so that a script that parses only fails at run time
// because of what the calls return. The error, when not nil, is an ErrorList of every problem
// found (up to 20), in file order.
func Parse(filename string, src []byte) (*Script, error) {
	p := &parser{errs: errSink{file: filename}, s: &Script{Name: filename}}
	// One copy of the file: lines, words and Stmt.Text are slices of it.
	text := string(bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))) // a UTF-8 byte order mark, as Windows editors write
	whole := text
	p.s.Stmts = make([]*Stmt, 0, strings.Count(text, "\n")+1)
	var words [32]token // a line's tokens, reused from line to line (and kept off the heap)
	toks := words[:0]
	lineNo := 0
	for len(text) > 0 {
		lineNo++
		var line string
		line, text, _ = strings.Cut(text, "\n")
		toks = p.line(lineNo, line, toks)
	}
	if len(p.s.Stmts) == 0 {
		p.s.Stmts = nil // a file without statements has none, not an empty list
	}
	a := newAnalyzer(p.s, &p.errs, true)
	a.run()
	if l := p.errs.result(); l != nil {
		return p.s, l
	}
	prog := &a.out
	prog.fingerprint, prog.pinned = fingerprintOf(p.s), &parsedText{filename, whole}
	p.s.prog = prog
	return p.s, nil
}

type parser struct {
	errs errSink
	s    *Script

	// Statements and their arguments are handed out from blocks, so that a file of many lines
	// costs a few allocations rather than several per line.
	stmts []Stmt
	args  []Arg
}

func (p *parser) pos(line, col int) Pos { return Pos{File: p.errs.file, Line: line, Col: col} }

// stmtBlock is the most statements a block holds: as many as fit in 32 KiB, the allocator's
// largest size class. A larger block is a large object, rounded up to whole pages (128
// statements took 40 KiB) and allocated on the slow path.
const stmtBlock = (32 << 10) / int(unsafe.Sizeof(Stmt{}))

// newStmt returns a zero statement from the current block. Blocks grow with the file (as many
// statements as it has so far, from 16 to stmtBlock), so a short file does not pay for a long
// one's.
func (p *parser) newStmt() *Stmt {
	if len(p.stmts) == 0 {
		p.stmts = make([]Stmt, min(max(len(p.s.Stmts), 16), stmtBlock))
	}
	st := &p.stmts[0]
	p.stmts = p.stmts[1:]
	return st
}

// reserveArgs makes room for n more arguments in the current block; the statement's Args are
// then the block's new tail (see takeArgs).
func (p *parser) reserveArgs(n int) {
	if cap(p.args)-len(p.args) < n {
		p.args = make([]Arg, 0, max(n, 256))
	}
}

// takeArgs returns the arguments appended since start, capped so that appending to them cannot
// overwrite the next statement's; nil when there are none.
func (p *parser) takeArgs(start int) []Arg {
	if len(p.args) == start {
		return nil
	}
	return p.args[start:len(p.args):len(p.args)]
}

// line parses one line, lexing it into buf; it returns the tokens for the next line to reuse.
func (p *parser) line(lineNo int, line string, buf []token) []token {
	toks, comment := lexLine(buf, line, func(col int, msg string) { p.errs.at(p.pos(lineNo, col), "%s", msg) })
	if len(toks) == 0 {
		return toks
	}
	first := toks[0]
	if !first.kv && (first.value == "host" || first.value == "app") && (len(toks) == 1 || toks[1].raw != "=") {
		if first.value == "host" {
			p.host(lineNo, toks)
		} else {
			p.app(lineNo, toks)
		}
		return toks
	}
	p.stmt(lineNo, strings.TrimSpace(line[:comment]), toks)
	return toks
}

func (p *parser) arg(lineNo int, t token) Arg {
	return Arg{Pos: p.pos(lineNo, t.col), Key: t.key, Value: t.value, Quoted: t.quoted}
}

func (p *parser) host(lineNo int, toks []token) {
	h := HostDecl{Pos: p.pos(lineNo, toks[0].col)}
	if len(toks) < 2 || toks[1].kv {
		p.errs.at(h.Pos, "host needs a name: host NAME ADDR... [KEY=VALUE...]")
		return
	}
	h.Name = toks[1].value
	for _, t := range toks[2:] {
		switch {
		case t.kv:
			h.Options = append(h.Options, p.arg(lineNo, t))
		case t.raw == "=" || t.raw == "=>":
			p.errs.at(p.pos(lineNo, t.col), "unexpected %q on a host line", t.raw)
		default:
			ip, err := netip.ParseAddr(t.value)
			if err != nil {
				msg := "host address " + strconv.Quote(t.value) + " is not an IPv4 or IPv6 address"
				if _, perr := netip.ParseAddrPort(t.value); perr == nil {
					msg += " (host addresses take no port)"
				}
				p.errs.at(p.pos(lineNo, t.col), "%s", msg)
				continue
			}
			h.Addrs = append(h.Addrs, ip)
		}
	}
	p.s.Hosts = append(p.s.Hosts, h)
}

func (p *parser) app(lineNo int, toks []token) {
	a := AppDecl{Pos: p.pos(lineNo, toks[0].col)}
	if len(toks) < 2 || toks[1].kv {
		p.errs.at(a.Pos, "app needs HOST/NAME: app HOST/NAME user=USER [KEY=VALUE...]")
		return
	}
	hostName, appName, ok := strings.Cut(toks[1].value, "/")
	if !ok {
		p.errs.at(p.pos(lineNo, toks[1].col), "app needs HOST/NAME, got %q", toks[1].value)
		return
	}
	a.Host, a.Name = hostName, appName
	hasUser := false // a missing user= is the analyzer's to report, for hand-built scripts too
	for _, t := range toks[2:] {
		switch {
		case t.kv && t.key == "user" && !hasUser:
			a.User, hasUser = t.value, true
		case t.kv:
			a.Options = append(a.Options, p.arg(lineNo, t))
		default:
			p.errs.at(p.pos(lineNo, t.col), "unexpected %q on an app line: app HOST/NAME user=USER [KEY=VALUE...]", t.raw)
		}
	}
	p.s.Apps = append(p.s.Apps, a)
}

// stmt parses a statement line; text is the line without its comment and surrounding space.
func (p *parser) stmt(lineNo int, text string, toks []token) {
	st := p.newStmt()
	st.Pos, st.Text = p.pos(lineNo, toks[0].col), text
	i := 0
	if t := toks[0]; !t.kv && len(t.value) > 1 && strings.HasSuffix(t.value, ":") && !strings.ContainsAny(t.value, "[]") {
		who := strings.TrimSuffix(t.value, ":")
		if host, thread, ok := strings.Cut(who, "@"); ok {
			if thread == "" {
				p.errs.at(p.pos(lineNo, t.col+len(who)), "empty thread name after '@' (write host@THREAD:)")
			}
			who, st.Thread = host, thread
		}
		st.Who = who
		i++
	} else if t.raw == ":" {
		p.errs.at(p.pos(lineNo, t.col), "empty WHO before ':'")
		i++
	}
	if i+1 < len(toks) && toks[i+1].raw == "=" {
		v := toks[i]
		if v.kv || !isIdent(v.value) {
			p.errs.at(p.pos(lineNo, v.col), "%q cannot be a variable name (a letter or _, then letters, digits, _)", v.raw)
		} else if reservedWord(v.value) {
			p.errs.at(p.pos(lineNo, v.col), "%s is an SDK name or keyword and cannot be a variable", v.value)
		} else {
			st.Var = v.value
		}
		i += 2
	}
	if i >= len(toks) || toks[i].raw == "=>" {
		at := st.Pos
		if i < len(toks) {
			at = p.pos(lineNo, toks[i].col)
		}
		p.errs.at(at, "missing the function to call: [WHO:] [VAR =] CALL ARG... [=> RESULT]")
		p.broken(st)
		return
	}
	call := toks[i]
	st.CallPos = p.pos(lineNo, call.col)
	if call.kv {
		if _, known := callSpecs[call.value]; known && isIdent(call.key) {
			p.errs.at(st.CallPos, "write %s = %s with spaces around '='", call.key, call.value)
			if st.Var == "" && !reservedWord(call.key) {
				st.Var = call.key // so that later uses are not reported too
			}
		} else {
			p.errs.at(st.CallPos, "expected a function name, got %q", call.raw)
		}
		p.broken(st)
		return
	}
	if call.raw == "=" {
		p.errs.at(st.CallPos, "unexpected '=': [WHO:] [VAR =] CALL ARG...")
		p.broken(st)
		return
	}
	st.Call = call.value
	i++
	p.reserveArgs(len(toks) - i)
	start := len(p.args)
	for ; i < len(toks) && toks[i].raw != "=>"; i++ {
		t := toks[i]
		if t.raw == "=" {
			p.errs.at(p.pos(lineNo, t.col), "unexpected '=' among the arguments (KEY=VALUE takes no spaces)")
			continue
		}
		p.args = append(p.args, p.arg(lineNo, t))
	}
	st.Args = p.takeArgs(start)
	if i < len(toks) {
		st.Expect = p.expectation(lineNo, toks[i], toks[i+1:])
	}
	p.s.Stmts = append(p.s.Stmts, st)
}

// broken keeps a statement whose shape is wrong, so that its variable still counts as bound
// and later lines do not report it again.
func (p *parser) broken(st *Stmt) {
	st.broken = true
	p.s.Stmts = append(p.s.Stmts, st)
}

func (p *parser) expectation(lineNo int, arrow token, rest []token) Expectation {
	e := Expectation{Pos: p.pos(lineNo, arrow.col), Given: true}
	if len(rest) == 0 {
		p.errs.at(e.Pos, "missing the result after =>: ok, an error name, a number, error, or alternatives joined by |")
		e.OK = true
		return e
	}
	i := 0
	if !rest[0].kv {
		p.results(lineNo, rest[0], &e)
		i = 1
	} else {
		e.OK = true // "=> value=1" is "=> ok value=1"
	}
	for _, t := range rest[i:] {
		switch {
		case t.kv:
			e.Checks = append(e.Checks, ValueCheck{Pos: p.pos(lineNo, t.col), Key: t.key, Value: t.value})
		case t.raw == "=>":
			p.errs.at(p.pos(lineNo, t.col), "a second =>")
		default:
			p.errs.at(p.pos(lineNo, t.col), "unexpected %q after the result (alternatives are joined by | without spaces; checks are KEY=VALUE)", t.raw)
		}
	}
	return e
}

// results parses "ok|WSAEINVAL|error|10022".
func (p *parser) results(lineNo int, t token, e *Expectation) {
	before := len(p.errs.list)
	defer func() {
		if len(p.errs.list) > before && !e.OK && len(e.Codes) == 0 && !e.AnyError {
			e.AnyError = true // already reported; do not also say it accepts nothing
		}
	}()
	off := 0
	for part := range strings.SplitSeq(t.value, "|") {
		at := p.pos(lineNo, t.col+off)
		off += len(part) + 1
		switch {
		case part == "":
			p.errs.at(at, "empty alternative in %q", t.value)
		case part == "ok":
			e.OK = true
		case part == "error":
			e.AnyError = true
		default:
			code, ok := parseCode(part)
			switch {
			case !ok:
				p.errs.at(at, "unknown result %q%s", part, didYouMean(part, resultVocabulary()))
			case code == 0:
				e.OK = true
			default:
				e.Codes = append(e.Codes, code)
			}
		}
	}
}

// parseCode reads an error's SDK name or its number (decimal or 0x).
func parseCode(s string) (errors.Errno, bool) {
	if c, ok := errors.ByName(s); ok && strings.ToUpper(s) == s {
		return c, true
	}
	if v, neg, ok := parseNumber(s); ok && !neg && v < 0xffffffff { // all ones is noCode
		return errors.Errno(v), true
	}
	return 0, false
}

func resultVocabulary() []string {
	out := []string{"ok", "error"}
	for _, c := range errors.Codes() {
		out = append(out, c.Name)
	}
	return out
}
