package sim

import (
	"encoding/binary"
	"fmt"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
)

// The WSAIoctl control codes wsssim models: the four behind the secure-socket wrappers (spec
// §2.2), and SIO_SOCKET_USAGE_NOTIFICATION, the fifth code of their header block.
const (
	SIO_SET_SECURITY              = uint32(policy.SIO_SET_SECURITY)
	SIO_QUERY_SECURITY            = uint32(policy.SIO_QUERY_SECURITY)
	SIO_SET_PEER_TARGET_NAME      = uint32(policy.SIO_SET_PEER_TARGET_NAME)
	SIO_DELETE_PEER_TARGET_NAME   = uint32(policy.SIO_DELETE_PEER_TARGET_NAME)
	SIO_SOCKET_USAGE_NOTIFICATION = uint32(policy.SIO_SOCKET_USAGE_NOTIFICATION)
)

// WSAIoctl's own rules, checked before those of the function its control code runs.
var (
	ruleIoctlBytesNull = rule("IOCTL-BYTES-NULL", "WSAIoctl", errors.WSAEFAULT,
		"lpcbBytesReturned is NULL on a call that is not overlapped (lpOverlapped NULL, or a socket without the overlapped attribute), which must report the byte count there",
		"doc: WSAIoctl — WSAEFAULT: lpcbBytesReturned is not totally contained in a valid part of the user address space; with lpOverlapped NULL the socket is treated as non-overlapped [D14]",
		func(c *call) bool { return c.sec.bytesNull && (c.ov == nil || !c.s.has(bitOverlapped)) })
	ruleIoctlFault = rule("IOCTL-FAULT", "WSAIoctl", errors.WSAEFAULT,
		"cbInBuffer is larger than the buffer lpvInBuffer points to, or cbOutBuffer larger than the buffer lpvOutBuffer points to",
		"doc: WSAIoctl — WSAEFAULT: lpvInBuffer or lpvOutBuffer is not totally contained in a valid part of the user address space [D14]",
		func(c *call) bool {
			return (!c.null && c.n > int64(len(c.buf))) || (!c.sec.outNull && c.sec.outN > int64(len(c.sec.out)))
		})
	ruleIoctlCode = rule("IOCTL-CODE", "WSAIoctl", errors.WSAEOPNOTSUPP,
		"dwIoControlCode is not a code wsssim models. It models SIO_SET_SECURITY, SIO_QUERY_SECURITY, SIO_SET_PEER_TARGET_NAME, SIO_DELETE_PEER_TARGET_NAME (which run exactly the checks and effects of the functions they stand behind) and SIO_SOCKET_USAGE_NOTIFICATION; Windows knows many more (FIONBIO, SIO_GET_EXTENSION_FUNCTION_POINTER …), which the simulator refuses only because it does not model them",
		"Wine sock.c test_unsupported_ioctls: an unknown code fails with WSAEOPNOTSUPP on Windows; doc: WSAIoctl — WSAEOPNOTSUPP: the specified IOCTL command cannot be realized [D14] [wsssim models the secure-socket codes only]",
		func(c *call) bool { return ioctlOps[c.sec.code] == nil })
	ruleUsageIn = rule("IOCTL-USAGE-IN", "WSAIoctl", errors.WSAEFAULT,
		"SIO_SOCKET_USAGE_NOTIFICATION: lpvInBuffer is NULL or cbInBuffer is less than 4, the size of a SOCKET_USAGE_TYPE",
		"doc: WSAIoctl — WSAEFAULT: cbInBuffer is too small [D14]; the input is presumably a SOCKET_USAGE_TYPE (spec §2.3, UNCONFIRMED)",
		func(c *call) bool { return c.null || c.n < 4 })
	ruleUsageType = rule("IOCTL-USAGE-TYPE", "WSAIoctl", errors.WSAEINVAL,
		"SIO_SOCKET_USAGE_NOTIFICATION: the SOCKET_USAGE_TYPE is not SYSTEM_CRITICAL_SOCKET (1), the type's only value",
		"doc: WSAIoctl — WSAEINVAL: the input parameters are not acceptable [D14]; SOCKET_USAGE_TYPE has the one value [D13] [INFER]",
		func(c *call) bool {
			return len(c.buf) >= 4 && binary.LittleEndian.Uint32(c.buf[:4]) != policy.SystemCriticalSocket
		})
)

// ioctlOp is what a control code runs: the function it stands behind (for traces and the rule
// table), that function's checks after the shared ones, and its effect.
type ioctlOp struct {
	fn     string
	checks []*Rule
	effect func(*call) error
}

var ioctlOps = map[uint32]*ioctlOp{}

// ioctlChains holds, per code, the whole chain a WSAIoctl call runs.
var ioctlChains = map[uint32][]*Rule{}

var ioctlOwn = []*Rule{ruleNotInitialised, ruleNotSocket, ruleIoctlBytesNull, ruleIoctlFault, ruleIoctlCode}

func init() {
	// A code runs its function's chain without the rules WSAIoctl has already checked.
	after := func(rules []*Rule) []*Rule {
		var out []*Rule
		for _, r := range rules {
			if r != ruleNotInitialised && r != ruleNotSocket {
				out = append(out, r)
			}
		}
		return out
	}
	ops := []struct {
		code uint32
		op   *ioctlOp
	}{
		{SIO_SET_SECURITY, &ioctlOp{"WSASetSocketSecurity", after(chainSetSecurity), setSecurityEffect}},
		{SIO_QUERY_SECURITY, &ioctlOp{"WSAQuerySocketSecurity", after(chainQuerySecurity), querySecurityEffect}},
		{SIO_SET_PEER_TARGET_NAME, &ioctlOp{"WSASetSocketPeerTargetName", after(chainSetPeerTargetName), setPeerTargetNameEffect}},
		{SIO_DELETE_PEER_TARGET_NAME, &ioctlOp{"WSADeleteSocketPeerTargetName", after(chainDeletePeerTargetName), deletePeerTargetNameEffect}},
		{SIO_SOCKET_USAGE_NOTIFICATION, &ioctlOp{"", []*Rule{ruleUsageIn, ruleUsageType}, usageEffect}},
	}
	// The rule table lists WSAIoctl's own checks, then each code's in turn (once each): every
	// rule a WSAIoctl call can fail with. A call runs its own checks, then its code's.
	listed := append([]*Rule(nil), ioctlOwn...)
	seen := map[*Rule]bool{}
	for _, r := range listed {
		seen[r] = true
	}
	for _, o := range ops {
		ioctlOps[o.code] = o.op
		ioctlChains[o.code] = append(append([]*Rule(nil), ioctlOwn...), o.op.checks...)
		for _, r := range o.op.checks {
			if !seen[r] {
				seen[r] = true
				listed = append(listed, r)
			}
		}
	}
	chain("WSAIoctl", listed...)
}

// WSAIoctl is WSAIoctl(s, code, in, inLen, out, outLen, bytesReturned, ov, NULL) for the codes
// wsssim models (IOCTL-CODE lists them). in and out nil are NULL pointers; inLen and outLen are
// cbInBuffer and cbOutBuffer as passed; bytesReturned nil is a NULL lpcbBytesReturned.
//
// SIO_SET_SECURITY, SIO_QUERY_SECURITY, SIO_SET_PEER_TARGET_NAME and
// SIO_DELETE_PEER_TARGET_NAME run the very checks and effects of WSASetSocketSecurity,
// WSAQuerySocketSecurity, WSASetSocketPeerTargetName and WSADeleteSocketPeerTargetName, with
// the buffers mapped as spec §2.3 says: the input buffer is the function's structure or
// address, and for SIO_QUERY_SECURITY the output buffer is SecurityQueryInfo and cbOutBuffer
// *SecurityQueryInfoLen, so *bytesReturned receives the bytes written (or, when the output is
// too small, the size required). The other codes return 0 bytes. On an overlapped socket a
// non-nil ov completes at once (ruling R7), through routine when it is not nil.
func (t *Thread) WSAIoctl(h Handle, code uint32, in []byte, inLen uint32, out []byte, outLen uint32, bytesReturned *uint32, ov *Overlapped, routine CompletionRoutine) error {
	c := t.beginSecure("WSAIoctl")
	defer t.end(c)
	c.lookup(h)
	c.ov, c.routine = ov, routine
	c.sec.ioctl, c.sec.code, c.sec.bytesNull = true, code, bytesReturned == nil
	outN := outLen
	switch code {
	case SIO_QUERY_SECURITY:
		c.setQuery(in, inLen, out, &outN)
	case SIO_SET_PEER_TARGET_NAME:
		c.setPeerTargetName(in, inLen)
	case SIO_DELETE_PEER_TARGET_NAME:
		c.setDeletePeerTargetName(in, inLen)
	default: // SIO_SET_SECURITY, SIO_SOCKET_USAGE_NOTIFICATION, and codes not modelled
		c.setBuf(in, int64(inLen))
		c.addrErr = errors.WSAEFAULT
	}
	if code != SIO_QUERY_SECURITY {
		c.sec.out, c.sec.outNull, c.sec.outN = out, out == nil, int64(outLen)
	}
	rules, effect := ioctlChains[code], (func(*call) error)(nil)
	if op := ioctlOps[code]; op != nil {
		effect = op.effect
	} else {
		rules = ioctlOwn
	}
	err := t.run(c, rules, effect)
	if bytesReturned != nil && (err == nil || (code == SIO_QUERY_SECURITY && isRuleErr(err, ruleQueryInfoSmall, ruleQueryInfoSmallNull))) {
		*bytesReturned = 0
		if code == SIO_QUERY_SECURITY {
			*bytesReturned = outN
		}
	}
	return err
}

func isRuleErr(err error, rules ...*Rule) bool {
	for _, r := range rules {
		if err == r.err {
			return true
		}
	}
	return false
}

// usageEffect accepts the notification; the simulator has no use for it.
func usageEffect(c *call) error {
	completeAtOnce(c, 0)
	return nil
}

// describeIoctl formats WSAIoctl's arguments: the code by name, then the input as the function
// behind the code prints it, then the output buffer and its length.
func (c *call) describeIoctl() string {
	code := policy.IoctlCode(c.sec.code).String()
	var in string
	switch c.sec.code {
	case SIO_QUERY_SECURITY:
		in = c.templateText()
	case SIO_SET_PEER_TARGET_NAME:
		in = c.ptnText()
	case SIO_DELETE_PEER_TARGET_NAME:
		in = c.addrText()
	case SIO_SET_SECURITY:
		in = c.settingsText()
	default:
		in = "NULL"
		if !c.null {
			in = fmt.Sprintf("<%d bytes>", len(c.buf))
		}
	}
	out := "NULL"
	if !c.sec.outNull {
		out = fmt.Sprintf("<%d bytes>", len(c.sec.out))
	}
	bytes := "&n"
	if c.sec.bytesNull {
		bytes = "NULL"
	}
	return fmt.Sprintf("%v, %s, %s, %d, %s, %d, %s", c.h, code, in, c.n, out, c.sec.outN, bytes)
}

// settingsText prints a SecuritySettings buffer as WSASetSocketSecurity's trace does.
func (c *call) settingsText() string {
	if c.null {
		return "NULL"
	}
	if c.n >= 0 && c.n <= int64(len(c.buf)) {
		if st, ok := settingsText(c.buf[:c.n]); ok {
			return st
		}
	}
	return fmt.Sprintf("<%d bytes>", len(c.buf))
}
