package ports

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sockaddr"
)

func mustAddr(s string) sockaddr.Addr {
	a, err := sockaddr.Parse(s)
	if err != nil {
		panic(err)
	}
	return a
}

// checkInvariants walks the whole table: every slot sits under its own key and shard, no
// list is empty, spare arrays are empty and cleared, the count matches Len, and every entry is compatible with each entry bound
// before it on the same port (conflict-freedom survives releases, since each was checked
// against a superset of the entries now before it).
func checkInvariants(t testing.TB, tab *Table) {
	t.Helper()
	n := 0
	for i := range tab.shards {
		sh := &tab.shards[i]
		sh.mu.Lock()
		require.LessOrEqual(t, len(sh.spare), maxSpare)
		for _, spare := range sh.spare {
			require.Empty(t, spare, "a spare array is in use")
			require.Zero(t, spare[:cap(spare)][0].e, "a spare array keeps a released entry alive")
		}
		sh.ports.all(func(k uint32, list []slot) {
			require.NotEmpty(t, list, "empty list kept for key %#x", k)
			require.Equal(t, list, sh.ports.get(k), "key %#x is not found where it is kept", k)
			require.Same(t, sh, tab.shardOf(k))
			for j := range list {
				x := &list[j]
				n++
				require.Equal(t, k, key(x.e.proto, x.e.port))
				for _, y := range list[:j] {
					if y.flags&fZombie == 0 {
						require.Zero(t, decideFresh(&y, x), "%v then %v", netip.AddrFrom16(y.ip), netip.AddrFrom16(x.ip))
					}
				}
			}
		})
		sh.mu.Unlock()
	}
	require.Equal(t, n, tab.Len())
}

// decideFresh is conflict without the zombie rule: a zombie may predate entries bound before
// it became one.
func decideFresh(x, y *slot) errors.Errno {
	rel := relationTo(x, y)
	return decide(x.kind(), y.kind(), rel, x.e.user == y.e.user)
}

// The simulator budgets about 400 bytes per live socket; a reservation costs an Entry, a slot
// and its share of the port map.
func TestSizes(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) == 8 {
		require.LessOrEqual(t, unsafe.Sizeof(Entry{}), uintptr(96))
		require.LessOrEqual(t, unsafe.Sizeof(slot{}), uintptr(40))
		require.LessOrEqual(t, unsafe.Sizeof(shard{}), uintptr(64))
	}
}

func TestLookupPrefersSpecificThenWildcardThenDualStack(t *testing.T) {
	tab := NewTable(Options{})
	dual, code := tab.Bind(Request{Proto: UDP, Addr: mustAddr("[::]:53"), DualStack: true, Owner: "dual"})
	require.Zero(t, code)
	require.Equal(t, "dual", tab.Lookup(UDP, mustAddr("10.1.2.3:53"), false).Owner())
	require.Equal(t, "dual", tab.Lookup(UDP, mustAddr("[::ffff:10.1.2.3]:53"), false).Owner())
	require.Equal(t, "dual", tab.Lookup(UDP, mustAddr("[2001:db8::1]:53"), false).Owner())
	require.Nil(t, tab.Lookup(UDP, mustAddr("10.1.2.3:54"), false))
	require.Nil(t, tab.Lookup(TCP, mustAddr("10.1.2.3:53"), false))

	v4w, code := tab.Bind(Request{Proto: UDP, Addr: mustAddr("0.0.0.0:53"), Owner: "v4w"})
	require.Zero(t, code)
	require.Equal(t, "v4w", tab.Lookup(UDP, mustAddr("10.1.2.3:53"), false).Owner())
	require.Equal(t, "v4w", tab.Lookup(UDP, mustAddr("[::ffff:10.1.2.3]:53"), false).Owner())
	require.Equal(t, "dual", tab.Lookup(UDP, mustAddr("[::1]:53"), false).Owner())

	spec, code := tab.Bind(Request{Proto: UDP, Addr: mustAddr("[::ffff:10.1.2.3]:53"), DualStack: true, Owner: "spec"})
	require.Zero(t, code)
	require.Equal(t, "spec", tab.Lookup(UDP, mustAddr("10.1.2.3:53"), false).Owner())
	require.Equal(t, "v4w", tab.Lookup(UDP, mustAddr("10.1.2.4:53"), false).Owner())

	// Wildcard and invalid destinations reach nobody.
	require.Nil(t, tab.Lookup(UDP, mustAddr("0.0.0.0:53"), false))
	require.Nil(t, tab.Lookup(UDP, mustAddr("[::ffff:0.0.0.0]:53"), false))
	require.Nil(t, tab.Lookup(UDP, mustAddr("[::]:53"), false))
	require.Nil(t, tab.Lookup(UDP, sockaddr.Addr{Port: 53}, false))
	require.Nil(t, tab.Lookup(UDP, mustAddr("10.1.2.3:0"), false))

	tab.Release(spec)
	tab.Release(v4w)
	require.Equal(t, "dual", tab.Lookup(UDP, mustAddr("10.1.2.3:53"), false).Owner())
	tab.Release(dual)
	require.Nil(t, tab.Lookup(UDP, mustAddr("10.1.2.3:53"), false))
	require.Zero(t, tab.Len())
}

func TestLookupListeningOnly(t *testing.T) {
	tab := NewTable(Options{})
	w, _ := tab.Bind(Request{Proto: TCP, Addr: mustAddr("0.0.0.0:80"), Owner: "w"})
	s, code := tab.Bind(Request{Proto: TCP, Addr: mustAddr("127.0.0.1:80"), Owner: "s"})
	require.Zero(t, code)
	dst := mustAddr("127.0.0.1:80")
	require.Nil(t, tab.Lookup(TCP, dst, true))
	require.Equal(t, "s", tab.Lookup(TCP, dst, false).Owner())
	tab.SetListening(w, true)
	// A bound, non-exclusive, non-listening specific socket does not hold connections back.
	require.Equal(t, "w", tab.Lookup(TCP, dst, true).Owner())
	tab.SetListening(s, true)
	require.Equal(t, "s", tab.Lookup(TCP, dst, true).Owner())
	tab.SetListening(s, false)
	require.Equal(t, "w", tab.Lookup(TCP, dst, true).Owner())
	tab.Release(s)
	tab.Release(w)
}

// An exclusive specific socket keeps its address even while not listening: the wildcard
// covers every interface except that address.
func TestLookupExclusiveSpecificShadowsWildcard(t *testing.T) {
	tab := NewTable(Options{})
	x, code := tab.Bind(Request{Proto: TCP, Addr: mustAddr("[::1]:443"), Exclusive: true, Owner: "x", User: "a"})
	require.Zero(t, code)
	w, code := tab.Bind(Request{Proto: TCP, Addr: mustAddr("[::]:443"), Owner: "w", User: "b"})
	require.Zero(t, code)
	tab.SetListening(w, true)
	require.Nil(t, tab.Lookup(TCP, mustAddr("[::1]:443"), true))
	require.Equal(t, "w", tab.Lookup(TCP, mustAddr("[2001:db8::5]:443"), true).Owner())
	tab.SetListening(x, true)
	require.Equal(t, "x", tab.Lookup(TCP, mustAddr("[::1]:443"), true).Owner())
	require.Equal(t, "x", tab.Lookup(TCP, mustAddr("[::1]:443"), false).Owner())
}

func TestEphemeralDeterministic(t *testing.T) {
	run := func() []uint16 {
		tab := NewTable(Options{EphemeralFirst: 60000, EphemeralLast: 60004})
		// A fixed bind inside the range is skipped by the allocator.
		_, code := tab.Bind(Request{Proto: TCP, Addr: mustAddr("10.0.0.1:60001")})
		require.Zero(t, code)
		var got []uint16
		var es []*Entry
		for range 4 {
			e, code := tab.Bind(Request{Proto: TCP, Addr: mustAddr("0.0.0.0:0")})
			require.Zero(t, code)
			got = append(got, e.Port())
			es = append(es, e)
		}
		_, code = tab.Bind(Request{Proto: TCP, Addr: mustAddr("[::]:0")})
		require.Equal(t, errors.WSAENOBUFS, code)
		// UDP has its own ports and its own cursor.
		u, code := tab.Bind(Request{Proto: UDP, Addr: mustAddr("0.0.0.0:0")})
		require.Zero(t, code)
		got = append(got, u.Port())
		// Exhaustion leaves the cursor alone: the next port after 60004 is 60000 again,
		// not 60003.
		tab.Release(es[0])
		tab.Release(es[2])
		bind := func(a string) {
			e, code := tab.Bind(Request{Proto: TCP, Addr: mustAddr(a)})
			require.Zero(t, code)
			got = append(got, e.Port())
		}
		bind("127.0.0.1:0") // 60000: the port after 60004, wrapping
		tab.Release(es[1])
		bind("127.0.0.1:0") // 60002: 60001 is taken
		bind("[::1]:0")     // 60003
		return got
	}
	first := run()
	require.Equal(t, []uint16{60000, 60002, 60003, 60004, 60000, 60000, 60002, 60003}, first)
	require.Equal(t, first, run())

	// The default range is Windows' dynamic range.
	tab := NewTable(Options{})
	e, code := tab.Bind(Request{Proto: TCP, Addr: mustAddr("0.0.0.0:0")})
	require.Zero(t, code)
	require.Equal(t, DefaultEphemeralFirst, e.Port())
	require.Equal(t, 1, tab.Len())
}

// A program that binds and closes in a loop reuses the slot array of the port it released:
// each bind allocates its Entry and nothing else, whether the port is given or ephemeral.
func TestBindReleaseReusesArrays(t *testing.T) {
	tab := NewTable(Options{EphemeralFirst: 50000, EphemeralLast: 50015})
	for _, a := range []string{"127.0.0.1:0", "127.0.0.1:5000"} {
		r := Request{Proto: UDP, Addr: mustAddr(a)}
		for range 16 { // every shard the ports fall in makes its map and array once
			e, _ := tab.Bind(r)
			tab.Release(e)
		}
		allocs := testing.AllocsPerRun(100, func() {
			e, code := tab.Bind(r)
			require.Zero(t, code)
			tab.Release(e)
		})
		require.Equal(t, 1.0, allocs, "bind %s", a)
	}
	checkInvariants(t, tab)
}

func TestEphemeralOddRanges(t *testing.T) {
	tab := NewTable(Options{EphemeralFirst: 3, EphemeralLast: 0})
	var ports []uint16
	for range 3 {
		e, code := tab.Bind(Request{Proto: UDP, Addr: mustAddr("0.0.0.0:0")})
		require.Zero(t, code)
		ports = append(ports, e.Port())
	}
	require.Equal(t, []uint16{1, 2, 3}, ports)
	_, code := tab.Bind(Request{Proto: UDP, Addr: mustAddr("0.0.0.0:0")})
	require.Equal(t, errors.WSAENOBUFS, code)

	tab = NewTable(Options{EphemeralFirst: 65535, EphemeralLast: 65535})
	e, code := tab.Bind(Request{Proto: UDP, Addr: mustAddr("0.0.0.0:0")})
	require.Zero(t, code)
	require.Equal(t, uint16(65535), e.Port())
}

func TestHoldExclusiveWhileConnected(t *testing.T) {
	for _, hold := range []bool{false, true} {
		tab := NewTable(Options{HoldExclusiveWhileConnected: hold})
		l, code := tab.Bind(Request{Proto: TCP, Addr: mustAddr("0.0.0.0:8080"), Exclusive: true})
		require.Zero(t, code)
		tab.SetListening(l, true)
		tab.AddConnection(l)
		tab.AddConnection(l)
		tab.Release(l)
		tab.Release(l)
		require.Nil(t, tab.Lookup(TCP, mustAddr("127.0.0.1:8080"), false))
		_, code = tab.Bind(Request{Proto: TCP, Addr: mustAddr("127.0.0.1:8080"), Exclusive: true})
		if !hold {
			// Ruling R16: closing the listener released the port.
			require.Zero(t, code)
			require.Equal(t, 1, tab.Len())
			continue
		}
		require.Equal(t, errors.WSAEADDRINUSE, code)
		_, code = tab.Bind(Request{Proto: TCP, Addr: mustAddr("0.0.0.0:8080"), ReuseAddr: true})
		require.Equal(t, errors.WSAEADDRINUSE, code)
		// The port is still "used" for the ephemeral allocator, and Len counts the holder.
		require.Equal(t, 1, tab.Len())
		tab.DropConnection(l)
		_, code = tab.Bind(Request{Proto: TCP, Addr: mustAddr("127.0.0.1:8080")})
		require.Equal(t, errors.WSAEADDRINUSE, code)
		tab.DropConnection(l)
		tab.DropConnection(l)
		require.Zero(t, tab.Len())
		_, code = tab.Bind(Request{Proto: TCP, Addr: mustAddr("127.0.0.1:8080"), Exclusive: true})
		require.Zero(t, code)
	}
	// A non-exclusive listener is released at once even with the option.
	tab := NewTable(Options{HoldExclusiveWhileConnected: true})
	l, _ := tab.Bind(Request{Proto: TCP, Addr: mustAddr("0.0.0.0:8080")})
	tab.AddConnection(l)
	tab.Release(l)
	require.Zero(t, tab.Len())
}

func TestRobustness(t *testing.T) {
	var nilTable *Table
	_, code := nilTable.Bind(Request{Proto: TCP, Addr: mustAddr("0.0.0.0:1")})
	require.Equal(t, errors.WSAEINVAL, code)
	nilTable.Release(nil)
	nilTable.SetListening(nil, true)
	nilTable.AddConnection(nil)
	nilTable.DropConnection(nil)
	require.Nil(t, nilTable.Lookup(TCP, mustAddr("1.2.3.4:5"), true))
	require.Zero(t, nilTable.Len())
	var nilEntry *Entry
	require.Zero(t, nilEntry.Port())
	require.Nil(t, nilEntry.Owner())
	require.Zero(t, nilEntry.Proto())

	tab := NewTable(Options{})
	tab.Release(nil)
	tab.Release(&Entry{})
	tab.SetListening(&Entry{}, true)
	tab.DropConnection(&Entry{})
	cases := []struct {
		r    Request
		want errors.Errno
	}{
		{Request{Proto: 0, Addr: mustAddr("0.0.0.0:1")}, errors.WSAEPROTONOSUPPORT},
		{Request{Proto: 1, Addr: mustAddr("0.0.0.0:1")}, errors.WSAEPROTONOSUPPORT},
		{Request{Proto: TCP}, errors.WSAEAFNOSUPPORT},
		{Request{Proto: TCP, Addr: sockaddr.Addr{Family: sockaddr.AF_UNIX, Port: 1}}, errors.WSAEAFNOSUPPORT},
		{Request{Proto: TCP, Addr: sockaddr.Addr{Family: sockaddr.AF_INET, IP: netip.IPv6Loopback(), Port: 1}}, errors.WSAEINVAL},
		{Request{Proto: TCP, Addr: sockaddr.Addr{Family: sockaddr.AF_INET6, Port: 1}}, errors.WSAEINVAL},
		{Request{Proto: TCP, Addr: mustAddr("0.0.0.0:1"), ReuseAddr: true, Exclusive: true}, errors.WSAEINVAL},
	}
	for i, c := range cases {
		e, code := tab.Bind(c.r)
		require.Equal(t, c.want, code, "case %d", i)
		require.Nil(t, e)
	}
	// An entry of another table is ignored.
	other := NewTable(Options{})
	oe, _ := other.Bind(Request{Proto: TCP, Addr: mustAddr("0.0.0.0:1")})
	e, _ := tab.Bind(Request{Proto: TCP, Addr: mustAddr("0.0.0.0:1")})
	tab.Release(oe)
	tab.SetListening(oe, true)
	require.Equal(t, 1, tab.Len())
	require.Equal(t, 1, other.Len())
	// A zoned IP in a request is the same address as the unzoned one with ScopeID.
	z := sockaddr.Addr{Family: sockaddr.AF_INET6, IP: netip.MustParseAddr("fe80::1%eth0"), Port: 7, ScopeID: 2}
	ze, code := tab.Bind(Request{Proto: UDP, Addr: z})
	require.Zero(t, code)
	require.Equal(t, uint16(7), ze.Port())
	require.Same(t, ze, tab.Lookup(UDP, z, false))
	unzoned := z
	unzoned.IP = unzoned.IP.WithZone("")
	require.Same(t, ze, tab.Lookup(UDP, unzoned, false))
	// Release after release, listening after release: no effect.
	tab.Release(e)
	tab.Release(e)
	tab.SetListening(e, true)
	tab.AddConnection(e)
	require.Equal(t, uint16(1), e.Port())
	require.Equal(t, 1, tab.Len())
	checkInvariants(t, tab)
}

// TestConcurrent binds and releases from many goroutines on shared and distinct ports,
// including ephemeral ports; run it under -race.
func TestConcurrent(t *testing.T) {
	tab := NewTable(Options{EphemeralFirst: 40000, EphemeralLast: 40999})
	const workers = 32
	iters := 3000
	if testing.Short() {
		iters = 500
	}
	addrs := []string{"0.0.0.0", "127.0.0.1", "10.0.0.1", "[::]", "[::1]", "[::ffff:127.0.0.1]"}
	var wg sync.WaitGroup
	live := make([][]*Entry, workers)
	phase := func(f func(w int, rnd uint64)) {
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f(w, uint64(w)*0x9E3779B97F4A7C15+1)
			}()
		}
		wg.Wait()
	}
	next := func(r *uint64) uint64 { // xorshift: each worker deterministic, no shared source
		*r ^= *r << 13
		*r ^= *r >> 7
		*r ^= *r << 17
		return *r
	}
	step := func(w int, r *uint64) {
		switch op := next(r) % 10; {
		case op < 5:
			port := uint16(1000 + next(r)%8) // shared ports: heavy conflicts
			if op == 4 {
				port = uint16(2000 + w) // a worker's own port
			}
			if op == 3 {
				port = 0 // ephemeral
			}
			a := addrs[next(r)%uint64(len(addrs))]
			req := Request{
				Proto: Proto([]Proto{TCP, UDP}[next(r)%2]), Addr: mustAddr(fmt.Sprintf("%s:%d", a, port)),
				DualStack: next(r)%2 == 0, User: fmt.Sprint("u", next(r)%2), Owner: w,
			}
			switch next(r) % 3 {
			case 1:
				req.ReuseAddr = true
			case 2:
				req.Exclusive = true
			}
			if e, code := tab.Bind(req); code == 0 {
				live[w] = append(live[w], e)
			}
		case op < 8 && len(live[w]) > 0:
			i := int(next(r) % uint64(len(live[w])))
			tab.Release(live[w][i])
			live[w] = append(live[w][:i], live[w][i+1:]...)
		case op == 8 && len(live[w]) > 0:
			tab.SetListening(live[w][int(next(r)%uint64(len(live[w])))], next(r)%2 == 0)
		default:
			if e := tab.Lookup(TCP, mustAddr(fmt.Sprintf("127.0.0.1:%d", 1000+next(r)%8)), next(r)%2 == 0); e != nil {
				_ = e.Owner()
			}
		}
	}
	phase(func(w int, r uint64) {
		for range iters {
			step(w, &r)
		}
	})
	checkInvariants(t, tab)
	total := 0
	for _, l := range live {
		total += len(l)
	}
	require.Equal(t, total, tab.Len())
	phase(func(w int, r uint64) {
		for range iters / 2 {
			step(w, &r)
		}
		for _, e := range live[w] {
			tab.Release(e)
			tab.Release(e)
		}
	})
	require.Zero(t, tab.Len())
	checkInvariants(t, tab)
}
