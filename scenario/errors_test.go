package scenario

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each parse error kind, with the exact "file:line:col: message" it gives.
func TestParseErrors(t *testing.T) {
	two := "host a 10.0.0.1\nhost b 10.0.0.2\n"
	cases := []struct{ name, src, want string }{
		{"unknown function", "WSASetSocketSecurty 0x100\n",
			`e.wss:1:1: unknown function "WSASetSocketSecurty"; did you mean WSASetSocketSecurity?`},
		{"function case", "Socket AF_INET SOCK_STREAM 0\n",
			`e.wss:1:1: unknown function "Socket"; did you mean socket?`},
		{"unknown constant", "socket AF_INET SOCK_STREM 0\n",
			`e.wss:1:16: unknown constant "SOCK_STREM" for TYPE; did you mean SOCK_STREAM?`},
		{"constant from another group", "socket AF_INTE SOCK_STREAM 0\n",
			`e.wss:1:8: unknown constant "AF_INTE" for AF; did you mean AF_INET?`},
		{"unknown WSASocket flag", "WSASocket AF_INET SOCK_STREAM 0 OVERLAPPED|NO_HANDLE_INHERT\n",
			`e.wss:1:44: unknown WSASocket flag "NO_HANDLE_INHERT"; did you mean NO_HANDLE_INHERIT?`},
		{"unknown security flag", "s = socket AF_INET SOCK_STREAM 0\nWSASetSocketSecurity s flags=GUARANTEE_ENCRYPTON\n",
			`e.wss:2:30: unknown security flag "GUARANTEE_ENCRYPTON"; did you mean GUARANTEE_ENCRYPTION?`},
		{"unknown protocol", "s = socket AF_INET SOCK_STREAM 0\nWSASetSocketSecurity s protocol=IPSCE\n",
			`e.wss:2:33: unknown protocol "IPSCE" (DEFAULT, IPSEC, IPSEC2, INVALID or a number); did you mean IPSEC?`},
		{"bad GUID", "s = socket AF_INET SOCK_STREAM 0\nWSASetSocketSecurity s mmpolicy=1234\n",
			`e.wss:2:33: mmpolicy= needs a GUID like {aabbccdd-0011-2233-4455-66778899aabb}, got "1234"`},
		{"unknown key", "s = socket AF_INET SOCK_STREAM 0\nbind s 127.0.0.1:80 lne=16\n",
			`e.wss:2:21: bind takes no key lne; did you mean len?`},
		{"key on a call without keys", "closesocket 1 len=2\n",
			`e.wss:1:15: closesocket takes no KEY=VALUE arguments (closesocket S)`},
		{"duplicate key", "s = socket AF_INET SOCK_STREAM 0\nbind s 127.0.0.1:80 len=16 len=16\n",
			`e.wss:2:28: len= is given twice`},
		{"unknown result", "closesocket 1 => WSAENOTSCK\n",
			`e.wss:1:18: unknown result "WSAENOTSCK"; did you mean WSAENOTSOCK?`},
		{"unknown result alternative", "closesocket 1 => WSAEINVAL|WSAEFALT\n",
			`e.wss:1:28: unknown result "WSAEFALT"; did you mean WSAEFAULT?`},
		{"empty alternative", "closesocket 1 => WSAEINVAL|\n",
			`e.wss:1:28: empty alternative in "WSAEINVAL|"`},
		{"missing result", "closesocket 1 =>\n",
			`e.wss:1:15: missing the result after =>: ok, an error name, a number, error, or alternatives joined by |`},
		{"second arrow", "closesocket 1 => ok => ok\n",
			`e.wss:1:21: a second =>`},
		{"junk after result", "closesocket 1 => WSAEINVAL | WSAEFAULT\n",
			`e.wss:1:28: unexpected "|" after the result (alternatives are joined by | without spaces; checks are KEY=VALUE)`},
		{"unknown check", "s = socket AF_INET SOCK_STREAM 0\ngetsockopt s SOL_SOCKET SO_TYPE => ok valeu=1\n",
			`e.wss:2:39: getsockopt returns no valeu (it returns value, len); did you mean value?`},
		{"check on a call without values", "closesocket 1 => ok value=1\n",
			`e.wss:1:21: closesocket returns no values to check`},
		{"check on an error result", "s = socket AF_INET SOCK_STREAM 0\ngetsockopt s SOL_SOCKET SO_TYPE => WSAEINVAL value=1\n",
			`e.wss:2:46: value checks need the call to succeed: write => ok value=1`},
		{"check with a bad value", "s = socket AF_INET SOCK_STREAM 0\ngetsockopt s SOL_SOCKET SO_TYPE => ok value=SOCK_STREEM\n",
			`e.wss:2:45: value= needs a number or an SDK name, got "SOCK_STREEM"; did you mean SOCK_STREAM?`},
		{"check with a bad address", "s = socket AF_INET SOCK_STREAM 0\ngetsockname s => ok addr=1.2.3.4\n",
			`e.wss:2:26: addr= address "1.2.3.4" needs a port: 127.0.0.1:80 or [::1]:80`},
		{"duplicate check", "s = socket AF_INET SOCK_STREAM 0\ngetsockname s => ok len=16 len=16\n",
			`e.wss:2:28: len= is checked twice`},
		{"unknown variable", "closesocket s\n",
			`e.wss:1:13: unknown variable s (bind it first: s = socket …)`},
		{"unknown variable near a bound one", "sock = socket AF_INET SOCK_STREAM 0\nclosesocket sokc\n",
			`e.wss:2:13: unknown variable sokc (bind it first: sokc = socket …); did you mean sock?`},
		{"variable used before its line", "closesocket s\ns = socket AF_INET SOCK_STREAM 0\n",
			`e.wss:1:13: unknown variable s (bind it first: s = socket …)`},
		{"variable of another application", two + "a: s = socket AF_INET SOCK_STREAM 0\nb: closesocket s\n",
			`e.wss:4:16: variable s belongs to a, not b (variables are per application)`},
		{"assignment from a call without a handle", "x = closesocket 1\n",
			`e.wss:1:5: closesocket returns no SOCKET to assign to x`},
		{"reserved variable name", "AF_INET = socket AF_INET SOCK_STREAM 0\n",
			`e.wss:1:1: AF_INET is an SDK name or keyword and cannot be a variable`},
		{"bad variable name", "1x = socket AF_INET SOCK_STREAM 0\n",
			`e.wss:1:1: "1x" cannot be a variable name (a letter or _, then letters, digits, _)`},
		{"glued assignment", "s=socket AF_INET SOCK_STREAM 0\n",
			`e.wss:1:1: write s = socket with spaces around '='`},
		{"missing function", "s =\n",
			`e.wss:1:1: missing the function to call: [WHO:] [VAR =] CALL ARG... [=> RESULT]`},
		{"missing argument", "socket AF_INET SOCK_STREAM\n",
			`e.wss:1:1: socket: missing PROTO (socket AF TYPE PROTO)`},
		{"extra argument", "closesocket 1 2\n",
			`e.wss:1:15: closesocket: unexpected argument "2" (closesocket S)`},
		{"not a socket", "closesocket NULL\n",
			`e.wss:1:13: closesocket: "NULL" is not a socket (a variable bound by socket, WSASocket or accept, a number, or INVALID_SOCKET)`},
		{"number out of range", "socket 0x1ffffffff SOCK_STREAM 0\n",
			`e.wss:1:8: AF 0x1ffffffff does not fit in 32 bits`},
		{"address without a port", "s = socket AF_INET SOCK_STREAM 0\nbind s 127.0.0.1\n",
			`e.wss:2:8: bind: address "127.0.0.1" needs a port: 127.0.0.1:80 or [::1]:80`},
		{"not an address", "s = socket AF_INET SOCK_STREAM 0\nconnect s localhost:80\n",
			`e.wss:2:11: connect: "localhost:80" is not an address (127.0.0.1:80, [::1]:80, [::ffff:127.0.0.1]:80)`},
		{"bad length", "s = socket AF_INET SOCK_STREAM 0\nbind s 127.0.0.1:80 len=x\n",
			`e.wss:2:25: len= needs a number, got "x"`},
		{"NULL length where none is possible", "s = socket AF_INET SOCK_STREAM 0\nbind s 127.0.0.1:80 len=NULL\n",
			`e.wss:2:25: len= cannot be NULL here`},
		{"NULL-only key", "s = socket AF_INET SOCK_STREAM 0\naccept s addr=x\n",
			`e.wss:2:15: addr= takes only NULL`},
		{"bad wait", "s = socket AF_INET SOCK_STREAM 0\nWSAGetOverlappedResult s wait=yes\n",
			`e.wss:2:31: wait= takes 0 or 1, got "yes"`},
		{"bad overlapped name", "s = socket AF_INET SOCK_STREAM 0\nConnectEx s 127.0.0.1:80 ov=0x1\n",
			`e.wss:2:29: "0x1" cannot name an OVERLAPPED (a variable name, or NULL)`},
		{"bad version", "WSAStartup 2.x\n",
			`e.wss:1:12: WSAStartup: version "2.x" is not MAJOR.MINOR (each 0–255) or a number`},
		{"len without a structure", "s = socket AF_INET SOCK_STREAM 0\nWSASetSocketSecurity s len=8\n",
			`e.wss:2:24: len= needs a structure (protocol=…, flags=…) or settings=NULL for a NULL pointer with a length`},
		{"NULL settings with fields", "s = socket AF_INET SOCK_STREAM 0\nWSASetSocketSecurity s settings=NULL protocol=IPSEC\n",
			`e.wss:2:38: settings=NULL passes no structure: protocol= has nowhere to go`},
		{"unterminated string", "s = socket AF_INET SOCK_DGRAM 0\nsendto s 127.0.0.1:1 data=\"abc\n",
			`e.wss:2:27: unterminated quoted string`},
		{"bad escape", "s = socket AF_INET SOCK_DGRAM 0\nsendto s 127.0.0.1:1 data=\"a\\qb\"\n",
			`e.wss:2:27: malformed quoted string "a\qb" (escapes are Go's: \" \\ \n \x41 \u00e9)`},
		{"quoted positional", "closesocket \"1\"\n",
			`e.wss:1:13: a quoted string can only be a KEY="value" value`},
		{"quotes inside a value", "s = socket AF_INET SOCK_DGRAM 0\nsendto s 127.0.0.1:1 data=a\"b\"\n",
			`e.wss:2:28: quotes must enclose the whole value: data="text"`},
		{"no WHO with several hosts", two + "socket AF_INET SOCK_STREAM 0\n",
			`e.wss:3:1: this file declares 2 hosts: say which one makes the call (a: socket …)`},
		{"unknown host", two + "c: socket AF_INET SOCK_STREAM 0\n",
			`e.wss:3:1: no host "c"; did you mean a?`},
		{"unknown app", "host h\napp h/web user=u\nh/wbe: socket AF_INET SOCK_STREAM 0\n",
			`e.wss:3:1: host h has no app "wbe"; did you mean web?`},
		{"app never declared", "h/x: socket AF_INET SOCK_STREAM 0\n",
			`e.wss:1:1: no host "h"`},
		{"local app never declared", "local/x: socket AF_INET SOCK_STREAM 0\n",
			`e.wss:1:1: host local has no app "x": declare it with app local/x user=USER`},
		{"settle with WHO", "host h\nh: settle\n",
			`e.wss:2:1: settle takes no WHO: it acts on the whole network`},
		{"empty WHO", ": socket AF_INET SOCK_STREAM 0\n",
			`e.wss:1:1: empty WHO before ':'`},
		{"host without a name", "host\n",
			`e.wss:1:1: host needs a name: host NAME ADDR... [KEY=VALUE...]`},
		{"host address with a port", "host h 10.0.0.1:80\n",
			`e.wss:1:8: host address "10.0.0.1:80" is not an IPv4 or IPv6 address (host addresses take no port)`},
		{"loopback host address", "host h 127.0.0.2\n",
			`e.wss:1:1: host h: 127.0.0.2 cannot be a host address (every host already has 127.0.0.1 and ::1; wildcards and multicast belong to no host)`},
		{"address of two hosts", "host a 10.0.0.1\nhost b ::ffff:10.0.0.1\n",
			`e.wss:2:1: host b: address ::ffff:10.0.0.1 already belongs to host a`},
		{"bad host name", "host a:b\n",
			`e.wss:1:1: host name "a:b" must be a word without '/', ':', '=' or '#'`},
		{"duplicate host", "host a\nhost a\n",
			`e.wss:2:1: host a is declared twice (first at line 1)`},
		{"app without user", "host a\napp a/x\n",
			`e.wss:2:1: app a/x needs user=USER (the account it runs under)`},
		{"app without a slash", "app x user=u\n",
			`e.wss:1:5: app needs HOST/NAME, got "x"`},
		{"app on an unknown host", "host server\napp servr/x user=u\n",
			`e.wss:2:1: app servr/x: no host servr; did you mean server?`},
		{"duplicate app", "app local/x user=u\napp local/x user=v\n",
			`e.wss:2:1: app local/x is declared twice (first at line 1)`},
		{"junk on an app line", "app local/x user=u extra\n",
			`e.wss:1:20: unexpected "extra" on an app line: app HOST/NAME user=USER [KEY=VALUE...]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("e.wss", []byte(c.src))
			require.Error(t, err)
			list, ok := err.(ErrorList)
			require.True(t, ok, "%T", err)
			assert.Equal(t, c.want, list[0].Error(), "all: %v", err)
		})
	}
}

func TestParseReportsEveryError(t *testing.T) {
	src := "sokcet AF_INET SOCK_STREAM 0\nsocket AF_INTE SOCK_STREAM 0\nclosesocket s\n\nclosesocket 1 => WSAEINVL\n"
	_, err := Parse("all.wss", []byte(src))
	require.Error(t, err)
	assert.Equal(t, `all.wss:1:1: unknown function "sokcet"; did you mean socket?
all.wss:2:8: unknown constant "AF_INTE" for AF; did you mean AF_INET?
all.wss:3:13: unknown variable s (bind it first: s = socket …)
all.wss:5:18: unknown result "WSAEINVL"; did you mean WSAEINVAL?`, err.Error())
}

func TestParseCapsErrors(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&b, "closesocket s%d\n", i)
	}
	_, err := Parse("many.wss", []byte(b.String()))
	list := err.(ErrorList)
	require.Len(t, list, maxErrors+1)
	assert.Equal(t, "many.wss:20:13: too many errors", list[maxErrors].Error())
}

// A mistake in a binding line must not also make every later use of the variable an error.
func TestBrokenBindingDoesNotCascade(t *testing.T) {
	_, err := Parse("c.wss", []byte("s = sokcet AF_INET SOCK_STREAM 0\nclosesocket s\nt=socket AF_INET SOCK_STREAM 0\nclosesocket t\n"))
	require.Error(t, err)
	assert.Len(t, err.(ErrorList), 2, "%v", err)
}

func TestErrorListUnwraps(t *testing.T) {
	_, err := Parse("u.wss", []byte("sokcet\n"))
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, Pos{File: "u.wss", Line: 1, Col: 1}, e.Pos)
	assert.Equal(t, "u.wss:1:1", e.Pos.String())
}

func TestParseFile(t *testing.T) {
	_, err := ParseFile("testdata/does-not-exist.wss")
	require.Error(t, err)
	_, isList := err.(ErrorList)
	assert.False(t, isList)
}

func TestSuggest(t *testing.T) {
	assert.Equal(t, "socket", Suggest("sokcet", callNames()))
	assert.Equal(t, "WSAConnect", Suggest("wsaconnect", callNames()))
	assert.Equal(t, "", Suggest("frobnicate", callNames()))
	assert.Equal(t, "", Suggest(strings.Repeat("a", 1000), callNames()))
	assert.Equal(t, 3, levenshtein("kitten", "sitting"))
}

func TestNumbers(t *testing.T) {
	for _, c := range []struct {
		in  string
		mag uint64
		neg bool
		ok  bool
	}{
		{"0", 0, false, true}, {"010", 10, false, true}, {"-1", 1, true, true}, {"0x1F", 31, false, true},
		{"0X1f", 31, false, true}, {"18446744073709551615", 1<<64 - 1, false, true},
		{"18446744073709551616", 0, false, false}, {"0x", 0, false, false}, {"-", 0, false, false},
		{"1_000", 0, false, false}, {"0b1", 0, false, false}, {"", 0, false, false}, {"+1", 0, false, false},
	} {
		mag, neg, ok := parseNumber(c.in)
		assert.Equal(t, c.ok, ok, c.in)
		if c.ok {
			assert.Equal(t, c.mag, mag, c.in)
			assert.Equal(t, c.neg, neg, c.in)
		}
	}
	v, ok := int32Bits(1, true)
	assert.True(t, ok)
	assert.Equal(t, uint32(0xffffffff), v)
	_, ok = int32Bits(1<<31+1, true)
	assert.False(t, ok)
}

func TestConstantsComeFromTheSimulator(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Constants() {
		assert.False(t, seen[c.Name], "duplicate %s", c.Name)
		seen[c.Name] = true
	}
	assert.Equal(t, int64(-5), constantsByName["SO_EXCLUSIVEADDRUSE"].Value)
	assert.Equal(t, int64(0xffff), constantsByName["SOL_SOCKET"].Value)
	assert.Equal(t, int64(0x8004667e), constantsByName["FIONBIO"].Value)
}
