package sim

import (
	"strconv"

	"github.com/wsssim/wsssim/policy"
)

// SDK names of the constants, for traces and the scenario language.

var familyNames = map[int32]string{AF_UNSPEC: "AF_UNSPEC", AF_UNIX: "AF_UNIX", AF_INET: "AF_INET", AF_INET6: "AF_INET6"}
var typeNames = map[int32]string{SOCK_STREAM: "SOCK_STREAM", SOCK_DGRAM: "SOCK_DGRAM", SOCK_RAW: "SOCK_RAW", SOCK_RDM: "SOCK_RDM", SOCK_SEQPACKET: "SOCK_SEQPACKET"}
var protoNames = map[int32]string{IPPROTO_IP: "0", IPPROTO_ICMP: "IPPROTO_ICMP", IPPROTO_TCP: "IPPROTO_TCP", IPPROTO_UDP: "IPPROTO_UDP", IPPROTO_IPV6: "IPPROTO_IPV6", IPPROTO_ICMPV6: "IPPROTO_ICMPV6", IPPROTO_RAW: "IPPROTO_RAW"}
var levelNames = map[int32]string{SOL_SOCKET: "SOL_SOCKET", IPPROTO_IPV6: "IPPROTO_IPV6", IPPROTO_TCP: "IPPROTO_TCP", IPPROTO_UDP: "IPPROTO_UDP", IPPROTO_IP: "IPPROTO_IP"}
var solNames = map[int32]string{SO_REUSEADDR: "SO_REUSEADDR", SO_EXCLUSIVEADDRUSE: "SO_EXCLUSIVEADDRUSE", SO_BROADCAST: "SO_BROADCAST", SO_ACCEPTCONN: "SO_ACCEPTCONN", SO_TYPE: "SO_TYPE", SO_ERROR: "SO_ERROR", SO_UPDATE_CONNECT_CONTEXT: "SO_UPDATE_CONNECT_CONTEXT"}

func nameOr(m map[int32]string, v int32) string {
	if s, ok := m[v]; ok {
		return s
	}
	return strconv.Itoa(int(v))
}

func familyName(v int32) string { return nameOr(familyNames, v) }
func typeName(v int32) string   { return nameOr(typeNames, v) }
func protoName(v int32) string  { return nameOr(protoNames, v) }
func levelName(v int32) string  { return nameOr(levelNames, v) }
func optName(level, opt int32) string {
	if level == SOL_SOCKET {
		return nameOr(solNames, opt)
	}
	if level == IPPROTO_IPV6 && opt == IPV6_V6ONLY {
		return "IPV6_V6ONLY"
	}
	return strconv.Itoa(int(opt))
}

// settingsText formats a SecuritySettings buffer for a trace (ok is false when it does not
// decode). Decoding copies the password into a Secret; it is wiped as soon as the line is
// written, so tracing leaves no copy of it behind.
func settingsText(b []byte) (text string, ok bool) {
	st, bad := policy.DecodeSettings(b)
	if bad != nil {
		return "", false
	}
	text = st.String()
	if st.IPsec != nil {
		st.IPsec.Password.Wipe()
	}
	return text, true
}
