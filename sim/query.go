package sim

import (
	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sockaddr"
)

// Rules of WSAQuerySocketSecurity, in ruling R1's order: pointers, the socket's family and type,
// its state, then the template (lengths, then content, the policy package's checks joining as
// rows of their own), and last the output buffer's size, which the template's protocol decides.
var (
	ruleQueryLenNull = rule("QUERYSEC-INFOLEN-NULL", "WSAQuerySocketSecurity", errors.WSAEFAULT,
		"SecurityQueryInfoLen is NULL",
		"doc: WSAQuerySocketSecurity — WSAEFAULT: the SecurityQueryInfoLen parameter is a NULL pointer [D2]; ruling R9",
		func(c *call) bool { return c.sec.outLen == nil })
	ruleQueryFault = rule("QUERYSEC-FAULT", "WSAQuerySocketSecurity", errors.WSAEFAULT,
		"SecurityQueryTemplateLen is larger than the buffer SecurityQueryTemplate points to, or *SecurityQueryInfoLen larger than the buffer SecurityQueryInfo points to",
		"WSAIoctl (which WSAQuerySocketSecurity wraps) — WSAEFAULT: lpvInBuffer or lpvOutBuffer is not totally contained in a valid part of the user address space [D14]",
		func(c *call) bool {
			return (!c.null && c.n > int64(len(c.buf))) || (!c.sec.outNull && c.sec.outN > int64(len(c.sec.out)))
		})
	ruleQueryNotConn = rule("QUERYSEC-NOTCONN", "WSAQuerySocketSecurity", errors.WSAENOTCONN,
		"a TCP socket that is not connected (no connection made by connect, WSAConnect or ConnectEx, nor accepted): there is no connection to report on",
		"ruling R8 (spec A14); doc: query a TCP client after connect/ConnectEx/WSAConnect returns, a server after accept/AcceptEx/WSAAccept [D2]",
		func(c *call) bool { return c.s.isStream() && c.s.state != StateConnected })
	ruleQueryNoTemplate = rule("QUERYSEC-NO-TEMPLATE", "WSAQuerySocketSecurity", errors.WSAEMSGSIZE,
		"the socket is not TCP (it is UDP) and SecurityQueryTemplate is NULL or SecurityQueryTemplateLen is 0: only TCP may leave the template out",
		"doc: WSAQuerySocketSecurity — the template may be NULL only for IPPROTO_TCP; WSAEMSGSIZE for a non-TCP socket whose SecurityQueryTemplateLen is smaller than the template [D2]; ruling R9",
		func(c *call) bool { return !c.s.isStream() && !c.sec.present })
	ruleQueryPeerFamily = rule("QUERYSEC-PEER-FAMILY", "WSAQuerySocketSecurity", errors.WSAEAFNOSUPPORT,
		"UDP: the template's PeerAddress is of the other IP family than the socket (TCP ignores PeerAddress)",
		"ruling R2 (spec A1): WSAEAFNOSUPPORT is for an address argument whose family differs from the socket's; doc lists WSAEAFNOSUPPORT [D2]",
		func(c *call) bool { return !c.s.isStream() && c.sec.tmplOK && inStructFamilyWrong(c) })
	ruleQueryPeerUnset = rule("QUERYSEC-PEER-UNSET", "WSAQuerySocketSecurity", errors.WSAEINVAL,
		"UDP: the template's PeerAddress lacks the peer's family, IP address or port (family 0, an unspecified address, or port 0)",
		"doc: for a socket that is not IPPROTO_TCP the template's PeerAddress must hold the peer's AF_INET/AF_INET6 address and port [D2], [D11]; code [INFER] as WSASetSocketPeerTargetName's documented WSAEINVAL for a zero peer (ruling R11)",
		func(c *call) bool {
			a := c.addr
			return !c.s.isStream() && c.sec.tmplOK && (a.Family == sockaddr.AF_UNSPEC || a.IsWildcard() || a.Port == 0)
		})

	// The output buffer's size is decided while the call runs, from the template's protocol;
	// either way the size required is written to *SecurityQueryInfoLen.
	ruleQueryInfoSmallNull = rule("QUERYSEC-INFO-SMALL-NULL-TEMPLATE", "WSAQuerySocketSecurity", errors.WSAEFAULT,
		"no template (a TCP socket, template NULL or of length 0) and SecurityQueryInfo is NULL or *SecurityQueryInfoLen is less than 24: *SecurityQueryInfoLen receives the size required, 24",
		"ruling R9 (spec A4): Microsoft's QueryTcpSocketSecurity sample probes the size with a NULL template and expects WSAEFAULT [W2]",
		nil)
	ruleQueryInfoSmall = rule("QUERYSEC-INFO-SMALL", "WSAQuerySocketSecurity", errors.WSAEMSGSIZE,
		"with a template, SecurityQueryInfo is NULL or *SecurityQueryInfoLen is less than the size required (24, or 64 for an IPSEC2 template): *SecurityQueryInfoLen receives that size",
		"ruling R9 (spec A4): NtApiDotNet and NtCoreLib probe with a template and expect WSAEMSGSIZE, then read the size [E1], [E2]; doc: WSAEMSGSIZE when SecurityQueryInfo is NULL [D2]",
		nil)
)

var chainQuerySecurity = chain("WSAQuerySocketSecurity", append(append([]*Rule{
	ruleNotInitialised, ruleNotSocket, ruleQueryLenNull, ruleQueryFault, ruleSecFamilyType,
	ruleQueryNotConn, ruleQueryNoTemplate},
	templateRules()...), ruleQueryPeerFamily, ruleQueryPeerUnset)...)

// templateRules turns the policy package's template checks into rules of this table: they run
// for a template that is present (non-NULL, non-zero length), over exactly its length.
func templateRules() []*Rule {
	out := make([]*Rule, 0, len(policy.QueryTemplateChecks))
	for i := range policy.QueryTemplateChecks {
		pc := &policy.QueryTemplateChecks[i]
		out = append(out, rule(pc.ID, "WSAQuerySocketSecurity", pc.Code, pc.Condition, pc.Source,
			func(c *call) bool { return c.sec.present && pc.Fails(c.buf[:c.n]) }))
	}
	return out
}

// setQuery records WSAQuerySocketSecurity's arguments (or SIO_QUERY_SECURITY's, mapped by
// WSAIoctl): the template and its length, the output buffer and its length pointer.
func (c *call) setQuery(template []byte, templateLen uint32, info []byte, infoLen *uint32) {
	c.setBuf(template, int64(templateLen))
	c.sec.out, c.sec.outNull, c.sec.outLen = info, info == nil, infoLen
	if infoLen != nil {
		c.sec.outN = int64(*infoLen)
	}
	// "Present" is a template Windows reads: a NULL pointer, or a length of 0 (which the page
	// allows only for TCP), is no template.
	c.sec.present = !c.null && c.n > 0 && c.n <= int64(len(c.buf))
	if c.sec.present {
		if q, bad := policy.DecodeQueryTemplate(c.buf[:c.n]); bad == nil {
			c.sec.tmpl, c.sec.tmplOK = q, true
			c.addr = q.PeerAddress
		}
	}
	if !c.sec.tmplOK {
		c.addrErr = errors.WSAEFAULT // no address for traces to report
	}
}

// WSAQuerySocketSecurity asks what security protects a socket's connection (TCP) or its
// traffic with the peer the template names (UDP). template nil is a NULL pointer (allowed for
// TCP only), templateLen is SecurityQueryTemplateLen as passed; info nil is a NULL
// SecurityQueryInfo (a size probe), infoLen nil a NULL SecurityQueryInfoLen. On success
// SOCKET_SECURITY_QUERY_INFO (24 bytes; _IPSEC2, 64 bytes, for an IPSEC2 template) is written to
// info and *infoLen is set to its size; when info is too small the call fails and *infoLen
// receives the size required (ruling R9).
//
// The answer is what negotiation left on the connection (TCP) or with the template's peer (UDP):
// SOCKET_INFO_CONNECTION_SECURED when an IPsec SA protects it, _ENCRYPTED when its quick-mode
// proposal has a cipher, _IMPERSONATED on the responder when the initiator authenticated as a
// user; Flags 0 for traffic in the clear (nothing asked for IPsec, loopback, or ALLOW_INSECURE
// after a failure, whose IKE error the IPSEC2 form reports in NegotiationWinerr). With a
// template whose PeerTokenAccessMask is not 0, a secured connection also returns token handles
// for the peer's machine and, when it authenticated one, its user; CloseHandle closes them. The
// IPSEC2 form carries the main-mode and quick-mode SA ids. On an overlapped socket a non-nil ov
// completes at once with the bytes written (ruling R7), through routine when it is not
// nil.
func (t *Thread) WSAQuerySocketSecurity(h Handle, template []byte, templateLen uint32, info []byte, infoLen *uint32, ov *Overlapped, routine CompletionRoutine) error {
	c := t.beginSecure("WSAQuerySocketSecurity")
	defer t.end(c)
	c.lookup(h)
	c.setQuery(template, templateLen, info, infoLen)
	c.ov, c.routine = ov, routine
	return t.run(c, chainQuerySecurity, querySecurityEffect)
}

func querySecurityEffect(c *call) error {
	q := policy.QueryInfo{Protocol: policy.ProtocolDefault}
	if c.sec.tmplOK {
		q.Protocol, q.IPsec2 = c.sec.tmpl.Protocol, c.sec.tmpl.IPsec2
	}
	need := q.Size()
	if c.sec.outNull || c.sec.outN < int64(need) {
		*c.sec.outLen = uint32(need)
		if c.sec.present {
			return ruleQueryInfoSmall.err
		}
		return ruleQueryInfoSmallNull.err
	}
	conn, initiator := c.s.securityWith(c.addr)
	conn.info(&q, initiator)
	if conn != nil && conn.secured() && c.sec.tmplOK && c.sec.tmpl.PeerTokenAccessMask != 0 {
		// Each query hands out new handles, which the caller closes with CloseHandle.
		machine, user := conn.peerIdentity(initiator)
		q.PeerMachineAccessTokenHandle = c.app.tokens.open(machine)
		if user != nil {
			q.PeerApplicationAccessTokenHandle = c.app.tokens.open(*user)
		}
	}
	n := q.PutTo(c.sec.out[:c.sec.outN])
	*c.sec.outLen = uint32(n)
	c.sec.info, c.sec.written = q, n
	completeAtOnce(c, n)
	return nil
}
