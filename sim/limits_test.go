package sim_test

import (
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim"
)

// nameCost is what a kept peer target name holds of its host's budget.
func nameCost(peer, name string) int64 {
	return int64(policy.PeerTargetName{Name: name, PeerAddress: v4(peer)}.Size())
}

func init() {
	limitCases := map[string]func(f *fixture) error{
		"SOCKET-NOBUFS": func(f *fixture) error {
			g := newFixture(f.t, func(c *sim.HostConfig) { c.Buffers = 2 * sim.SocketBufferCost })
			g.tcp()
			g.udp()
			_, err := g.th.Socket(sim.AF_INET, sim.SOCK_STREAM, 0)
			return err
		},
		"SETPTN-NOBUFS": func(f *fixture) error {
			budget := sim.SocketBufferCost + nameCost("10.0.0.3:53", "host/a") + 100
			g := newFixture(f.t, func(c *sim.HostConfig) { c.Buffers = budget })
			u := g.udp()
			g.ok(g.setName(u, ptn("10.0.0.3:53", "host/a")))
			return g.setName(u, ptn("10.0.0.3:54", "host/a")) // a second peer's name does not fit
		},
	}
	for id, run := range limitCases {
		if _, dup := ruleCases[id]; dup {
			panic("duplicate rule case " + id)
		}
		ruleCases[id] = run
	}
}

// TestBufferBudgetAccounting follows the budget through a socket's life: sockets, queued and
// accepted connections and names hold it; replacing a name charges only the difference; closing
// gives everything back.
func TestBufferBudgetAccounting(t *testing.T) {
	f := newFixture(t)
	h := f.h
	assert.Equal(t, sim.DefaultBuffers(sim.DefaultMaxSockets), h.Buffers())
	assert.Equal(t, int64(0), h.BuffersInUse())

	l := f.listener(f.th, "127.0.0.1:7000")
	c := f.tcp()
	f.ok(f.th.ConnectAddr(c, v4("127.0.0.1:7000")))
	assert.Equal(t, int64(3*sim.SocketBufferCost), h.BuffersInUse(), "listener, client and the queued connection")
	a, err := f.th.Accept(l, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(3*sim.SocketBufferCost), h.BuffersInUse(), "accepting takes nothing more: the queued connection held its socket")

	u := f.udp()
	base := h.BuffersInUse()
	f.ok(f.setName(u, ptn("10.0.0.3:53", "host/a")))
	f.ok(f.setName(u, ptn("10.0.0.3:54", "host/bb")))
	assert.Equal(t, base+nameCost("10.0.0.3:53", "host/a")+nameCost("10.0.0.3:54", "host/bb"), h.BuffersInUse())
	f.ok(f.setName(u, ptn("10.0.0.3:53", "host/abcdef")))
	assert.Equal(t, base+nameCost("10.0.0.3:53", "host/abcdef")+nameCost("10.0.0.3:54", "host/bb"), h.BuffersInUse(), "a replaced name charges the difference")
	b := v4("10.0.0.3:54").Encode()
	f.ok(f.th.WSADeleteSocketPeerTargetName(u, b, uint32(len(b)), nil, nil))
	f.ok(f.th.WSADeleteSocketPeerTargetName(u, b, uint32(len(b)), nil, nil)) // twice: nothing more to give back
	assert.Equal(t, base+nameCost("10.0.0.3:53", "host/abcdef"), h.BuffersInUse())
	tcp := f.tcp()
	f.ok(f.setName(tcp, ptn("", "host/t1")))
	f.ok(f.setName(tcp, ptn("", "host/t2-longer")))
	assert.Equal(t, base+sim.SocketBufferCost+nameCost("10.0.0.3:53", "host/abcdef")+nameCost("0.0.0.0:0", "host/t2-longer"), h.BuffersInUse(), "a TCP socket keeps its last name only")
	f.ok(f.th.Closesocket(tcp))
	for _, s := range []sim.Handle{u, a, c, l} {
		f.ok(f.th.Closesocket(s))
	}
	assert.Equal(t, int64(0), h.BuffersInUse(), "closing gives every byte back")
}

// TestFullHostRefusesConnections: a connection needs a socket on the listener's host; when its
// budget has no room the connection is refused, and the client's host is not charged for it.
func TestFullHostRefusesConnections(t *testing.T) {
	f := newFixture(t)
	n := f.net
	small, err := n.AddHost(sim.HostConfig{Name: "small", Addresses: []netip.Addr{netip.MustParseAddr("10.0.0.9")}, Buffers: sim.SocketBufferCost})
	require.NoError(t, err)
	th := small.App().Main()
	l := f.listener(th, "10.0.0.9:80")
	c := f.tcp()
	requireRule(t, "CONNECT-REFUSED", f.th.ConnectAddr(c, v4("10.0.0.9:80")))
	_, err = th.Socket(sim.AF_INET, sim.SOCK_STREAM, 0)
	requireRule(t, "SOCKET-NOBUFS", err)
	f.ok(th.Closesocket(l))
	_, err = th.Socket(sim.AF_INET, sim.SOCK_STREAM, 0)
	assert.NoError(t, err, "closing gave the budget back")
}

// TestSocketLimitBeforeBudget: with both exhausted, the descriptor limit answers (WSAEMFILE), as
// the count is checked first.
func TestSocketLimitBeforeBudget(t *testing.T) {
	g := newFixture(t, func(c *sim.HostConfig) { c.MaxSockets = 1; c.Buffers = sim.SocketBufferCost })
	g.tcp()
	_, err := g.th.Socket(sim.AF_INET, sim.SOCK_STREAM, 0)
	requireRule(t, "SOCKET-MFILE", err)
}

// TestBudgetHoldsUnderRacingReservations: goroutines racing for sockets and names never hold
// more than the budget, and what they give back returns it to zero. held counts what the
// goroutines hold, raised after the simulator granted it and lowered before they give it back,
// so it never exceeds what the host has granted.
func TestBudgetHoldsUnderRacingReservations(t *testing.T) {
	const budget = 20*sim.SocketBufferCost + 7000
	g := newFixture(t, func(c *sim.HostConfig) { c.Buffers = budget })
	var held, peak atomic.Int64
	var refused atomic.Int64
	hold := func(n int64) {
		v := held.Add(n)
		for p := peak.Load(); v > p && !peak.CompareAndSwap(p, v); p = peak.Load() {
		}
	}
	type sock struct {
		h    sim.Handle
		cost int64
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			th := g.h.App().NewThread()
			var mine []sock
			for j := range 300 {
				s, err := th.Socket(sim.AF_INET, sim.SOCK_DGRAM, 0)
				if err != nil {
					refused.Add(1)
				} else {
					hold(sim.SocketBufferCost)
					m := sock{h: s, cost: sim.SocketBufferCost}
					peer := "10.0.0.3:" + itoa(1+i*1000+j)
					b := ptn(peer, "host/x")
					if th.WSASetSocketPeerTargetName(s, b, uint32(len(b)), nil, nil) == nil {
						hold(nameCost(peer, "host/x"))
						m.cost += nameCost(peer, "host/x")
					}
					mine = append(mine, m)
				}
				if len(mine) > 30 { // one goroutine alone wants more than the budget
					hold(-mine[0].cost)
					_ = th.Closesocket(mine[0].h)
					mine = mine[1:]
				}
			}
			for _, m := range mine {
				hold(-m.cost)
				_ = th.Closesocket(m.h)
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, peak.Load(), int64(budget), "the budget was overcommitted")
	assert.Positive(t, refused.Load(), "the goroutines wanted more than the budget, or the test proves nothing")
	assert.Equal(t, int64(0), g.h.BuffersInUse())
	assert.Equal(t, int64(0), g.h.OpenSockets())
}

func itoa(i int) string { return strconv.Itoa(i) }
