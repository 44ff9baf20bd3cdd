package ports

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sockaddr"
)

// Microsoft, "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE", Windows Server 2003 and later.
// Rows: the first bind; columns: the second bind. Typed from the article (spec §5.2), not
// generated from the package.
const tableB = `
first \ second | Def W | Def S | REUSE W | REUSE S | EXCL W | EXCL S
Def W          | INUSE | OK    | ACCESS  | OK      | INUSE  | OK
Def S          | OK    | INUSE | OK      | ACCESS  | INUSE  | INUSE
REUSE W        | INUSE | OK    | OK      | OK      | INUSE  | OK
REUSE S        | OK    | INUSE | OK      | OK      | INUSE  | INUSE
EXCL W         | INUSE | ACCESS| ACCESS  | ACCESS  | INUSE  | ACCESS
EXCL S         | OK    | INUSE | OK      | ACCESS  | INUSE  | INUSE
`

const tableC = `
first \ second | Def W | Def S | REUSE W | REUSE S | EXCL W | EXCL S
Def W          | INUSE | ACCESS| ACCESS  | ACCESS  | INUSE  | ACCESS
Def S          | OK    | INUSE | OK      | ACCESS  | INUSE  | INUSE
REUSE W        | INUSE | ACCESS| OK      | OK      | INUSE  | ACCESS
REUSE S        | OK    | INUSE | OK      | OK      | INUSE  | INUSE
EXCL W         | INUSE | ACCESS| ACCESS  | ACCESS  | INUSE  | ACCESS
EXCL S         | OK    | INUSE | OK      | ACCESS  | INUSE  | INUSE
`

// bindSpec is one row or column heading: the option and whether the address is the wildcard.
type bindSpec struct {
	reuse, excl, wild bool
}

func (b bindSpec) String() string {
	s := "Def"
	switch {
	case b.reuse:
		s = "REUSE"
	case b.excl:
		s = "EXCL"
	}
	if b.wild {
		return s + " W"
	}
	return s + " S"
}

func parseSpec(s string) bindSpec {
	f := strings.Fields(s)
	return bindSpec{reuse: f[0] == "REUSE", excl: f[0] == "EXCL", wild: f[1] == "W"}
}

func parseResult(s string) errors.Errno {
	switch strings.TrimSpace(s) {
	case "OK":
		return 0
	case "INUSE":
		return errors.WSAEADDRINUSE
	case "ACCESS":
		return errors.WSAEACCES
	}
	panic("bad cell " + s)
}

// msTable is a parsed article table: cells[first][second].
type msTable struct {
	heads []bindSpec
	cells map[bindSpec]map[bindSpec]errors.Errno
}

func parseTable(text string) msTable {
	var t msTable
	t.cells = map[bindSpec]map[bindSpec]errors.Errno{}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for _, h := range strings.Split(lines[0], "|")[1:] {
		t.heads = append(t.heads, parseSpec(h))
	}
	for _, line := range lines[1:] {
		cols := strings.Split(line, "|")
		row := parseSpec(cols[0])
		t.cells[row] = map[bindSpec]errors.Errno{}
		for i, c := range cols[1:] {
			t.cells[row][t.heads[i]] = parseResult(c)
		}
	}
	return t
}

var (
	msB = parseTable(tableB)
	msC = parseTable(tableC)
)

// family is one way of giving the wildcard and the specific address of a table.
type family struct {
	name       string
	wild, spec netip.Addr
	dual       bool // both binds on AF_INET6 sockets with IPV6_V6ONLY = 0
}

var families = []family{
	{"IPv4", netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("127.0.0.1"), false},
	{"IPv4-other", netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("192.168.1.5"), false},
	{"IPv6", netip.MustParseAddr("::"), netip.MustParseAddr("::1"), false},
	{"IPv6-dualstack", netip.MustParseAddr("::"), netip.MustParseAddr("::1"), true},
	{"IPv6-global", netip.MustParseAddr("::"), netip.MustParseAddr("2001:db8::7"), false},
	{"v4mapped", netip.MustParseAddr("::ffff:0.0.0.0"), netip.MustParseAddr("::ffff:127.0.0.1"), true},
}

func request(p Proto, ip netip.Addr, port uint16, dual bool, s bindSpec, user string) Request {
	return Request{
		Proto: p, Addr: sockaddr.From(ip, port), DualStack: dual,
		ReuseAddr: s.reuse, Exclusive: s.excl, User: user,
	}
}

// TestMicrosoftTables replays every cell of Tables B and C for each protocol and family.
func TestMicrosoftTables(t *testing.T) {
	tables := []struct {
		name   string
		tab    msTable
		second string
	}{{"TableB-same-user", msB, "alice"}, {"TableC-different-users", msC, "bob"}}
	cells := 0
	for _, tb := range tables {
		for _, fam := range families {
			for _, proto := range []Proto{TCP, UDP} {
				for _, first := range tb.tab.heads {
					for _, second := range tb.tab.heads {
						want := tb.tab.cells[first][second]
						name := fmt.Sprintf("%s/%s/%s/%s->%s", tb.name, fam.name, proto, first, second)
						tab := NewTable(Options{})
						addr := func(s bindSpec) netip.Addr {
							if s.wild {
								return fam.wild
							}
							return fam.spec
						}
						e1, code := tab.Bind(request(proto, addr(first), 5000, fam.dual, first, "alice"))
						require.Zero(t, code, name)
						require.NotNil(t, e1)
						e2, code := tab.Bind(request(proto, addr(second), 5000, fam.dual, second, tb.second))
						require.Equal(t, want, code, name)
						require.Equal(t, want == 0, e2 != nil, name)
						if fam.name == "IPv4" && proto == TCP {
							cells++
						}
						// Different ports and the other protocol never conflict.
						_, code = tab.Bind(request(proto, addr(second), 5001, fam.dual, second, tb.second))
						require.Zero(t, code, name+" other port")
						other := UDP
						if proto == UDP {
							other = TCP
						}
						_, code = tab.Bind(request(other, addr(second), 5000, fam.dual, second, tb.second))
						require.Zero(t, code, name+" other proto")
					}
				}
			}
		}
	}
	require.Equal(t, 72, cells)
}

// TestDecideMatchesTables checks the rule function itself against the typed tables (the
// relation of a table pair is W→W / S→S = same, W→S, S→W).
func TestDecideMatchesTables(t *testing.T) {
	k := func(s bindSpec) kind {
		switch {
		case s.reuse:
			return kindReuse
		case s.excl:
			return kindExclusive
		}
		return kindDefault
	}
	for _, tb := range []struct {
		tab  msTable
		same bool
	}{{msB, true}, {msC, false}} {
		for _, a := range tb.tab.heads {
			for _, b := range tb.tab.heads {
				rel := relSame
				switch {
				case a.wild && !b.wild:
					rel = relWildSpec
				case !a.wild && b.wild:
					rel = relSpecWild
				}
				require.Equal(t, tb.tab.cells[a][b], decide(k(a), k(b), rel, tb.same), "%v -> %v same=%v", a, b, tb.same)
			}
		}
	}
	// Disjoint addresses never conflict.
	for _, a := range []kind{kindDefault, kindReuse, kindExclusive} {
		for _, b := range []kind{kindDefault, kindReuse, kindExclusive} {
			require.Zero(t, decide(a, b, relNone, false))
		}
	}
}

// TestDifferentSpecificAddresses: two specific addresses never conflict, whatever the
// options and users.
func TestDifferentSpecificAddresses(t *testing.T) {
	pairs := [][2]string{{"127.0.0.1", "10.0.0.1"}, {"::1", "2001:db8::1"}, {"::ffff:10.0.0.1", "127.0.0.1"}, {"::1", "127.0.0.1"}}
	for _, p := range pairs {
		for _, a := range msB.heads {
			for _, b := range msB.heads {
				if a.wild || b.wild {
					continue
				}
				tab := NewTable(Options{})
				_, code := tab.Bind(request(TCP, netip.MustParseAddr(p[0]), 80, true, a, "alice"))
				require.Zero(t, code)
				_, code = tab.Bind(request(TCP, netip.MustParseAddr(p[1]), 80, true, b, "bob"))
				require.Zero(t, code, "%v %v %v", p, a, b)
			}
		}
	}
	// Link-local addresses on different interfaces are different addresses.
	tab := NewTable(Options{})
	ll := sockaddr.Addr{Family: sockaddr.AF_INET6, IP: netip.MustParseAddr("fe80::1"), Port: 80, ScopeID: 3}
	_, code := tab.Bind(Request{Proto: TCP, Addr: ll})
	require.Zero(t, code)
	ll.ScopeID = 4
	_, code = tab.Bind(Request{Proto: TCP, Addr: ll})
	require.Zero(t, code)
	ll.ScopeID = 3
	_, code = tab.Bind(Request{Proto: TCP, Addr: ll})
	require.Equal(t, errors.WSAEADDRINUSE, code)
}

type wineAddr struct {
	ip   string
	dual bool
}

var (
	in4Any      = wineAddr{"0.0.0.0", false}
	in4Loop     = wineAddr{"127.0.0.1", false}
	in6Any      = wineAddr{"::", true} // every AF_INET6 socket of the test sets IPV6_V6ONLY = 0
	in6Loop     = wineAddr{"::1", true}
	in6AnyMap   = wineAddr{"::ffff:0.0.0.0", true}
	in6LoopMap  = wineAddr{"::ffff:127.0.0.1", true}
	in6AnyNoDS  = wineAddr{"::", false}
	in6LoopNoDS = wineAddr{"::1", false}
)

// TestWineExclusive replays tests_exclusive of Wine's test_reuseaddr
// (dlls/ws2_32/tests/sock.c), whose ok() lines pass on real Windows: two TCP sockets of the
// same user, the first bound, then the second; exclusive = SO_EXCLUSIVEADDRUSE, otherwise no
// option. The article's "dual-stack exclusive bind fails with WSAEACCES if an IPv4 socket is
// bound to loopback" is contradicted by case 6 (WSAEADDRINUSE); Wine's result is the one
// modelled.
func TestWineExclusive(t *testing.T) {
	cases := []struct {
		a    wineAddr
		aExc bool
		b    wineAddr
		bExc bool
		want errors.Errno
	}{
		0:  {in4Any, true, in4Loop, false, errors.WSAEACCES},
		1:  {in6Any, true, in4Loop, false, errors.WSAEACCES},
		2:  {in4Any, false, in4Loop, true, 0},
		3:  {in4Any, true, in4Loop, true, errors.WSAEACCES},
		4:  {in4Loop, true, in4Any, false, 0},
		5:  {in4Loop, false, in4Any, true, errors.WSAEADDRINUSE},
		6:  {in4Loop, false, in6Any, true, errors.WSAEADDRINUSE},
		7:  {in6Loop, false, in4Any, true, 0},
		8:  {in6Loop, true, in4Loop, true, 0},
		9:  {in6LoopMap, false, in4Any, true, errors.WSAEADDRINUSE},
		10: {in6Any, true, in4Any, false, errors.WSAEACCES},
		11: {in6Any, false, in4Any, true, 0},
		12: {in4Any, false, in4Any, true, errors.WSAEADDRINUSE},
		13: {in4Any, false, in4Any, false, errors.WSAEADDRINUSE},
		14: {in6Any, false, in4Any, false, 0},
		15: {in6AnyMap, false, in4Any, false, errors.WSAEADDRINUSE},
		16: {in6LoopMap, false, in4Loop, false, errors.WSAEADDRINUSE},
		17: {in4Loop, false, in6LoopMap, false, errors.WSAEADDRINUSE},
		18: {in6Loop, true, in4Loop, true, 0},
		19: {in4Loop, true, in4Loop, false, errors.WSAEADDRINUSE},
		20: {in4Loop, false, in4Loop, true, errors.WSAEADDRINUSE},
	}
	for i, c := range cases {
		tab := NewTable(Options{})
		e1, code := tab.Bind(Request{Proto: TCP, Addr: sockaddr.From(netip.MustParseAddr(c.a.ip), 9375), DualStack: c.a.dual, Exclusive: c.aExc, User: "u"})
		require.Zero(t, code, "case %d first", i)
		require.NotNil(t, e1)
		_, code = tab.Bind(Request{Proto: TCP, Addr: sockaddr.From(netip.MustParseAddr(c.b.ip), 9375), DualStack: c.b.dual, Exclusive: c.bExc, User: "u"})
		require.Equal(t, c.want, code, "case %d", i)
	}
}

// TestWineReuseSequence replays the per-family part of Wine's test_reuseaddr (IPv4 and
// IPv6 with the Windows default IPV6_V6ONLY = 1), bind results and who receives connections.
func TestWineReuseSequence(t *testing.T) {
	for _, fam := range []struct{ any, loop wineAddr }{{in4Any, in4Loop}, {in6AnyNoDS, in6LoopNoDS}} {
		wild := sockaddr.From(netip.MustParseAddr(fam.any.ip), 9375)
		loop := sockaddr.From(netip.MustParseAddr(fam.loop.ip), 9375)
		tab := NewTable(Options{})
		bind := func(a sockaddr.Addr, reuse bool, owner string) (*Entry, errors.Errno) {
			return tab.Bind(Request{Proto: TCP, Addr: a, ReuseAddr: reuse, User: "u", Owner: owner})
		}
		who := func() any { return tab.Lookup(TCP, loop, true).Owner() }

		// SO_REUSEADDR on the second socket only: WSAEACCES.
		s1, code := bind(loop, false, "s1")
		require.Zero(t, code)
		_, code = bind(loop, true, "s2")
		require.Equal(t, errors.WSAEACCES, code)
		tab.Release(s1)

		// SO_REUSEADDR on both: the second bind fails without it, succeeds with it; the
		// connection goes to the first.
		s1, code = bind(loop, true, "s1")
		require.Zero(t, code)
		_, code = bind(loop, false, "s2")
		require.NotZero(t, code)
		s2, code := bind(loop, true, "s2")
		require.Zero(t, code)
		tab.SetListening(s1, true)
		tab.SetListening(s2, true)
		require.Equal(t, "s1", who())
		tab.Release(s1)
		tab.Release(s2)

		// Wildcard then loopback, both listening: the loopback socket gets the connection.
		s1, code = bind(wild, false, "s1")
		require.Zero(t, code)
		tab.SetListening(s1, true)
		s2, code = bind(loop, false, "s2")
		require.Zero(t, code)
		tab.SetListening(s2, true)
		require.Equal(t, "s2", who())
		tab.Release(s1)
		tab.Release(s2)

		// Loopback then wildcard: the loopback socket still gets it.
		s1, code = bind(loop, false, "s1")
		require.Zero(t, code)
		tab.SetListening(s1, true)
		s2, code = bind(wild, false, "s2")
		require.Zero(t, code)
		tab.SetListening(s2, true)
		require.Equal(t, "s1", who())
		tab.Release(s1)
		tab.Release(s2)

		// Two wildcard binds: WSAEADDRINUSE.
		s1, code = bind(wild, false, "s1")
		require.Zero(t, code)
		_, code = bind(wild, false, "s2")
		require.Equal(t, errors.WSAEADDRINUSE, code)
		tab.Release(s1)

		// Successive binds and bind-after-listen: delivery moves to the next listener in
		// bind order as each one closes.
		s1, code = bind(loop, true, "s1")
		require.Zero(t, code)
		s2, code = bind(loop, true, "s2")
		require.Zero(t, code)
		tab.SetListening(s1, true)
		tab.SetListening(s2, true)
		require.Equal(t, "s1", who())
		tab.Release(s1)
		s3, code := bind(loop, true, "s3")
		require.Zero(t, code)
		require.Equal(t, "s2", who())
		tab.Release(s2)
		s4, code := bind(loop, true, "s4")
		require.Zero(t, code)
		tab.SetListening(s3, true)
		require.Equal(t, "s3", who())
		tab.Release(s3)
		require.Nil(t, tab.Lookup(TCP, loop, true), "s4 is bound but not listening")
		tab.SetListening(s4, true)
		require.Equal(t, "s4", who())
		tab.Release(s4)
		require.Zero(t, tab.Len())
	}
}

// TestInferredCrossStack pins the results the level model predicts for the mirror images of
// Wine's dual-stack cases (not measured; see the level doc in rules.go).
func TestInferredCrossStack(t *testing.T) {
	cases := []struct {
		a    wineAddr
		aExc bool
		b    wineAddr
		bExc bool
		want errors.Errno
	}{
		{in4Any, false, in6Any, false, 0},                    // mirror of Wine 14
		{in4Any, true, in6Any, false, 0},                     // mirror of Wine 11
		{in4Any, false, in6Any, true, errors.WSAEADDRINUSE},  // like Wine 6
		{in6Any, false, in6Any, false, errors.WSAEADDRINUSE}, // both halves W→W
		{in6Any, false, in6AnyNoDS, false, errors.WSAEADDRINUSE},
		{in6AnyNoDS, false, in4Any, true, 0},                // a V6ONLY :: has no IPv4 side
		{in6Any, true, in6LoopMap, false, errors.WSAEACCES}, // mapped = IPv4 loopback
		{in6AnyMap, true, in4Loop, false, errors.WSAEACCES}, // mapped wildcard = 0.0.0.0
	}
	for i, c := range cases {
		tab := NewTable(Options{})
		_, code := tab.Bind(Request{Proto: UDP, Addr: sockaddr.From(netip.MustParseAddr(c.a.ip), 53), DualStack: c.a.dual, Exclusive: c.aExc, User: "u"})
		require.Zero(t, code, "case %d first", i)
		_, code = tab.Bind(Request{Proto: UDP, Addr: sockaddr.From(netip.MustParseAddr(c.b.ip), 53), DualStack: c.b.dual, Exclusive: c.bExc, User: "u"})
		require.Equal(t, c.want, code, "case %d", i)
	}
}
