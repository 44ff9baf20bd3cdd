package scenario

import (
	"sort"
	"strings"

	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim"
)

// group says what an SDK constant is for. A position accepts any constant (C lets a caller pass
// AF_INET as a protocol, and scenarios must be able to do the same), but an unknown name gets
// suggestions from its position's group first.
type group uint8

const (
	gFamily group = iota
	gType
	gProto
	gLevel
	gOption
	gWSAFlag
	gIoctl
	gHow
	gMisc
)

// Constant is one SDK name the scenario language knows, with its value. The values come from
// the simulator's exported constants, which the project tests against the Windows SDK headers.
type Constant struct {
	Name  string
	Value int64
	group group
}

var constantTable = []Constant{
	{"AF_UNSPEC", int64(sim.AF_UNSPEC), gFamily},
	{"AF_UNIX", int64(sim.AF_UNIX), gFamily},
	{"AF_INET", int64(sim.AF_INET), gFamily},
	{"AF_INET6", int64(sim.AF_INET6), gFamily},

	{"SOCK_STREAM", int64(sim.SOCK_STREAM), gType},
	{"SOCK_DGRAM", int64(sim.SOCK_DGRAM), gType},
	{"SOCK_RAW", int64(sim.SOCK_RAW), gType},
	{"SOCK_RDM", int64(sim.SOCK_RDM), gType},
	{"SOCK_SEQPACKET", int64(sim.SOCK_SEQPACKET), gType},

	{"IPPROTO_IP", int64(sim.IPPROTO_IP), gProto},
	{"IPPROTO_ICMP", int64(sim.IPPROTO_ICMP), gProto},
	{"IPPROTO_TCP", int64(sim.IPPROTO_TCP), gProto},
	{"IPPROTO_UDP", int64(sim.IPPROTO_UDP), gProto},
	{"IPPROTO_IPV6", int64(sim.IPPROTO_IPV6), gProto},
	{"IPPROTO_ICMPV6", int64(sim.IPPROTO_ICMPV6), gProto},
	{"IPPROTO_RAW", int64(sim.IPPROTO_RAW), gProto},

	{"SOL_SOCKET", int64(sim.SOL_SOCKET), gLevel},

	{"SO_REUSEADDR", int64(sim.SO_REUSEADDR), gOption},
	{"SO_EXCLUSIVEADDRUSE", int64(sim.SO_EXCLUSIVEADDRUSE), gOption},
	{"SO_BROADCAST", int64(sim.SO_BROADCAST), gOption},
	{"SO_ACCEPTCONN", int64(sim.SO_ACCEPTCONN), gOption},
	{"SO_TYPE", int64(sim.SO_TYPE), gOption},
	{"SO_ERROR", int64(sim.SO_ERROR), gOption},
	{"SO_UPDATE_CONNECT_CONTEXT", int64(sim.SO_UPDATE_CONNECT_CONTEXT), gOption},
	{"IPV6_V6ONLY", int64(sim.IPV6_V6ONLY), gOption},

	{"WSA_FLAG_OVERLAPPED", int64(sim.WSA_FLAG_OVERLAPPED), gWSAFlag},
	{"WSA_FLAG_MULTIPOINT_C_ROOT", int64(sim.WSA_FLAG_MULTIPOINT_C_ROOT), gWSAFlag},
	{"WSA_FLAG_MULTIPOINT_C_LEAF", int64(sim.WSA_FLAG_MULTIPOINT_C_LEAF), gWSAFlag},
	{"WSA_FLAG_MULTIPOINT_D_ROOT", int64(sim.WSA_FLAG_MULTIPOINT_D_ROOT), gWSAFlag},
	{"WSA_FLAG_MULTIPOINT_D_LEAF", int64(sim.WSA_FLAG_MULTIPOINT_D_LEAF), gWSAFlag},
	{"WSA_FLAG_ACCESS_SYSTEM_SECURITY", int64(sim.WSA_FLAG_ACCESS_SYSTEM_SECURITY), gWSAFlag},
	{"WSA_FLAG_NO_HANDLE_INHERIT", int64(sim.WSA_FLAG_NO_HANDLE_INHERIT), gWSAFlag},
	{"WSA_FLAG_REGISTERED_IO", int64(sim.WSA_FLAG_REGISTERED_IO), gWSAFlag},

	{"FIONBIO", int64(sim.FIONBIO), gIoctl},
	{"FIONREAD", int64(sim.FIONREAD), gIoctl},
	{"SIOCATMARK", int64(sim.SIOCATMARK), gIoctl},
	{"SIO_SET_SECURITY", int64(sim.SIO_SET_SECURITY), gIoctl},
	{"SIO_QUERY_SECURITY", int64(sim.SIO_QUERY_SECURITY), gIoctl},
	{"SIO_SET_PEER_TARGET_NAME", int64(sim.SIO_SET_PEER_TARGET_NAME), gIoctl},
	{"SIO_DELETE_PEER_TARGET_NAME", int64(sim.SIO_DELETE_PEER_TARGET_NAME), gIoctl},
	{"SIO_SOCKET_USAGE_NOTIFICATION", int64(sim.SIO_SOCKET_USAGE_NOTIFICATION), gIoctl},

	{"SD_RECEIVE", int64(sim.SD_RECEIVE), gHow},
	{"SD_SEND", int64(sim.SD_SEND), gHow},
	{"SD_BOTH", int64(sim.SD_BOTH), gHow},

	{"SOMAXCONN", int64(sim.SOMAXCONN), gMisc},
	{"SOCKET_ERROR", int64(sim.SOCKET_ERROR), gMisc},
	{"SYSTEM_CRITICAL_SOCKET", policy.SystemCriticalSocket, gMisc},
	// INVALID_SOCKET is (SOCKET)(~0): -1 in every integer width.
	{"INVALID_SOCKET", -1, gMisc},

	{"WSA_INVALID_EVENT", int64(sim.WSA_INVALID_EVENT), gMisc},
	{"WSA_INFINITE", int64(sim.WSA_INFINITE), gMisc},
	{"INFINITE", int64(sim.INFINITE), gMisc},
	{"WSA_MAXIMUM_WAIT_EVENTS", int64(sim.WSA_MAXIMUM_WAIT_EVENTS), gMisc},
	{"WSA_WAIT_EVENT_0", int64(sim.WSA_WAIT_EVENT_0), gMisc},
	{"WSA_WAIT_IO_COMPLETION", int64(sim.WSA_WAIT_IO_COMPLETION), gMisc},
	{"WAIT_IO_COMPLETION", int64(sim.WAIT_IO_COMPLETION), gMisc},
	{"WSA_WAIT_TIMEOUT", int64(sim.WSA_WAIT_TIMEOUT), gMisc},
	{"WSA_WAIT_FAILED", int64(sim.WSA_WAIT_FAILED), gMisc},
}

var constantsByName = func() map[string]*Constant {
	m := make(map[string]*Constant, len(constantTable))
	for i := range constantTable {
		m[constantTable[i].Name] = &constantTable[i]
	}
	return m
}()

// Constants lists the SDK names arguments may use, in table order, for documentation and for
// tools that complete names.
func Constants() []Constant { return append([]Constant(nil), constantTable...) }

func constantNames(groups ...group) []string {
	var out []string
	for _, c := range constantTable {
		if len(groups) == 0 {
			out = append(out, c.Name)
			continue
		}
		for _, g := range groups {
			if c.group == g {
				out = append(out, c.Name)
			}
		}
	}
	return out
}

// reservedWord reports names a variable may not take, because an argument in its place would
// mean something else.
func reservedWord(s string) bool { return reservedWords[s] }

// reservedWords are the SDK constants, the language's calls and its keywords, in one map since
// every use of a variable looks it up. init fills it once callSpecs is filled.
var reservedWords = map[string]bool{"NULL": true, "ok": true, "error": true, "host": true, "app": true}

func reserveNames() {
	for name := range constantsByName {
		reservedWords[name] = true
	}
	for name := range callSpecs {
		reservedWords[name] = true
	}
}

// parseNumber reads a decimal number or a 0x hexadecimal one, optionally negative, as a
// magnitude and a sign; ok is false for anything else or a magnitude beyond 64 bits. A leading
// 0 is decimal, not octal, so that "010" means ten as a reader expects.
func parseNumber(s string) (mag uint64, neg bool, ok bool) {
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	base := uint64(10)
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		base, s = 16, s[2:]
	}
	if s == "" {
		return 0, false, false
	}
	for i := 0; i < len(s); i++ {
		var d uint64
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false, false
		}
		if mag > (^uint64(0)-d)/base {
			return 0, false, false
		}
		mag = mag*base + d
	}
	return mag, neg, true
}

// int32Bits turns a number into the 32-bit pattern a C int or DWORD argument would carry:
// anything from -2^31 to 2^32-1 is accepted, so both -1 and 0xffffffff are all ones.
func int32Bits(mag uint64, neg bool) (uint32, bool) {
	if neg {
		if mag > 1<<31 {
			return 0, false
		}
		return uint32(-int64(mag)), true
	}
	if mag > 0xffffffff {
		return 0, false
	}
	return uint32(mag), true
}

// int64Bits is int32Bits for 64-bit values (SOCKET handles).
func int64Bits(mag uint64, neg bool) (uint64, bool) {
	if neg {
		if mag > 1<<63 {
			return 0, false
		}
		return -mag, true
	}
	return mag, true
}

// levenshtein is the edit distance between a and b, ignoring ASCII case.
func levenshtein(a, b string) int {
	a, b = strings.ToLower(a), strings.ToLower(b)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Suggest returns the word of vocab nearest to w, or "" when none is close enough to be a
// plausible typo. Ties go to the first in sorted order, so messages are deterministic. The CLI
// uses it too, so every "did you mean" in wsssim reads the same way.
func Suggest(w string, vocab []string) string {
	if w == "" || len(w) > 64 {
		return ""
	}
	sorted := append([]string(nil), vocab...)
	sort.Strings(sorted)
	best, bestD := "", -1
	for _, v := range sorted {
		if v == w {
			continue
		}
		d := levenshtein(w, v)
		if bestD < 0 || d < bestD {
			best, bestD = v, d
		}
	}
	if bestD >= 0 && (bestD <= 2 || bestD*3 <= max(len(w), len(best))) {
		return best
	}
	// A name cut short ("GUARANTEE" for GUARANTEE_ENCRYPTION) is far by edits but plain to see.
	if len(w) >= 4 {
		lw := strings.ToLower(w)
		for _, v := range sorted {
			if strings.HasPrefix(strings.ToLower(v), lw) {
				return v
			}
		}
	}
	return ""
}

// didYouMean formats a suggestion as the tail of a message: "; did you mean X?".
func didYouMean(w string, vocab []string) string {
	if s := Suggest(w, vocab); s != "" {
		return "; did you mean " + s + "?"
	}
	return ""
}

// didYouMeanGroups prefers a name of the position's own groups, then any constant.
func didYouMeanGroups(w string, groups ...group) string {
	if s := Suggest(w, constantNames(groups...)); s != "" {
		return "; did you mean " + s + "?"
	}
	return didYouMean(w, constantNames())
}
