package sim_test

import (
	stderrors "errors"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sockaddr"
)

// fixture is a small network for rule tests: host "h" (10.0.0.2, fd00::2) runs the default
// application (SYSTEM) and "alice" (a user app); host "far" (10.0.0.3) is reachable from it.
type fixture struct {
	t     *testing.T
	net   *sim.Network
	h     *sim.Host
	far   *sim.Host
	th    *sim.Thread // default application's main thread on h
	alice *sim.Thread // an application of user alice on h
	farT  *sim.Thread
}

func newFixture(t *testing.T, cfg ...func(*sim.HostConfig)) *fixture {
	t.Helper()
	n := sim.NewNetwork()
	hc := sim.HostConfig{Name: "h", Addresses: []netip.Addr{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("fd00::2")}}
	for _, f := range cfg {
		f(&hc)
	}
	h, err := n.AddHost(hc)
	require.NoError(t, err)
	far := n.MustAddHost("far", "10.0.0.3")
	alice, err := h.NewApp("alice", "alice")
	require.NoError(t, err)
	return &fixture{t: t, net: n, h: h, far: far, th: h.App().Main(), alice: alice.Main(), farT: far.App().Main()}
}

func v4(s string) sockaddr.Addr {
	a, err := sockaddr.Parse(s)
	if err != nil {
		panic(err)
	}
	return a
}

func (f *fixture) sock(th *sim.Thread, af, typ int32) sim.Handle {
	f.t.Helper()
	s, err := th.Socket(af, typ, 0)
	require.NoError(f.t, err)
	return s
}

func (f *fixture) tcp() sim.Handle  { return f.sock(f.th, sim.AF_INET, sim.SOCK_STREAM) }
func (f *fixture) udp() sim.Handle  { return f.sock(f.th, sim.AF_INET, sim.SOCK_DGRAM) }
func (f *fixture) tcp6() sim.Handle { return f.sock(f.th, sim.AF_INET6, sim.SOCK_STREAM) }

func (f *fixture) ok(err error) {
	f.t.Helper()
	require.NoError(f.t, err)
}

// listener makes a TCP socket of th listening on addr.
func (f *fixture) listener(th *sim.Thread, addr string) sim.Handle {
	f.t.Helper()
	a := v4(addr)
	af := sim.AF_INET
	if a.Family == sockaddr.AF_INET6 {
		af = sim.AF_INET6
	}
	s := f.sock(th, af, sim.SOCK_STREAM)
	f.ok(th.BindAddr(s, a))
	f.ok(th.Listen(s, 5))
	return s
}

// connected returns a connected client on f.th and the accepted server socket.
func (f *fixture) connected() (client, server sim.Handle) {
	f.t.Helper()
	l := f.listener(f.th, "127.0.0.1:5000")
	c := f.tcp()
	f.ok(f.th.ConnectAddr(c, v4("127.0.0.1:5000")))
	a, err := f.th.Accept(l, nil, nil)
	require.NoError(f.t, err)
	return c, a
}

func ruleOf(err error) string {
	var re *sim.RuleError
	if stderrors.As(err, &re) {
		return re.Rule.ID
	}
	return ""
}

// requireRule checks that err came from rule id and carries its code.
func requireRule(t *testing.T, id string, err error) {
	t.Helper()
	require.Error(t, err, "expected rule %s to fire", id)
	r, ok := sim.RuleByID(id)
	require.True(t, ok, "no rule %s", id)
	require.Equal(t, id, ruleOf(err), "got %v", err)
	require.True(t, stderrors.Is(err, r.Code), "error %v does not match %v", err, r.Code)
	var code errors.Errno
	require.True(t, stderrors.As(err, &code))
	require.Equal(t, r.Code, code)
}
