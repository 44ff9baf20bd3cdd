package scenario

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sockaddr"
	"github.com/wsssim/wsssim/socket"
)

// localHost is the host a file without host lines runs on.
const localHost = "local"

// op is a statement ready to run: its application and a closure over its resolved arguments.
type op struct {
	st     *Stmt
	app    string // "host" or "host/app"; "" for a pseudo-statement
	appIdx int    // app's index in compiled.apps
	thread string // the thread's name; "" for the main thread
	apiIdx int    // the (app, thread) pair's index in compiled.threads
	spec   *callSpec
	run    action
	checks []check
	// failChecks: the checks also hold for a failed call (they name values the call returns
	// even when it fails, such as the size a too-small WSAQuerySocketSecurity reports).
	failChecks bool
}

// compiled is a checked script: its statements ready to run, and the applications they name,
// numbered so that a run keeps each one's state in a slice rather than a map.
type compiled struct {
	ops     []op
	apps    []string
	threads []threadRef

	// Set when Parse compiled the program: the script's fingerprint then, and the file's name
	// and text, kept so that no string the fingerprint counts by address can be freed.
	fingerprint fingerprint
	pinned      *parsedText
}

// parsedText is what Parse read. It sits behind a pointer so that fmt, which prints a Script's
// unexported fields, shows its address and never the text (which may hold a password).
type parsedText struct{ name, text string }

// threadRef is a thread of an application, as statements name it.
type threadRef struct{ app, thread string }

// action performs a call on one application.
type action func(x *execCtx) outcome

// outcome is what a call returned, in the form steps report and checks compare.
type outcome struct {
	err       error
	handle    socket.Handle
	hasHandle bool
	values    Values
}

func (o *outcome) set(k, v string) { o.values.set(k, v) }

// check is a compiled "KEY=VALUE" after "=> ok".
type check struct {
	vc    ValueCheck
	match func(got string) bool
}

// analyzer checks a Script's meaning: declarations, who runs each line, arguments, variables
// and expectations. Parse and Run share it, so a hand-built Script gets the same checks.
type analyzer struct {
	s    *Script
	errs *errSink

	hosts     map[string]*HostDecl
	hostNames []string
	apps      map[string]*AppDecl // by label
	appsOf    map[string][]string // host → app names
	// bound holds the variables applications have bound, each with the order of its first
	// binding, so that a message can name the application that bound a name first.
	bound      map[boundVar]int
	r          reader // reset for each statement
	keep       bool   // keep the compiled statements in out
	out        compiled
	appNums    numbering[string]    // places in out.apps
	threadNums numbering[threadRef] // places in out.threads
}

func newAnalyzer(s *Script, errs *errSink, keep bool) *analyzer {
	a := &analyzer{
		s: s, errs: errs,
		hosts: map[string]*HostDecl{}, apps: map[string]*AppDecl{}, appsOf: map[string][]string{},
		bound: map[boundVar]int{},
		keep:  keep,
	}
	a.r.a = a
	if keep {
		a.out.ops = make([]op, 0, len(s.Stmts))
	}
	return a
}

// compile checks a Script and returns its statements ready to run.
func compile(s *Script) (*compiled, error) {
	errs := &errSink{file: s.Name}
	a := newAnalyzer(s, errs, true)
	a.run()
	if l := errs.result(); l != nil {
		return nil, l
	}
	return &a.out, nil
}

func (a *analyzer) run() {
	a.declarations()
	for _, st := range a.s.Stmts {
		if st != nil {
			a.stmt(st)
		}
	}
}

func validName(s string) bool {
	return s != "" && !strings.ContainsAny(s, "/: \t\r\n\v\f\"#=")
}

func (a *analyzer) declarations() {
	owner := map[netip.Addr]string{}
	for i := range a.s.Hosts {
		h := &a.s.Hosts[i]
		switch {
		case !validName(h.Name):
			a.errs.at(h.Pos, "host name %q must be a word without '/', ':', '=' or '#'", h.Name)
			continue
		case a.hosts[h.Name] != nil:
			a.errs.at(h.Pos, "host %s is declared twice (first at line %d)", h.Name, a.hosts[h.Name].Pos.Line)
			continue
		}
		a.hosts[h.Name] = h
		a.hostNames = append(a.hostNames, h.Name)
		hostConfig(h, a.errs.at)
		for _, ip := range h.Addrs {
			switch {
			case !ip.IsValid():
				a.errs.at(h.Pos, "host %s: invalid address", h.Name)
			case ip.Zone() != "":
				a.errs.at(h.Pos, "host %s: address %v has a zone; host addresses take none", h.Name, ip)
			case ip.Unmap().IsLoopback() || ip.IsUnspecified() || ip.Unmap().IsUnspecified() || ip.IsMulticast():
				a.errs.at(h.Pos, "host %s: %v cannot be a host address (every host already has 127.0.0.1 and ::1; wildcards and multicast belong to no host)", h.Name, ip)
			default:
				key := ip.Unmap()
				if other, taken := owner[key]; taken {
					a.errs.at(h.Pos, "host %s: address %v already belongs to host %s", h.Name, ip, other)
					continue
				}
				owner[key] = h.Name
			}
		}
		for _, o := range h.Options {
			if !isIdent(o.Key) {
				a.errs.at(o.Pos, "host option %q is not KEY=VALUE", o.Key)
			}
		}
		a.checkHostLimits(h)
	}
	for i := range a.s.Apps {
		ap := &a.s.Apps[i]
		host := ap.Host
		switch {
		case !validName(ap.Host) || !validName(ap.Name):
			a.errs.at(ap.Pos, "app %q needs HOST/NAME, both words without '/', ':', '=' or '#'", ap.Label())
			continue
		case a.hosts[host] == nil && !(host == localHost && len(a.s.Hosts) == 0):
			a.errs.at(ap.Pos, "app %s: no host %s%s", ap.Label(), host, didYouMean(host, a.hostVocabulary()))
			continue
		case a.apps[ap.Label()] != nil:
			a.errs.at(ap.Pos, "app %s is declared twice (first at line %d)", ap.Label(), a.apps[ap.Label()].Pos.Line)
			continue
		case strings.TrimSpace(ap.User) == "":
			a.errs.at(ap.Pos, "app %s needs user=USER (the account it runs under)", ap.Label())
			continue
		}
		a.apps[ap.Label()] = ap
		a.appsOf[host] = append(a.appsOf[host], ap.Name)
		for _, o := range ap.Options {
			if !isIdent(o.Key) {
				a.errs.at(o.Pos, "app option %q is not KEY=VALUE", o.Key)
			}
		}
	}
}

func (a *analyzer) hostVocabulary() []string {
	if len(a.s.Hosts) == 0 {
		return []string{localHost}
	}
	return a.hostNames
}

// who resolves a statement's WHO to an application label.
func (a *analyzer) who(st *Stmt) (string, bool) {
	if st.Who == "" {
		switch len(a.s.Hosts) {
		case 0:
			return localHost, true
		case 1:
			return a.s.Hosts[0].Name, a.hosts[a.s.Hosts[0].Name] != nil
		}
		example := "HOST"
		if len(a.hostNames) > 0 {
			example = a.hostNames[0]
		}
		a.errs.at(st.Pos, "this file declares %d hosts: say which one makes the call (%s: %s …)", len(a.s.Hosts), example, st.Call)
		return "", false
	}
	host, app, hasApp := strings.Cut(st.Who, "/")
	if a.hosts[host] == nil && !(host == localHost && len(a.s.Hosts) == 0) {
		a.errs.at(st.Pos, "no host %q%s", host, didYouMean(host, a.hostVocabulary()))
		return "", false
	}
	if !hasApp {
		return host, true
	}
	if a.apps[st.Who] == nil {
		if len(a.appsOf[host]) == 0 {
			a.errs.at(st.Pos, "host %s has no app %q: declare it with app %s user=USER", host, app, st.Who)
		} else {
			a.errs.at(st.Pos, "host %s has no app %q%s", host, app, didYouMean(app, a.appsOf[host]))
		}
		return "", false
	}
	return st.Who, true
}

// boundVar is a socket variable of one application.
type boundVar struct{ app, name string }

// bind records that app has bound the variable v. Only a name that a SOCKET argument can
// name is recorded (an identifier that is no reserved word; a hand-built Script may hold
// another), so that finding a name bound is enough to accept it as a socket (reader.socket).
func (a *analyzer) bind(app, v string) {
	if v == "" || app == "" || !isIdent(v) || reservedWord(v) {
		return
	}
	if _, ok := a.bound[boundVar{app, v}]; !ok {
		a.bound[boundVar{app, v}] = len(a.bound)
	}
}

func (a *analyzer) isBound(app, v string) bool {
	_, ok := a.bound[boundVar{app, v}]
	return ok
}

// firstBinder is the application that bound the variable first, "" if none has.
func (a *analyzer) firstBinder(v string) string {
	app, first := "", -1
	for k, order := range a.bound {
		if k.name == v && (first < 0 || order < first) {
			app, first = k.app, order
		}
	}
	return app
}

// varsOf lists the variables the application has bound, in no particular order.
func (a *analyzer) varsOf(app string) []string {
	var out []string
	for k := range a.bound {
		if k.app == app {
			out = append(out, k.name)
		}
	}
	return out
}

func (a *analyzer) stmt(st *Stmt) {
	if st.broken {
		if app, ok := a.who(st); ok {
			a.bind(app, st.Var)
		}
		return
	}
	spec, known := callSpecs[st.Call]
	if !known {
		a.errs.at(st.CallPos, "unknown function %q%s", st.Call, didYouMean(st.Call, callNames()))
		if app, ok := a.who(st); ok {
			a.bind(app, st.Var)
		}
		return
	}
	var app string
	ok := true
	if spec.pseudo {
		if st.Who != "" || st.Thread != "" {
			a.errs.at(st.Pos, "%s takes no WHO: it acts on the whole network", st.Call)
			ok = false
		}
	} else {
		app, ok = a.who(st)
	}
	thread := st.Thread
	if thread != "" && !isIdent(thread) {
		a.errs.at(st.Pos, "thread name %q is not a name (a letter or _, then letters, digits, _)", thread)
		ok = false
	}
	if thread == mainThread {
		thread = ""
	}
	if st.Var != "" && !spec.handle {
		a.errs.at(st.CallPos, "%s returns no SOCKET to assign to %s", st.Call, st.Var)
		ok = false
	}
	r := &a.r
	r.reset(st, app, spec)
	run := spec.compile(r)
	r.finish()
	checks, good := a.expectation(st, spec)
	if ok && !r.failed && good && a.keep {
		a.out.ops = append(a.out.ops, op{st: st, app: app, appIdx: a.appIndex(app), thread: thread, apiIdx: a.threadIndex(app, thread),
			spec: spec, run: run, checks: checks,
			failChecks: st.Expect.Given && (!st.Expect.OK || len(st.Expect.Codes) > 0 || st.Expect.AnyError)})
	}
	// Bind even when the line has errors, so that later uses are not reported as well.
	a.bind(app, st.Var)
}

// appIndex numbers the applications in the order statements first name them.
func (a *analyzer) appIndex(app string) int { return a.appNums.index(&a.out.apps, app) }

// threadIndex numbers the (application, thread) pairs in the order statements first name them.
func (a *analyzer) threadIndex(app, thread string) int {
	return a.threadNums.index(&a.out.threads, threadRef{app, thread})
}

// numbering gives the keys of list their places in it, appending a key the first time.
type numbering[K comparable] struct {
	byKey map[K]int // list's keys by place, asked only once the list is long
	last  int       // the place index gave last
}

func (n *numbering[K]) index(list *[]K, k K) int {
	l := *list
	if len(l) > 0 && l[n.last] == k {
		return n.last // runs of lines by one caller
	}
	// A script names a handful of applications and threads: comparing with each costs less
	// than the map, which for a key of two strings hashes both on every look-up.
	i, ok := -1, false
	if len(l) <= 8 {
		i = slices.Index(l, k)
		ok = i >= 0
	} else {
		i, ok = n.byKey[k]
	}
	if !ok {
		if n.byKey == nil {
			n.byKey = map[K]int{}
		}
		i = len(l)
		n.byKey[k] = i
		*list = append(l, k)
	}
	n.last = i
	return i
}

// expectation checks the "=> …" part and compiles its value checks; good is false when it is
// wrong.
func (a *analyzer) expectation(st *Stmt, spec *callSpec) (checks []check, good bool) {
	e := st.Expect
	if !e.Given {
		return nil, true
	}
	bad := false
	if !e.OK && len(e.Codes) == 0 && !e.AnyError {
		a.errs.at(e.Pos, "the expectation accepts no outcome")
		bad = true
	}
	if len(e.Checks) > 0 && (!e.OK || len(e.Codes) > 0 || e.AnyError) {
		// A few values are returned by failed calls too (spec.failChecks); any other check
		// needs the call to succeed.
		for _, vc := range e.Checks {
			if !containsString(spec.failChecks, vc.Key) {
				a.errs.at(vc.Pos, "value checks need the call to succeed: write => ok %s=%s", vc.Key, vc.Value)
				return nil, false
			}
		}
	}
	for i, vc := range e.Checks {
		if !containsString(spec.checks, vc.Key) {
			if len(spec.checks) == 0 {
				a.errs.at(vc.Pos, "%s returns no values to check", st.Call)
			} else {
				a.errs.at(vc.Pos, "%s returns no %s (it returns %s)%s", st.Call, vc.Key, strings.Join(spec.checks, ", "), didYouMean(vc.Key, spec.checks))
			}
			bad = true
			continue
		}
		if checkedBefore(e.Checks[:i], vc.Key) {
			a.errs.at(vc.Pos, "%s= is checked twice", vc.Key)
			bad = true
			continue
		}
		m, msg := compileCheck(vc)
		if m == nil {
			a.errs.at(valuePos(vc.Pos, vc.Key), "%s", msg)
			bad = true
			continue
		}
		checks = append(checks, check{vc: vc, match: m})
	}
	if bad {
		return nil, false
	}
	return checks, true
}

// checkedBefore reports whether an earlier check of the line names the key.
func checkedBefore(earlier []ValueCheck, key string) bool {
	for _, vc := range earlier {
		if vc.Key == key {
			return true
		}
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// valuePos is where the VALUE of a KEY=VALUE written at p starts.
func valuePos(p Pos, key string) Pos {
	if p.Line == 0 {
		return p
	}
	p.Col += len(key) + 1
	return p
}

// compileCheck turns an expected value into a predicate over the value the call returned.
func compileCheck(vc ValueCheck) (func(string) bool, string) {
	switch vc.Key {
	case "value", "len", "bytes", "infolen":
		want, ok := intValue(vc.Value)
		if !ok {
			return nil, vc.Key + "= needs a number or an SDK name, got " + strconv.Quote(vc.Value) + didYouMeanValue(vc.Value)
		}
		isValue := vc.Key == "value"
		return func(got string) bool {
			g, err := strconv.ParseInt(got, 10, 64)
			if err != nil {
				return false
			}
			if isValue {
				// An option value is a C int: 0xffffffff and -1 are the same value.
				return int32(g) == int32(want)
			}
			return g == want
		}, ""
	case "addr", "peer":
		want, anyPort, err := parseExpectedAddr(vc.Value)
		if err != "" {
			return nil, vc.Key + "= " + err
		}
		return func(got string) bool {
			g, perr := sockaddr.Parse(got)
			if perr != nil || g.Family != want.Family || g.IP != want.IP || g.ScopeID != want.ScopeID {
				return false
			}
			return anyPort || g.Port == want.Port
		}, ""
	case "flags":
		want, err := policy.ParseInfoFlags(vc.Value)
		if err != nil {
			return nil, "flags= needs SOCKET_INFO_CONNECTION_* names (prefix optional) or a number joined by |, got " + strconv.Quote(vc.Value)
		}
		return func(got string) bool {
			g, err := strconv.ParseUint(got, 10, 32)
			return err == nil && policy.InfoFlags(g) == want
		}, ""
	case "protocol":
		want, err := policy.ParseProtocol(vc.Value)
		if err != nil {
			return nil, "protocol= needs DEFAULT, IPSEC, IPSEC2 or a number, got " + strconv.Quote(vc.Value)
		}
		return func(got string) bool {
			g, err := policy.ParseProtocol(got)
			return err == nil && g == want
		}, ""
	case "reason":
		// The explanation of a failed negotiation is a sentence: the check asks that it
		// contains the expected words.
		want := vc.Value
		if want == "" {
			return nil, "reason= needs the words the explanation must contain"
		}
		return func(got string) bool { return strings.Contains(got, want) }, ""
	case "name":
		want := vc.Value
		return func(got string) bool { return strings.EqualFold(got, want) }, ""
	case "machinetoken", "apptoken":
		if vc.Value != "yes" && vc.Value != "no" {
			return nil, vc.Key + "= takes yes or no"
		}
		want := vc.Value
		return func(got string) bool { return got == want }, ""
	case "mmsa", "qmsa":
		want, ok := intValue(vc.Value)
		if !ok || want < 0 {
			return nil, vc.Key + "= needs an SA id (a number; 0 for none)"
		}
		return func(got string) bool { return got == strconv.FormatInt(want, 10) }, ""
	case "negerr":
		want, ok := parseCode(vc.Value)
		if !ok {
			return nil, "negerr= needs an error name (ERROR_IPSEC_IKE_AUTH_FAIL …) or a number, got " + strconv.Quote(vc.Value)
		}
		return func(got string) bool { return got == strconv.FormatUint(uint64(want), 10) }, ""
	case "result":
		want, ok := parseWaitResult(vc.Value)
		if !ok {
			return nil, "result= needs WSA_WAIT_EVENT_0, WSA_WAIT_EVENT_0+N, WSA_WAIT_IO_COMPLETION, WAIT_IO_COMPLETION, WSA_WAIT_TIMEOUT or a number, got " + strconv.Quote(vc.Value)
		}
		return func(got string) bool {
			g, ok := parseWaitResult(got)
			return ok && g == want
		}, ""
	case "ran":
		want, ok := parseRan(vc.Value)
		if !ok {
			return nil, "ran= needs the completion routines' names joined by ',' in the order they ran, or none, got " + strconv.Quote(vc.Value)
		}
		return func(got string) bool { return got == want }, ""
	case "version":
		want, ok := parseVersion(vc.Value)
		if !ok {
			return nil, "version= needs MAJOR.MINOR, e.g. 2.2"
		}
		return func(got string) bool {
			g, ok := parseVersion(got)
			return ok && g == want
		}, ""
	}
	return nil, "unknown check " + vc.Key
}

// intValue reads a number, an SDK constant or an error name (SO_ERROR reads back a code).
func intValue(s string) (int64, bool) {
	if c, ok := constantsByName[s]; ok {
		return c.Value, true
	}
	if mag, neg, ok := parseNumber(s); ok {
		if neg {
			if mag > 1<<63 {
				return 0, false
			}
			return -int64(mag), true
		}
		if mag > 1<<63-1 {
			return 0, false
		}
		return int64(mag), true
	}
	if c, ok := parseCode(s); ok {
		return int64(c), true
	}
	return 0, false
}

func didYouMeanValue(s string) string {
	return didYouMean(s, append(constantNames(), resultVocabulary()[2:]...))
}

// parseExpectedAddr reads an address to compare with; the port may be "*" (any), since
// ephemeral ports differ between the simulator and Windows.
func parseExpectedAddr(s string) (sockaddr.Addr, bool, string) {
	if host, ok := strings.CutSuffix(s, ":*"); ok {
		a, err := parseSockaddr(host + ":0")
		return a, true, err
	}
	a, err := parseSockaddr(s)
	return a, false, err
}

// parseSockaddr reads "a.b.c.d:port" or "[v6]:port" (with an optional numeric %scope).
func parseSockaddr(s string) (sockaddr.Addr, string) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		if _, ipErr := netip.ParseAddr(strings.Trim(s, "[]")); ipErr == nil {
			return sockaddr.Addr{}, "address " + strconv.Quote(s) + " needs a port: 127.0.0.1:80 or [::1]:80"
		}
		return sockaddr.Addr{}, strconv.Quote(s) + " is not an address (127.0.0.1:80, [::1]:80, [::ffff:127.0.0.1]:80)"
	}
	if z := ap.Addr().Zone(); z != "" {
		if _, err := strconv.ParseUint(z, 10, 32); err != nil {
			return sockaddr.Addr{}, "address " + strconv.Quote(s) + ": the scope must be a number"
		}
	}
	// What sockaddr.Parse makes of s, without parsing it again.
	a := sockaddr.From(ap.Addr().WithZone(""), ap.Port())
	if z := ap.Addr().Zone(); z != "" {
		scope, _ := strconv.ParseUint(z, 10, 32) // checked above
		a.ScopeID = uint32(scope)
	}
	return a, ""
}

// parseVersion reads "MAJOR.MINOR" (each 0–255) or a number, as WSAStartup's WORD: major in the
// low byte.
func parseVersion(s string) (uint16, bool) {
	if maj, minr, ok := strings.Cut(s, "."); ok {
		m, err1 := strconv.ParseUint(maj, 10, 8)
		n, err2 := strconv.ParseUint(minr, 10, 8)
		if err1 != nil || err2 != nil {
			return 0, false
		}
		return uint16(m) | uint16(n)<<8, true
	}
	if mag, neg, ok := parseNumber(s); ok && !neg && mag <= 0xffff {
		return uint16(mag), true
	}
	return 0, false
}

func versionString(v uint16) string {
	return strconv.Itoa(int(v&0xff)) + "." + strconv.Itoa(int(v>>8))
}
