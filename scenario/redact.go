package scenario

import (
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/wsssim/wsssim/policy"
)

// passwordKey is the key whose values are secrets wherever they appear.
const passwordKey = "password"

// RedactPasswords returns scenario text with the value of every password= argument replaced by
// asterisks, as many as the password has UTF-16 code units. Everything else is kept byte for
// byte (comments, spacing, line numbers), and a redacted WSASetSocketSecurity line still passes
// a buffer of the same size, so a reproducer written this way (as wsssim fuzz writes them)
// decides every rule the same way: the rules read a password's length, never its text.
func RedactPasswords(src string) string {
	if !strings.Contains(src, passwordKey+"=") {
		return src
	}
	var b strings.Builder
	b.Grow(len(src))
	var toks []token
	for len(src) > 0 {
		line, rest, nl := strings.Cut(src, "\n")
		src = rest
		toks, _ = lexLine(toks, line, func(int, string) {})
		done := 0
		for _, t := range toks {
			if !t.kv || t.key != passwordKey {
				continue
			}
			start := t.col - 1 + len(t.key) + 1 // the value, after KEY=
			b.WriteString(line[done:start])
			mask := strings.Repeat("*", len(utf16.Encode([]rune(t.value))))
			if t.quoted {
				mask = `"` + mask + `"`
			}
			b.WriteString(mask)
			done = t.col - 1 + len(t.raw)
		}
		b.WriteString(line[done:])
		if nl {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// plainArg is Arg without its methods, so that Format can print one the default way.
type plainArg Arg

// Format prints the argument as fmt would print the structure, except that a password's value
// shows as [redacted] under every verb: scripts hold passwords as text, and an Arg printed by
// a log line or a test failure must not give one away.
func (a Arg) Format(f fmt.State, verb rune) {
	if a.Key == passwordKey {
		a.Value = policy.Redacted
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), plainArg(a))
}

// plainStmt is Stmt without its methods.
type plainStmt Stmt

// Format prints the statement in canonical form (Stmt.String, passwords redacted) for %v and
// %s; other verbs print the structure with its source text and arguments redacted too.
func (st Stmt) Format(f fmt.State, verb rune) {
	switch {
	case verb == 's' || (verb == 'v' && !f.Flag('+') && !f.Flag('#')):
		_, _ = f.Write([]byte(st.String()))
	case verb == 'q':
		fmt.Fprintf(f, "%q", st.String())
	default:
		st.Text = RedactPasswords(st.Text)
		fmt.Fprintf(f, fmt.FormatString(f, verb), plainStmt(st))
	}
}
