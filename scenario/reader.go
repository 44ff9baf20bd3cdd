package scenario

import (
	"strconv"
	"strings"

	"github.com/wsssim/wsssim/sockaddr"
	"github.com/wsssim/wsssim/socket"
)

// reader hands a call's compile function its arguments one by one, typed, and reports every
// mismatch at the argument's own column. The analyzer keeps one and resets it for each statement
// (compile functions must not keep it past their return).
type reader struct {
	a    *analyzer
	st   *Stmt
	app  string
	spec *callSpec
	// pos and keys index st.Args: the positional arguments, and the KEY=VALUE ones (each key
	// once; a call takes a handful). Indices rather than pointers, so that filling them in
	// stores no pointer in the heap (see reset).
	pos    []int
	next   int
	keys   []int
	failed bool
}

// reset prepares the reader for a statement and sorts its arguments into positional ones and
// keys, reporting keys the call does not take.
//
// The reader lives in the analyzer, on the heap, so while the garbage collector marks, every
// pointer stored in it goes through a write barrier; for a long file those barriers cost more
// than the rest of the reset. So it stores only what changes: the analyzer is set once (see
// newAnalyzer), the argument lists keep their arrays (reslicing from 0 writes only their
// lengths) and the application, usually the same from line to line, is stored when it differs.
func (r *reader) reset(st *Stmt, app string, spec *callSpec) {
	r.st = st
	r.spec = spec
	if r.app != app {
		r.app = app
	}
	r.pos = r.pos[:0]
	r.keys = r.keys[:0]
	r.next, r.failed = 0, false
	for i := range st.Args {
		arg := &st.Args[i]
		if arg.Key == "" {
			if arg.Quoted {
				r.errAt(arg.Pos, `a quoted string can only be a KEY="value" value`)
			}
			r.pos = append(r.pos, i)
			continue
		}
		switch {
		case !containsString(spec.keys, arg.Key):
			if len(spec.keys) == 0 {
				r.errAt(arg.Pos, "%s takes no KEY=VALUE arguments (%s)", spec.name, spec.synopsis)
			} else {
				if hint := didYouMean(arg.Key, spec.keys); hint != "" {
					r.errAt(arg.Pos, "%s takes no key %s%s", spec.name, arg.Key, hint)
				} else {
					r.errAt(arg.Pos, "%s takes no key %s (%s)", spec.name, arg.Key, spec.synopsis)
				}
			}
		case r.key(arg.Key) != nil:
			r.errAt(arg.Pos, "%s= is given twice", arg.Key)
		default:
			r.keys = append(r.keys, i)
		}
	}
}

func (r *reader) errAt(p Pos, format string, args ...any) {
	r.failed = true
	r.a.errs.at(p, format, args...)
}

// positional returns the next positional argument, or nil (reporting it when required).
func (r *reader) positional(what string, required bool) *Arg {
	if r.next < len(r.pos) {
		a := &r.st.Args[r.pos[r.next]]
		r.next++
		return a
	}
	if required {
		r.errAt(r.st.CallPos, "%s: missing %s (%s)", r.spec.name, what, r.spec.synopsis)
	}
	return nil
}

// finish reports positional arguments nobody read.
func (r *reader) finish() {
	if r.next < len(r.pos) {
		a := &r.st.Args[r.pos[r.next]]
		r.errAt(a.Pos, "%s: unexpected argument %q (%s)", r.spec.name, a.Value, r.spec.synopsis)
	}
}

// key returns the KEY=VALUE argument with that key, or nil.
func (r *reader) key(name string) *Arg {
	for _, i := range r.keys {
		if a := &r.st.Args[i]; a.Key == name {
			return a
		}
	}
	return nil
}

func isNULL(a *Arg) bool { return a != nil && !a.Quoted && a.Value == "NULL" }

// handleRef is a SOCKET argument: a variable, resolved when the line runs, or a literal.
type handleRef struct {
	name string
	h    socket.Handle
}

func (h handleRef) resolve(env *appEnv) socket.Handle {
	if h.name != "" {
		if v, ok := env.vars[h.name]; ok {
			return v
		}
		return socket.INVALID_SOCKET
	}
	return h.h
}

// socket reads the SOCKET argument: a variable bound earlier by this application, a number, or
// INVALID_SOCKET.
func (r *reader) socket() handleRef {
	a := r.positional("the SOCKET", true)
	if a == nil {
		return handleRef{h: socket.INVALID_SOCKET}
	}
	return r.handleOf(a, a.Value, a.Pos, socketHandle)
}

// handleKind says which handle an argument stands for: a SOCKET or a WSAEVENT. Both are
// handles of the process, so one variable namespace holds them, and passing one where the other
// goes is what a C caller could do too.
type handleKind struct {
	what    string // for messages
	null    string // the SDK's name for the invalid handle
	nullVal socket.Handle
	binders string // the calls that bind such a variable
}

var (
	socketHandle = handleKind{"a socket", "INVALID_SOCKET", socket.INVALID_SOCKET, "socket, WSASocket or accept"}
	eventHandle  = handleKind{"an event", "WSA_INVALID_EVENT", socket.Handle(socket.WSA_INVALID_EVENT), "WSACreateEvent"}
)

// handleOf reads a handle written as v at p: a variable bound earlier by this application, a
// number, or the kind's invalid-handle name (an event's may also be NULL).
func (r *reader) handleOf(a *Arg, v string, p Pos, kind handleKind) handleRef {
	if v == kind.null || (kind.null == eventHandle.null && v == "NULL" && !a.Quoted) {
		return handleRef{h: kind.nullVal}
	}
	if r.app != "" && !a.Quoted && r.a.isBound(r.app, v) {
		return handleRef{name: v} // the usual case, answered by one look-up (see analyzer.bind)
	}
	if mag, neg, ok := parseNumber(v); ok {
		n, ok := int64Bits(mag, neg)
		if !ok {
			r.errAt(p, "handle %s is out of range", v)
		}
		return handleRef{h: socket.Handle(n)}
	}
	if !isIdent(v) || reservedWord(v) || a.Quoted {
		r.errAt(p, "%s: %q is not %s (a variable bound by %s, a number, or %s)", r.spec.name, v, kind.what, kind.binders, kind.null)
		return handleRef{h: kind.nullVal}
	}
	if r.app != "" && !r.a.isBound(r.app, v) {
		if where := r.a.firstBinder(v); where != "" {
			r.errAt(p, "variable %s belongs to %s, not %s (variables are per application)", v, where, r.app)
		} else {
			binder := "socket …"
			if kind.null == eventHandle.null {
				binder = "WSACreateEvent"
			}
			r.errAt(p, "unknown variable %s (bind it first: %s = %s)%s", v, v, binder, didYouMean(v, r.a.varsOf(r.app)))
		}
	}
	return handleRef{name: v}
}

// intOf resolves a number or SDK name to the 32 bits a C int or DWORD carries.
func (r *reader) intOf(a *Arg, what string, groups ...group) uint32 {
	if c, ok := constantsByName[a.Value]; ok && !a.Quoted {
		return uint32(int32(c.Value))
	}
	if mag, neg, ok := parseNumber(a.Value); ok {
		v, ok := int32Bits(mag, neg)
		if !ok {
			r.errAt(valueStart(a), "%s %s does not fit in 32 bits", what, a.Value)
		}
		return v
	}
	r.errAt(valueStart(a), "unknown constant %q for %s%s", a.Value, what, didYouMeanGroups(a.Value, groups...))
	return 0
}

// valueStart is where an argument's value starts (after KEY= and an opening quote).
func valueStart(a *Arg) Pos {
	if a.Key == "" {
		return a.Pos
	}
	p := valuePos(a.Pos, a.Key)
	if a.Quoted && p.Line != 0 {
		p.Col++
	}
	return p
}

// int32 reads a required positional integer.
func (r *reader) int32(what string, groups ...group) int32 {
	a := r.positional(what, true)
	if a == nil {
		return 0
	}
	return int32(r.intOf(a, what, groups...))
}

// flags reads "A|B|0x10" against a table of names that may drop a common prefix.
func (r *reader) flags(a *Arg, what string, parse func(string) (uint32, bool), vocab []string) uint32 {
	var v uint32
	off := 0
	start := valueStart(a)
	for part := range strings.SplitSeq(a.Value, "|") {
		p := start
		p.Col += off
		off += len(part) + 1
		if part == "" {
			r.errAt(p, "empty flag in %s %q", what, a.Value)
			continue
		}
		bit, ok := parse(part)
		if !ok {
			r.errAt(p, "unknown %s flag %q%s", what, part, didYouMean(part, vocab))
			continue
		}
		v |= bit
	}
	return v
}

// addrArg is an address argument as the call receives it: NULL, or the bytes of a SOCKADDR_IN,
// SOCKADDR_IN6 or bare 16-byte SOCKADDR, held by value so that compiling one allocates nothing.
type addrArg struct {
	null bool
	n    int
	b    [sockaddr.SizeofSockaddrInet6]byte
}

// The methods take the address by value, so that a closure that captured one keeps its own copy
// rather than a pointer to an allocated one.

// clone returns the address's structure in a new slice, its default length long.
func (a addrArg) clone() []byte { return append([]byte(nil), a.b[:a.n]...) }

// putInto copies the structure into b, which is a.n bytes long.
func (a addrArg) putInto(b []byte) { copy(b, a.b[:a.n]) }

// addr reads ADDR, NULL, or AF_UNSPEC (a 16-byte SOCKADDR of family 0: the UDP "disconnect").
func (r *reader) addr(what string) addrArg {
	a := r.positional(what, true)
	if a == nil {
		return addrArg{null: true}
	}
	switch a.Value {
	case "NULL":
		return addrArg{null: true}
	case "AF_UNSPEC":
		return addrArg{n: sockaddr.SizeofSockaddr}
	}
	sa, err := parseSockaddr(a.Value)
	if err != "" {
		r.errAt(a.Pos, "%s: %s", r.spec.name, err)
		return addrArg{null: true}
	}
	var out addrArg
	out.n = sa.PutInto(out.b[:])
	return out
}

// lenArg is a length: a value, or (for length pointers) NULL.
type lenArg struct {
	set, null bool
	v         int32
}

// length reads KEY=N (and KEY=NULL when nullable).
func (r *reader) length(key string, nullable bool) lenArg {
	a := r.key(key)
	if a == nil {
		return lenArg{}
	}
	if isNULL(a) {
		if !nullable {
			r.errAt(valueStart(a), "%s= cannot be NULL here", key)
		}
		return lenArg{set: true, null: true}
	}
	mag, neg, ok := parseNumber(a.Value)
	if !ok {
		r.errAt(valueStart(a), "%s= needs a number, got %q", key, a.Value)
		return lenArg{}
	}
	v, ok := int32Bits(mag, neg)
	if !ok {
		r.errAt(valueStart(a), "%s=%s does not fit in 32 bits", key, a.Value)
	}
	return lenArg{set: true, v: int32(v)}
}

// or returns the length to pass given the default.
func (l lenArg) or(def int) int32 {
	if l.set {
		return l.v
	}
	return int32(def)
}

// nullOnly reads a key whose only value is NULL (optval=NULL, addr=NULL …).
func (r *reader) nullOnly(key string) bool {
	a := r.key(key)
	if a == nil {
		return false
	}
	if !isNULL(a) {
		r.errAt(valueStart(a), "%s= takes only NULL", key)
	}
	return true
}

// ovRef names an OVERLAPPED: a per-application variable, NULL, or the socket's own.
type ovRef struct {
	null bool
	name string // "" with !null: the socket's default OVERLAPPED
}

// ovArgs are a call's overlapped arguments: the OVERLAPPED (ov=), the event to put in its
// hEvent (event=), and the completion routine (routine=).
type ovArgs struct {
	ov       ovRef
	setEvent bool
	event    handleRef
	routine  string
}

// overlapped reads ov=, event= and (for the calls that take one) routine=. Without ov= the
// OVERLAPPED is the socket's own when own is set (ConnectEx), else NULL.
func (r *reader) overlapped(own bool) ovArgs {
	var o ovArgs
	ovKey := r.key("ov")
	switch {
	case ovKey != nil:
		o.ov = r.ovValue(ovKey)
	case !own:
		o.ov.null = true
	}
	if a := r.key("event"); a != nil {
		if o.ov.null {
			r.errAt(a.Pos, "event= goes in an OVERLAPPED's hEvent: add ov=NAME")
		}
		o.setEvent = true
		o.event = r.handleOf(a, a.Value, valueStart(a), eventHandle)
	}
	if a := r.key("routine"); a != nil {
		switch {
		case ovKey == nil:
			r.errAt(a.Pos, "routine= reports through an OVERLAPPED: add ov=NAME (or ov=NULL, which Windows answers by ignoring the routine)")
		case !isIdent(a.Value) || reservedWord(a.Value) || a.Quoted || a.Value == noRoutine:
			r.errAt(valueStart(a), "%q cannot name a completion routine (a name: letters, digits, _)", a.Value)
		}
		o.routine = a.Value
	}
	return o
}

// resolve returns the OVERLAPPED (with its hEvent set as the line says) and the routine to pass.
func (o ovArgs) resolve(x *execCtx, s socket.Handle) (*socket.Overlapped, socket.CompletionRoutine) {
	ov := o.ov.resolve(x.env, s)
	if ov != nil && o.setEvent {
		ov.Event = socket.EventHandle(o.event.resolve(x.env))
	}
	return ov, x.routine(o.routine)
}

func (r *reader) ovValue(a *Arg) ovRef {
	if isNULL(a) {
		return ovRef{null: true}
	}
	if !isIdent(a.Value) || reservedWord(a.Value) || a.Quoted {
		r.errAt(valueStart(a), "%q cannot name an OVERLAPPED (a variable name, or NULL)", a.Value)
	}
	return ovRef{name: a.Value}
}

// resolve returns the OVERLAPPED to pass, creating a named one on first use.
func (o ovRef) resolve(env *appEnv, s socket.Handle) *socket.Overlapped {
	switch {
	case o.null:
		return nil
	case o.name != "":
		ov := env.ovs[o.name]
		if ov == nil {
			if env.ovs == nil {
				env.ovs = map[string]*socket.Overlapped{}
			}
			ov = new(socket.Overlapped)
			env.ovs[o.name] = ov
		}
		return ov
	}
	ov := env.sockOvs[s]
	if ov == nil {
		if env.sockOvs == nil {
			env.sockOvs = map[socket.Handle]*socket.Overlapped{}
		}
		ov = new(socket.Overlapped)
		env.sockOvs[s] = ov
	}
	return ov
}

// outSize is the size of an output buffer: the default, or a larger length the scenario says
// the buffer has, capped so that no input allocates without bound.
func outSize(def int, l lenArg) int {
	const maxBuf = 1 << 16
	if l.set && !l.null && int(l.v) > def {
		return min(int(l.v), maxBuf)
	}
	return def
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
