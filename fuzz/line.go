package fuzz

import (
	"strconv"
	"strings"

	"github.com/wsssim/wsssim/scenario"
)

// line writes one statement into the program's text and, alongside, the scenario.Stmt that
// parsing that line gives: where each word starts, its KEY=VALUE split, the WHO, the variable,
// the call and the expectation. TestGeneratedStatementsAreTheirLinesParsed holds it to Parse.
type line struct {
	text      strings.Builder // the program's text so far, one line per statement (String makes no copy)
	lineStart int             // where the current line starts in text
	no        int             // its line number
	st        *scenario.Stmt
	args      []scenario.Arg // every statement's arguments; each statement gets a capped slice
	firstArg  int            // the current statement's first argument in args
	// grew is set when args ran out of room and took a new block; extra counts the room the
	// new blocks gave.
	grew  bool
	extra int
}

// start begins the statement st on line no.
func (l *line) start(st *scenario.Stmt, no int) {
	const most = 8 // no statement has more arguments
	if cap(l.args)-len(l.args) < most {
		l.args = make([]scenario.Arg, 0, 256) // a new block: the earlier statements keep theirs
		l.grew, l.extra = true, l.extra+256
	}
	l.st, l.no, l.lineStart, l.firstArg = st, no, l.text.Len(), len(l.args)
}

// end finishes the statement. Its Text is set once the whole program is one string.
func (l *line) end() {
	if n := len(l.args); n > l.firstArg {
		l.st.Args = l.args[l.firstArg:n:n]
	}
}

// token writes a word, after a space unless it is the line's first, and returns its position.
func (l *line) token(w string) scenario.Pos {
	if l.text.Len() > l.lineStart {
		l.text.WriteByte(' ')
	}
	p := scenario.Pos{File: fileName, Line: l.no, Col: l.text.Len() - l.lineStart + 1}
	if l.text.Len() == l.lineStart {
		l.st.Pos = p
	}
	l.text.WriteString(w)
	return p
}

// who writes "WHO:".
func (l *line) who(w string) {
	l.token(w)
	l.text.WriteByte(':')
	l.st.Who = w
}

// whoOn writes "WHO@THREAD:", or "WHO:" for the main thread ("").
func (l *line) whoOn(w, thread string) {
	if thread == "" {
		l.who(w)
		return
	}
	l.token(w)
	l.text.WriteByte('@')
	l.text.WriteString(thread)
	l.text.WriteByte(':')
	l.st.Who, l.st.Thread = w, thread
}

// assign writes "VAR =".
func (l *line) assign(v string) {
	l.token(v)
	l.token("=")
	l.st.Var = v
}

// call writes the function's name and its first, positional, arguments.
func (l *line) call(name string, positional ...string) {
	l.st.Call, l.st.CallPos = name, l.token(name)
	for _, w := range positional {
		l.word(w)
	}
}

// word writes an argument: positional, or KEY=VALUE.
func (l *line) word(w string) {
	a := scenario.Arg{Pos: l.token(w), Value: w}
	if k, v, ok := strings.Cut(w, "="); ok {
		a.Key, a.Value = k, v
	}
	l.args = append(l.args, a)
}

// words writes the space-separated arguments of s (none when s is empty).
func (l *line) words(s string) {
	for w := range strings.SplitSeq(s, " ") {
		if w != "" {
			l.word(w)
		}
	}
}

// optional writes the arguments of s; an empty s leaves a second space, as the generator's lines
// have always had where an optional part is left out.
func (l *line) optional(s string) {
	if s == "" {
		l.text.WriteByte(' ')
		return
	}
	l.words(s)
}

// quoted writes KEY="VALUE".
func (l *line) quoted(key, value string) {
	p := l.token(key)
	l.text.WriteByte('=')
	l.text.WriteString(strconv.Quote(value))
	l.args = append(l.args, scenario.Arg{Pos: p, Key: key, Value: value, Quoted: true})
}

// expectAny writes "=> ok|error".
func (l *line) expectAny() {
	p := l.token("=>")
	l.token("ok|error")
	l.st.Expect = scenario.Expectation{Pos: p, Given: true, OK: true, AnyError: true}
}
