package ports

import "github.com/wsssim/wsssim/errors"

// kind is the sharing option a socket carried when it was bound. Winsock refuses to set
// SO_REUSEADDR and SO_EXCLUSIVEADDRUSE together (WSAEINVAL at setsockopt), so one kind per
// socket is enough.
type kind uint8

const (
	kindDefault   kind = iota // neither option
	kindReuse                 // SO_REUSEADDR
	kindExclusive             // SO_EXCLUSIVEADDRUSE
)

// relation says how the addresses of an existing reservation (first) and a new bind (second)
// on the same protocol and port overlap.
type relation uint8

const (
	// relNone: disjoint addresses (two different specific addresses, or two address spaces
	// that do not meet). Never a conflict, whatever the options (spec §5.1, [W4], [W5]).
	relNone relation = iota
	// relSame: the same address (both the same wildcard, or the same specific address): the
	// W→W and S→S cells of Tables B and C.
	relSame
	// relWildSpec: the first covers the second (first wildcard, second a specific address it
	// covers): the W→S cells.
	relWildSpec
	// relSpecWild: the second covers the first (first specific, second wildcard): the S→W
	// cells.
	relSpecWild
)

// decide is the bind-conflict rule of Windows Server 2003 and later: the answer for a second
// bind of kind second against an existing reservation of kind first whose address relates to
// it by rel. It reproduces all 72 cells of Microsoft's Table B (same user) and Table C
// (different users) in "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE" (spec §5.2, [W4]),
// which the package tests replay cell by cell from an independently typed copy.
//
// Three rules, one per overlapping relation:
//
//  1. Same address (the W→W and S→S diagonals, identical in Tables B and C): only mutual
//     SO_REUSEADDR shares an address. Since Server 2003 the first socket must have opted in
//     (the article's "new requirement"), so a second SO_REUSEADDR bind against a first
//     that did not opt in is an access violation (WSAEACCES: REUSE after Default or after
//     EXCLUSIVE); a second bind that did not ask to share simply finds the address taken
//     (WSAEADDRINUSE: Default or EXCLUSIVE second, whatever the first). The user does not
//     matter here.
//  2. First specific, second wildcard (S→W, identical in B and C): the wildcard socket then
//     covers "every interface except that address" (article prose), so nobody's traffic is
//     taken and the bind succeeds, unless the newcomer asks for SO_EXCLUSIVEADDRUSE: it
//     cannot own the whole port while another socket holds part of it (WSAEADDRINUSE).
//  3. First wildcard, second specific (W→S): the newcomer would take the first socket's
//     traffic for that address (port stealing), so this is an access check (WSAEACCES on
//     refusal). An exclusive first socket refuses everyone; otherwise the same user passes
//     (backward compatibility, Table B), and a different user passes only when both sockets
//     set SO_REUSEADDR (Table C: "the first socket must have SO_REUSEADDR; the second still
//     needs it").
func decide(first, second kind, rel relation, sameUser bool) errors.Errno {
	switch rel {
	case relSame:
		if second != kindReuse {
			return errors.WSAEADDRINUSE
		}
		if first != kindReuse {
			return errors.WSAEACCES
		}
		return 0
	case relSpecWild:
		if second == kindExclusive {
			return errors.WSAEADDRINUSE
		}
		return 0
	case relWildSpec:
		if first == kindExclusive {
			return errors.WSAEACCES
		}
		if sameUser || (first == kindReuse && second == kindReuse) {
			return 0
		}
		return errors.WSAEACCES
	}
	return 0
}

// Address levels order how much of an address space a reservation covers, from the least
// specific to the most. A reservation at a lower level covers one at a higher level (it is
// the "W" of the table pair and the other the "S"); two at the same level are the same
// address, except two specific ones with different IPs, which are disjoint.
//
// levelShadow is the IPv4 half of a dual-stack `::` socket (IPV6_V6ONLY = 0). It ranks
// below a native IPv4 wildcard because Wine's Windows-validated test_reuseaddr [E4] shows the
// native 0.0.0.0 bind behaving as the *specific* side against it:
//
//   - dual `::` Default → IPv4 0.0.0.0 Default = OK and → 0.0.0.0 EXCLUSIVE = OK (rule 3 with
//     the same user; under a plain W→W reading both would be WSAEADDRINUSE);
//   - dual `::` EXCLUSIVE → IPv4 0.0.0.0 Default = WSAEACCES (rule 3; W→W would give
//     WSAEADDRINUSE) and → 127.0.0.1 Default = WSAEACCES (rule 3);
//   - IPv4 127.0.0.1 Default → dual `::` EXCLUSIVE = WSAEADDRINUSE (rule 2).
//
// The last contradicts the article's prose (a dual-stack exclusive bind "fails with
// WSAEACCES if an IPv4 socket is already bound to loopback"); Wine's test passes on real
// Windows, so it wins. An IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 address a.b.c.d
// at its ordinary level: [E4] gives `::ffff:0.0.0.0` → 0.0.0.0 = WSAEADDRINUSE (W→W) and
// `::ffff:127.0.0.1` ↔ 127.0.0.1 = WSAEADDRINUSE (S→S).
type level uint8

const (
	levelShadow   level = 0 // IPv4 side of a dual-stack `::`
	levelWild     level = 1 // 0.0.0.0, ::, ::ffff:0.0.0.0
	levelSpecific level = 2 // one address
)

// relate gives the relation of two endpoints in the same address space; sameIP matters only
// when both are specific.
func relate(first, second level, sameIP bool) relation {
	switch {
	case first == second:
		if first == levelSpecific && !sameIP {
			return relNone
		}
		return relSame
	case first < second:
		return relWildSpec
	}
	return relSpecWild
}
