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
	"slices"
	"strconv"
	"strings"

	"github.com/wsssim/wsssim/scenario"
	"github.com/wsssim/wsssim/sim"
)

// header declares the world every program runs in: two hosts, members of one domain so that
// secure connections between them negotiate IPsec (and fail when only one end asks for it), and
// on the first one a second application under another user and a third under the default
// application's own account.
const header = `host a 10.0.0.1 fd00::1 domain=CORP
host b 10.0.0.2 domain=CORP
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

// joined caches "ADDR:PORT" for every address and port the generator draws, so that drawing one
// costs no allocation: bound[host][i][j] is addrsOf[host][i]:ports[j], target[i][j] is
// targets[i]:ports[1+j].
var joined = func() (j struct {
	bound  map[string][][]string
	target [][]string
}) {
	table := func(addrs, ports []string) [][]string {
		out := make([][]string, len(addrs))
		for i, a := range addrs {
			for _, p := range ports {
				out[i] = append(out[i], a+":"+p)
			}
		}
		return out
	}
	j.bound = map[string][][]string{}
	for h, addrs := range addrsOf {
		j.bound[h] = table(addrs, ports)
	}
	j.target = table(targets, ports[1:])
	return j
}()

// generator writes random statements, keeping track of the variables each application has
// bound so that every program parses. It writes each statement twice over: as a line of the
// program's text, and as the scenario.Stmt that parsing the line gives (see line), so that Check
// runs it without formatting and parsing text.
type generator struct {
	r      *rand.Rand
	vars   [][]string // per application, as apps lists them
	events [][]string // each application's event variables
	// eventKeys are "event=E" for each of events, made when the event is.
	eventKeys [][]string
	next      int
	line      line
}

func newGenerator(seed uint64) *generator {
	return &generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), vars: make([][]string, len(apps)), events: make([][]string, len(apps)), eventKeys: make([][]string, len(apps))}
}

func (g *generator) pick(list []string) string { return list[g.r.IntN(len(list))] }

// socketVar returns a variable of application apps[app], or "" if it has none.
func (g *generator) socketVar(app int) string {
	vs := g.vars[app]
	if len(vs) == 0 {
		return ""
	}
	return vs[g.r.IntN(len(vs))]
}

func (g *generator) newVar(app int) string {
	g.next++
	v := "s" + strconv.Itoa(g.next)
	g.vars[app] = append(g.vars[app], v)
	return v
}

// addr is an address of who's host and a port (the address drawn first, as pick(addrs) + ":" +
// pick(ports) would).
func (g *generator) addr(who string) string {
	t := joined.bound[hostOf(who)]
	i := g.r.IntN(len(t))
	return t[i][g.r.IntN(len(t[i]))]
}

func (g *generator) target() string {
	i := g.r.IntN(len(joined.target))
	return joined.target[i][g.r.IntN(len(joined.target[i]))]
}

// threads are the scenario threads a statement may run on besides the main one: completion
// routines are queued to the thread that made the call and run only in its alertable waits.
var threads = []string{"", "", "", "w"}

// The words the overlapped and clock statements draw, written out once so that drawing one
// costs no allocation.
var (
	advances    = []string{"100ms", "1s", "30s", "5m", "2h"}
	waitKeys    = []string{"timeout=0", "timeout=0", "timeout=10", "timeout=30000"}
	sleepTimes  = []string{"0", "0", "10", "30000"}
	waitExtras  = []string{"", "all=1", "alertable=1", "alertable=1"}
	eventCalls  = []string{"WSASetEvent", "WSAResetEvent", "WSASetEvent", "WSACloseEvent"}
	netfaults   = []string{"drop", "delay delay=2s", "reset", "unreachable", "negotiation"}
	faultFrom   = map[string]string{"a": "from=a", "b": "from=b"}
	faultTo     = []string{"to=a", "to=b"}
	faultTimes  = []string{"times=1", "times=2", "times=3"}
	ovNames     = []string{"o1", "o2"}
	ovKeys      = []string{"ov=o1", "ov=o2"}
	routineKeys = []string{"routine=R1", "routine=R2"}
	waitFlags   = []string{"", "wait=1"}
)

// eventStatement writes one of the statements of events, waits, overlapped calls, the clock
// and network faults: the calls whose effects arrive later, on the virtual clock, and through
// three channels (an event, the OVERLAPPED, a completion routine).
func (g *generator) eventStatement(app int, who string) {
	b := &g.line
	es := g.events[app]
	n := g.r.IntN(100)
	switch {
	case n < 4:
		b.call("advance", g.pick(advances)) // pseudo-statements take no WHO
		return
	case n < 7:
		b.call("netfault")
		b.words(g.pick(netfaults))
		b.word(faultFrom[hostOf(who)])
		b.word(g.pick(faultTo))
		b.word(g.pick(faultTimes))
		return
	case len(es) == 0 || n < 20:
		e := g.newEvent(app)
		b.who(who)
		b.assign(e)
		b.call("WSACreateEvent")
	case n < 30:
		b.who(who)
		b.call(g.pick(eventCalls), es[g.r.IntN(len(es))])
	case n < 50:
		b.whoOn(who, g.pick(threads))
		i, j := g.r.IntN(len(es)), g.r.IntN(len(es))
		set := es[i]
		if j != i {
			set = g.eventPairs(app, i, j)
		}
		b.call("WSAWaitForMultipleEvents", set)
		b.word(g.pick(waitKeys))
		b.optional(g.pick(waitExtras))
	case n < 60:
		b.whoOn(who, g.pick(threads))
		b.call("SleepEx", g.pick(sleepTimes))
		b.word("alertable=1")
	default:
		v := g.socketVar(app)
		if v == "" {
			b.call("settle")
			return
		}
		ov := g.r.IntN(len(ovNames))
		b.whoOn(who, g.pick(threads))
		switch {
		case n < 72:
			b.call("ConnectEx", v, g.target())
			b.word(ovKeys[ov])
			b.word(g.eventKey(app))
		case n < 80:
			b.call("WSAGetOverlappedResult", v, ovNames[ov])
			b.optional(g.pick(waitFlags))
		case n < 90:
			b.call("WSASetSocketSecurity", v)
			b.words(g.pick(secureArg))
			b.word(ovKeys[ov])
			if g.r.IntN(2) == 0 {
				b.word(g.eventKey(app))
			} else {
				b.word(g.pick(routineKeys))
			}
		default:
			b.call("WSAQuerySocketSecurity", v)
			b.word(ovKeys[ov])
			b.word(g.pick(routineKeys))
		}
	}
	b.expectAny()
}

// newEvent binds a new event variable of application apps[app].
func (g *generator) newEvent(app int) string {
	g.next++
	e := "e" + strconv.Itoa(g.next)
	g.events[app] = append(g.events[app], e)
	g.eventKeys[app] = append(g.eventKeys[app], "event="+e)
	return e
}

// eventKey is "event=E" for one of the application's events (it has one: the caller made sure).
func (g *generator) eventKey(app int) string {
	keys := g.eventKeys[app]
	return keys[g.r.IntN(len(keys))]
}

// eventPairs is "E1,E2" for two of the application's events.
func (g *generator) eventPairs(app, i, j int) string {
	return g.events[app][i] + "," + g.events[app][j]
}

// statement writes one random statement. Every expectation is "ok|error": the fuzzer judges
// results with its invariants, not with expectations.
func (g *generator) statement() {
	b := &g.line
	app := g.r.IntN(len(apps)) // as pick(apps) draws
	// One statement in sixteen is an event, wait, overlapped, clock or fault statement: they
	// cost a little more than the rest.
	if g.r.IntN(16) == 0 {
		g.eventStatement(app, apps[app])
		return
	}
	who := apps[app]
	v := g.socketVar(app)
	n := g.r.IntN(100)
	if v == "" || n < 14 {
		call := "socket"
		if g.r.IntN(2) == 0 {
			call = "WSASocket"
		}
		b.who(who)
		b.assign(g.newVar(app))
		b.call(call)
		b.word(g.pick(families))
		b.word(g.pick(types))
		b.word("0")
		if call == "WSASocket" && g.r.IntN(2) == 0 {
			b.word("WSA_FLAG_OVERLAPPED")
		}
		b.expectAny()
		return
	}
	if n >= 95 && n < 97 {
		b.call("settle") // no WHO: it acts on the whole network
		return
	}
	b.who(who)
	switch {
	case n < 24:
		b.call("setsockopt", v)
		b.words(g.pick(boolOpts))
		b.word(strconv.Itoa(g.r.IntN(2)))
	case n < 36:
		b.call("bind", v)
		b.word(g.addr(who))
	case n < 42:
		b.call("listen", v)
		b.word("5")
	case n < 52:
		b.call("connect", v)
		b.word(g.target())
	case n < 55:
		b.call("ConnectEx", v)
		b.word(g.target())
	case n < 57:
		b.call("ioctlsocket", v)
		b.word("FIONBIO")
		b.word("1")
	case n < 63:
		b.assign(g.newVar(app))
		b.call("accept", v)
	case n < 71:
		b.call("sendto", v)
		b.word(g.target())
	case n < 74:
		b.call("getsockname", v)
	case n < 76:
		b.call("getpeername", v)
	case n < 78:
		b.call("shutdown", v)
		b.word("SD_BOTH")
	case n < 86:
		b.call("closesocket", v)
	case n < 91:
		b.call("WSASetSocketSecurity", v)
		b.words(g.pick(secureArg))
	case n < 92:
		b.call("WSAIoctl", v)
		b.word("SIO_SET_SECURITY")
	case n < 93:
		b.call("WSAQuerySocketSecurity", v)
		b.optional(g.pick([]string{"", "template=NULL", "peer=" + g.target(), "infolen=8"}))
	case n < 94:
		b.call("WSASetSocketPeerTargetName", v)
		b.quoted("name", "host/b.corp")
		b.optional(g.pick([]string{"", "peer=" + g.target(), "peer=0.0.0.0:0"}))
	case n < 95:
		b.call("WSAImpersonateSocketPeer", v)
	case n < 98:
		b.call("WSACleanup")
	default:
		b.call("WSAStartup")
	}
	b.expectAny()
}

// Program is a generated scenario: the world header and its statements.
type Program struct {
	Lines []string
	// stmts are Lines as Parse reads them, statement i on line headerLines+i+1; Generate fills
	// them, and Check uses them for as long as they still match Lines.
	stmts []*scenario.Stmt
}

// Text is the program as a .wss file.
func (p Program) Text() string {
	return header + strings.Join(p.Lines, "\n") + "\n"
}

// Generate makes a program of n statements from a seed. The same seed gives the same program.
func Generate(seed uint64, n int) Program {
	var g Generator
	return g.Generate(seed, n)
}

// A Generator makes programs as Generate does, but keeps the memory of one program's statements
// for the next: wsssim fuzz makes hundreds of thousands of programs and keeps none that pass.
// A Program it returns is valid until its next Generate; Clone keeps one for longer. A
// Generator is for one goroutine.
type Generator struct {
	stmts []scenario.Stmt
	ptrs  []*scenario.Stmt
	args  []scenario.Arg
	ends  []int
}

// Generate makes the program Generate(seed, n) makes, in the Generator's memory.
func (gen *Generator) Generate(seed uint64, n int) Program {
	if cap(gen.stmts) < n {
		gen.stmts = make([]scenario.Stmt, n)
		gen.ptrs = make([]*scenario.Stmt, n)
		gen.ends = make([]int, n)
	}
	stmts := gen.stmts[:n]
	clear(stmts)
	g := newGenerator(seed)
	b := &g.line
	b.text.Grow(48 * n) // lines average under 40 bytes
	b.args = gen.args[:0]
	p := Program{Lines: make([]string, n), stmts: gen.ptrs[:n]}
	ends := gen.ends[:n]
	for i := range n {
		p.stmts[i] = &stmts[i]
		b.start(p.stmts[i], headerLines+i+1)
		g.statement()
		b.end()
		ends[i] = b.text.Len()
		b.text.WriteByte('\n')
	}
	if b.grew {
		// The arguments outgrew the kept array: keep one large enough for such a program.
		gen.args = make([]scenario.Arg, 0, cap(gen.args)+b.extra+n)
	}
	// One string holds every line; each statement's text is its line.
	all := b.text.String()
	for i, start := 0, 0; i < n; i++ {
		p.Lines[i] = all[start:ends[i]]
		p.stmts[i].Text = p.Lines[i]
		start = ends[i] + 1
	}
	return p
}

// Clone returns the program apart from the Generator that made it: its lines, which Check
// parses.
func (p Program) Clone() Program {
	return Program{Lines: slices.Clone(p.Lines)}
}

// script returns the program as a scenario: built from the statements Generate made when they
// still match Lines (each is its line parsed), else parsed from Text.
func (p Program) script() (*scenario.Script, error) {
	if len(p.stmts) != len(p.Lines) {
		return scenario.Parse(fileName, []byte(p.Text()))
	}
	for i, st := range p.stmts {
		if st.Text != p.Lines[i] {
			return scenario.Parse(fileName, []byte(p.Text()))
		}
	}
	return &scenario.Script{Name: fileName, Hosts: declared.Hosts, Apps: declared.Apps, Stmts: p.stmts}, nil
}

// fileName is the name programs run under; messages and positions start with it.
const fileName = "fuzz.wss"

// declared is the header parsed: the hosts and applications of every program, shared (read
// only) by the scripts Check builds.
var declared = func() *scenario.Script {
	s, err := scenario.Parse(fileName, []byte(header))
	if err != nil {
		panic("fuzz: the header does not parse: " + err.Error())
	}
	return s
}()

// Violation is a broken invariant: which one, at which statement, and how.
type Violation struct {
	Invariant string // "security-after-bind", "exclusive-delivery", "rule-table", "closed-handle", "panic", "script"
	Line      int    // the statement's line in the program's text (0 if none)
	Stmt      string // that statement, passwords masked (scenario.RedactPasswords)
	Detail    string
}

// Error says which invariant broke, the statement that broke it (if any), and how.
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
	script, err := p.script()
	if err != nil {
		return &Violation{Invariant: "script", Detail: err.Error()}, 0
	}
	c := newChecker()
	backend := &tracedBackend{tracer: c}
	res := scenario.Run(script, backend, scenario.Options{OnStep: c.step, FailedStepsOnly: true})
	if res.Err != nil {
		return &Violation{Invariant: "script", Detail: res.Err.Error()}, 0
	}
	if c.violation != nil && c.violation.Line > 0 {
		if i := c.violation.Line - headerLines - 1; i >= 0 && i < len(p.Lines) {
			c.violation.Stmt = scenario.RedactPasswords(p.Lines[i]) // reports never show a password
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

var _ sim.StructuredTracer = (*checker)(nil)
