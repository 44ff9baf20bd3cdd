// Package ports is a simulated host's port reservation table: it decides whether a bind
// conflicts with the sockets already bound (Windows Server 2003 and later semantics of
// SO_REUSEADDR and SO_EXCLUSIVEADDRUSE, for the same or different users, IPv4, IPv6,
// dual-stack IPv6 sockets and IPv4-mapped addresses), allocates ephemeral ports, and finds the
// socket that receives a connection or datagram sent to an address and port.
//
// The conflict rule is the small function decide (rules.go), derived from Microsoft's tables
// (spec §5.2, ruling R16) and Wine's Windows-validated test_reuseaddr. The table is sharded by
// protocol and port, because every conflict and every delivery decision concerns a single
// protocol:port: a bind or release locks one shard and walks only the sockets on that port,
// so its cost does not grow with the number of live reservations.
package ports

import (
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sockaddr"
)

// Proto is a transport protocol. TCP and UDP ports are separate namespaces on Windows, so a
// TCP reservation never conflicts with a UDP one. The values are the IPPROTO_* numbers.
type Proto uint8

// The protocols with ports.
const (
	TCP Proto = 6
	UDP Proto = 17
)

// String returns "TCP", "UDP" or the protocol number, for traces and test names.
func (p Proto) String() string {
	switch p {
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	}
	return "proto" + strconv.Itoa(int(p))
}

// The Windows dynamic port range (Vista and later; netsh int ipv4 show dynamicport), used
// when Options leaves the range zero.
const (
	DefaultEphemeralFirst uint16 = 49152
	DefaultEphemeralLast  uint16 = 65535
)

// Options tunes a Table. The zero value is Windows' observed behaviour.
type Options struct {
	// HoldExclusiveWhileConnected selects the MSDN behaviour: a port bound exclusively by a
	// listener stays blocked (WSAEADDRINUSE for a new bind) after the listener closes while
	// connections accepted on it live. Default false = ruling R16: closing the listener
	// releases the port (observed on real Windows, trio probe).
	HoldExclusiveWhileConnected bool
	// EphemeralFirst and EphemeralLast bound the ports Bind picks for port 0. Both zero
	// means the Windows default 49152..65535; reversed bounds are swapped and port 0 is
	// never handed out, so no setting can make Bind misbehave.
	EphemeralFirst, EphemeralLast uint16
}

// Request describes one bind.
type Request struct {
	// Proto picks the port namespace.
	Proto Proto
	// Addr is AF_INET or AF_INET6: a wildcard, a specific address, a loopback or an
	// IPv4-mapped ::ffff:a.b.c.d (which reserves the IPv4 address a.b.c.d; the socket layer
	// decides beforehand whether an IPV6_V6ONLY socket may bind one). Port 0 asks for an
	// ephemeral port.
	Addr sockaddr.Addr
	// DualStack marks an AF_INET6 socket with IPV6_V6ONLY = 0. It only matters for a bind
	// to `::`, which then also reserves the IPv4 side of the port; it is ignored for AF_INET.
	DualStack bool
	// ReuseAddr is SO_REUSEADDR as set before bind: a request to share the address.
	ReuseAddr bool
	// Exclusive is SO_EXCLUSIVEADDRUSE as set before bind: a refusal to share it. Winsock
	// never lets a socket have both options, so Bind refuses a Request that has.
	Exclusive bool
	// User is the account the binding application runs as: Table B applies between binds of
	// the same user, Table C between different users.
	User string
	// Owner is the simulator's socket, handed back by Entry.Owner and Table.Lookup.
	Owner any
}

// Slot flags. The address-shape flags never change after Bind; fListening and fZombie are
// written under the shard lock.
const (
	fReuse     uint8 = 1 << iota // SO_REUSEADDR
	fExcl                        // SO_EXCLUSIVEADDRUSE
	fDual                        // dual-stack `::`: also holds the IPv4 side at levelShadow
	fV4                          // the main endpoint is in the IPv4 space (AF_INET or v4-mapped)
	fSpecific                    // the main endpoint is one address, not a wildcard
	fListening                   // marked by SetListening
	fZombie                      // released but held for live connections (Options.HoldExclusiveWhileConnected)
)

// Entry is one reservation: a bound socket's protocol, port and owner. Entries are handed out
// by Bind and keep answering Port and Owner after Release. The mutable state lives in the
// port's slot, not here, so deciding a bind or a delivery reads the port's slots and not the
// entries (except a user name, for the one rule that depends on it). The address itself is the
// caller's (it asked for it) and lives in the slot in the form lookups compare: an entry is
// made for every bind, and at 48 bytes instead of 80 a million live sockets cost the garbage
// collector a sixth less to mark.
type Entry struct {
	owner any
	user  string
	port  uint16
	proto Proto
}

// Port returns the bound port: the one requested, or the one Bind allocated for port 0.
func (e *Entry) Port() uint16 {
	if e == nil {
		return 0
	}
	return e.port
}

// Owner returns the Request's Owner, so that Lookup's answer leads back to the socket.
func (e *Entry) Owner() any {
	if e == nil {
		return nil
	}
	return e.owner
}

// Proto returns the protocol whose port the entry reserves.
func (e *Entry) Proto() Proto {
	if e == nil {
		return 0
	}
	return e.proto
}

// slot is an entry as its port's list stores it: everything a conflict check or a lookup
// reads, inline, so that walking the sockets of a port reads one contiguous array instead of
// chasing a pointer per socket (40 bytes on 64-bit platforms, one pointer for the GC).
type slot struct {
	e     *Entry
	ip    [16]byte // the 16-byte form: an IPv4 address and its v4-mapped form are equal
	scope uint32   // IPv6 scope (interface) of a specific address
	conns int32    // accepted connections alive (AddConnection / DropConnection)
	flags uint8
}

func (s *slot) kind() kind {
	switch {
	case s.flags&fExcl != 0:
		return kindExclusive
	case s.flags&fReuse != 0:
		return kindReuse
	}
	return kindDefault
}

func (s *slot) level() level {
	if s.flags&fSpecific != 0 {
		return levelSpecific
	}
	return levelWild
}

// sameSpecific reports whether two specific endpoints in the same space name one address. An
// IPv6 link-local address on another interface (another scope) is another address.
func sameSpecific(a, b *slot) bool {
	return a.ip == b.ip && (a.flags&fV4 != 0 || a.scope == b.scope)
}

// relationTo gives how the existing reservation x and the new one y overlap. Each has a main
// endpoint (in the IPv4 space for AF_INET and v4-mapped addresses, else in the IPv6 space);
// a dual-stack `::` also has an IPv4 endpoint at levelShadow. When both are dual-stack `::`
// both pairs of endpoints give relSame, so the main pair decides alone.
func relationTo(x, y *slot) relation {
	xv4, yv4 := x.flags&fV4 != 0, y.flags&fV4 != 0
	if xv4 == yv4 {
		return relate(x.level(), y.level(), sameSpecific(x, y))
	}
	switch {
	case x.flags&fDual != 0 && yv4:
		return relate(levelShadow, y.level(), false)
	case y.flags&fDual != 0 && xv4:
		return relate(x.level(), levelShadow, false)
	}
	return relNone
}

// conflict is the answer for binding y while x holds the same protocol:port.
func conflict(x, y *slot) errors.Errno {
	rel := relationTo(x, y)
	if rel == relNone {
		return 0
	}
	if x.flags&fZombie != 0 {
		// MSDN's rule (Options.HoldExclusiveWhileConnected): the closed exclusive listener's
		// address stays in use for everyone until its connections end.
		return errors.WSAEADDRINUSE
	}
	// Only the wildcard-then-specific rule asks who the users are; reading the user is the
	// one place a check looks into the Entry.
	return decide(x.kind(), y.kind(), rel, rel == relWildSpec && x.e.user == y.e.user)
}

// nShards is a power of two large enough that goroutines binding different ports rarely
// meet on a lock, and small enough that an empty per-host table stays a few kilobytes.
const nShards = 64

// shard holds the reservations of the ports that hash to it: for each protocol:port key, its
// slots in bind order (bind order decides delivery among equals, see Lookup). A shard is one
// cache line, so that two shards' locks never share one.
//
// The lock is a plain mutex: every critical section is a short walk of one port's slots,
// and a read lock would cost two more atomic operations per bind or release without letting
// readers overlap any longer than that.
type shard struct {
	mu    sync.Mutex
	ports portIndex
	// spare holds the arrays of ports whose last reservation went, for the next port that
	// gets its first: a program that binds and closes (an ephemeral port each time) then
	// allocates no slot array per bind.
	spare [][]slot
}

// maxSpare bounds the arrays a shard keeps for reuse.
const maxSpare = 4

// newList returns an empty slot list for a port that has none, reusing a spare array.
func (sh *shard) newList() []slot {
	if n := len(sh.spare); n > 0 {
		list := sh.spare[n-1]
		sh.spare = sh.spare[:n-1]
		return list
	}
	return nil
}

// Table is a host's port reservations. It is safe for concurrent use; the zero Table is not
// usable, create one with NewTable.
type Table struct {
	shards      [nShards]shard
	cursor      [2]atomic.Uint64 // ephemeral allocation counters, TCP and UDP
	first, last uint16
	hold        bool
}

// NewTable returns an empty table.
func NewTable(opts Options) *Table {
	first, last := opts.EphemeralFirst, opts.EphemeralLast
	if first == 0 && last == 0 {
		first, last = DefaultEphemeralFirst, DefaultEphemeralLast
	}
	if first > last {
		first, last = last, first
	}
	if first == 0 {
		first = 1
	}
	return &Table{first: first, last: last, hold: opts.HoldExclusiveWhileConnected}
}

func key(p Proto, port uint16) uint32 { return uint32(p)<<16 | uint32(port) }

func (t *Table) shardOf(k uint32) *shard {
	return &t.shards[(k*0x9E3779B1)>>26&(nShards-1)]
}

func cursorIndex(p Proto) int {
	if p == UDP {
		return 1
	}
	return 0
}

// Bind reserves r.Addr for r.Proto and returns the reservation, or the error Winsock's bind
// reports:
//
//   - WSAEADDRINUSE or WSAEACCES when the address conflicts with a live reservation (the
//     first conflicting one in bind order decides; see decide for the rules);
//   - WSAENOBUFS when r.Addr.Port is 0 and every port of the ephemeral range is taken for the
//     protocol: Windows reports dynamic-port exhaustion that way (KB 196271, "When you try to
//     connect from TCP ports greater than 5000 you receive the error WSAENOBUFS (10055)");
//   - WSAEPROTONOSUPPORT for a protocol other than TCP or UDP, WSAEAFNOSUPPORT for a family
//     other than AF_INET or AF_INET6, WSAEINVAL for an IP of the wrong width, for both
//     sharing options at once (setsockopt already refuses that) or for a nil Table.
//
// An ephemeral port is the next port after the last one allocated for the protocol, wrapping
// within the range and skipping ports that hold any reservation of that protocol, so a
// single-threaded sequence of calls always gets the same ports.
func (t *Table) Bind(r Request) (*Entry, errors.Errno) {
	if t == nil {
		return nil, errors.WSAEINVAL
	}
	if r.Proto != TCP && r.Proto != UDP {
		return nil, errors.WSAEPROTONOSUPPORT
	}
	if r.Addr.Family != sockaddr.AF_INET && r.Addr.Family != sockaddr.AF_INET6 {
		return nil, errors.WSAEAFNOSUPPORT
	}
	if !r.Addr.IsValid() || (r.ReuseAddr && r.Exclusive) {
		return nil, errors.WSAEINVAL
	}
	e := &Entry{owner: r.Owner, user: r.User, port: r.Addr.Port, proto: r.Proto}
	// The slot keeps the address as 16 bytes, without a zone: the scope lives in ScopeID.
	ip := r.Addr.IP
	s := slot{e: e, ip: ip.As16()}
	if r.ReuseAddr {
		s.flags |= fReuse
	}
	if r.Exclusive {
		s.flags |= fExcl
	}
	if r.Addr.Family == sockaddr.AF_INET || ip.Is4In6() {
		s.flags |= fV4
	} else {
		s.scope = r.Addr.ScopeID
	}
	if !ip.Unmap().IsUnspecified() {
		s.flags |= fSpecific
	} else if r.Addr.Family == sockaddr.AF_INET6 && r.DualStack && s.flags&fV4 == 0 {
		s.flags |= fDual
	}
	if r.Addr.Port == 0 {
		return t.bindEphemeral(&s)
	}
	k := key(e.proto, e.port)
	sh := t.shardOf(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	list := sh.ports.get(k)
	for i := range list {
		if code := conflict(&list[i], &s); code != 0 {
			return nil, code
		}
	}
	if list == nil {
		list = sh.newList()
	}
	sh.ports.set(k, append(list, s))
	return e, 0
}

// bindEphemeral gives s the next free port. The counter is advanced atomically before the
// scan, so concurrent allocations start at different ports; it is advanced again by the
// number of ports skipped, so the next call starts just after the port handed out.
func (t *Table) bindEphemeral(s *slot) (*Entry, errors.Errno) {
	e := s.e
	n := uint64(t.last-t.first) + 1
	cur := &t.cursor[cursorIndex(e.proto)]
	start := cur.Add(1) - 1
	for i := range n {
		port := t.first + uint16((start+i)%n)
		k := key(e.proto, port)
		sh := t.shardOf(k)
		sh.mu.Lock()
		if sh.ports.get(k) == nil {
			e.port = port
			sh.ports.set(k, append(sh.newList(), *s))
			sh.mu.Unlock()
			if i > 0 {
				cur.Add(i)
			}
			return e, 0
		}
		sh.mu.Unlock()
	}
	// Leave the counter where it was (modulo the range), so a failure does not shift the
	// sequence of later allocations.
	cur.Add(n - 1)
	return nil, errors.WSAENOBUFS
}

// locked runs f with e's shard locked and e's slot, if e is in the table (entries of another
// table and released ones are ignored). f may remove the slot with remove.
func (t *Table) locked(e *Entry, f func(sh *shard, k uint32, list []slot, i int)) {
	if t == nil || e == nil {
		return
	}
	k := key(e.proto, e.port)
	sh := t.shardOf(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	list := sh.ports.get(k)
	for i := range list {
		if list[i].e == e {
			f(sh, k, list, i)
			return
		}
	}
}

// remove drops list[i], keeping the others in bind order. slices.Delete clears the slot it
// vacates, so a spare array holds no entry.
func (t *Table) remove(sh *shard, k uint32, list []slot, i int) {
	list = slices.Delete(list, i, i+1)
	if len(list) == 0 {
		sh.ports.remove(k)
		if len(sh.spare) < maxSpare {
			sh.spare = append(sh.spare, list)
		}
	} else {
		sh.ports.set(k, list)
	}
}

// Release gives the reservation back, as closesocket does. It is idempotent and ignores nil
// and foreign entries. With Options.HoldExclusiveWhileConnected, an exclusive entry with
// live accepted connections stays in the table, receiving nothing and refusing every
// overlapping bind, until DropConnection has dropped the last of them.
func (t *Table) Release(e *Entry) {
	t.locked(e, func(sh *shard, k uint32, list []slot, i int) {
		s := &list[i]
		switch {
		case s.flags&fZombie != 0:
		case t.hold && s.flags&fExcl != 0 && s.conns > 0:
			s.flags = s.flags&^fListening | fZombie
		default:
			t.remove(sh, k, list, i)
		}
	})
}

// SetListening marks whether the socket listens, because connections (Lookup with
// listeningOnly) go only to listeners. It ignores released and foreign entries.
func (t *Table) SetListening(e *Entry, listening bool) {
	t.locked(e, func(_ *shard, _ uint32, list []slot, i int) {
		s := &list[i]
		switch {
		case s.flags&fZombie != 0:
		case listening:
			s.flags |= fListening
		default:
			s.flags &^= fListening
		}
	})
}

// AddConnection counts a connection accepted on e, which matters only under
// Options.HoldExclusiveWhileConnected: without that option nothing reads the count, so it is
// not kept (and accepting a connection takes no lock here).
func (t *Table) AddConnection(e *Entry) {
	if t == nil || !t.hold {
		return
	}
	t.locked(e, func(_ *shard, _ uint32, list []slot, i int) {
		if s := &list[i]; s.flags&fZombie == 0 && s.conns < math.MaxInt32 {
			s.conns++
		}
	})
}

// DropConnection uncounts a connection accepted on e; when e was released and held for its
// connections, the last drop frees the port. Extra drops are ignored, and so is every drop
// without Options.HoldExclusiveWhileConnected (see AddConnection).
func (t *Table) DropConnection(e *Entry) {
	if t == nil || !t.hold {
		return
	}
	t.locked(e, func(sh *shard, k uint32, list []slot, i int) {
		s := &list[i]
		if s.conns == 0 {
			return
		}
		s.conns--
		if s.conns == 0 && s.flags&fZombie != 0 {
			t.remove(sh, k, list, i)
		}
	})
}

// Lookup returns the reservation that receives a connection (listeningOnly) or a datagram
// sent to dst, or nil if nobody does (Winsock then refuses the connection or drops the
// datagram). A wildcard (also ::ffff:0.0.0.0) or invalid dst, or port 0, reaches nobody.
//
// The most specific reservation wins: one bound to exactly dst's address, else a wildcard of
// dst's space (0.0.0.0 or ::ffff:0.0.0.0 for IPv4, :: for IPv6), else, for an IPv4 or
// v4-mapped dst, a dual-stack `::`. Among equals (SO_REUSEADDR sharing) the earliest bound
// wins, as Wine's Windows-validated test observes (the next one takes over when it closes).
// With listeningOnly, sockets not marked listening are passed over, except an exclusive one:
// it keeps its address for itself, so a less specific listener never receives traffic for
// an address an exclusive socket holds (the wildcard "covers every interface except that
// address", [W4]).
func (t *Table) Lookup(proto Proto, dst sockaddr.Addr, listeningOnly bool) *Entry {
	if t == nil || dst.Port == 0 || !dst.IsValid() || dst.IP.Unmap().IsUnspecified() {
		return nil
	}
	v4 := dst.Family == sockaddr.AF_INET || dst.IP.Is4In6()
	ip := dst.IP.As16()
	k := key(proto, dst.Port)
	sh := t.shardOf(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var best [3]*Entry
	var blocked [3]bool
	list := sh.ports.get(k)
	for i := range list {
		x := &list[i]
		if x.flags&fZombie != 0 {
			continue
		}
		lv, ok := covers(x, v4, ip, dst.ScopeID)
		if !ok {
			continue
		}
		switch {
		case !listeningOnly || x.flags&fListening != 0:
			if best[lv] == nil {
				best[lv] = x.e
			}
		case x.flags&fExcl != 0:
			blocked[lv] = true
		}
	}
	for lv := levelSpecific; ; lv-- {
		if best[lv] != nil {
			return best[lv]
		}
		if blocked[lv] || lv == levelShadow {
			return nil
		}
	}
}

// covers reports whether x receives traffic for ip, and at which level. A destination
// without a scope reaches a link-local socket of any scope (the sender's interface is not
// modelled here).
func covers(x *slot, v4 bool, ip [16]byte, scope uint32) (level, bool) {
	if (x.flags&fV4 != 0) == v4 {
		if x.flags&fSpecific == 0 {
			return levelWild, true
		}
		if x.ip == ip && (v4 || scope == 0 || x.scope == 0 || scope == x.scope) {
			return levelSpecific, true
		}
		return 0, false
	}
	if v4 && x.flags&fDual != 0 {
		return levelShadow, true
	}
	return 0, false
}

// Len returns the number of reservations holding a port, counting exclusive listeners held
// for their connections (Options.HoldExclusiveWhileConnected). It walks the whole table, for
// tests and diagnostics.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	n := 0
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		sh.ports.all(func(_ uint32, list []slot) { n += len(list) })
		sh.mu.Unlock()
	}
	return n
}
