package sim

import (
	"fmt"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sockaddr"
)

// The secure-socket functions besides WSASetSocketSecurity (security.go): WSAQuerySocketSecurity
// (query.go), WSASetSocketPeerTargetName and WSADeleteSocketPeerTargetName (peername.go),
// WSAImpersonateSocketPeer and WSARevertImpersonation (impersonate.go), and the WSAIoctl codes
// behind four of them (ioctl.go). Each named function and its WSAIoctl code run the same chain
// and the same effect: one implementation, two doors.
//
// The current model negotiates no IPsec: settings are recorded, names are kept per socket, but
// no connection is ever secured. WSAQuerySocketSecurity therefore reports Flags 0 and no token
// handles, and WSAImpersonateSocketPeer always ends with IMPERSONATE-NOT-SECURED.

// secureSocketFunctions is the Func of the rules every secure-socket function that takes a
// socket shares (SEC-FAMILY-TYPE).
const secureSocketFunctions = "secure-socket functions"

// secArgs holds the arguments of the secure-socket functions that the common call record has no
// place for. The generic fields hold the rest: buf/null/n the input structure or address (the
// query template, SOCKET_PEER_TARGET_NAME, PeerAddr), addr/addrErr the peer address it names,
// ov the OVERLAPPED.
type secArgs struct {
	// The output buffer and its in/out length: SecurityQueryInfo and SecurityQueryInfoLen, or
	// SIO_QUERY_SECURITY's lpvOutBuffer and cbOutBuffer.
	out     []byte
	outNull bool
	outLen  *uint32 // nil is a NULL SecurityQueryInfoLen
	outN    int64   // *outLen when the call was made

	// present: a query template was passed (non-NULL with a non-zero length); tmplOK: it
	// passed policy.QueryTemplateChecks and tmpl holds it.
	present bool
	tmplOK  bool
	tmpl    policy.QueryTemplate
	ptnOK   bool // the SOCKET_PEER_TARGET_NAME passed policy.PeerTargetNameChecks
	ptn     policy.PeerTargetName
	info    policy.QueryInfo // what a successful query wrote
	written int              // bytes a successful call wrote to its output

	// WSAIoctl
	code      uint32
	ioctl     bool // the call came through WSAIoctl
	bytesNull bool // lpcbBytesReturned is NULL
}

// completeAtOnce reports a synchronous completion through the OVERLAPPED, as the secure-socket
// functions do on an overlapped socket (ruling R7): the OVERLAPPED holds the result, and the
// call's completion routine is queued to the calling thread, or else the OVERLAPPED's event is
// signalled. A non-overlapped socket ignores both, as does a call without an OVERLAPPED (a
// routine reports through one).
func completeAtOnce(c *call, bytes int) {
	if c.ov != nil && c.s.has(bitOverlapped) {
		c.ov.start(c.t, c.routine)
		c.ov.complete(nil, uint32(bytes))
	}
}

// peerAddrLenShort reports a (PeerAddr, PeerAddrLen) pair shorter than the sockaddr its family
// needs: 28 bytes for AF_INET6, 16 (a SOCKADDR) for AF_INET or any other family, and at least
// the two bytes of the family itself. It is false when the length is beyond the buffer: the
// FAULT rule before it reports that.
func peerAddrLenShort(c *call) bool {
	if c.null || c.n > int64(len(c.buf)) {
		return false
	}
	b := c.buf[:c.n]
	f, ok := sockaddr.FamilyOf(b)
	if !ok {
		return true
	}
	need := sockaddr.SizeofSockaddr
	if f == sockaddr.AF_INET6 {
		need = sockaddr.SizeofSockaddrInet6
	}
	return len(b) < need
}

// peerAddrFamilyWrong reports a PeerAddr whose family is not the socket's: the other IP family,
// or not an IP family at all (ruling R2).
func peerAddrFamilyWrong(c *call) bool {
	if c.null || c.n > int64(len(c.buf)) {
		return false
	}
	f, ok := sockaddr.FamilyOf(c.buf[:c.n])
	return ok && int32(f) != c.s.family
}

// decodePeerAddr decodes a PeerAddr argument into c.addr when it is readable and long enough.
func (c *call) decodePeerAddr() {
	if c.null || c.n > int64(len(c.buf)) {
		c.addrErr = errors.WSAEFAULT
		return
	}
	c.addr, c.addrErr = sockaddr.Decode(c.buf[:c.n])
}

// inStructFamilyWrong reports a structure's PeerAddress (already in c.addr) whose family is an
// IP family other than the socket's. An unset family (0) is not wrong here: the rules about a
// missing peer say what that means.
func inStructFamilyWrong(c *call) bool {
	return c.addr.Family != sockaddr.AF_UNSPEC && int32(c.addr.Family) != c.s.family
}

// describeSecure formats the arguments of the functions of this file group for traces; ok is
// false for other functions.
func (c *call) describeSecure() (string, bool) {
	switch c.fn {
	case "WSAQuerySocketSecurity":
		return fmt.Sprintf("%v, %s, %d, %s", c.h, c.templateText(), c.n, c.outText()), true
	case "WSASetSocketPeerTargetName":
		return fmt.Sprintf("%v, %s, %d", c.h, c.ptnText(), c.n), true
	case "WSADeleteSocketPeerTargetName", "WSAImpersonateSocketPeer":
		return fmt.Sprintf("%v, %s, %d", c.h, c.addrText(), c.n), true
	case "WSARevertImpersonation":
		return "", true
	case "WSAIoctl":
		return c.describeIoctl(), true
	}
	return "", false
}

func (c *call) templateText() string {
	switch {
	case c.null:
		return "NULL"
	case c.sec.tmplOK:
		q := c.sec.tmpl
		s := fmt.Sprintf("{%v peer=%v access=0x%x", q.Protocol, q.PeerAddress, q.PeerTokenAccessMask)
		if q.IPsec2 {
			s += fmt.Sprintf(" flags=%v fieldmask=%v", q.Flags, q.FieldMask)
		}
		return s + "}"
	}
	return fmt.Sprintf("<%d bytes>", len(c.buf))
}

func (c *call) outText() string {
	info := "NULL"
	if !c.sec.outNull {
		info = fmt.Sprintf("<%d bytes>", len(c.sec.out))
	}
	if c.sec.ioctl {
		return fmt.Sprintf("%s, %d", info, c.sec.outN)
	}
	if c.sec.outLen == nil {
		return info + ", NULL"
	}
	return fmt.Sprintf("%s, &%d", info, c.sec.outN)
}

func (c *call) ptnText() string {
	switch {
	case c.null:
		return "NULL"
	case c.sec.ptnOK:
		p := c.sec.ptn
		return fmt.Sprintf("{%v peer=%v name=%q}", p.Protocol, p.PeerAddress, p.Name)
	}
	return fmt.Sprintf("<%d bytes>", len(c.buf))
}

func (c *call) addrText() string {
	switch {
	case c.null:
		return "NULL"
	case c.addrErr == 0:
		return c.addr.String()
	}
	return fmt.Sprintf("<%d bytes>", len(c.buf))
}

// noteSecure is what a successful call of this group reports in a trace, or "".
func (c *call) noteSecure() string {
	if c.fn == "WSAQuerySocketSecurity" || (c.sec.ioctl && c.sec.code == SIO_QUERY_SECURITY) {
		return fmt.Sprintf("-> %d bytes, %v, Flags %v", c.sec.written, c.sec.info.Protocol, c.sec.info.Flags)
	}
	return ""
}
