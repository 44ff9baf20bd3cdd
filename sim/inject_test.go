package sim_test

import (
	stderrors "errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sim"
)

func TestInjectNextTime(t *testing.T) {
	f := newFixture(t)
	inj, err := f.net.Inject(sim.Fault{Func: "WSASetSocketSecurity", Code: errors.WSAENOBUFS, Times: 1})
	require.NoError(t, err)
	s := f.tcp()
	err = f.th.WSASetSocketSecurity(s, nil, 0, nil, nil)
	require.True(t, stderrors.Is(err, errors.WSAENOBUFS))
	assert.Equal(t, "INJECTED", ruleOf(err))
	info, _ := f.h.App().Inspect(s)
	assert.False(t, info.Secured, "an injected failure changes nothing")
	f.ok(f.th.WSASetSocketSecurity(s, nil, 0, nil, nil)) // times=1: the next call goes through
	assert.Equal(t, 1, inj.Fired())
}

func TestInjectReplacesSuccessesOnly(t *testing.T) {
	f := newFixture(t)
	_, err := f.net.Inject(sim.Fault{Func: "listen", Code: errors.WSAENOBUFS})
	require.NoError(t, err)
	requireRule(t, "LISTEN-UNBOUND", f.th.Listen(f.tcp(), 1)) // the rule's answer stands
}

func TestInjectNthAndSelectors(t *testing.T) {
	f := newFixture(t)
	a, b := f.tcp(), f.tcp()
	_, err := f.net.Inject(sim.Fault{Func: "setsockopt", Code: errors.WSAENETDOWN, Socket: b, Nth: 2})
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		f.ok(f.th.SetsockoptInt(a, sim.SOL_SOCKET, sim.SO_REUSEADDR, 1)) // other socket: untouched
	}
	f.ok(f.th.SetsockoptInt(b, sim.SOL_SOCKET, sim.SO_REUSEADDR, 1)) // 1st matching call
	err = f.th.SetsockoptInt(b, sim.SOL_SOCKET, sim.SO_REUSEADDR, 1) // 2nd: fires
	assert.True(t, stderrors.Is(err, errors.WSAENETDOWN))

	_, err = f.net.Inject(sim.Fault{Func: "socket", Code: errors.WSAEMFILE, App: "h/alice"})
	require.NoError(t, err)
	_, err = f.alice.Socket(sim.AF_INET, sim.SOCK_STREAM, 0)
	assert.True(t, stderrors.Is(err, errors.WSAEMFILE))
	f.tcp() // the default application is not affected
}

func TestInjectProbabilityReplaysWithTheSeed(t *testing.T) {
	pattern := func() string {
		f := newFixture(t)
		_, err := f.net.Inject(sim.Fault{Func: "socket", Code: errors.WSAENOBUFS, Probability: 0.5, Seed: 42})
		require.NoError(t, err)
		out := ""
		for i := 0; i < 40; i++ {
			if _, err := f.th.Socket(sim.AF_INET, sim.SOCK_DGRAM, 0); err != nil {
				out += "x"
			} else {
				out += "."
			}
		}
		return out
	}
	first := pattern()
	assert.Equal(t, first, pattern())
	assert.Contains(t, first, "x")
	assert.Contains(t, first, ".")
}

func TestInjectRemoveAndValidation(t *testing.T) {
	f := newFixture(t)
	inj, err := f.net.Inject(sim.Fault{Code: errors.WSAENETDOWN})
	require.NoError(t, err)
	_, err = f.th.Socket(sim.AF_INET, sim.SOCK_STREAM, 0)
	require.Error(t, err)
	inj.Remove()
	f.tcp()
	_, err = f.net.Inject(sim.Fault{Code: 0})
	assert.Error(t, err)
	_, err = f.net.Inject(sim.Fault{Code: errors.WSAEINVAL, Probability: 2})
	assert.Error(t, err)
}

func TestInjectedFailuresAreMarkedInTraces(t *testing.T) {
	f := newFixture(t)
	log := &sim.TraceLog{}
	f.net.SetTracer(log)
	_, err := f.net.Inject(sim.Fault{Func: "bind", Code: errors.WSAENOBUFS, Times: 1})
	require.NoError(t, err)
	_ = f.th.BindAddr(f.tcp(), v4("127.0.0.1:0"))
	assert.Contains(t, log.String(), "bind(0x100, 127.0.0.1:0) = WSAENOBUFS [INJECTED]")
}

// A test of a client's error handling: the first WSASetSocketSecurity fails as if the system ran
// out of buffers.
func ExampleNetwork_Inject() {
	n := sim.NewNetwork()
	th := n.MustAddHost("client").App().Main()
	_, _ = n.Inject(sim.Fault{Func: "WSASetSocketSecurity", Code: errors.WSAENOBUFS, Times: 1})
	s, _ := th.Socket(sim.AF_INET, sim.SOCK_STREAM, 0)
	fmt.Println(th.WSASetSocketSecurity(s, nil, 0, nil, nil))
	fmt.Println(th.WSASetSocketSecurity(s, nil, 0, nil, nil))
	// Output:
	// WSAENOBUFS (10055): no buffer space is available or a queue was full [rule INJECTED]
	// <nil>
}
