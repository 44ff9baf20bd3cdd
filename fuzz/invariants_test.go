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
