package scenario

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/socket"
)

func mustParse(t *testing.T, name, src string) *Script {
	t.Helper()
	s, err := Parse(name, []byte(src))
	require.NoError(t, err)
	return s
}

func runSim(t *testing.T, name, src string) *Result {
	t.Helper()
	return Run(mustParse(t, name, src), SimBackend(), Options{})
}

func failureMessages(r *Result) []string {
	var out []string
	for _, f := range r.Failures() {
		out = append(out, f.Message())
	}
	return out
}

func TestIssueExamplePasses(t *testing.T) {
	s, err := ParseFile("testdata/issue3.wss")
	require.NoError(t, err)
	require.Len(t, s.Hosts, 2)
	assert.Equal(t, "server", s.Hosts[0].Name)
	assert.Equal(t, "10.0.0.2", s.Hosts[0].Addrs[0].String())
	assert.Equal(t, "fd00::2", s.Hosts[0].Addrs[1].String())
	domain, ok := s.Hosts[0].Option("domain")
	assert.True(t, ok)
	assert.Equal(t, "CORP", domain)
	require.Len(t, s.Apps, 1)
	assert.Equal(t, AppDecl{Pos: Pos{"testdata/issue3.wss", 4, 1}, Host: "server", Name: "admin", User: "alice"}, s.Apps[0])

	r := Run(s, SimBackend(), Options{})
	require.NoError(t, r.Err)
	assert.Empty(t, failureMessages(r))
	assert.True(t, r.Passed())
	require.Len(t, r.Steps, 17)
	assert.Equal(t, "sim", r.Backend)

	byLine := map[int]Step{}
	for _, st := range r.Steps {
		byLine[st.Stmt.Pos.Line] = st
	}
	assert.Equal(t, errors.WSAEISCONN, byLine[13].Got)
	assert.Equal(t, "SETSEC-ISCONN", byLine[13].Rule.ID)
	assert.Equal(t, "1", byLine[15].Values.Map()["value"])
	assert.Equal(t, "server/admin", byLine[18].App)
	assert.Equal(t, "BIND-ACCESS", byLine[18].Rule.ID)
	assert.Equal(t, "SEC-FAMILY-TYPE", byLine[21].Rule.ID)
	assert.Equal(t, "GEN-NOTSOCK", byLine[22].Rule.ID)
}

func TestCorpusFilesPass(t *testing.T) {
	files, err := filepath.Glob("testdata/*.wss")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := ParseFile(f)
			require.NoError(t, err)
			r := Run(s, SimBackend(), Options{})
			require.NoError(t, r.Err)
			assert.Empty(t, failureMessages(r))
			assert.True(t, r.Passed())
		})
	}
}

// calls.wss is the catalogue of call forms: every function of the language appears in it.
func TestEveryCallHasAForm(t *testing.T) {
	s, err := ParseFile("testdata/calls.wss")
	require.NoError(t, err)
	used := map[string]bool{}
	for _, st := range s.Stmts {
		used[st.Call] = true
	}
	for _, c := range Calls() {
		assert.True(t, used[c.Name], "testdata/calls.wss has no %s line", c.Name)
	}
}

func TestLanguageDocumentsEveryCall(t *testing.T) {
	md, err := os.ReadFile("LANGUAGE.md")
	require.NoError(t, err)
	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	for _, c := range Calls() {
		assert.Contains(t, string(md), "`"+c.Name+"`", "LANGUAGE.md lacks %s", c.Name)
		assert.Contains(t, string(doc), c.Name, "the package comment lacks %s", c.Name)
		for _, k := range c.Keys {
			assert.Contains(t, string(md), k+"=", "LANGUAGE.md lacks %s's key %s", c.Name, k)
		}
	}
}

func TestCallFormsReturnValues(t *testing.T) {
	r := runSim(t, "v.wss", `
l = socket AF_INET6 SOCK_STREAM 0
setsockopt l IPPROTO_IPV6 IPV6_V6ONLY 0
bind l [::]:8000
listen l 1
getsockname l len=200 => ok addr=[::]:8000 len=28
c = socket AF_INET SOCK_STREAM 0
connect c 127.0.0.1:8000
a = accept l len=28 => ok peer=[::ffff:127.0.0.1]:* len=28
getpeername a => ok addr=[::ffff:127.0.0.1]:49152
getsockopt a SOL_SOCKET SO_TYPE => ok value=1 len=4
u = socket AF_INET SOCK_DGRAM 0
sendto u 127.0.0.1:9 data="\x00\x01\"" => ok bytes=3
WSAStartup 3.0 => ok version=2.2
`)
	require.NoError(t, r.Err)
	assert.Empty(t, failureMessages(r))
	last := r.Steps[len(r.Steps)-1]
	assert.Equal(t, Values{{"version", "2.2"}}, last.Values)
	acc := r.Steps[7]
	assert.Equal(t, "accept", acc.Stmt.Call)
	assert.Equal(t, "28", acc.Values.Map()["len"])
	assert.Equal(t, "[::ffff:127.0.0.1]:49152", acc.Values.Map()["peer"])
	assert.NotEmpty(t, acc.Values.Map()["handle"])
}

func TestResultForms(t *testing.T) {
	cases := []struct {
		line string
		pass bool
		want string // the failure, when !pass
	}{
		{"closesocket 0x4", false, "got WSAENOTSOCK, want ok"},
		{"closesocket 0x4 => ok", false, "got WSAENOTSOCK, want ok"},
		{"closesocket 0x4 => WSAENOTSOCK", true, ""},
		{"closesocket 0x4 => wsaenotsock", false, ""}, // SDK names are upper case: a parse error
		{"closesocket 0x4 => 10038", true, ""},
		{"closesocket 0x4 => 0x2736", true, ""},
		{"closesocket 0x4 => error", true, ""},
		{"closesocket 0x4 => ok|error", true, ""},
		{"closesocket 0x4 => WSAEINVAL|WSAENOTSOCK", true, ""},
		{"closesocket 0x4 => WSAEINVAL|WSAEFAULT", false, "got WSAENOTSOCK, want WSAEINVAL|WSAEFAULT"},
		{"closesocket 0x4 => 0", false, "got WSAENOTSOCK, want ok"},
		{"s = socket AF_INET SOCK_STREAM 0 => error", false, "got ok, want error"},
		{"s = socket AF_INET SOCK_STREAM 0 => 0", true, ""},
		{"s = socket AF_INET SOCK_STREAM 0 => ok|WSAEINVAL", true, ""},
		{"WSAStartup => version=2.2", true, ""},
		{"WSAStartup => ok version=1.1", false, "got version=2.2, want version=1.1"},
		{"WSAStartup 0.0 => ok version=2.2", false, "got WSAVERNOTSUPPORTED, want ok version=2.2"},
		{"ConnectEx INVALID_SOCKET 127.0.0.1:1 => ERROR_IO_PENDING|WSA_IO_PENDING|WSAENOTSOCK", true, ""},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			s, err := Parse("r.wss", []byte(c.line+"\n"))
			if strings.Contains(c.line, "wsaenotsock") {
				require.EqualError(t, err, `r.wss:1:20: unknown result "wsaenotsock"; did you mean WSAENOTSOCK?`)
				return
			}
			require.NoError(t, err)
			r := Run(s, SimBackend(), Options{})
			require.NoError(t, r.Err)
			require.Len(t, r.Steps, 1)
			assert.Equal(t, c.pass, r.Passed())
			assert.Equal(t, c.want, r.Steps[0].Failure)
		})
	}
}

func TestFailureMessageNamesTheRule(t *testing.T) {
	r := runSim(t, "fail.wss", `host h 10.0.0.9
h: s = socket AF_INET SOCK_STREAM 0
h: bind s 127.0.0.1:0
h: WSASetSocketSecurity s protocol=IPSEC password=hunter2
h: getsockname s => ok addr=10.0.0.9:*
h: getsockopt s SOL_SOCKET SO_REUSEADDR => ok value=1 len=1
`)
	require.NoError(t, r.Err)
	assert.False(t, r.Passed())
	assert.Equal(t, []string{
		"fail.wss:4: h: WSASetSocketSecurity s protocol=IPSEC password=[redacted]: got WSAEINVAL, want ok [rule SETSEC-BOUND: the socket has (or had) a local address: bind, or an implicit bind by sendto or connect]",
		"fail.wss:5: h: getsockname s: got addr=127.0.0.1:49152, want addr=10.0.0.9:*",
		"fail.wss:6: h: getsockopt s SOL_SOCKET SO_REUSEADDR: got value=0, want value=1; got len=4, want len=1",
	}, failureMessages(r))
	f := r.Failures()[0]
	assert.Equal(t, errors.WSAEINVAL, f.Got)
	require.NotNil(t, f.Rule)
	assert.Equal(t, "SETSEC-BOUND", f.Rule.ID)
	var re *sim.RuleError
	assert.ErrorAs(t, f.Err, &re)
}

func TestStopAtFirstFailure(t *testing.T) {
	s := mustParse(t, "stop.wss", "closesocket 1\nclosesocket 2\nclosesocket 3 => WSAENOTSOCK\n")
	assert.Len(t, Run(s, SimBackend(), Options{}).Steps, 3)
	r := Run(s, SimBackend(), Options{StopAtFirstFailure: true})
	require.Len(t, r.Steps, 1)
	assert.Len(t, r.Failures(), 1)
}

func TestTraceIsDeterministic(t *testing.T) {
	for _, f := range []string{"testdata/issue3.wss", "testdata/calls.wss"} {
		s, err := ParseFile(f)
		require.NoError(t, err)
		var a, b bytes.Buffer
		Run(s, SimBackend(), Options{Trace: &a})
		Run(s, SimBackend(), Options{Trace: &b})
		assert.NotEmpty(t, a.String())
		assert.Equal(t, a.String(), b.String())
		assert.Equal(t, len(s.Stmts), strings.Count(a.String(), "\n"))
	}
}

func TestTraceLines(t *testing.T) {
	var buf bytes.Buffer
	s := mustParse(t, "t.wss", `host a 10.0.0.1
host b 10.0.0.2
a: s = socket AF_INET SOCK_STREAM 0
b: s = socket AF_INET SOCK_STREAM 0
a: WSASetSocketSecurity s protocol=DEFAULT user=me password="sec ret" => WSAEINVAL
a: bind s 10.0.0.1:80
b: connect s 10.0.0.1:80 => WSAECONNREFUSED
settle
a: closesocket s => WSAEINVAL
`)
	Run(s, SimBackend(), Options{Trace: &buf})
	assert.Equal(t, `t.wss:3: a: socket AF_INET SOCK_STREAM 0 = ok s=0x100
t.wss:4: b: socket AF_INET SOCK_STREAM 0 = ok s=0x100
t.wss:5: a: WSASetSocketSecurity s protocol=DEFAULT user=me password=[redacted] = WSAEINVAL [SETTINGS-DEFAULT-WITH-IPSEC-LAYOUT]
t.wss:6: a: bind s 10.0.0.1:80 = ok
t.wss:7: b: connect s 10.0.0.1:80 = WSAECONNREFUSED [CONNECT-REFUSED]
t.wss:8: settle = ok
t.wss:9: a: closesocket s = ok FAIL: got ok, want WSAEINVAL
`, buf.String())
	assert.NotContains(t, buf.String(), "sec ret")
}

func TestVariablesArePerApplication(t *testing.T) {
	r := runSim(t, "vars.wss", `host h
app h/other user=bob
h: s = socket AF_INET SOCK_STREAM 0
h/other: s = socket AF_INET SOCK_DGRAM 0
h: getsockopt s SOL_SOCKET SO_TYPE => ok value=SOCK_STREAM
h/other: getsockopt s SOL_SOCKET SO_TYPE => ok value=SOCK_DGRAM
h: closesocket s
h: closesocket s => WSAENOTSOCK
h/other: closesocket s
h: s = socket AF_INET SOCK_STREAM 0
h: closesocket s
`)
	require.NoError(t, r.Err)
	assert.Empty(t, failureMessages(r))
	// Handles are never reused: the rebound s is a new handle.
	assert.Equal(t, "0x100", r.Steps[0].Values.Map()["handle"])
	assert.Equal(t, "0x104", r.Steps[7].Values.Map()["handle"])
}

// h/x's o and c's own OVERLAPPED are unused (success, 0 bytes) while h's o is still pending.
func TestOverlappedVariablesArePerApplication(t *testing.T) {
	r := runSim(t, "ov.wss", `host h
app h/x user=bob
h: l = socket AF_INET SOCK_STREAM 0
h: bind l 127.0.0.1:80
h: listen l 5
h: c = socket AF_INET SOCK_STREAM 0
h: bind c 0.0.0.0:0
h: ConnectEx c 127.0.0.1:80 ov=o => WSA_IO_PENDING
h/x: c = socket AF_INET SOCK_STREAM 0
h/x: WSAGetOverlappedResult c o => ok bytes=0
h: WSAGetOverlappedResult c => ok bytes=0
h: WSAGetOverlappedResult c o => WSA_IO_INCOMPLETE
h: WSAGetOverlappedResult c o wait=1
`)
	require.NoError(t, r.Err)
	assert.Empty(t, failureMessages(r))
}

func TestWSACleanupChangesTheCount(t *testing.T) {
	s := mustParse(t, "init.wss", `s = socket AF_INET SOCK_STREAM 0
WSAStartup
WSACleanup
getsockopt s SOL_SOCKET SO_TYPE => ok value=1
WSACleanup
getsockopt s SOL_SOCKET SO_TYPE => WSANOTINITIALISED
WSAStartup
getsockopt s SOL_SOCKET SO_TYPE => WSAENOTSOCK
`)
	var world *SimWorld
	r := Run(s, recordingSim{&world}, Options{})
	assert.Empty(t, failureMessages(r))
	h, ok := world.Network().Host("local")
	require.True(t, ok)
	assert.True(t, h.App().Initialised())
	assert.Empty(t, h.App().Sockets())
}

// recordingSim is SimBackend keeping the world it built.
type recordingSim struct{ w **SimWorld }

func (recordingSim) Name() string { return "sim" }
func (b recordingSim) Open(s *Script) (World, error) {
	w, err := NewSimWorld(s)
	*b.w = w
	return w, err
}

func TestSimWorldExposesTheNetwork(t *testing.T) {
	s := mustParse(t, "w.wss", "host a 10.0.0.1 fd00::1\napp a/b user=u\n")
	w, err := SimBackend().Open(s)
	require.NoError(t, err)
	defer w.Close()
	sw := w.(*SimWorld)
	h, ok := sw.Network().Host("a")
	require.True(t, ok)
	assert.Len(t, h.Addresses(), 4)
	app, ok := sw.App("a/b")
	require.True(t, ok)
	assert.Equal(t, "u", app.User())
	_, err = sw.API("nobody", "")
	assert.Error(t, err)
	api, err := sw.API("a/b", "")
	require.NoError(t, err)
	_, err = api.Socket(socket.AF_INET, socket.SOCK_STREAM, 0)
	require.NoError(t, err)
	assert.Len(t, app.Sockets(), 1)
}

func TestHandBuiltScripts(t *testing.T) {
	s := &Script{Name: "built", Stmts: []*Stmt{
		{Var: "s", Call: "socket", Args: []Arg{{Value: "AF_INET"}, {Value: "SOCK_DGRAM"}, {Value: "0"}}},
		{Call: "sendto", Args: []Arg{{Value: "s"}, {Value: "127.0.0.1:5"}, {Key: "data", Value: "hi there", Quoted: true}},
			Expect: Expectation{Given: true, OK: true, Checks: []ValueCheck{{Key: "bytes", Value: "8"}}}},
		nil,
	}}
	r := Run(s, SimBackend(), Options{})
	require.NoError(t, r.Err)
	assert.True(t, r.Passed())
	assert.Equal(t, "s = socket AF_INET SOCK_DGRAM 0\nsendto s 127.0.0.1:5 data=\"hi there\" => ok bytes=8\n", s.Format())

	bad := &Script{Name: "bad", Stmts: []*Stmt{{Call: "sokcet"}}}
	r = Run(bad, SimBackend(), Options{})
	require.Error(t, r.Err)
	assert.Contains(t, r.Err.Error(), "did you mean socket?")
	assert.False(t, r.Passed())

	assert.Error(t, Run(nil, SimBackend(), Options{}).Err)
	assert.Error(t, Run(s, nil, Options{}).Err)
	assert.Error(t, Run(&Script{Hosts: []HostDecl{{Name: "x", Addrs: make([]netip.Addr, 1)}}}, SimBackend(), Options{}).Err)
}

func TestFormatCanonical(t *testing.T) {
	s, err := ParseFile("testdata/issue3.wss")
	require.NoError(t, err)
	want := `host server 10.0.0.2 fd00::2 domain=CORP
host client 10.0.0.1 domain=CORP
app server/admin user=alice

server: s = WSASocket AF_INET SOCK_STREAM IPPROTO_TCP WSA_FLAG_OVERLAPPED
server: WSASetSocketSecurity s
server: bind s 0.0.0.0:27015
server: listen s 10
client: c = socket AF_INET SOCK_STREAM 0
client: WSASetSocketSecurity c protocol=IPSEC flags=GUARANTEE_ENCRYPTION len=88
client: connect c 10.0.0.2:27015
client: WSASetSocketSecurity c => WSAEISCONN
server: a = accept s
server: getsockopt s SOL_SOCKET SO_EXCLUSIVEADDRUSE => ok value=1
server/admin: t = socket AF_INET SOCK_STREAM IPPROTO_TCP
server/admin: setsockopt t SOL_SOCKET SO_REUSEADDR 1
server/admin: bind t 10.0.0.2:27015 => WSAEACCES
server: closesocket a
client: c2 = socket AF_UNIX SOCK_STREAM 0
client: WSASetSocketSecurity c2 => WSAEINVAL|WSAEAFNOSUPPORT
server: closesocket 0xdeadbeef => WSAENOTSOCK
`
	assert.Equal(t, want, s.Format())
	again := mustParse(t, s.Name, s.Format())
	assert.Equal(t, normalize(s), normalize(again))

	odd := mustParse(t, "odd.wss", "host h   10.0.0.1 cert=\"a # b\"   # c\nh: x = socket AF_INET SOCK_STREAM 0=>ok\nh: closesocket x=>WSAENOTSOCK|ok # d\n")
	assert.Equal(t, "host h 10.0.0.1 cert=\"a # b\"\n\nh: x = socket AF_INET SOCK_STREAM 0 => ok\nh: closesocket x => ok|WSAENOTSOCK\n", odd.Format())
}

func TestStmtStringAndOptions(t *testing.T) {
	s := mustParse(t, "s.wss", "\ufeffapp local/x user=\"u v\" role=admin\nlocal/x: s = WSASocket AF_INET SOCK_STREAM 0 # c\nlocal/x: WSASetSocketSecurity s protocol=IPSEC password=\"top secret\" => WSAEINVAL|error\n")
	role, ok := s.Apps[0].Option("role")
	assert.True(t, ok)
	assert.Equal(t, "admin", role)
	_, ok = s.Apps[0].Option("nope")
	assert.False(t, ok)
	assert.Equal(t, "u v", s.Apps[0].User)
	assert.Equal(t, "local/x: s = WSASocket AF_INET SOCK_STREAM 0", s.Stmts[0].String())
	assert.Equal(t, "local/x: s = WSASocket AF_INET SOCK_STREAM 0", s.Stmts[0].Text)
	assert.Equal(t, Pos{File: "s.wss", Line: 2, Col: 14}, s.Stmts[0].CallPos)
	assert.Equal(t, "local/x: WSASetSocketSecurity s protocol=IPSEC password=[redacted] => WSAEINVAL|error", s.Stmts[1].String())
	assert.Contains(t, s.Format(), `password="top secret"`)
	assert.Equal(t, "app local/x user=\"u v\" role=admin\n\nlocal/x: s = WSASocket AF_INET SOCK_STREAM 0\nlocal/x: WSASetSocketSecurity s protocol=IPSEC password=\"top secret\" => WSAEINVAL|error\n", s.Format())
}
