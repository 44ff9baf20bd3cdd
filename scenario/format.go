package scenario

import (
	"strings"

	"github.com/wsssim/wsssim/policy"
)

// Format writes the script in canonical form: host lines, app lines, a blank line, then one
// statement per line, single-spaced, without comments. It parses back to an equal Script
// (positions and source text aside), which is what lets a fuzzer write a reproducer.
func (s *Script) Format() string {
	var b strings.Builder
	for _, h := range s.Hosts {
		b.WriteString("host ")
		b.WriteString(h.Name)
		for _, a := range h.Addrs {
			b.WriteByte(' ')
			b.WriteString(a.String())
		}
		writeOptions(&b, h.Options)
		b.WriteByte('\n')
	}
	for _, a := range s.Apps {
		b.WriteString("app ")
		b.WriteString(a.Label())
		b.WriteString(" user=")
		b.WriteString(formatValue(a.User, false))
		writeOptions(&b, a.Options)
		b.WriteByte('\n')
	}
	if (len(s.Hosts) > 0 || len(s.Apps) > 0) && len(s.Stmts) > 0 {
		b.WriteByte('\n')
	}
	for _, st := range s.Stmts {
		if st == nil {
			continue
		}
		b.WriteString(st.format(false, true))
		b.WriteByte('\n')
	}
	return b.String()
}

func writeOptions(b *strings.Builder, opts []Arg) {
	for _, o := range opts {
		b.WriteByte(' ')
		b.WriteString(o.Key)
		b.WriteByte('=')
		b.WriteString(formatValue(o.Value, o.Quoted))
	}
}

// String is the statement in canonical form, with passwords redacted: the form messages use.
func (st *Stmt) String() string { return st.format(true, true) }

// format writes "[WHO[@THREAD]: ][VAR = ]CALL ARGS[ => RESULT CHECKS]". With redact, password values
// print as [redacted], so that traces and reports never show them.
func (st *Stmt) format(redact, withExpect bool) string {
	var b strings.Builder
	if st.Who != "" || st.Thread != "" {
		b.WriteString(st.Who)
		if st.Thread != "" {
			b.WriteByte('@')
			b.WriteString(st.Thread)
		}
		b.WriteString(": ")
	}
	if st.Var != "" {
		b.WriteString(st.Var)
		b.WriteString(" = ")
	}
	b.WriteString(st.callText(redact))
	if withExpect && st.Expect.Given {
		b.WriteString(" => ")
		b.WriteString(st.Expect.String())
	}
	return b.String()
}

// callText is "CALL ARGS".
func (st *Stmt) callText(redact bool) string {
	var b strings.Builder
	b.WriteString(st.Call)
	for _, a := range st.Args {
		b.WriteByte(' ')
		if a.Key == "" {
			b.WriteString(a.Value)
			continue
		}
		b.WriteString(a.Key)
		b.WriteByte('=')
		if redact && a.Key == "password" && (st.Call == "WSASetSocketSecurity" || st.Call == "WSAIoctl") {
			b.WriteString(policy.Redacted)
			continue
		}
		b.WriteString(formatValue(a.Value, a.Quoted))
	}
	return b.String()
}

// String is the expectation as written after "=>" ("ok" when the line has none).
func (e Expectation) String() string {
	var b strings.Builder
	b.WriteString(e.resultString())
	for _, c := range e.Checks {
		b.WriteByte(' ')
		b.WriteString(c.Key)
		b.WriteByte('=')
		b.WriteString(formatValue(c.Value, false))
	}
	return b.String()
}
