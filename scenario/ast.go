package scenario

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/wsssim/wsssim/errors"
)

// Pos is a place in a scenario file. Col is the 1-based byte column, so editors and the
// "file:line:col" convention of compilers agree on where a message points.
type Pos struct {
	File      string
	Line, Col int
}

// String formats the position as "file:line:col", the form editors jump to.
func (p Pos) String() string {
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// lineString is "file:line", used where the column adds nothing (run-time messages).
func (p Pos) lineString() string { return p.File + ":" + strconv.Itoa(p.Line) }

// Error is one problem in a scenario's text. It carries its position separately so that tools
// (the CLI's JSON output, editors) can use it without parsing the message.
type Error struct {
	Pos Pos
	Msg string
}

// Error reads "file:line:col: message".
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList is every problem Parse found in a file, in file order. Reporting them all at once
// saves the edit-run cycle per mistake.
type ErrorList []*Error

// Error joins the messages one per line.
func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap exposes the individual errors to errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Script is a parsed scenario: the machines it needs and the calls to make on them, in file
// order. A Script built by hand (as a fuzzer does) runs as well as a parsed one: Run checks it
// the same way Parse does.
type Script struct {
	// Name is the file name given to Parse; it prefixes every message.
	Name  string
	Hosts []HostDecl
	Apps  []AppDecl
	Stmts []*Stmt

	// prog is the program Parse compiled, which Run uses while the script still matches it
	// (see fingerprint.go).
	prog *compiled
}

// HostDecl is a "host NAME ADDR... [KEY=VALUE...]" line: a simulated machine and its
// addresses (every host also has 127.0.0.1 and ::1).
type HostDecl struct {
	Pos   Pos
	Name  string
	Addrs []netip.Addr
	// Options are the KEY=VALUE pairs in file order. Later issues give them meaning
	// (credentials, domains); the language accepts and keeps any of them today.
	Options []Arg
}

// Option returns the value of the first option with that key.
func (h HostDecl) Option(key string) (string, bool) { return option(h.Options, key) }

// AppDecl is an "app HOST/NAME user=USER [KEY=VALUE...]" line: an application other than the
// host's default one (which runs as SYSTEM), so that scenarios can exercise Microsoft's
// different-user port rules.
type AppDecl struct {
	Pos     Pos
	Host    string
	Name    string
	User    string
	Options []Arg // KEY=VALUE pairs other than user=, in file order
}

// Label is how statements name the application: "host/app".
func (a AppDecl) Label() string { return a.Host + "/" + a.Name }

// Option returns the value of the first option with that key.
func (a AppDecl) Option(key string) (string, bool) { return option(a.Options, key) }

func option(opts []Arg, key string) (string, bool) {
	for _, o := range opts {
		if o.Key == key {
			return o.Value, true
		}
	}
	return "", false
}

// Stmt is one "[WHO[@THREAD]:] [VAR =] CALL ARG... [=> RESULT]" line.
type Stmt struct {
	Pos  Pos    // the statement's first token
	Text string // the source line without its comment, for messages; Format does not use it
	// Who is the host or host/app as written; "" when the line leaves it out.
	Who string
	// Thread is the thread named after '@' in WHO ("server@worker:"), "" for the application's
	// main thread. Threads are made on first use; "main" names the main thread.
	Thread string
	// Var is the socket variable the call's returned SOCKET is bound to, or "".
	Var  string
	Call string
	// CallPos is where the function name stands, for messages about the call itself.
	CallPos Pos
	Args    []Arg
	Expect  Expectation

	broken bool // Parse already reported that the line is not a statement
}

// Arg is one argument as written: a positional word (Key == "") or a KEY=VALUE pair. Arguments
// stay textual in the Script so that Format reproduces what the author wrote; their meaning
// depends on the call and is resolved when the script is checked.
type Arg struct {
	Pos   Pos
	Key   string
	Value string // unquoted
	// Quoted records a "double-quoted" value, which is always text: data="NULL" is four
	// characters, data=NULL a NULL pointer.
	Quoted bool
}

// Expectation is what a statement says the call returns. Without "=>" the call must succeed.
type Expectation struct {
	Pos   Pos  // of "=>"; zero when absent
	Given bool // the line has "=>"
	// OK accepts success; Codes accept those errors; AnyError accepts every failure.
	OK       bool
	Codes    []errors.Errno
	AnyError bool
	// Checks compare values the call returned; they need OK alone.
	Checks []ValueCheck
}

// ValueCheck is a KEY=VALUE after "=> ok": a returned value the call must give.
type ValueCheck struct {
	Pos        Pos
	Key, Value string
}

// accepts reports whether the outcome satisfies the result part of the expectation.
func (e Expectation) accepts(got errors.Errno) bool {
	if !e.Given {
		return got == 0
	}
	if got == 0 {
		return e.OK
	}
	if e.AnyError {
		return true
	}
	for _, c := range e.Codes {
		if c == got {
			return true
		}
	}
	return false
}

// resultString formats the result alternatives as a scenario writes them.
func (e Expectation) resultString() string {
	if !e.Given {
		return "ok"
	}
	var parts []string
	if e.OK {
		parts = append(parts, "ok")
	}
	for _, c := range e.Codes {
		parts = append(parts, codeString(c))
	}
	if e.AnyError {
		parts = append(parts, "error")
	}
	if len(parts) == 0 {
		return "ok"
	}
	return strings.Join(parts, "|")
}

// codeString names a code so that it parses back to the same number.
func codeString(c errors.Errno) string {
	if c == 0 {
		return "ok"
	}
	if c == noCode {
		return "error"
	}
	if c.Known() {
		return c.Name()
	}
	return strconv.FormatUint(uint64(c), 10)
}
