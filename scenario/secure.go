package scenario

import (
	"encoding/binary"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sockaddr"
)

// The secure-socket calls besides WSASetSocketSecurity, and WSAIoctl. Their structures are
// described with keys, as WSASetSocketSecurity's are, and WSAIoctl takes the keys of the
// function its control code stands behind.

// Keys of a SOCKET_SECURITY_QUERY_TEMPLATE; any of them makes the template present.
var templateKeys = []string{"protocol", "peer", "access", "ipsec2flags", "fieldmask", "family"}

// Keys of a SOCKET_PEER_TARGET_NAME.
var peerNameKeys = []string{"name", "protocol", "peer", "namelen", "family"}

var (
	queryFlagVocabulary = flagVocabulary(policy.QueryIPsec2Flags(policy.QueryIPsec2FlagsMask).String(), "SOCKET_QUERY_IPSEC2_")
	fieldMaskVocabulary = flagVocabulary(policy.FieldMaskAll.String(), "SOCKET_QUERY_IPSEC2_FIELD_MASK_")
)

// secureCalls are the language's entries for these functions, in documentation order; init in
// calls.go puts them after WSASetSocketSecurity.
func secureCalls() []*callSpec {
	return []*callSpec{
		{name: "WSAQuerySocketSecurity",
			synopsis: "WSAQuerySocketSecurity S [protocol=P] [peer=ADDR] [access=MASK] [ipsec2flags=F] [fieldmask=F] [family=N] [template=NULL] [len=N] [infolen=N|NULL] [info=NULL] [ov=NAME|NULL] [event=E|NULL] [routine=R]",
			keys:     append(append([]string(nil), templateKeys...), "template", "len", "infolen", "info", "ov", "event", "routine"),
			checks:   []string{"flags", "protocol", "infolen", "machinetoken", "apptoken", "mmsa", "qmsa", "negerr"}, failChecks: []string{"infolen"}, compile: compileQuerySecurity},
		{name: "WSASetSocketPeerTargetName",
			synopsis: `WSASetSocketPeerTargetName S name="SPN"|NULL [protocol=P] [peer=ADDR] [namelen=N] [family=N] [len=N] [ov=NAME|NULL] [event=E|NULL] [routine=R]`,
			keys:     append(append([]string(nil), peerNameKeys...), "len", "ov", "event", "routine"), compile: compileSetPeerTargetName},
		{name: "WSADeleteSocketPeerTargetName", synopsis: "WSADeleteSocketPeerTargetName S ADDR|NULL|AF_UNSPEC [len=N] [ov=NAME|NULL] [event=E|NULL] [routine=R]",
			keys: []string{"len", "ov", "event", "routine"}, compile: compilePeerAddrCall},
		{name: "WSAImpersonateSocketPeer", synopsis: "WSAImpersonateSocketPeer S [ADDR|NULL|AF_UNSPEC] [len=N]",
			keys: []string{"len"}, compile: compilePeerAddrCall},
		{name: "WSARevertImpersonation", synopsis: "WSARevertImpersonation", compile: func(r *reader) action {
			return func(x *execCtx) outcome { return outcome{err: x.api.WSARevertImpersonation()} }
		}},
		{name: "WSAIoctl",
			synopsis: "WSAIoctl S CODE [ADDR|NULL for SIO_DELETE_PEER_TARGET_NAME] [the input keys of the code's function] [usage=N] [in=NULL] [len=N] [outlen=N] [out=NULL] [bytes=NULL] [ov=NAME|NULL] [event=E|NULL] [routine=R]",
			keys:     ioctlKeys(), checks: []string{"bytes", "flags", "protocol"}, failChecks: []string{"bytes"}, compile: compileIoctl},
	}
}

// ioctlKeys is every key WSAIoctl accepts with some code, sorted.
func ioctlKeys() []string {
	set := map[string]bool{"usage": true, "in": true, "len": true, "outlen": true, "out": true, "bytes": true, "ov": true, "event": true, "routine": true}
	for _, k := range append(append(append([]string(nil), structureSettingKeys...), templateKeys...), peerNameKeys...) {
		set[k] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// familyOverride reads family=N, which replaces the sa_family of a structure's PeerAddress so
// that a scenario can pass a family no address has.
func (r *reader) familyOverride() (uint16, bool) {
	a := r.key("family")
	if a == nil {
		return 0, false
	}
	v := r.intOf(a, "family", gFamily)
	if v > 0xffff {
		r.errAt(valueStart(a), "family=%s does not fit in 16 bits", a.Value)
	}
	return uint16(v), true
}

func (r *reader) protocolKey() (policy.Protocol, bool) {
	a := r.key("protocol")
	if a == nil {
		return 0, false
	}
	p, err := policy.ParseProtocol(a.Value)
	if err != nil {
		r.errAt(valueStart(a), "unknown protocol %q (DEFAULT, IPSEC, IPSEC2, INVALID or a number)%s", a.Value, didYouMean(a.Value, protocolVocabulary))
	}
	return p, true
}

func (r *reader) peerKey() sockaddr.Addr {
	a := r.key("peer")
	if a == nil {
		return sockaddr.Addr{}
	}
	sa, err := parseSockaddr(a.Value)
	if err != "" {
		r.errAt(valueStart(a), "peer=: %s", err)
	}
	return sa
}

// templateArg is a SecurityQueryTemplate: absent (NULL), or a structure.
type templateArg struct {
	given  bool
	q      policy.QueryTemplate
	family uint16
	setFam bool
}

func (t templateArg) encode() []byte {
	if !t.given {
		return nil
	}
	b := t.q.Encode()
	if t.setFam {
		binary.LittleEndian.PutUint16(b[8:], t.family)
	}
	return b
}

// infoSize is the output size the template asks for: 64 bytes for the IPSEC2 form, else 24.
func (t templateArg) infoSize() int { return t.q.Protocol.QueryInfoSize() }

// queryTemplate reads the template keys; first is the leftmost, nil when there are none.
func (r *reader) queryTemplate() (templateArg, *Arg) {
	var first *Arg
	for _, k := range templateKeys {
		if a := r.key(k); a != nil && (first == nil || a.Pos.Col < first.Pos.Col) {
			first = a
		}
	}
	var t templateArg
	if first == nil {
		return t, nil
	}
	t.given = true
	p, protoGiven := r.protocolKey()
	t.q.Protocol = p
	t.q.PeerAddress = r.peerKey()
	if a := r.key("access"); a != nil {
		t.q.PeerTokenAccessMask = r.intOf(a, "access")
	}
	if a := r.key("ipsec2flags"); a != nil {
		t.q.IPsec2 = true
		t.q.Flags = policy.QueryIPsec2Flags(r.flags(a, "IPSEC2 query", func(p string) (uint32, bool) {
			v, err := policy.ParseQueryIPsec2Flags(p)
			return uint32(v), err == nil
		}, queryFlagVocabulary))
	}
	if a := r.key("fieldmask"); a != nil {
		t.q.IPsec2 = true
		t.q.FieldMask = policy.FieldMask(r.flags(a, "field mask", func(p string) (uint32, bool) {
			v, err := policy.ParseFieldMask(p)
			return uint32(v), err == nil
		}, fieldMaskVocabulary))
	}
	// As with the settings: IPSEC2 reads the 152-byte form, and the IPSEC2 keys imply it.
	switch {
	case protoGiven && p == policy.ProtocolIPsec2:
		t.q.IPsec2 = true
	case !protoGiven && t.q.IPsec2:
		t.q.Protocol = policy.ProtocolIPsec2
	}
	t.family, t.setFam = r.familyOverride()
	return t, first
}

// ptnArg is a SOCKET_PEER_TARGET_NAME: NULL, or a structure.
type ptnArg struct {
	null       bool
	p          policy.PeerTargetName
	family     uint16
	setFam     bool
	strLen     uint32
	setStrLen  bool
	structKeys *Arg // the first structure key, for messages
}

func (a ptnArg) encode() []byte {
	if a.null {
		return nil
	}
	b := a.p.Encode()
	if a.setFam {
		binary.LittleEndian.PutUint16(b[8:], a.family)
	}
	if a.setStrLen {
		binary.LittleEndian.PutUint32(b[136:], a.strLen)
	}
	return b
}

// peerTargetName reads name= (NULL for a NULL pointer) and the structure keys.
func (r *reader) peerTargetName(nullElsewhere bool) ptnArg {
	var out ptnArg
	var first *Arg
	for _, k := range []string{"protocol", "peer", "namelen", "family"} {
		if a := r.key(k); a != nil && (first == nil || a.Pos.Col < first.Pos.Col) {
			first = a
		}
	}
	a := r.key("name")
	switch {
	case a == nil && nullElsewhere:
		out.null = true
		if first != nil {
			r.errAt(first.Pos, "in=NULL passes no structure: %s= has nowhere to go", first.Key)
		}
		return out
	case a == nil:
		r.errAt(r.st.CallPos, `%s: missing name= (name="host/server.corp", or name=NULL for a NULL pointer)`, r.spec.name)
		return out
	case isNULL(a):
		out.null = true
		if first != nil {
			r.errAt(first.Pos, "name=NULL passes no structure: %s= has nowhere to go", first.Key)
		}
		return out
	}
	out.p.Name = a.Value
	out.p.Protocol, _ = r.protocolKey()
	out.p.PeerAddress = r.peerKey()
	if k := r.key("namelen"); k != nil {
		out.strLen, out.setStrLen = r.intOf(k, "namelen"), true
	}
	out.family, out.setFam = r.familyOverride()
	return out
}

func compileQuerySecurity(r *reader) action {
	s := r.socket()
	templateNull := r.nullOnly("template")
	tmpl, first := r.queryTemplate()
	n := r.length("len", false)
	infoLen := r.length("infolen", true)
	infoNull := r.nullOnly("info")
	ov := r.overlapped(false)
	switch {
	case templateNull && first != nil:
		r.errAt(first.Pos, "template=NULL passes no structure: %s= has nowhere to go", first.Key)
	case first == nil && !templateNull && n.set:
		r.errAt(r.key("len").Pos, "len= needs a template (protocol=…, peer=…) or template=NULL for a NULL pointer with a length")
	}
	return func(x *execCtx) outcome {
		h := s.resolve(x.env)
		t := tmpl.encode()
		need := tmpl.infoSize()
		var info []byte
		if !infoNull {
			info = make([]byte, outSize(need, infoLen))
		}
		var lp *uint32
		if !infoLen.null {
			v := uint32(infoLen.or(need))
			lp = &v
		}
		ovp, cr := ov.resolve(x, h)
		err := x.api.WSAQuerySocketSecurity(h, t, uint32(n.or(len(t))), info, lp, ovp, cr)
		o := outcome{err: err}
		if lp != nil {
			o.set("infolen", strconv.FormatUint(uint64(*lp), 10))
			if err == nil && info != nil {
				if q, ok := setInfoValues(&o, info, *lp); ok {
					x.env.machineToken, x.env.appToken = q.PeerMachineAccessTokenHandle, q.PeerApplicationAccessTokenHandle
				}
			}
		}
		return o
	}
}

// setInfoValues reports the SOCKET_SECURITY_QUERY_INFO a call wrote into info[:n].
func setInfoValues(o *outcome, info []byte, n uint32) (policy.QueryInfo, bool) {
	if int64(n) > int64(len(info)) {
		return policy.QueryInfo{}, false
	}
	q, bad := policy.DecodeQueryInfo(info[:n])
	if bad != 0 {
		return q, false
	}
	o.set("flags", strconv.FormatUint(uint64(q.Flags), 10))
	o.set("protocol", strings.TrimPrefix(q.Protocol.String(), "SOCKET_SECURITY_PROTOCOL_"))
	o.set("machinetoken", yesNo(q.PeerMachineAccessTokenHandle != 0))
	o.set("apptoken", yesNo(q.PeerApplicationAccessTokenHandle != 0))
	if q.IPsec2 {
		o.set("mmsa", strconv.FormatUint(q.MmSaID, 10))
		o.set("qmsa", strconv.FormatUint(q.QmSaID, 10))
		o.set("negerr", strconv.FormatUint(uint64(q.NegotiationWinerr), 10))
	}
	return q, true
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func compileSetPeerTargetName(r *reader) action {
	s := r.socket()
	p := r.peerTargetName(false)
	n := r.length("len", false)
	ov := r.overlapped(false)
	return func(x *execCtx) outcome {
		h := s.resolve(x.env)
		b := p.encode()
		l := n.or(len(b))
		o, cr := ov.resolve(x, h)
		return outcome{err: x.api.WSASetSocketPeerTargetName(h, b, uint32(l), o, cr)}
	}
}

// compilePeerAddrCall handles WSADeleteSocketPeerTargetName and WSAImpersonateSocketPeer: a
// socket, a sockaddr and its length (Impersonate's address may be left out: NULL, length 0).
func compilePeerAddrCall(r *reader) action {
	s := r.socket()
	fn := r.spec.name
	var addr addrArg
	if fn == "WSAImpersonateSocketPeer" && r.next >= len(r.pos) {
		addr.null = true
	} else {
		addr = r.addr("ADDR")
	}
	n := r.length("len", false)
	ov := r.overlapped(false)
	return func(x *execCtx) outcome {
		h := s.resolve(x.env)
		var b []byte
		if !addr.null {
			b = addr.clone()
		}
		l := uint32(n.or(len(b)))
		if fn == "WSAImpersonateSocketPeer" {
			return outcome{err: x.api.WSAImpersonateSocketPeer(h, b, l)}
		}
		o, cr := ov.resolve(x, h)
		return outcome{err: x.api.WSADeleteSocketPeerTargetName(h, b, l, o, cr)}
	}
}

// ioctlCallKeys are the keys WSAIoctl takes whatever its code: its buffers, lengths and
// overlapped arguments. A code's own input keys are in ioctlInputKeys.
var ioctlCallKeys = map[string]bool{"in": true, "len": true, "outlen": true, "out": true, "bytes": true, "ov": true, "event": true, "routine": true}

// ioctlInputKeys are the input keys each modelled code takes, besides in=NULL and len=.
var ioctlInputKeys = map[uint32][]string{
	sim.SIO_SET_SECURITY:              structureSettingKeys,
	sim.SIO_QUERY_SECURITY:            templateKeys,
	sim.SIO_SET_PEER_TARGET_NAME:      peerNameKeys,
	sim.SIO_DELETE_PEER_TARGET_NAME:   nil,
	sim.SIO_SOCKET_USAGE_NOTIFICATION: {"usage"},
}

func compileIoctl(r *reader) action {
	s := r.socket()
	var code uint32
	known := false
	if a := r.positional("CODE", true); a != nil {
		code = r.intOf(a, "CODE", gIoctl)
		_, known = ioctlInputKeys[code]
	}
	// Keys that belong to another code's input are mistakes, not arguments to pass.
	for _, i := range r.keys {
		if a, k := &r.st.Args[i], r.st.Args[i].Key; !ioctlCallKeys[k] && !slices.Contains(ioctlInputKeys[code], k) {
			what := policy.IoctlCode(code).String()
			if !known {
				what = "a code wsssim does not model (" + what + ")"
			}
			r.errAt(a.Pos, "WSAIoctl with %s takes no key %s", what, k)
		}
	}
	inNull := r.nullOnly("in")
	n := r.length("len", false)
	outLen := r.length("outlen", false)
	outNull := r.nullOnly("out")
	bytesNull := r.nullOnly("bytes")
	ov := r.overlapped(false)

	// build returns the input buffer when the line runs.
	var build func() []byte
	defOut := 0
	switch code {
	case sim.SIO_SET_SECURITY:
		st, first := r.settingsStruct()
		if inNull && first != nil {
			r.errAt(first.Pos, "in=NULL passes no structure: %s= has nowhere to go", first.Key)
		}
		if first != nil {
			build = st.encode
		}
	case sim.SIO_QUERY_SECURITY:
		tmpl, first := r.queryTemplate()
		if inNull && first != nil {
			r.errAt(first.Pos, "in=NULL passes no structure: %s= has nowhere to go", first.Key)
		}
		build = tmpl.encode
		defOut = tmpl.infoSize()
	case sim.SIO_SET_PEER_TARGET_NAME:
		p := r.peerTargetName(inNull)
		build = p.encode
	case sim.SIO_DELETE_PEER_TARGET_NAME:
		addr := r.addr("ADDR")
		if !addr.null && inNull {
			r.errAt(r.key("in").Pos, "in=NULL and an address: pass NULL as the address instead")
		}
		if !addr.null {
			build = func() []byte { return addr.clone() }
		}
	case sim.SIO_SOCKET_USAGE_NOTIFICATION:
		usage := uint32(policy.SystemCriticalSocket)
		if a := r.key("usage"); a != nil {
			if inNull {
				r.errAt(a.Pos, "in=NULL passes no SOCKET_USAGE_TYPE: usage= has nowhere to go")
			}
			usage = r.intOf(a, "usage")
		}
		build = func() []byte { return binary.LittleEndian.AppendUint32(nil, usage) }
	}
	if inNull {
		build = nil
	}
	query := code == sim.SIO_QUERY_SECURITY
	return func(x *execCtx) outcome {
		h := s.resolve(x.env)
		var in []byte
		if build != nil {
			in = build()
		}
		var out []byte
		switch {
		case outNull:
		case query || outLen.set:
			out = make([]byte, outSize(defOut, outLen))
		}
		var bp *uint32
		if !bytesNull {
			bp = new(uint32)
		}
		o, cr := ov.resolve(x, h)
		ol := uint32(outLen.or(defOut))
		err := x.api.WSAIoctl(h, code, in, uint32(n.or(len(in))), out, ol, bp, o, cr)
		if code == sim.SIO_SET_SECURITY && o == nil {
			clear(in) // a password's bytes
		}
		res := outcome{err: err}
		if bp != nil && (err == nil || query) {
			res.set("bytes", strconv.FormatUint(uint64(*bp), 10))
		}
		if err == nil && query && bp != nil && out != nil {
			setInfoValues(&res, out, *bp)
		}
		return res
	}
}
