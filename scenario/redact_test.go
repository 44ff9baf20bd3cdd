package scenario

import (
	"fmt"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRedactPasswordsMasksOnlyPasswordValues(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"WSASetSocketSecurity s user=bob password=hunter2", "WSASetSocketSecurity s user=bob password=*******"},
		{`c: WSASetSocketSecurity s password="a b#c" user=x # password=not-this`, `c: WSASetSocketSecurity s password="*****" user=x # password=not-this`},
		{"WSAIoctl s SIO_SET_SECURITY password=p😀 => ok\nbind s 1.2.3.4:5\n", "WSAIoctl s SIO_SET_SECURITY password=*** => ok\nbind s 1.2.3.4:5\n"},
		{"host h 10.0.0.1 password=x\r\n", "host h 10.0.0.1 password=*\r\n"},
		{"no passwords here\n", "no passwords here\n"},
		{"WSASetSocketSecurity s password=", "WSASetSocketSecurity s password="},
	} {
		assert.Equal(t, c.want, RedactPasswords(c.in), "%q", c.in)
	}
}

// TestRedactedScriptPassesTheSameBuffers: a masked password has the original's UTF-16 length,
// so the line runs with a buffer of the same size and the same outcome.
func TestRedactedScriptPassesTheSameBuffers(t *testing.T) {
	const src = `s = socket AF_INET SOCK_STREAM 0
WSASetSocketSecurity s protocol=IPSEC user=bob password="pä ss😀" len=100 => WSAEMSGSIZE
t = socket AF_INET SOCK_STREAM 0
WSASetSocketSecurity t protocol=IPSEC user=bob password="pä ss😀"
`
	red := RedactPasswords(src)
	require.NotContains(t, red, "pä ss")
	for _, text := range []string{src, red} {
		res := runSim(t, "r.wss", text)
		require.True(t, res.Passed(), "%v", failureMessages(res))
	}
	orig, masked := mustParse(t, "a", src), mustParse(t, "b", red)
	pw := func(s *Script) string { a, _ := s.Stmts[1].arg("password"); return a }
	assert.Equal(t, len(utf16.Encode([]rune(pw(orig)))), len(utf16.Encode([]rune(pw(masked)))))
}

func (st *Stmt) arg(key string) (string, bool) {
	for _, a := range st.Args {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// TestPrintedStatementsHideThePassword: every fmt verb on a Stmt, a *Stmt, its Args and a Step
// redacts the password that the script holds as text.
func TestPrintedStatementsHideThePassword(t *testing.T) {
	const password = "Marmot-Violin-2293"
	s := mustParse(t, "p.wss", "s = socket AF_INET SOCK_STREAM 0\nWSASetSocketSecurity s protocol=IPSEC user=bob password="+password+"\n")
	st := s.Stmts[1]
	res := Run(s, SimBackend(), Options{})
	require.True(t, res.Passed())
	values := []any{st, *st, st.Args, st.Args[len(st.Args)-1], res.Steps[1], res.Steps, *s, s}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, password, "%s of %T", verb, v)
		}
	}
	assert.Equal(t, "WSASetSocketSecurity s protocol=IPSEC user=bob password=[redacted]", fmt.Sprint(st))
	assert.Contains(t, fmt.Sprintf("%+v", *st), "password=******************", "the source text is masked")
	assert.Contains(t, fmt.Sprintf("%+v", st.Args[len(st.Args)-1]), "Value:[redacted]")
}

func TestMalformedQuotedPasswordIsNotQuoted(t *testing.T) {
	_, err := Parse("m.wss", []byte(`s = socket AF_INET SOCK_STREAM 0
WSASetSocketSecurity s password="Heron\q77"
WSASetSocketSecurity s user="Heron\q77"
`))
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, `m.wss:2:33: malformed quoted string [redacted]`)
	assert.Contains(t, msg, `m.wss:3:29: malformed quoted string "Heron\q77"`, "other values are quoted as written")
}
