package ports

import (
	"net/netip"
	"sort"
	"testing"

	"pgregory.net/rapid"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sockaddr"
)

// The reference model: a flat list of live binds in bind order, checked all-pairs against
// the article's tables (the typed text in tables_test.go), with the address overlap worked
// out per endpoint. It shares no code with the package's rule function.

type modelEntry struct {
	proto       Proto
	ip          netip.Addr
	port        uint16
	dual        bool
	reuse, excl bool
	user        string
	listening   bool
	zombie      bool
	conns       int
	real        *Entry
}

// endpoint is one address space a bind occupies: lvl 0 = the IPv4 side of a dual-stack ::,
// 1 = a wildcard, 2 = one address.
type endpoint struct {
	v4  bool
	lvl int
	ip  netip.Addr
}

func endpointsOf(ip netip.Addr, dual bool) []endpoint {
	switch {
	case ip.Is4() || ip.Is4In6():
		u := ip.Unmap()
		if u.IsUnspecified() {
			return []endpoint{{true, 1, u}}
		}
		return []endpoint{{true, 2, u}}
	case ip.IsUnspecified():
		if dual {
			return []endpoint{{false, 1, ip}, {true, 0, netip.IPv4Unspecified()}}
		}
		return []endpoint{{false, 1, ip}}
	}
	return []endpoint{{false, 2, ip}}
}

// pairCell names the table cell for two overlapping endpoints, or ok=false if disjoint.
func pairCell(a, b endpoint) (aWild, bWild, ok bool) {
	if a.v4 != b.v4 {
		return false, false, false
	}
	switch {
	case a.lvl == b.lvl:
		if a.lvl == 2 && a.ip != b.ip {
			return false, false, false
		}
		return a.lvl < 2, b.lvl < 2, true
	case a.lvl < b.lvl:
		return true, false, true
	}
	return false, true, true
}

func modelConflict(x, y *modelEntry) errors.Errno {
	tab := msC
	if x.user == y.user {
		tab = msB
	}
	for _, ea := range endpointsOf(x.ip, x.dual) {
		for _, eb := range endpointsOf(y.ip, y.dual) {
			aw, bw, ok := pairCell(ea, eb)
			if !ok {
				continue
			}
			if x.zombie {
				return errors.WSAEADDRINUSE
			}
			r := tab.cells[bindSpec{x.reuse, x.excl, aw}][bindSpec{y.reuse, y.excl, bw}]
			if r != 0 {
				return r
			}
		}
	}
	return 0
}

// coverLevel is the level at which m receives traffic for dst, or -1.
func coverLevel(m *modelEntry, dst netip.Addr) int {
	best := -1
	d := endpointsOf(dst, false)[0]
	for _, e := range endpointsOf(m.ip, m.dual) {
		if e.v4 == d.v4 && (e.lvl < 2 || e.ip == d.ip) && e.lvl > best {
			best = e.lvl
		}
	}
	return best
}

type model struct {
	entries     []*modelEntry
	cursor      map[Proto]int
	first, last int
	hold        bool
}

func (m *model) used(p Proto, port uint16) bool {
	for _, e := range m.entries {
		if e.proto == p && e.port == port {
			return true
		}
	}
	return false
}

func (m *model) bind(y *modelEntry) errors.Errno {
	if y.port == 0 {
		n := m.last - m.first + 1
		start := m.cursor[y.proto]
		m.cursor[y.proto]++
		for i := range n {
			port := uint16(m.first + (start+i)%n)
			if !m.used(y.proto, port) {
				y.port = port
				m.cursor[y.proto] += i
				m.entries = append(m.entries, y)
				return 0
			}
		}
		m.cursor[y.proto] += n - 1
		return errors.WSAENOBUFS
	}
	for _, x := range m.entries {
		if x.proto == y.proto && x.port == y.port {
			if code := modelConflict(x, y); code != 0 {
				return code
			}
		}
	}
	m.entries = append(m.entries, y)
	return 0
}

func (m *model) remove(e *modelEntry) {
	for i, x := range m.entries {
		if x == e {
			m.entries = append(m.entries[:i], m.entries[i+1:]...)
			return
		}
	}
}

func (m *model) lookup(p Proto, dst netip.Addr, port uint16, listeningOnly bool) *modelEntry {
	type cand struct {
		e     *modelEntry
		lvl   int
		order int
	}
	var cs []cand
	for i, e := range m.entries {
		if e.proto != p || e.port != port || e.zombie {
			continue
		}
		if l := coverLevel(e, dst); l >= 0 {
			cs = append(cs, cand{e, l, i})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].lvl != cs[j].lvl {
			return cs[i].lvl > cs[j].lvl
		}
		return cs[i].order < cs[j].order
	})
	for _, c := range cs {
		if !listeningOnly || c.e.listening {
			return c.e
		}
		if c.e.excl {
			return nil
		}
	}
	return nil
}

var (
	modelIPs = []string{"0.0.0.0", "127.0.0.1", "10.0.0.1", "::", "::1", "2001:db8::1", "::ffff:127.0.0.1", "::ffff:0.0.0.0", "::ffff:10.0.0.1"}
	modelDst = []string{"127.0.0.1", "10.0.0.1", "10.0.0.2", "::1", "2001:db8::1", "2001:db8::2", "::ffff:127.0.0.1", "::ffff:10.0.0.2"}
)

func TestModelProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		hold := rapid.Bool().Draw(rt, "hold")
		tab := NewTable(Options{EphemeralFirst: 7000, EphemeralLast: 7002, HoldExclusiveWhileConnected: hold})
		m := &model{cursor: map[Proto]int{}, first: 7000, last: 7002, hold: hold}
		var all []*modelEntry // live and released, to exercise idempotence
		ports := []uint16{0, 7001, 80, 81}

		pick := func(rt *rapid.T) *modelEntry {
			if len(all) == 0 {
				rt.Skip("no entries")
			}
			return all[rapid.IntRange(0, len(all)-1).Draw(rt, "entry")]
		}
		live := func(e *modelEntry) bool {
			for _, x := range m.entries {
				if x == e {
					return true
				}
			}
			return false
		}

		rt.Repeat(map[string]func(*rapid.T){
			"bind": func(rt *rapid.T) {
				ip := netip.MustParseAddr(rapid.SampledFrom(modelIPs).Draw(rt, "ip"))
				y := &modelEntry{
					proto: rapid.SampledFrom([]Proto{TCP, UDP}).Draw(rt, "proto"),
					ip:    ip,
					port:  rapid.SampledFrom(ports).Draw(rt, "port"),
					dual:  rapid.Bool().Draw(rt, "dual") && ip.Is6(),
					user:  rapid.SampledFrom([]string{"alice", "bob"}).Draw(rt, "user"),
				}
				switch rapid.IntRange(0, 2).Draw(rt, "opt") {
				case 1:
					y.reuse = true
				case 2:
					y.excl = true
				}
				e, code := tab.Bind(Request{
					Proto: y.proto, Addr: sockaddr.From(ip, y.port), DualStack: y.dual,
					ReuseAddr: y.reuse, Exclusive: y.excl, User: y.user, Owner: y,
				})
				want := m.bind(y)
				if code != want {
					rt.Fatalf("bind %v %v:%d dual=%v reuse=%v excl=%v user=%s: got %d, model %d", y.proto, ip, y.port, y.dual, y.reuse, y.excl, y.user, code, want)
				}
				if code == 0 {
					if e.Port() != y.port {
						rt.Fatalf("ephemeral port %d, model %d", e.Port(), y.port)
					}
					y.real = e
					all = append(all, y)
				}
			},
			"release": func(rt *rapid.T) {
				e := pick(rt)
				tab.Release(e.real)
				if !live(e) || e.zombie {
					return
				}
				if m.hold && e.excl && e.conns > 0 {
					e.zombie, e.listening = true, false
					return
				}
				m.remove(e)
			},
			// A listener closed while a connection it accepted lives: the case
			// Options.HoldExclusiveWhileConnected is about, too rare from single steps.
			"closeConnected": func(rt *rapid.T) {
				e := pick(rt)
				tab.AddConnection(e.real)
				tab.Release(e.real)
				if !live(e) || e.zombie {
					return
				}
				e.conns++
				if m.hold && e.excl {
					e.zombie, e.listening = true, false
					return
				}
				m.remove(e)
			},
			"listen": func(rt *rapid.T) {
				e := pick(rt)
				on := rapid.Bool().Draw(rt, "on")
				tab.SetListening(e.real, on)
				if live(e) && !e.zombie {
					e.listening = on
				}
			},
			"connect": func(rt *rapid.T) {
				e := pick(rt)
				tab.AddConnection(e.real)
				if live(e) && !e.zombie {
					e.conns++
				}
			},
			"disconnect": func(rt *rapid.T) {
				e := pick(rt)
				tab.DropConnection(e.real)
				if live(e) && e.conns > 0 {
					e.conns--
					if e.conns == 0 && e.zombie {
						m.remove(e)
					}
				}
			},
			"": func(rt *rapid.T) {
				if tab.Len() != len(m.entries) {
					rt.Fatalf("Len %d, model %d", tab.Len(), len(m.entries))
				}
				for _, ds := range modelDst {
					dst := netip.MustParseAddr(ds)
					for _, p := range []Proto{TCP, UDP} {
						for _, port := range ports[1:] {
							for _, lo := range []bool{false, true} {
								got := tab.Lookup(p, sockaddr.From(dst, port), lo)
								want := m.lookup(p, dst, port, lo)
								var wantReal *Entry
								if want != nil {
									wantReal = want.real
								}
								if got != wantReal {
									rt.Fatalf("lookup %v %v:%d listening=%v: got %v, model %v", p, dst, port, lo, got.Owner(), wantReal.Owner())
								}
								// While an exclusive socket covers dst, nobody else receives.
								for _, x := range m.entries {
									if x.excl && !x.zombie && x.proto == p && x.port == port && coverLevel(x, dst) >= 0 && got != nil && got != x.real {
										rt.Fatalf("exclusive %v:%d shadowed by %v for %v", x.ip, x.port, got.Owner(), dst)
									}
								}
							}
						}
					}
				}
			},
		})
		for _, e := range all {
			for range e.conns {
				tab.DropConnection(e.real)
			}
			tab.Release(e.real)
		}
		if tab.Len() != 0 {
			rt.Fatalf("Len %d after releasing everything", tab.Len())
		}
	})
}
