package scenario

import (
	"encoding/binary"
	"sort"
	"strings"

	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sockaddr"
	"github.com/wsssim/wsssim/socket"
)

// callSpec describes one function of the language: its arguments (for messages and the
// documentation), the keys it accepts, the values "=> ok" may check, and how to compile a line.
type callSpec struct {
	name     string
	synopsis string
	keys     []string
	checks   []string
	// failChecks are the checks that also hold after a failed call: values the call returns
	// even when it fails ("=> WSAEMSGSIZE infolen=64").
	failChecks []string
	handle     bool // returns a SOCKET, so "VAR =" may bind it
	pseudo     bool // not a Winsock call
	compile    func(r *reader) action
}

// execCtx is what a compiled line runs against.
type execCtx struct {
	api   socket.API
	env   *appEnv
	world World
	// scratch backs the buffers of calls that are done with them when they return; the run
	// reuses it from line to line (see buf).
	scratch []byte
	// n is what a call's int32 length pointer points at (getsockopt's optlen, accept's
	// addrlen …), so that passing one does not allocate.
	n int32
	// ran lists the completion routines that ran during the line's call, in order: the routines
	// append themselves (see routine), and the waits report it as ran=.
	ran []string
	// forgetClosed is set on worlds that reuse handle values (handleValueReuser).
	forgetClosed bool
}

// closed notes that the handle h names has been closed: on a world that reuses handle values,
// the variable now names socket.NeverIssuedHandle.
func (x *execCtx) closed(h handleRef) {
	if x.forgetClosed && h.name != "" {
		x.env.vars[h.name] = socket.NeverIssuedHandle
	}
}

// buf returns n zeroed bytes (never nil, which would pass NULL) for an argument or result of
// the line's call, valid until the next line runs. Only calls that are done with their buffers
// when they return may use it: an overlapped call's buffers are its own.
func (x *execCtx) buf(n int) []byte {
	if x.scratch == nil || cap(x.scratch)-len(x.scratch) < n {
		x.scratch = make([]byte, 0, max(2*cap(x.scratch), n, 512)) // earlier slices keep the old array
	}
	end := len(x.scratch) + n
	b := x.scratch[len(x.scratch):end:end]
	x.scratch = x.scratch[:end]
	clear(b)
	return b
}

// appEnv is one application's scenario state: its handle variables (sockets and events),
// OVERLAPPEDs and completion routines.
type appEnv struct {
	vars     map[string]socket.Handle
	ovs      map[string]*socket.Overlapped
	sockOvs  map[socket.Handle]*socket.Overlapped
	routines map[string]socket.CompletionRoutine
	// socketVars are the variables naming sockets, kept only on worlds that reuse handle
	// values, where the last WSACleanup makes them all stale (see forgetSockets).
	socketVars map[string]bool
	// the token handles the application's last successful WSAQuerySocketSecurity returned,
	// for CloseHandle machinetoken / apptoken
	machineToken, appToken uint64
}

// newAppEnv makes an application's state. The OVERLAPPED maps are made on first use (see
// ovRef.resolve): most scripts never pass one.
func newAppEnv() *appEnv {
	return &appEnv{vars: map[string]socket.Handle{}}
}

// noteSocketVar records whether the variable just bound names a socket (or an event).
func (env *appEnv) noteSocketVar(name string, isSocket bool) {
	if !isSocket {
		delete(env.socketVars, name)
		return
	}
	if env.socketVars == nil {
		env.socketVars = map[string]bool{}
	}
	env.socketVars[name] = true
}

// forgetSockets rebinds every socket variable to socket.NeverIssuedHandle: the last
// WSACleanup closed them all, as closesocket would have (the WSACleanup page).
func (env *appEnv) forgetSockets() {
	for name := range env.socketVars {
		env.vars[name] = socket.NeverIssuedHandle
	}
	clear(env.socketVars)
}

// ipsecKeys make WSASetSocketSecurity's buffer a SOCKET_SECURITY_SETTINGS_IPSEC.
var ipsecKeys = []string{"ipsecflags", "mmpolicy", "qmpolicy", "user", "domain", "password"}

// callList is the language's functions in documentation order. It is filled in by init, since
// the compile functions reach back into the table (a variable may not be named after a call).
var callList []*callSpec

// callSpecs indexes callList by name.
var callSpecs = map[string]*callSpec{}

func init() {
	callList = []*callSpec{
		{name: "WSAStartup", synopsis: "WSAStartup [VERSION] [data=NULL]", keys: []string{"data"}, checks: []string{"version"}, compile: compileStartup},
		{name: "WSACleanup", synopsis: "WSACleanup", compile: func(r *reader) action {
			return func(x *execCtx) outcome {
				err := x.api.WSACleanup()
				if err == nil && x.forgetClosed {
					if w, ok := x.world.(handleValueReuser); ok && w.socketsClosed() {
						x.env.forgetSockets()
					}
				}
				return outcome{err: err}
			}
		}},
		{name: "socket", synopsis: "socket AF TYPE PROTO", handle: true, compile: compileSocket},
		{name: "WSASocket", synopsis: "WSASocket AF TYPE PROTO [FLAGS]", handle: true, compile: compileSocket},
		{name: "setsockopt", synopsis: "setsockopt S LEVEL OPT VALUE|NULL [len=N]", keys: []string{"len"}, compile: compileSetsockopt},
		{name: "getsockopt", synopsis: "getsockopt S LEVEL OPT [len=N|NULL] [optval=NULL]", keys: []string{"len", "optval"}, checks: []string{"value", "len"}, compile: compileGetsockopt},
		{name: "ioctlsocket", synopsis: "ioctlsocket S CMD ARG", compile: compileIoctlsocket},
		{name: "bind", synopsis: "bind S ADDR|NULL [len=N]", keys: []string{"len"}, compile: compileAddrCall},
		{name: "listen", synopsis: "listen S BACKLOG", compile: compileListen},
		{name: "connect", synopsis: "connect S ADDR|NULL|AF_UNSPEC [len=N]", keys: []string{"len"}, checks: []string{"reason"}, failChecks: []string{"reason"}, compile: compileAddrCall},
		{name: "WSAConnect", synopsis: "WSAConnect S ADDR|NULL|AF_UNSPEC [len=N]", keys: []string{"len"}, checks: []string{"reason"}, failChecks: []string{"reason"}, compile: compileAddrCall},
		{name: "ConnectEx", synopsis: "ConnectEx S ADDR|NULL [len=N] [ov=NAME|NULL] [event=E|NULL]", keys: []string{"len", "ov", "event"}, compile: compileAddrCall},
		{name: "WSAGetOverlappedResult", synopsis: "WSAGetOverlappedResult S [OV|NULL] [wait=0|1]", keys: []string{"wait"}, checks: []string{"bytes", "reason"}, failChecks: []string{"reason"}, compile: compileGetOverlapped},
		{name: "accept", synopsis: "accept S [len=N|NULL] [addr=NULL]", keys: []string{"len", "addr"}, checks: []string{"peer", "len"}, handle: true, compile: compileAccept},
		{name: "sendto", synopsis: `sendto S ADDR|NULL|AF_UNSPEC [data="text"|NULL] [len=N] [flags=N]`, keys: []string{"data", "len", "flags"}, checks: []string{"bytes"}, compile: compileSendto},
		{name: "getsockname", synopsis: "getsockname S [len=N|NULL] [name=NULL]", keys: []string{"len", "name"}, checks: []string{"addr", "len"}, compile: compileName},
		{name: "getpeername", synopsis: "getpeername S [len=N|NULL] [name=NULL]", keys: []string{"len", "name"}, checks: []string{"addr", "len"}, compile: compileName},
		{name: "shutdown", synopsis: "shutdown S HOW", compile: compileShutdown},
		{name: "closesocket", synopsis: "closesocket S", compile: func(r *reader) action {
			s := r.socket()
			return func(x *execCtx) outcome {
				h := s.resolve(x.env)
				err := x.api.Closesocket(h)
				if err == nil {
					delete(x.env.sockOvs, h) // the handle names nothing now; a long run must not keep them all
					x.closed(s)
				}
				return outcome{err: err}
			}
		}},
		{name: "WSASetSocketSecurity", synopsis: "WSASetSocketSecurity S [protocol=P] [flags=F] [ipsecflags=F] [mmpolicy=GUID] [qmpolicy=GUID] [user=U] [domain=D] [password=P] [len=N] [settings=NULL] [ov=NAME|NULL] [event=E|NULL] [routine=R]",
			keys: []string{"protocol", "flags", "ipsecflags", "mmpolicy", "qmpolicy", "user", "domain", "password", "len", "settings", "ov", "event", "routine"}, compile: compileSetSecurity},
		{name: "settle", synopsis: "settle", pseudo: true, compile: func(r *reader) action {
			return func(x *execCtx) outcome { x.world.Settle(); return outcome{} }
		}},
		injectSpec,
		netfaultSpec,
		advanceSpec,
		mmPolicySpec,
		qmPolicySpec,
		getUserNameSpec,
		closeHandleSpec,
	}
	// The other secure-socket calls and WSAIoctl (secure.go) go after WSASetSocketSecurity, the
	// events and waits (overlapped.go) after them.
	for i, c := range callList {
		if c.name == "WSASetSocketSecurity" {
			callList = append(callList[:i+1], append(append(secureCalls(), eventCalls()...), callList[i+1:]...)...)
			break
		}
	}
	for _, c := range callList {
		callSpecs[c.name] = c
	}
	reserveNames()
}

func callNames() []string {
	out := make([]string, 0, len(callList))
	for _, c := range callList {
		out = append(out, c.name)
	}
	return out
}

// Calls lists the language's functions with their argument synopses, in documentation order.
// The CLI's help and editors' completion read it.
func Calls() []CallInfo {
	out := make([]CallInfo, 0, len(callList))
	for _, c := range callList {
		out = append(out, CallInfo{Name: c.name, Synopsis: c.synopsis, Keys: append([]string(nil), c.keys...),
			Checks: append([]string(nil), c.checks...), ReturnsSocket: c.handle, Pseudo: c.pseudo})
	}
	return out
}

// CallInfo describes one function of the language, so that tools need not duplicate the table.
type CallInfo struct {
	Name, Synopsis string
	Keys           []string // KEY=VALUE arguments it accepts
	Checks         []string // values "=> ok KEY=VALUE" may check
	ReturnsSocket  bool     // "VAR =" may bind its result: a SOCKET, or the WSAEVENT of WSACreateEvent
	Pseudo         bool     // not a Winsock call
}

func compileStartup(r *reader) action {
	ver := uint16(0x0202)
	if a := r.positional("VERSION", false); a != nil {
		v, ok := parseVersion(a.Value)
		if !ok {
			r.errAt(a.Pos, "WSAStartup: version %q is not MAJOR.MINOR (each 0–255) or a number", a.Value)
		}
		ver = v
	}
	dataNull := r.nullOnly("data")
	return func(x *execCtx) outcome {
		var d *socket.WSAData
		if !dataNull {
			d = new(socket.WSAData)
		}
		o := outcome{err: x.api.WSAStartup(ver, d)}
		if o.err == nil && d != nil {
			o.set("version", versionString(d.Version))
		}
		return o
	}
}

var wsaFlagVocabulary = func() []string {
	var out []string
	for _, n := range constantNames(gWSAFlag) {
		out = append(out, n, strings.TrimPrefix(n, "WSA_FLAG_"))
	}
	return out
}()

func parseWSAFlag(s string) (uint32, bool) {
	if c, ok := constantsByName[s]; ok && c.group == gWSAFlag {
		return uint32(c.Value), true
	}
	if c, ok := constantsByName["WSA_FLAG_"+s]; ok && c.group == gWSAFlag {
		return uint32(c.Value), true
	}
	if mag, neg, ok := parseNumber(s); ok {
		return int32Bits(mag, neg)
	}
	return 0, false
}

func compileSocket(r *reader) action {
	af := r.int32("AF", gFamily)
	typ := r.int32("TYPE", gType)
	proto := r.int32("PROTO", gProto)
	if r.spec.name == "socket" {
		return func(x *execCtx) outcome {
			h, err := x.api.Socket(af, typ, proto)
			return outcome{err: err, handle: h, hasHandle: true}
		}
	}
	var flags uint32
	if a := r.positional("FLAGS", false); a != nil {
		flags = r.flags(a, "WSASocket", parseWSAFlag, wsaFlagVocabulary)
	}
	return func(x *execCtx) outcome {
		h, err := x.api.WSASocket(af, typ, proto, flags)
		return outcome{err: err, handle: h, hasHandle: true}
	}
}

func compileSetsockopt(r *reader) action {
	s := r.socket()
	level := r.int32("LEVEL", gLevel, gProto)
	opt := r.int32("OPT", gOption)
	null := false
	var val uint32
	if a := r.positional("VALUE", true); a != nil {
		if isNULL(a) {
			null = true
		} else {
			val = r.intOf(a, "VALUE")
		}
	}
	n := r.length("len", false)
	return func(x *execCtx) outcome {
		var b []byte
		def := 0
		if !null {
			b = x.buf(4)
			binary.LittleEndian.PutUint32(b, val)
			def = 4
		}
		return outcome{err: x.api.Setsockopt(s.resolve(x.env), level, opt, b, n.or(def))}
	}
}

func compileGetsockopt(r *reader) action {
	s := r.socket()
	level := r.int32("LEVEL", gLevel, gProto)
	opt := r.int32("OPT", gOption)
	n := r.length("len", true)
	optvalNull := r.nullOnly("optval")
	return func(x *execCtx) outcome {
		var b []byte
		if !optvalNull {
			b = x.buf(outSize(4, n))
		}
		var lp *int32
		if !n.null {
			x.n = n.or(4)
			lp = &x.n
		}
		o := outcome{err: x.api.Getsockopt(s.resolve(x.env), level, opt, b, lp)}
		if o.err == nil && lp != nil {
			o.set("len", itoa(int64(*lp)))
			if b != nil {
				var w [4]byte
				copy(w[:], b[:min(len(b), max(int(*lp), 0), 4)])
				o.set("value", itoa(int64(int32(binary.LittleEndian.Uint32(w[:])))))
			}
		}
		return o
	}
}

func compileIoctlsocket(r *reader) action {
	s := r.socket()
	var cmd, arg uint32
	if a := r.positional("CMD", true); a != nil {
		cmd = r.intOf(a, "CMD", gIoctl)
	}
	if a := r.positional("ARG", true); a != nil {
		arg = r.intOf(a, "ARG")
	}
	return func(x *execCtx) outcome { return outcome{err: x.api.Ioctlsocket(s.resolve(x.env), cmd, arg)} }
}

func compileListen(r *reader) action {
	s := r.socket()
	backlog := r.int32("BACKLOG", gMisc)
	return func(x *execCtx) outcome { return outcome{err: x.api.Listen(s.resolve(x.env), backlog)} }
}

func compileShutdown(r *reader) action {
	s := r.socket()
	how := r.int32("HOW", gHow)
	return func(x *execCtx) outcome { return outcome{err: x.api.Shutdown(s.resolve(x.env), how)} }
}

// compileAddrCall handles bind, connect, WSAConnect and ConnectEx: a socket, a sockaddr and its
// length.
func compileAddrCall(r *reader) action {
	s := r.socket()
	addr := r.addr("ADDR")
	n := r.length("len", false)
	var ov ovArgs
	if r.spec.name == "ConnectEx" {
		ov = r.overlapped(true)
	}
	fn := r.spec.name
	return func(x *execCtx) outcome {
		h := s.resolve(x.env)
		var b []byte
		switch {
		case addr.null:
		case fn == "ConnectEx":
			b = addr.clone() // the overlapped connect's own copy
		default:
			b = x.buf(addr.n) // a copy: the call may not write to the line's address
			addr.putInto(b)
		}
		l := n.or(len(b))
		var err error
		switch fn {
		case "bind":
			err = x.api.Bind(h, b, l)
		case "connect":
			err = x.api.Connect(h, b, l)
		case "WSAConnect":
			err = x.api.WSAConnect(h, b, l)
		case "ConnectEx":
			o, _ := ov.resolve(x, h)
			err = x.api.ConnectEx(h, b, l, o)
		}
		o := outcome{err: err}
		setReason(&o, err)
		return o
	}
}

// setReason reports the model's explanation of a failure (why an IPsec negotiation failed), for
// reason= checks.
func setReason(o *outcome, err error) {
	// Only the simulator explains, and its errors reach here unwrapped: a type assertion costs
	// no allocation, where errors.As would on every call.
	if re, ok := err.(*sim.RuleError); ok && re.Detail != "" {
		o.set("reason", re.Detail)
	}
}

func compileGetOverlapped(r *reader) action {
	s := r.socket()
	var ov ovRef
	if a := r.positional("OV", false); a != nil {
		ov = r.ovValue(a)
	}
	wait := false
	if a := r.key("wait"); a != nil {
		switch a.Value {
		case "0", "FALSE":
		case "1", "TRUE":
			wait = true
		default:
			r.errAt(valueStart(a), "wait= takes 0 or 1, got %q", a.Value)
		}
	}
	return func(x *execCtx) outcome {
		h := s.resolve(x.env)
		n, err := x.api.WSAGetOverlappedResult(h, ov.resolve(x.env, h), wait)
		o := outcome{err: err}
		if err == nil {
			o.set("bytes", itoa(int64(n)))
		}
		setReason(&o, err)
		return o
	}
}

func compileAccept(r *reader) action {
	s := r.socket()
	n := r.length("len", true)
	addrNull := r.nullOnly("addr")
	return func(x *execCtx) outcome {
		var b []byte
		if !addrNull {
			b = x.buf(outSize(sockaddr.SizeofSockaddrStorage, n))
		}
		var lp *int32
		switch {
		case n.null:
		case n.set:
			x.n = n.v
			lp = &x.n
		case !addrNull:
			x.n = int32(len(b))
			lp = &x.n
		}
		h, err := x.api.Accept(s.resolve(x.env), b, lp)
		o := outcome{err: err, handle: h, hasHandle: true}
		if err == nil && lp != nil {
			o.set("len", itoa(int64(*lp)))
			if b != nil {
				o.set("peer", addrText(b, *lp))
			}
		}
		return o
	}
}

// addrText decodes the address a call wrote into b[:n].
func addrText(b []byte, n int32) string {
	if n < 0 || int(n) > len(b) {
		return "<invalid length>"
	}
	a, bad := sockaddr.Decode(b[:n])
	if bad != 0 {
		return "<" + itoa(int64(n)) + " bytes>"
	}
	return a.String()
}

func compileSendto(r *reader) action {
	s := r.socket()
	addr := r.addr("ADDR")
	n := r.length("len", false)
	var data []byte
	dataNull := false
	if a := r.key("data"); a != nil {
		if isNULL(a) {
			dataNull = true
		} else {
			data = []byte(a.Value)
		}
	}
	var flags int32
	if a := r.key("flags"); a != nil {
		flags = int32(r.intOf(a, "flags"))
	}
	return func(x *execCtx) outcome {
		var buf []byte
		if !dataNull {
			buf = x.buf(len(data))
			copy(buf, data)
		}
		var to []byte
		if !addr.null {
			to = x.buf(addr.n)
			addr.putInto(to)
		}
		sent, err := x.api.Sendto(s.resolve(x.env), buf, flags, to, n.or(len(to)))
		o := outcome{err: err}
		if err == nil {
			o.set("bytes", itoa(int64(sent)))
		}
		return o
	}
}

func compileName(r *reader) action {
	s := r.socket()
	n := r.length("len", true)
	nameNull := r.nullOnly("name")
	peer := r.spec.name == "getpeername"
	return func(x *execCtx) outcome {
		var b []byte
		if !nameNull {
			b = x.buf(outSize(sockaddr.SizeofSockaddrStorage, n))
		}
		var lp *int32
		if !n.null {
			x.n = n.or(sockaddr.SizeofSockaddrStorage)
			lp = &x.n
		}
		h := s.resolve(x.env)
		var err error
		if peer {
			err = x.api.Getpeername(h, b, lp)
		} else {
			err = x.api.Getsockname(h, b, lp)
		}
		o := outcome{err: err}
		if err == nil && lp != nil {
			o.set("len", itoa(int64(*lp)))
			if b != nil {
				o.set("addr", addrText(b, *lp))
			}
		}
		return o
	}
}

var (
	protocolVocabulary   = []string{"DEFAULT", "IPSEC", "IPSEC2", "INVALID"}
	securityFlagVocab    = flagVocabulary(policy.SecurityFlagsMask.String(), "SOCKET_SETTINGS_")
	ipsecFlagVocabulary  = flagVocabulary(policy.IPsecFlagsMask.String(), "SOCKET_SETTINGS_IPSEC_")
	structureSettingKeys = append([]string{"protocol", "flags"}, ipsecKeys...)
)

// flagVocabulary lists a flag table's names with and without their prefix, for suggestions.
func flagVocabulary(all, prefix string) []string {
	var out []string
	for n := range strings.SplitSeq(all, "|") {
		out = append(out, n, strings.TrimPrefix(n, prefix))
	}
	sort.Strings(out)
	return out
}

func compileSetSecurity(r *reader) action {
	s := r.socket()
	settingsNull := r.nullOnly("settings")
	st, first := r.settingsStruct()
	n := r.length("len", false)
	ov := r.overlapped(false)
	switch {
	case settingsNull && first != nil:
		r.errAt(first.Pos, "settings=NULL passes no structure: %s= has nowhere to go", first.Key)
	case first == nil && !settingsNull && n.set:
		r.errAt(r.key("len").Pos, "len= needs a structure (protocol=…, flags=…) or settings=NULL for a NULL pointer with a length")
	}
	if first == nil {
		// No structure: SecuritySettings is NULL (the default settings).
		return func(x *execCtx) outcome {
			h := s.resolve(x.env)
			o, cr := ov.resolve(x, h)
			return outcome{err: x.api.WSASetSocketSecurity(h, nil, uint32(n.or(0)), o, cr)}
		}
	}
	settings := st // only this closure captures the (large) structure, so only this path allocates it
	return func(x *execCtx) outcome {
		buf := settings.encode()
		h := s.resolve(x.env)
		o, cr := ov.resolve(x, h)
		err := x.api.WSASetSocketSecurity(h, buf, uint32(n.or(len(buf))), o, cr)
		if o == nil {
			clear(buf) // the password's bytes; an overlapped call may still be reading them
		}
		return outcome{err: err}
	}
}

// settingsArg is a SecuritySettings structure described by a line's keys; the password is
// turned into bytes only when the line runs, and wiped from the Secret right after encoding.
type settingsArg struct {
	st       policy.Settings
	ipsec    bool
	ip       policy.IPsecSettings
	password string
}

// encode builds the SOCKET_SECURITY_SETTINGS (or _IPSEC) the keys describe.
func (a settingsArg) encode() []byte {
	settings := a.st
	var secret policy.Secret
	if a.ipsec {
		tail := a.ip
		secret = policy.NewSecret(a.password)
		tail.Password = secret
		settings.IPsec = &tail
	}
	buf := settings.Encode()
	if a.ipsec {
		secret.Wipe()
	}
	return buf
}

// settingsStruct reads WSASetSocketSecurity's structure keys (also SIO_SET_SECURITY's); first is
// the leftmost of them, nil when the line gives none (no structure).
func (r *reader) settingsStruct() (settingsArg, *Arg) {
	var first *Arg
	for _, k := range structureSettingKeys {
		if a := r.key(k); a != nil && (first == nil || a.Pos.Col < first.Pos.Col) {
			first = a
		}
	}
	var out settingsArg
	if first == nil {
		return out, nil
	}
	for _, k := range ipsecKeys {
		if r.key(k) != nil {
			out.ipsec = true
		}
	}
	protoGiven := false
	if a := r.key("protocol"); a != nil {
		p, err := policy.ParseProtocol(a.Value)
		if err != nil {
			r.errAt(valueStart(a), "unknown protocol %q (DEFAULT, IPSEC, IPSEC2, INVALID or a number)%s", a.Value, didYouMean(a.Value, protocolVocabulary))
		}
		out.st.Protocol, protoGiven = p, true
		if p.UsesIPsecLayout() {
			out.ipsec = true
		}
	}
	if !protoGiven && out.ipsec {
		out.st.Protocol = policy.ProtocolIPsec
	}
	if a := r.key("flags"); a != nil {
		out.st.Flags = policy.SecurityFlags(r.flags(a, "security", func(p string) (uint32, bool) {
			v, err := policy.ParseSecurityFlags(p)
			return uint32(v), err == nil
		}, securityFlagVocab))
	}
	if a := r.key("ipsecflags"); a != nil {
		out.ip.Flags = policy.IPsecFlags(r.flags(a, "IPsec", func(p string) (uint32, bool) {
			v, err := policy.ParseIPsecFlags(p)
			return uint32(v), err == nil
		}, ipsecFlagVocabulary))
	}
	for _, k := range []string{"mmpolicy", "qmpolicy"} {
		if a := r.key(k); a != nil {
			g, err := policy.ParseGUID(a.Value)
			if err != nil {
				r.errAt(valueStart(a), "%s= needs a GUID like {aabbccdd-0011-2233-4455-66778899aabb}, got %q", k, a.Value)
			}
			if k == "mmpolicy" {
				out.ip.MMPolicyKey = g
			} else {
				out.ip.QMPolicyKey = g
			}
		}
	}
	if a := r.key("user"); a != nil {
		out.ip.UserName = a.Value
	}
	if a := r.key("domain"); a != nil {
		out.ip.DomainName = a.Value
	}
	if a := r.key("password"); a != nil {
		out.password = a.Value
	}
	return out, first
}
