package sim_test

import (
	stderrors "errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sockaddr"
)

// TestMain fails the package's run if any test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// hammerWorld is a network for the hammer tests: hosts, their applications, and per
// application a pool of recent handles that the goroutines of that application share.
type hammerWorld struct {
	net   *sim.Network
	hosts []*sim.Host
	apps  []*sim.App
	addrs map[*sim.Host][]sockaddr.Addr // each host's addresses, wildcards included, port 0

	mu    sync.Mutex
	pools map[*sim.App][]pooled

	outcomes sync.Map // "fn ok" or "fn RULE-ID" → *atomic.Int64: what the goroutines got
}

// count is how often calls got an outcome.
func (w *hammerWorld) count(key string) int64 {
	v, ok := w.outcomes.Load(key)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

func newHammerWorld(t *testing.T, hosts int) *hammerWorld {
	w := &hammerWorld{net: sim.NewNetwork(), addrs: map[*sim.Host][]sockaddr.Addr{}, pools: map[*sim.App][]pooled{}}
	for i := range hosts {
		v4, v6 := netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)}), netip.MustParseAddr(fmt.Sprintf("fd00::%d", i+1))
		h, err := w.net.AddHost(sim.HostConfig{Name: fmt.Sprintf("h%d", i), Addresses: []netip.Addr{v4, v6}})
		if err != nil {
			t.Fatal(err)
		}
		w.hosts = append(w.hosts, h)
		w.addrs[h] = []sockaddr.Addr{sockaddr.Any(sockaddr.AF_INET, 0), sockaddr.Any(sockaddr.AF_INET6, 0),
			sockaddr.From(v4, 0), sockaddr.From(v6, 0), sockaddr.From(netip.MustParseAddr("127.0.0.1"), 0)}
		alice, err := h.NewApp("alice", "alice")
		if err != nil {
			t.Fatal(err)
		}
		w.apps = append(w.apps, h.App(), alice)
	}
	return w
}

// pooled is a shared socket and what it was made as.
type pooled struct {
	h       sim.Handle
	af, typ int32
}

func (w *hammerWorld) share(app *sim.App, p pooled) {
	w.mu.Lock()
	list := append(w.pools[app], p)
	if len(list) > 32 {
		list = list[len(list)-32:]
	}
	w.pools[app] = list
	w.mu.Unlock()
}

// pick returns a socket of app's pool (one other threads of app use too), now and then another
// application's (WSAENOTSOCK there) or a made-up handle.
func (w *hammerWorld) pick(rng *rand.Rand, app *sim.App) pooled {
	w.mu.Lock()
	defer w.mu.Unlock()
	if rng.IntN(16) == 0 {
		app = w.apps[rng.IntN(len(w.apps))]
	}
	list := w.pools[app]
	if len(list) == 0 || rng.IntN(32) == 0 {
		return pooled{sim.Handle(0x100 + 4*rng.IntN(16)), sim.AF_INET, sim.SOCK_STREAM}
	}
	return list[rng.IntN(len(list))]
}

// hammer runs goroutines × iterations random calls — open, options, bind, listen, connect,
// ConnectEx, accept, sendto, the secure-socket calls, close, settle — on shared and distinct
// sockets of every application, and returns the failures it saw: an error that is not a
// *sim.RuleError, or a rule the table does not list for the call, or a panic.
func (w *hammerWorld) hammer(goroutines, iterations int, seed uint64) []string {
	var mu sync.Mutex
	var failures []string
	fail := func(format string, args ...any) {
		mu.Lock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
		mu.Unlock()
	}
	check := func(fn string, err error) bool {
		key := fn + " ok"
		if re, ok := err.(*sim.RuleError); ok {
			key = fn + " " + re.Rule.ID
		}
		v, _ := w.outcomes.LoadOrStore(key, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
		if err == nil {
			return true
		}
		var re *sim.RuleError
		switch {
		case !stderrors.As(err, &re):
			fail("%s: %v is not a *sim.RuleError", fn, err)
		case !slices.Contains(sim.RulesFor(fn), re.Rule):
			fail("%s: rule %s is not one of the table's for %s", fn, re.Rule.ID, fn)
		case !stderrors.Is(err, re.Rule.Code):
			fail("%s: %v does not carry code %v", fn, err, re.Rule.Code)
		}
		return false
	}
	secure := policy.Settings{Protocol: policy.ProtocolIPsec, Flags: policy.SettingsGuaranteeEncryption,
		IPsec: &policy.IPsecSettings{UserName: "bob", DomainName: "CORP", Password: policy.NewSecret("hunter2")}}.Encode()
	var settles atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					fail("goroutine %d panicked: %v", g, r)
				}
			}()
			rng := rand.New(rand.NewPCG(seed, uint64(g)))
			app := w.apps[g%len(w.apps)]
			th := app.NewThread()
			host := app.Host()
			var ovs []*sim.Overlapped
			// target is an address to connect or send to: a host's (this one's loopback
			// included), mostly of the socket's family, on one of the ports servers listen on.
			target := func(af int32) sockaddr.Addr {
				h := w.hosts[rng.IntN(len(w.hosts))]
				var a sockaddr.Addr
				switch {
				case rng.IntN(8) == 0:
					a = w.addrs[h][2+rng.IntN(3)] // any family
				case af == sim.AF_INET6:
					a = w.addrs[h][3]
				case h == host && rng.IntN(2) == 0:
					a = w.addrs[h][4] // loopback
				default:
					a = w.addrs[h][2]
				}
				return a.WithPort(uint16(80 + rng.IntN(2)))
			}
			// local is an address of this host for a socket of family af: a wildcard mostly.
			local := func(af int32) sockaddr.Addr {
				a := w.addrs[host][rng.IntN(len(w.addrs[host]))]
				if rng.IntN(4) != 0 {
					a = w.addrs[host][0]
					if af == sim.AF_INET6 {
						a = w.addrs[host][1]
					}
				}
				return a.WithPort(uint16([]int{0, 80, 81}[rng.IntN(3)]))
			}
			<-start
			for range iterations {
				p := w.pick(rng, app)
				s := p.h
				switch k := rng.IntN(100); {
				case k < 6:
					// A server: a TCP socket bound to a port clients connect to, listening.
					af := []int32{sim.AF_INET, sim.AF_INET6}[rng.IntN(2)]
					h, err := th.Socket(af, sim.SOCK_STREAM, 0)
					check("socket", err)
					if err != nil {
						break
					}
					w.share(app, pooled{h, af, sim.SOCK_STREAM})
					a := sockaddr.Any(sockaddr.Family(af), uint16(80+rng.IntN(2)))
					if !check("bind", th.BindAddr(h, a)) || !check("listen", th.Listen(h, 8)) {
						break
					}
					// A client of its own, which the server accepts (unless another thread
					// got there first, or closed one of them).
					c, err := th.Socket(af, sim.SOCK_STREAM, 0)
					if !check("socket", err) {
						break
					}
					w.share(app, pooled{c, af, sim.SOCK_STREAM})
					to := w.addrs[host][4].WithPort(a.Port)
					if af == sim.AF_INET6 {
						to = sockaddr.From(netip.IPv6Loopback(), a.Port)
					}
					if check("connect", th.ConnectAddr(c, to)) {
						if acc, err := th.Accept(h, nil, nil); check("accept", err) {
							w.share(app, pooled{acc, af, sim.SOCK_STREAM})
						}
					}
				case k < 14:
					af := []int32{sim.AF_INET, sim.AF_INET6}[rng.IntN(2)]
					typ := []int32{sim.SOCK_STREAM, sim.SOCK_DGRAM}[rng.IntN(2)]
					var h sim.Handle
					var err error
					if rng.IntN(2) == 0 {
						h, err = th.Socket(af, typ, 0)
						check("socket", err)
					} else {
						h, err = th.WSASocket(af, typ, 0, sim.WSA_FLAG_OVERLAPPED)
						check("WSASocket", err)
					}
					if err == nil {
						w.share(app, pooled{h, af, typ})
					}
				case k < 20:
					opt := []int32{sim.SO_REUSEADDR, sim.SO_EXCLUSIVEADDRUSE}[rng.IntN(2)]
					check("setsockopt", th.SetsockoptInt(s, sim.SOL_SOCKET, opt, int32(rng.IntN(2))))
				case k < 22:
					check("ioctlsocket", th.Ioctlsocket(s, sim.FIONBIO, uint32(rng.IntN(2))))
				case k < 32:
					check("bind", th.BindAddr(s, local(p.af)))
				case k < 37:
					check("listen", th.Listen(s, int32(1+rng.IntN(4))))
				case k < 46:
					check("connect", th.ConnectAddr(s, target(p.af)))
				case k < 49:
					ov := new(sim.Overlapped)
					ovs = append(ovs, ov)
					b := target(p.af).Encode()
					check("ConnectEx", th.ConnectEx(s, b, int32(len(b)), ov))
				case k < 52 && len(ovs) > 0:
					_, err := th.WSAGetOverlappedResult(s, ovs[rng.IntN(len(ovs))], rng.IntN(2) == 0)
					check("WSAGetOverlappedResult", err)
				case k < 58:
					h, err := th.Accept(s, nil, nil)
					if check("accept", err) {
						w.share(app, pooled{h, p.af, sim.SOCK_STREAM})
					}
				case k < 63:
					_, err := th.SendtoAddr(s, []byte("x"), target(p.af))
					check("sendto", err)
				case k < 68:
					if rng.IntN(2) == 0 {
						check("WSASetSocketSecurity", th.WSASetSocketSecurity(s, nil, 0, nil, nil))
					} else {
						check("WSASetSocketSecurity", th.WSASetSocketSecurity(s, secure, uint32(len(secure)), nil, nil))
					}
				case k < 70:
					var n uint32
					check("WSAIoctl", th.WSAIoctl(s, sim.SIO_SET_SECURITY, secure, uint32(len(secure)), nil, 0, &n, nil, nil))
				case k < 74:
					n := uint32(24)
					check("WSAQuerySocketSecurity", th.WSAQuerySocketSecurity(s, nil, 0, make([]byte, 24), &n, nil, nil))
				case k < 78:
					b := policy.PeerTargetName{Name: "host/peer", PeerAddress: target(p.af)}.Encode()
					check("WSASetSocketPeerTargetName", th.WSASetSocketPeerTargetName(s, b, uint32(len(b)), nil, nil))
				case k < 80:
					b := target(p.af).Encode()
					check("WSADeleteSocketPeerTargetName", th.WSADeleteSocketPeerTargetName(s, b, uint32(len(b)), nil, nil))
				case k < 83:
					n := int32(128)
					check("getsockname", th.Getsockname(s, make([]byte, 128), &n))
				case k < 85:
					check("shutdown", th.Shutdown(s, sim.SD_BOTH))
				case k < 98:
					check("closesocket", th.Closesocket(s))
				default:
					w.net.Settle()
					settles.Add(1)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	if settles.Load() == 0 {
		fail("no goroutine settled the network: the mix is not what the test means to run")
	}
	return failures
}

// closeAll settles the network, closes every socket of every application, and checks that the
// hosts are back where they started: no socket counted, no buffer held, every port free.
func (w *hammerWorld) closeAll(t *testing.T) {
	t.Helper()
	w.net.Settle()
	for _, app := range w.apps {
		for _, s := range app.Sockets() {
			if err := app.Main().Closesocket(s); err != nil {
				t.Fatalf("closesocket(%v) of %s: %v", s, app.Label(), err)
			}
		}
		if left := app.Sockets(); len(left) != 0 {
			t.Fatalf("%s still has sockets %v", app.Label(), left)
		}
		if !app.Initialised() {
			t.Fatalf("%s is no longer initialised", app.Label())
		}
	}
	for _, h := range w.hosts {
		if n := h.OpenSockets(); n != 0 {
			t.Fatalf("%s counts %d open sockets after every socket closed", h.Name(), n)
		}
		if n := h.BuffersInUse(); n != 0 {
			t.Fatalf("%s holds %d bytes of its buffer budget after every socket closed", h.Name(), n)
		}
		th := h.App().Main()
		for _, port := range []uint16{80, 81} {
			for _, typ := range []int32{sim.SOCK_STREAM, sim.SOCK_DGRAM} {
				s, err := th.Socket(sim.AF_INET6, typ, 0)
				if err != nil {
					t.Fatal(err)
				}
				if err := th.SetsockoptInt(s, sim.IPPROTO_IPV6, sim.IPV6_V6ONLY, 0); err != nil {
					t.Fatal(err)
				}
				if err := th.SetsockoptInt(s, sim.SOL_SOCKET, sim.SO_EXCLUSIVEADDRUSE, 1); err != nil {
					t.Fatal(err)
				}
				if err := th.BindAddr(s, sockaddr.Any(sockaddr.AF_INET6, port)); err != nil {
					t.Fatalf("%s: port %d (type %d) still reserved after every socket closed: %v", h.Name(), port, typ, err)
				}
				if err := th.Closesocket(s); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// TestHammer runs many goroutines, each on its own thread, against one host and against many
// hosts at once (run it with -race): calls on their own sockets and on sockets other threads
// are using or closing, secure-socket calls included. Every answer must come from the rule
// table, nothing may panic or deadlock, and afterwards every socket closes, the hosts hold no
// socket, buffer or port, and no goroutine is left behind.
func TestHammer(t *testing.T) {
	iterations := 3000
	if testing.Short() {
		iterations = 600
	}
	for _, c := range []struct {
		name              string
		hosts, goroutines int
	}{{"one host", 1, 12}, {"many hosts", 4, 16}} {
		t.Run(c.name, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			w := newHammerWorld(t, c.hosts)
			for _, f := range w.hammer(c.goroutines, iterations, 42) {
				t.Error(f)
			}
			// The mix did what it is for: connections made and accepted, sockets secured and
			// queried, calls that found their socket closed by another thread.
			for _, key := range []string{"connect ok", "accept ok", "WSASetSocketSecurity ok", "WSAIoctl ok",
				"WSAQuerySocketSecurity ok", "WSASetSocketPeerTargetName ok", "closesocket ok", "closesocket GEN-NOTSOCK",
				"bind ok", "bind BIND-INUSE", "sendto ok", "ConnectEx CONNECTEX-PENDING"} {
				if w.count(key) == 0 {
					t.Errorf("no call got %q", key)
				}
			}
			if t.Failed() {
				return
			}
			w.closeAll(t)
		})
	}
}
