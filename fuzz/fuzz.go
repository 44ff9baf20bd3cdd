// Package fuzz explores random Winsock call orderings on simulated hosts and checks, after
// every call, the invariants the simulator promises:
//
//   - security is never applied to a socket after it was bound, connected or listening;
//   - while a socket holds an address and port with SO_EXCLUSIVEADDRUSE, no other socket
//     receives a connection or datagram sent to exactly that address and port;
//   - every failure is decided by a rule the rule table lists for that call, with its code;
//   - a closed handle only ever gives WSAENOTSOCK (while Winsock is initialised);
//   - nothing panics.
//
// Programs are written in the scenario language, so a violation is reported as a .wss file:
// the fuzzer shrinks the failing program to a minimal one that still violates the same
// invariant, and wsssim run replays it.
package fuzz

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/wsssim/wsssim/scenario"
	"github.com/wsssim/wsssim/sim"
)

// header declares the world every program runs in: two hosts, and on the first one a second
// application under another user and a third under the default application's own account.
const header = `host a 10.0.0.1 fd00::1
host b 10.0.0.2
app a/alice user=alice
app a/svc user=SYSTEM
`

var apps = []string{"a", "a/alice", "a/svc", "b"}

// hostOf is the host part of a WHO label.
func hostOf(who string) string {
	if i := strings.IndexByte(who, '/'); i >= 0 {
		return who[:i]
	}
	return who
}

var (
	ports     = []string{"0", "80", "81"}
	addrsOf   = map[string][]string{"a": {"0.0.0.0", "127.0.0.1", "10.0.0.1", "[::]", "[::1]", "[fd00::1]", "[::ffff:127.0.0.1]", "10.0.0.9"}, "b": {"0.0.0.0", "127.0.0.1", "10.0.0.2", "[::]", "[::1]"}}
	targets   = []string{"127.0.0.1", "10.0.0.1", "10.0.0.2", "[::1]", "[fd00::1]", "[::ffff:127.0.0.1]", "[::ffff:10.0.0.2]", "0.0.0.0", "10.0.0.9"}
	families  = []string{"AF_INET", "AF_INET", "AF_INET6", "AF_INET6", "AF_UNIX", "0xdead"}
	types     = []string{"SOCK_STREAM", "SOCK_STREAM", "SOCK_DGRAM", "SOCK_DGRAM", "0x99"}
	boolOpts  = []string{"SOL_SOCKET SO_REUSEADDR", "SOL_SOCKET SO_EXCLUSIVEADDRUSE", "SOL_SOCKET SO_EXCLUSIVEADDRUSE", "IPPROTO_IPV6 IPV6_V6ONLY"}
	secureArg = []string{"", "", "flags=GUARANTEE_ENCRYPTION", "protocol=IPSEC flags=ALLOW_INSECURE", "flags=0x80", "protocol=INVALID", "settings=NULL len=3", "protocol=IPSEC user=bob domain=CORP password=hunter2"}
)

// generator writes random statements, keeping track of the variables each application has
// bound so that every program parses.
type generator struct {
	r    *rand.Rand
	vars map[string][]string // per application
	next int
}

func newGenerator(seed uint64) *generator {
	return &generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), vars: map[string][]string{}}
}

func (g *generator) pick(list []string) string { return list[g.r.IntN(len(list))] }

// socketVar returns a variable of the application, or "" if it has none.
func (g *generator) socketVar(who string) string {
	vs := g.vars[who]
	if len(vs) == 0 {
		return ""
	}
	return vs[g.r.IntN(len(vs))]
}

func (g *generator) newVar(who string) string {
	g.next++
	v := fmt.Sprintf("s%d", g.next)
	g.vars[who] = append(g.vars[who], v)
	return v
}

func (g *generator) addr(who string) string {
	return g.pick(addrsOf[hostOf(who)]) + ":" + g.pick(ports)
}

func (g *generator) target() string {
	return g.pick(targets) + ":" + g.pick(ports[1:])
}

// statement returns one random statement line. Every expectation is "ok|error": the fuzzer
// judges results with its invariants, not with expectations.
func (g *generator) statement() string {
	who := g.pick(apps)
	v := g.socketVar(who)
	n := g.r.IntN(100)
	if v == "" || n < 14 {
		call := "socket"
		if g.r.IntN(2) == 0 {
			call = "WSASocket"
		}
		line := fmt.Sprintf("%s: %s = %s %s %s 0", who, g.newVar(who), call, g.pick(families), g.pick(types))
		if call == "WSASocket" && g.r.IntN(2) == 0 {
			line += " WSA_FLAG_OVERLAPPED"
		}
		return line + " => ok|error"
	}
	var body string
	switch {
	case n < 24:
		body = fmt.Sprintf("setsockopt %s %s %d", v, g.pick(boolOpts), g.r.IntN(2))
	case n < 36:
		body = fmt.Sprintf("bind %s %s", v, g.addr(who))
	case n < 42:
		body = fmt.Sprintf("listen %s 5", v)
	case n < 52:
		body = fmt.Sprintf("connect %s %s", v, g.target())
	case n < 55:
		body = fmt.Sprintf("ConnectEx %s %s", v, g.target())
	case n < 57:
		body = fmt.Sprintf("ioctlsocket %s FIONBIO 1", v)
	case n < 63:
		return fmt.Sprintf("%s: %s = accept %s => ok|error", who, g.newVar(who), v)
	case n < 71:
		body = fmt.Sprintf("sendto %s %s", v, g.target())
	case n < 74:
		body = fmt.Sprintf("getsockname %s", v)
	case n < 76:
		body = fmt.Sprintf("getpeername %s", v)
	case n < 78:
		body = fmt.Sprintf("shutdown %s SD_BOTH", v)
	case n < 86:
		body = fmt.Sprintf("closesocket %s", v)
	case n < 91:
		body = strings.TrimSpace(fmt.Sprintf("WSASetSocketSecurity %s %s", v, g.pick(secureArg)))
	case n < 92:
		body = fmt.Sprintf("WSAIoctl %s SIO_SET_SECURITY", v)
	case n < 93:
		body = fmt.Sprintf("WSAQuerySocketSecurity %s %s", v, g.pick([]string{"", "template=NULL", "peer=" + g.target(), "infolen=8"}))
	case n < 94:
		body = fmt.Sprintf("WSASetSocketPeerTargetName %s name=%q %s", v, "host/b.corp", g.pick([]string{"", "peer=" + g.target(), "peer=0.0.0.0:0"}))
	case n < 95:
		body = fmt.Sprintf("WSAImpersonateSocketPeer %s", v)
	case n < 97:
		return "settle"
	case n < 98:
		body = "WSACleanup"
	default:
		body = "WSAStartup"
	}
	return who + ": " + body + " => ok|error"
}

// Program is a generated scenario: the world header and its statements.
type Program struct {
	Lines []string
}

// Text is the program as a .wss file.
func (p Program) Text() string {
	return header + strings.Join(p.Lines, "\n") + "\n"
}

// Generate makes a program of n statements from a seed. The same seed gives the same program.
func Generate(seed uint64, n int) Program {
	g := newGenerator(seed)
	p := Program{Lines: make([]string, 0, n)}
	for i := 0; i < n; i++ {
		p.Lines = append(p.Lines, g.statement())
	}
	return p
}

// Violation is a broken invariant: which one, at which statement, and how.
type Violation struct {
	Invariant string // "security-after-bind", "exclusive-delivery", "rule-table", "closed-handle", "panic", "script"
	Line      int    // the statement's line in the program's text (0 if none)
	Stmt      string // that statement
	Detail    string
}

func (v *Violation) Error() string {
	if v.Stmt == "" {
		return fmt.Sprintf("invariant %s broken: %s", v.Invariant, v.Detail)
	}
	return fmt.Sprintf("invariant %s broken by %q: %s", v.Invariant, v.Stmt, v.Detail)
}

// Check runs a program on a fresh simulated network and returns the first invariant it breaks,
// nil if none, and the number of Winsock calls it made.
func Check(p Program) (v *Violation, calls int) {
	defer func() {
		if r := recover(); r != nil {
			v = &Violation{Invariant: "panic", Detail: fmt.Sprint(r)}
		}
	}()
	script, err := scenario.Parse("fuzz.wss", []byte(p.Text()))
	if err != nil {
		return &Violation{Invariant: "script", Detail: err.Error()}, 0
	}
	c := newChecker()
	backend := &tracedBackend{tracer: c}
	res := scenario.Run(script, backend, scenario.Options{Trace: c})
	if res.Err != nil {
		return &Violation{Invariant: "script", Detail: res.Err.Error()}, 0
	}
	if c.violation != nil {
		// Events arrive in statement order; map the event back to its statement's line.
		if c.violationEvent < len(c.lines) {
			c.violation.Line = c.lines[c.violationEvent]
			if i := c.violation.Line - headerLines - 1; i >= 0 && i < len(p.Lines) {
				c.violation.Stmt = p.Lines[i]
			}
		}
	}
	return c.violation, c.events
}

// tracedBackend is the simulator with the checker listening to every call.
type tracedBackend struct{ tracer *checker }

func (*tracedBackend) Name() string { return "sim" }

func (b *tracedBackend) Open(s *scenario.Script) (scenario.World, error) {
	w, err := scenario.NewSimWorld(s)
	if err != nil {
		return nil, err
	}
	w.Network().SetTracer(b.tracer)
	b.tracer.world = w
	b.tracer.script = s
	return w, nil
}

var _ sim.Tracer = (*checker)(nil)
