package fuzz

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/scenario"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sockaddr"
)

// The checker must notice each kind of violation; these feed it events a broken simulator
// would produce.
func newTestChecker(t *testing.T) *checker {
	s, err := scenario.Parse("t.wss", []byte(header))
	require.NoError(t, err)
	c := newChecker()
	c.script = s
	return c
}

func addr(s string) sockaddr.Addr {
	a, err := sockaddr.Parse(s)
	if err != nil {
		panic(err)
	}
	return a
}

func TestCheckerCatchesSecurityAfterBind(t *testing.T) {
	c := newTestChecker(t)
	c.Event(sim.Event{App: "a", Func: "bind", Handle: 0x100, Local: addr("127.0.0.1:80")})
	c.Event(sim.Event{App: "a", Func: "WSASetSocketSecurity", Handle: 0x100})
	require.NotNil(t, c.violation)
	assert.Equal(t, "security-after-bind", c.violation.Invariant)
}

func TestCheckerCatchesDeliveryPastAnExclusiveHolder(t *testing.T) {
	c := newTestChecker(t)
	c.Event(sim.Event{App: "a", Func: "setsockopt", Handle: 0x100, Level: sim.SOL_SOCKET, Option: sim.SO_EXCLUSIVEADDRUSE, Value: 1})
	c.Event(sim.Event{App: "a", Func: "bind", Handle: 0x100, Local: addr("10.0.0.1:80"), SockType: sim.SOCK_DGRAM})
	c.Event(sim.Event{App: "b", Func: "sendto", Handle: 0x100, Addr: addr("10.0.0.1:80"), DeliveredTo: "a/alice", Receiver: 0x104, SockType: sim.SOCK_DGRAM})
	require.NotNil(t, c.violation)
	assert.Equal(t, "exclusive-delivery", c.violation.Invariant)

	ok := newTestChecker(t)
	ok.Event(sim.Event{App: "a", Func: "setsockopt", Handle: 0x100, Level: sim.SOL_SOCKET, Option: sim.SO_EXCLUSIVEADDRUSE, Value: 1})
	ok.Event(sim.Event{App: "a", Func: "bind", Handle: 0x100, Local: addr("10.0.0.1:80"), SockType: sim.SOCK_DGRAM})
	ok.Event(sim.Event{App: "b", Func: "sendto", Handle: 0x100, Addr: addr("10.0.0.1:80"), DeliveredTo: "a", Receiver: 0x100, SockType: sim.SOCK_DGRAM})
	ok.Event(sim.Event{App: "b", Func: "connect", Handle: 0x104, Addr: addr("10.0.0.1:80"), DeliveredTo: "a/alice", Receiver: 0x108, SockType: sim.SOCK_STREAM})
	assert.Nil(t, ok.violation, "a TCP connection does not pass a UDP holder")
}

func TestCheckerCatchesRuleTableMismatches(t *testing.T) {
	r, _ := sim.RuleByID("BIND-TWICE")
	c := newTestChecker(t)
	c.Event(sim.Event{App: "a", Func: "listen", Handle: 0x100, Code: r.Code, Rule: r})
	require.NotNil(t, c.violation)
	assert.Equal(t, "rule-table", c.violation.Invariant)

	c = newTestChecker(t)
	c.Event(sim.Event{App: "a", Func: "bind", Handle: 0x100, Code: errors.WSAEACCES, Rule: r})
	require.NotNil(t, c.violation)
}

func TestCheckerCatchesLiveClosedHandles(t *testing.T) {
	c := newTestChecker(t)
	c.Event(sim.Event{App: "a", Func: "socket", NewHandle: 0x100})
	c.Event(sim.Event{App: "a", Func: "closesocket", Handle: 0x100})
	c.Event(sim.Event{App: "a", Func: "listen", Handle: 0x100})
	require.NotNil(t, c.violation)
	assert.Equal(t, "closed-handle", c.violation.Invariant)
}

func TestShrinkKeepsTheViolation(t *testing.T) {
	// A program whose script breaks (an undefined variable) is the simplest violation to shrink.
	p := Program{Lines: []string{"a: s1 = socket AF_INET SOCK_STREAM 0", "a: listen s1 1 => ok|error", "a: bind nosuch 127.0.0.1:1"}}
	v, _ := Check(p)
	require.NotNil(t, v)
	q, w := Shrink(p, v)
	assert.Equal(t, v.Invariant, w.Invariant)
	assert.Len(t, q.Lines, 1)
}

func TestSameSeedSameProgram(t *testing.T) {
	assert.Equal(t, Generate(7, 50).Text(), Generate(7, 50).Text())
	assert.NotEqual(t, Generate(7, 50).Text(), Generate(8, 50).Text())
}

// Check reports the statement whose calls broke an invariant: the events before a step are its
// calls.
func TestCheckerPlacesTheViolationOnItsStatement(t *testing.T) {
	c := newTestChecker(t)
	step := func(line int) { c.step(scenario.Step{Stmt: &scenario.Stmt{Pos: scenario.Pos{Line: line}}}) }
	c.Event(sim.Event{App: "a", Func: "socket", NewHandle: 0x100})
	step(6)
	step(7) // a statement without calls (settle)
	c.Event(sim.Event{App: "a", Func: "bind", Handle: 0x100, Local: addr("127.0.0.1:80")})
	step(8)
	c.Event(sim.Event{App: "a", Func: "WSASetSocketSecurity", Handle: 0x100})
	require.NotNil(t, c.violation)
	step(9)
	step(10)
	assert.Equal(t, 9, c.violation.Line)
}

// The simulator formats no text for the checker, and still does for other tracers.
func TestCheckerGetsStructuredEvents(t *testing.T) {
	run := func(tr sim.Tracer) {
		n := sim.NewNetwork()
		n.SetTracer(tr)
		th := n.MustAddHost("h").App().Main()
		s, err := th.Socket(sim.AF_INET, sim.SOCK_DGRAM, 0)
		require.NoError(t, err)
		require.NoError(t, th.BindAddr(s, addr("127.0.0.1:80")))
		require.Error(t, th.Listen(s, 1))
	}
	var log sim.TraceLog
	run(&log)
	rec := &recordingChecker{checker: newTestChecker(t)}
	run(rec)
	text := log.Events()
	require.Len(t, rec.events, len(text))
	for i, e := range rec.events {
		assert.Empty(t, e.Args)
		assert.Empty(t, e.Note)
		assert.NotEmpty(t, text[i].Args)
		text[i].Args, text[i].Note = "", ""
		assert.Equal(t, text[i], e)
	}
	assert.Equal(t, "1 h: socket(AF_INET, SOCK_DGRAM, 0) = ok -> 0x100", log.Events()[0].String())
}

type recordingChecker struct {
	*checker
	events []sim.Event
}

func (r *recordingChecker) Event(e sim.Event) {
	r.events = append(r.events, e)
	r.checker.Event(e)
}

// Generate writes each statement both as text and as what Parse makes of that text; Check runs
// the latter, so the two must agree field for field (positions included).
func TestGeneratedStatementsAreTheirLinesParsed(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		p := Generate(seed, 200)
		parsed, err := scenario.Parse(fileName, []byte(p.Text()))
		require.NoError(t, err)
		built, err := p.script()
		require.NoError(t, err)
		assert.Equal(t, parsed.Hosts, built.Hosts)
		assert.Equal(t, parsed.Apps, built.Apps)
		require.Len(t, built.Stmts, len(parsed.Stmts))
		for i := range parsed.Stmts {
			require.Equal(t, *parsed.Stmts[i], *built.Stmts[i], "seed %d, line %q", seed, p.Lines[i])
		}
	}
}

// A program whose lines were changed runs what the lines say.
func TestEditedProgramsRunTheirText(t *testing.T) {
	p := Generate(3, 20)
	p.Lines = append([]string(nil), p.Lines...)
	p.Lines[0] = "a: bind nosuch 127.0.0.1:1"
	v, _ := Check(p)
	require.NotNil(t, v)
	assert.Equal(t, "script", v.Invariant)

	q := Generate(3, 20)
	v1, n1 := Check(q)
	v2, n2 := Check(Program{Lines: q.Lines})
	assert.Nil(t, v1)
	assert.Equal(t, v1, v2)
	assert.Equal(t, n1, n2)
}

// WSARevertImpersonation names no socket: its INVALID_SOCKET is no closed handle, even after a
// WSACleanup has closed everything the application had (a fuzz finding).
func TestCheckerIgnoresRevertImpersonation(t *testing.T) {
	c := newTestChecker(t)
	c.Event(sim.Event{App: "a/svc", Func: "WSARevertImpersonation", Handle: sim.INVALID_SOCKET})
	c.Event(sim.Event{App: "a/svc", Func: "WSACleanup", Handle: sim.INVALID_SOCKET})
	c.Event(sim.Event{App: "a/svc", Func: "WSAStartup", Handle: sim.INVALID_SOCKET})
	c.Event(sim.Event{App: "a/svc", Func: "WSARevertImpersonation", Handle: sim.INVALID_SOCKET})
	assert.Nil(t, c.violation)
}
