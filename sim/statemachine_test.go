package sim_test

// A property-based state-machine test of the simulator (pgregory.net/rapid): random sequences of
// Winsock calls made by several applications on three hosts, checked after every call against a
// small reference model kept here, plus a concurrency hammer for the race detector. The hosts'
// IPsec credentials and rules are drawn per sequence, and the model predicts negotiation between
// them (statemachine_ipsec_test.go, properties 7 to 10).
//
// The model is written from docs/windows-behaviour.md, the rulings and the rule texts, not from
// the simulator's code: it predicts the exact rule of every precondition failure, the port a
// connection or datagram reaches (most specific reservation first, earliest bind among equals,
// an exclusive socket keeps its address for itself), backlogs, SO_ERROR, overlapped completions
// and the host's socket count. Where the outcome depends on the bind-conflict tables (tested
// cell by cell in sim/ports) it only checks that the answer is one the table allows and is not
// spurious.
//
// Properties checked after every action, and again in the "" invariant:
//
//  1. WSASetSocketSecurity succeeds only on a socket that never had a local address, is not
//     listening, connecting or connected, and was not secured before; afterwards
//     SO_EXCLUSIVEADDRUSE reads 1.
//  2. Exclusivity: no socket receives a connection or datagram addressed to an address:port
//     that another socket holds with SO_EXCLUSIVEADDRUSE (set before its bind).
//  3. Every failure is a *sim.RuleError of a rule that sim.RulesFor(fn) lists, with that rule's
//     code; the model's prediction of the exact rule matches (GEN-NOTINITIALISED when the
//     application is not initialised, GEN-NOTSOCK for closed and made-up handles, ...).
//  4. A closed handle keeps giving WSAENOTSOCK.
//  5. Nothing panics; App.Inspect, App.Sockets and the trace agree with the model.
//  6. Host.OpenSockets() is the number of open sockets plus the connections waiting in
//     listeners' backlogs.
//  7–10. IPsec: see statemachine_ipsec_test.go. The virtual clock (Network.Now) is the model's:
//     blocking connects whose negotiation fails move it by 21 s, Settle to the last attempt due.
//
// The bugs this test found in the simulator have been fixed (the IPsec model found four: a UDP
// reply that negotiated again, a closed UDP socket's SAs that its peers kept, a CloseHandle
// outcome sim.RulesFor did not list, and an SA left by a connection the host refused).

import (
	"bytes"
	"encoding/binary"
	stderrors "errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sim/ipsec"
	"github.com/wsssim/wsssim/sim/ports"
	"github.com/wsssim/wsssim/sockaddr"
)

// ---------------------------------------------------------------------------------------------
// Configuration

const (
	// smSequences is how many rapid sequences TestStateMachine runs by default (rapid's own
	// default is 100). An explicit -rapid.checks flag or RAPID_CHECKS variable wins; -short
	// divides by 5, as rapid always does.
	smSequences = 1000
	// smSequencesRace is the default under the race detector, which makes each call about ten
	// times slower.
	smSequencesRace = 400
	// smSteps is the average number of actions in a sequence (rapid's default is 30): long
	// enough for sockets to get bound, listen, connect and be accepted.
	smSteps = 200
	// smSeed is the default run's seed.
	smSeed = 20261130
)

var (

	// smStats counts the outcomes the sequences reached ("fn rule"; "fn ok" for success), so
	// that the test can show, and check, that the generators reach the interesting states.
	smStatsMu sync.Mutex
	smStats   = map[string]int{}
)

func smCount(key string) {
	smStatsMu.Lock()
	smStats[key]++
	smStatsMu.Unlock()
}

// smRace reports whether the test binary was built with -race.
var smRace = func() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}()

// smExplicit reports whether the user set a rapid flag (-rapid.checks, or the RAPID_CHECKS
// variable). It looks once per flag, before this file changes the flag's value.
var (
	smExplicitMu sync.Mutex
	smExplicitOf = map[string]bool{}
)

func smExplicit(name, env string) bool {
	smExplicitMu.Lock()
	defer smExplicitMu.Unlock()
	if v, ok := smExplicitOf[name]; ok {
		return v
	}
	_, explicit := os.LookupEnv(env)
	flag.Visit(func(f *flag.Flag) {
		if f.Name == name {
			explicit = true
		}
	})
	smExplicitOf[name] = explicit
	return explicit
}

// smUseFlag sets a rapid flag for the duration of the test unless the user chose its value.
// rapid reads -rapid.checks when Check starts and -rapid.steps when Repeat starts, so setting
// the value here is enough; Value.Set (unlike flag.Set) leaves the flag "unset" for flag.Visit.
func smUseFlag(t *testing.T, name, env string, value int) {
	if smExplicit(name, env) {
		return
	}
	f := flag.Lookup(name)
	if f == nil {
		return
	}
	old := f.Value.String()
	if f.Value.String() != "0" && name == "rapid.seed" {
		return // a seed chosen another way (rapid's own default handling) stays
	}
	if err := f.Value.Set(strconv.Itoa(value)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Value.Set(old) })
}

// ---------------------------------------------------------------------------------------------
// The tests

func TestStateMachine(t *testing.T) {
	n := smSequences
	if smRace {
		n = smSequencesRace
	}
	smUseFlag(t, "rapid.checks", "RAPID_CHECKS", n)
	smUseFlag(t, "rapid.steps", "RAPID_STEPS", smSteps)
	// A fixed seed keeps the default run reproducible (the same 1,000 sequences every time, so
	// the must-reach check cannot flake); -rapid.seed=N explores others, and so does wsssim fuzz.
	smUseFlag(t, "rapid.seed", "RAPID_SEED", smSeed)
	sequences, actions := 0, 0
	start := time.Now()
	rapid.Check(t, func(rt *rapid.T) {
		w := newSMWorld(rt)
		sequences++
		rt.Repeat(w.actions(func() { actions++ }))
		w.finalCleanup(rt)
	})
	t.Logf("%d sequences (incl. shrinking), %d actions, %v", sequences, actions, time.Since(start).Round(time.Millisecond))
	smReportStats(t)
	smRemoveFailFiles(t)
}

// smRemoveFailFiles deletes, after a successful run, the fail files rapid keeps for this test
// (it replays them first, so they no longer fail) and the testdata directories they leave empty.
func smRemoveFailFiles(t *testing.T) {
	if t.Failed() {
		return
	}
	dir := filepath.Join("testdata", "rapid", t.Name())
	files, _ := filepath.Glob(filepath.Join(dir, "*.fail"))
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			t.Log(err)
		}
	}
	// Each Remove fails, harmlessly, if the directory is not empty.
	for _, d := range []string{dir, filepath.Dir(dir), "testdata"} {
		_ = os.Remove(d)
	}
}

// smMustReach are outcomes that a default run (1,000 sequences) reaches many times; not
// reaching one means a generator stopped producing the states the properties are about.
var smMustReach = []string{
	"accept ok", "listen ok", "bind ok", "bind BIND-INUSE", "bind BIND-ACCESS", "bind BIND-TWICE",
	"connect ok", "connect CONNECT-REFUSED", "ConnectEx CONNECTEX-PENDING", "WSAGetOverlappedResult ok",
	"WSASetSocketSecurity ok", "WSASetSocketSecurity SETSEC-BOUND", "WSASetSocketSecurity SETSEC-ISCONN",
	"WSASetSocketSecurity SETSEC-LISTENING", "WSACleanup ok", "socket SOCKET-MFILE", "connect BIND-NO-EPHEMERAL", "sendto ok", "getpeername ok", "getsockname ok",
	"~ connection delivered", "~ datagram delivered", "~ connection refused: backlog full", "~ connection refused: target host full",
	"~ connection to an exclusively held address, delivered to its holder",
	"~ connection to an exclusively held address, delivered to nobody",
	"~ datagram to an exclusively held address, delivered to its holder",
	// the behaviour of the fixes to the simulator
	"connect CONNECT-NETUNREACH", "WSAGetOverlappedResult CONNECT-NETUNREACH", "connect CONNECT-MAPPED-V6ONLY",
	"ConnectEx CONNECT-MAPPED-V6ONLY", "sendto SENDTO-MAPPED-V6ONLY", "setsockopt SOCKOPT-LEN-NEGATIVE",
	"setsockopt SOCKOPT-V6ONLY-BOUND", "~ setsockopt SO_ERROR", "~ bind on an accepted socket",
	"~ getsockname on an accepted socket", "~ getpeername while connecting", "~ pending ConnectEx aborted by closesocket",
	"~ UDP connect to an all-zero address",
	// IPsec (statemachine_ipsec_test.go)
	"connect CONNECT-NEGOTIATION", "WSAConnect CONNECT-NEGOTIATION", "WSAGetOverlappedResult CONNECT-NEGOTIATION",
	"WSAQuerySocketSecurity ok", "WSAImpersonateSocketPeer ok", "WSAImpersonateSocketPeer IMPERSONATE-NOT-SECURED",
	"WSASetSocketPeerTargetName ok", "CloseHandle ok", "CloseHandle CLOSEHANDLE-INVALID",
	"~ connection between hosts: secured", "~ connection between hosts: in the clear after a failure",
	"~ connection between hosts: no IPsec", "~ datagram secured", "~ datagram dropped: negotiation failed",
	"~ negotiated: peer name verified", "~ negotiated: peer name not verified (optional)", "~ negotiation failed: peer name mismatch",
	"~ negotiated: with explicit credentials",
	"~ query: SECURED", "~ query: SECURED|ENCRYPTED", "~ query: SECURED|IMPERSONATED", "~ query: clear text after a failed negotiation",
	"~ query: token PeerMachineAccessTokenHandle", "~ query: token PeerApplicationAccessTokenHandle",
	"~ query: quick-mode SA idled out", "~ query: a new quick-mode SA since the last query",
	"~ quick-mode SA renegotiated after idle", "~ IPsec: quick-mode SA rekeyed", "~ IPsec: quick-mode SA deleted when idle",
	"~ impersonating the responder's machine", "~ impersonating the initiator", "~ impersonating the initiator's user",
	"~ GetUserName while impersonating", "~ failed impersonation while impersonating", "~ revert while impersonating",
}

// smReportStats logs what the sequences reached (with -v) and checks that a full run reached
// the interesting states.
func smReportStats(t *testing.T) {
	smStatsMu.Lock()
	defer smStatsMu.Unlock()
	if testing.Verbose() {
		keys := make([]string, 0, len(smStats))
		for k := range smStats {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "\n%8d %s", smStats[k], k)
		}
		t.Logf("outcomes reached:%s", b.String())
	}
	if f := flag.Lookup("rapid.checks"); f == nil || f.Value.String() != strconv.Itoa(smSequences) || testing.Short() || t.Failed() {
		return
	}
	for _, k := range smMustReach {
		if smStats[k] == 0 {
			t.Errorf("no sequence reached %q: the generators no longer produce that state", k)
		}
	}
}

// actions is the table for rapid's Repeat. rapid draws an action's name from the sorted names,
// favouring the first few and otherwise uniformly, so the calls that build up state (socket,
// bind, listen, connect, accept) appear under several names, and the IPsec calls, which need a
// connection first, are named to sort last ("~") and leave the socket calls their share.
func (w *smWorld) actions(count func()) map[string]func(*rapid.T) {
	acts := map[string]func(*rapid.T){"": w.check}
	add := func(name string, weight int, f func(*rapid.T)) {
		for i := range weight {
			acts[fmt.Sprintf("%s#%d", name, i)] = func(t *rapid.T) { count(); f(t) }
		}
	}
	add("socket", 3, func(t *rapid.T) { w.actSocket(t, false) })
	add("socketOdd", 1, func(t *rapid.T) { w.actSocket(t, true) })
	add("setsockopt", 2, func(t *rapid.T) { w.actSetsockopt(t, false) })
	add("setsockoptSharing", 1, func(t *rapid.T) { w.actSetsockopt(t, true) })
	add("getsockopt", 1, w.actGetsockopt)
	add("bind", 3, w.actBind)
	add("listen", 3, w.actListen)
	add("connect", 3, func(t *rapid.T) { w.actConnect(t, "connect") })
	add("WSAConnect", 1, func(t *rapid.T) { w.actConnect(t, "WSAConnect") })
	add("ConnectEx", 1, func(t *rapid.T) { w.actConnect(t, "ConnectEx") })
	add("ioctlsocket", 1, w.actIoctl)
	add("accept", 2, w.actAccept)
	add("sendto", 2, w.actSendto)
	add("getsockname", 1, func(t *rapid.T) { w.actName(t, "getsockname") })
	add("getpeername", 1, func(t *rapid.T) { w.actName(t, "getpeername") })
	add("shutdown", 1, w.actShutdown)
	add("closesocket", 1, w.actClose)
	add("WSASetSocketSecurity", 2, w.actSetSecurity)
	add("startupCleanup", 1, w.actStartupCleanup)
	add("settle", 1, w.actSettle)
	add("WSAGetOverlappedResult", 1, w.actGetOverlapped)
	add("~WSASetSocketPeerTargetName", 1, w.actSetPeerTargetName)
	add("~WSAQuerySocketSecurity", 2, w.actQuery)
	add("~WSAImpersonateSocketPeer", 2, w.actImpersonate)
	add("~WSARevertImpersonation", 1, w.actRevert)
	add("~GetUserName", 1, w.actGetUserName)
	add("~CloseHandle", 1, w.actCloseHandle)
	add("~secureServer", 1, w.actSecureServer)
	add("~secureClient", 1, w.actSecureClient)
	add("~keepAlive", 1, w.actKeepAlive)
	// rapid favours the last name too: a cheap action.
	add("~virtualClockAdvance", 1, w.actAdvance)
	return acts
}

// ---------------------------------------------------------------------------------------------
// The model

type smWorld struct {
	net      *sim.Network
	tr       *smTracer
	hosts    []*smHost
	apps     []*smApp
	seq      int          // bind order
	attempts []*smAttempt // connection attempts in flight, in order of creation
	ovs      []*smOv

	checks int // how many times the invariants were checked

	now   time.Duration // the virtual clock
	conns []*smSA       // the secured SAs whose life runs on the clock
	udp   map[smUDPKey]smUDPSec
}

type smHost struct {
	name       string
	h          *sim.Host
	addrs      []netip.Addr // the non-loopback addresses
	apps       []*smApp
	maxSockets int
	ephFirst   uint16 // the dynamic port range
	ephLast    uint16
	creds      ipsec.Credentials
	rules      []sim.ConnectionRule
	failOver   bool
}

type smApp struct {
	host     *smHost
	app      *sim.App
	th       *sim.Thread
	label    string
	admin    bool
	user     string
	startups int
	socks    map[sim.Handle]*smSock // every handle the application was ever given
	order    []sim.Handle
	threads  []*smThread // the main thread and another one
	// tokens are the peer-token handles WSAQuerySocketSecurity gave and CloseHandle did not
	// close yet; tokenOrder lists them for drawing.
	tokens     map[uint64]bool
	tokenOrder []uint64
	// changes counts the model's changes to the set of open sockets; changesSeen is the count
	// when App.Sockets was last compared with it.
	changes, changesSeen int
}

// smRes is a port reservation: what bind (explicit or implicit) took in the host's table.
type smRes struct {
	typ              int32 // SOCK_STREAM (TCP) or SOCK_DGRAM (UDP)
	addr             sockaddr.Addr
	excl, reuse      bool // the options when the socket was bound
	dual             bool // AF_INET6 `::` with IPV6_V6ONLY 0: also the IPv4 wildcard
	seq              int
	v4, specificAddr bool
}

// smConn is a connection waiting in a listener's backlog: its addresses as the accepted socket
// will see them. The socket takes the listener's options when accept returns it.
type smConn struct {
	local, peer sockaddr.Addr
	sa          *smSA
}

type smOv struct {
	ov            *sim.Overlapped
	by            *smSock // the socket whose operation last started it
	pending, done bool
	result        string // rule ID, "" for success
}

type smAttempt struct {
	s      *smSock
	result string
	ov     *smOv
	due    time.Duration // when the outcome reaches the socket
}

type smSock struct {
	app        *smApp
	h          sim.Handle
	family     int32
	typ        int32
	overlapped bool
	closed     bool

	reuse, excl, v6only, nonblocking, secured, shutSend bool
	settings                                            *policy.Settings

	hasLocal bool // has a local address (accepted sockets have their listener's)
	wasBound bool
	res      *smRes // the port reservation (accepted sockets have none of their own)
	accepted bool
	local    sockaddr.Addr
	peer     sockaddr.Addr

	listening    bool
	backlog      int
	queue        []smConn
	connecting   bool
	attempt      *smAttempt
	connected    bool
	viaConnectEx bool
	soErr        errors.Errno
	received     uint64
	ov           *smOv

	ptn       string // the peer target name set for a TCP connect
	sa        *smSA  // what negotiation left on the TCP connection
	initiator bool
}

func (m *smSock) stream() bool { return m.typ == sim.SOCK_STREAM }
func (m *smSock) dgram() bool  { return m.typ == sim.SOCK_DGRAM }
func (m *smSock) inet() bool   { return m.family == sim.AF_INET || m.family == sim.AF_INET6 }

func (m *smSock) state() sim.State {
	switch {
	case m.closed:
		return sim.StateClosed
	case m.connecting:
		return sim.StateConnecting
	case m.connected:
		return sim.StateConnected
	case m.listening:
		return sim.StateListening
	case m.hasLocal:
		return sim.StateBound
	}
	return sim.StateOpen
}

func (m *smSock) String() string { return m.app.label + " " + m.h.String() }

// smTracer keeps the last event of a call and, apart, the notes of the events the network makes
// on its own (IPsec SAs made, rekeyed, expired), which may come before, during or after a call.
type smTracer struct {
	mu     sync.Mutex
	last   sim.Event
	n      uint64
	ipsec  []string
	leaked string // an event that showed the explicit credentials' password (property 10)
}

func (tr *smTracer) Event(e sim.Event) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, text := range []string{e.Args, e.Note, e.Reason} {
		if strings.Contains(text, smPassword) && tr.leaked == "" {
			tr.leaked = fmt.Sprintf("%+v", e)
		}
	}
	if e.Func == "IPsec" {
		if e.Thread != 1 || e.Handle != sim.INVALID_SOCKET {
			tr.leaked = fmt.Sprintf("an IPsec event names thread %d, handle %v: %+v", e.Thread, e.Handle, e)
		}
		tr.ipsec = append(tr.ipsec, e.Note)
		return
	}
	tr.last, tr.n = e, tr.n+1
}

func (tr *smTracer) drainIPsec() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := tr.ipsec
	tr.ipsec = nil
	return out
}

func (tr *smTracer) take() (sim.Event, uint64) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.last, tr.n
}

func smIP(s string) netip.Addr { return netip.MustParseAddr(s) }

func newSMWorld(t *rapid.T) *smWorld {
	w := &smWorld{net: sim.NewNetwork(), tr: &smTracer{}, udp: map[smUDPKey]smUDPSec{}}
	w.net.SetTracer(w.tr)
	addHost := func(cfg sim.HostConfig, m *smHost) *sim.Host {
		m.creds, m.rules, m.failOver = drawHostIPsec(t, m.name)
		cfg.Name, cfg.Addresses = m.name, m.addrs
		cfg.Credentials, cfg.Rules, cfg.FailOver = m.creds, m.rules, m.failOver
		h, err := w.net.AddHost(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.h = h
		w.hosts = append(w.hosts, m)
		return h
	}
	ha := &smHost{name: "a", addrs: []netip.Addr{smIP("10.0.0.1"), smIP("fd00::1")},
		maxSockets: sim.DefaultMaxSockets, ephFirst: ports.DefaultEphemeralFirst, ephLast: ports.DefaultEphemeralLast}
	a := addHost(sim.HostConfig{}, ha)
	// Host b is small, so that its limits are reached: 8 sockets, 2 dynamic ports.
	hb := &smHost{name: "b", addrs: []netip.Addr{smIP("10.0.0.2")}, maxSockets: 8, ephFirst: 49152, ephLast: 49153}
	b := addHost(sim.HostConfig{MaxSockets: 8, Ports: ports.Options{EphemeralFirst: 49152, EphemeralLast: 49153}}, hb)
	// Host c is a third party for IPsec: its own credentials against a's and b's.
	hc := &smHost{name: "c", addrs: []netip.Addr{smIP("10.0.0.3")},
		maxSockets: sim.DefaultMaxSockets, ephFirst: ports.DefaultEphemeralFirst, ephLast: ports.DefaultEphemeralLast}
	c := addHost(sim.HostConfig{}, hc)
	w.addApp(ha, a.App(), "SYSTEM", true)
	for _, name := range []string{"app2", "app3"} {
		app, err := a.NewApp(name, "alice") // app2 and app3: the same user, not SYSTEM's
		if err != nil {
			t.Fatal(err)
		}
		w.addApp(ha, app, "alice", false)
	}
	w.addApp(hb, b.App(), "SYSTEM", true)
	w.addApp(hc, c.App(), "SYSTEM", true)
	return w
}

func (w *smWorld) addApp(h *smHost, app *sim.App, user string, admin bool) {
	a := &smApp{host: h, app: app, th: app.Main(), label: app.Label(), admin: admin, user: user, startups: 1,
		socks: map[sim.Handle]*smSock{}, tokens: map[uint64]bool{}}
	for _, th := range []*sim.Thread{app.Main(), app.NewThread()} {
		a.threads = append(a.threads, &smThread{th: th, id: th.ID()})
	}
	h.apps = append(h.apps, a)
	w.apps = append(w.apps, a)
}

func (w *smWorld) newOv() *smOv {
	o := &smOv{ov: new(sim.Overlapped)}
	w.ovs = append(w.ovs, o)
	return o
}

func (a *smApp) open(h sim.Handle) *smSock {
	if m := a.socks[h]; m != nil && !m.closed {
		return m
	}
	return nil
}

func (a *smApp) add(m *smSock) {
	a.socks[m.h] = m
	a.order = append(a.order, m.h)
	a.changes++
}

func (h *smHost) owns(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || slices.Contains(h.addrs, ip)
}

func (w *smWorld) route(from *smHost, ip netip.Addr) *smHost {
	if from.owns(ip) {
		return from
	}
	for _, h := range w.hosts {
		if slices.Contains(h.addrs, ip.Unmap()) {
			return h
		}
	}
	return nil
}

func (w *smWorld) openSocks(h *smHost) []*smSock {
	var out []*smSock
	for _, a := range h.apps {
		for _, hd := range a.order {
			if m := a.socks[hd]; !m.closed {
				out = append(out, m)
			}
		}
	}
	return out
}

// count is the host's socket count: open sockets and connections waiting in backlogs.
func (w *smWorld) count(h *smHost) int {
	n := 0
	for _, m := range w.openSocks(h) {
		n += 1 + len(m.queue)
	}
	return n
}

// ephemeralFree reports whether a port of the host's dynamic range holds no reservation of the
// protocol: a bind to port 0 (explicit or implicit) takes such a port, or fails.
func (w *smWorld) ephemeralFree(h *smHost, typ int32) bool {
	taken := map[uint16]bool{}
	for _, m := range w.openSocks(h) {
		if m.res != nil && m.res.typ == typ {
			taken[m.res.addr.Port] = true
		}
	}
	for p := int(h.ephFirst); p <= int(h.ephLast); p++ {
		if !taken[uint16(p)] {
			return true
		}
	}
	return false
}

func (w *smWorld) allOpen() []*smSock {
	var out []*smSock
	for _, h := range w.hosts {
		out = append(out, w.openSocks(h)...)
	}
	return out
}

// ---------------------------------------------------------------------------------------------
// Addresses: the model's view of reservations, routes and delivery

func inV4Space(a sockaddr.Addr) bool { return a.Family == sockaddr.AF_INET || a.IP.Is4In6() }

// asSeenBy writes an address in the family of a socket: a dual-stack IPv6 socket sees IPv4
// peers as IPv4-mapped addresses, an IPv4 socket sees IPv4-mapped ones as IPv4.
func asSeenBy(family int32, a sockaddr.Addr) sockaddr.Addr {
	if family == sim.AF_INET6 && a.Family == sockaddr.AF_INET {
		return sockaddr.Addr{Family: sockaddr.AF_INET6, IP: netip.AddrFrom16(a.IP.As16()), Port: a.Port}
	}
	if family == sim.AF_INET && a.IsV4Mapped() {
		return sockaddr.Addr{Family: sockaddr.AF_INET, IP: a.IP.Unmap(), Port: a.Port}
	}
	return a
}

func (w *smWorld) newRes(m *smSock, addr sockaddr.Addr) *smRes {
	w.seq++
	r := &smRes{typ: m.typ, addr: addr, excl: m.excl, reuse: m.reuse, seq: w.seq, v4: inV4Space(addr), specificAddr: !addr.IsWildcard()}
	r.dual = m.family == sim.AF_INET6 && !r.v4 && !r.specificAddr && !m.v6only
	return r
}

// covers gives the level at which a reservation receives traffic for dst: 2 for its exact
// address, 1 for the wildcard of dst's address space, 0 for the IPv4 half of a dual-stack
// `::`; -1 when it does not receive it.
func covers(r *smRes, dst sockaddr.Addr) int {
	dv4 := inV4Space(dst)
	if r.v4 == dv4 {
		if !r.specificAddr {
			return 1
		}
		if r.addr.IP.Unmap() == dst.IP.Unmap() {
			return 2
		}
		return -1
	}
	if dv4 && r.dual {
		return 0
	}
	return -1
}

// receiver is the socket of host h that receives a connection (stream) or datagram (dgram) sent
// to dst: the most specific reservation, the earliest bound among equals; for connections only
// listeners count, and an exclusive socket that does not listen keeps its address from the
// less specific ones.
func (w *smWorld) receiver(h *smHost, typ int32, dst sockaddr.Addr) *smSock {
	if dst.Port == 0 || dst.IsWildcard() {
		return nil
	}
	var best [3]*smSock
	var blocked [3]bool
	for _, m := range w.openSocks(h) {
		r := m.res
		if r == nil || r.typ != typ || r.addr.Port != dst.Port {
			continue
		}
		lv := covers(r, dst)
		if lv < 0 {
			continue
		}
		switch {
		case typ == sim.SOCK_DGRAM || m.listening:
			if best[lv] != nil {
				smCount("~ delivery decided between sockets sharing an address")
			}
			if best[lv] == nil || best[lv].res.seq > r.seq {
				best[lv] = m
			}
		case r.excl:
			blocked[lv] = true
		}
	}
	for lv := 2; lv >= 0; lv-- {
		if best[lv] != nil {
			return best[lv]
		}
		if blocked[lv] {
			return nil
		}
	}
	return nil
}

// sourceFor is the local address a packet from m to dst leaves from; false when no local
// address reaches dst (CONNECT-NETUNREACH): a specific local address only reaches destinations
// of its IP version, and loopback only this host; a wildcard one leaves from dst itself if the
// host owns it, else from the host's first address of dst's IP version, if any. gap names the
// one case where the simulator departs from this (MAPPED-ANY-SOURCE); src and ok are then the
// simulator's.
func (w *smWorld) sourceFor(m *smSock, dst sockaddr.Addr) (src sockaddr.Addr, ok bool) {
	host := m.app.host
	ip := dst.IP.Unmap()
	if !m.local.IsWildcard() {
		local := m.local.IP.Unmap()
		if local.Is4() != ip.Is4() || (local.IsLoopback() && !host.owns(ip)) {
			return sockaddr.Addr{}, false
		}
		return m.local, true
	}
	if m.local.IsV4Mapped() && !ip.Is4() {
		return sockaddr.Addr{}, false // bound to the IPv4 wildcard: no IPv6 route
	}
	var from netip.Addr
	if host.owns(ip) {
		from = ip
	} else {
		for _, a := range host.addrs {
			if a.Is4() == ip.Is4() {
				from = a
				break
			}
		}
	}
	if !from.IsValid() {
		return sockaddr.Addr{}, false
	}
	if m.family == sim.AF_INET6 && from.Is4() {
		from = netip.AddrFrom16(from.As16())
	}
	return sockaddr.From(from, m.local.Port), true
}

// unroutable reports whether a datagram from m to its destination (to, or its peer when buf is
// NULL) finds no local address to leave from, once an implicit bind gave it the wildcard.
func (w *smWorld) unroutable(m *smSock, peer sockaddr.Addr, buf []byte, to sockaddr.Addr) bool {
	dst := peer
	if buf != nil {
		dst = to
	}
	probe := *m
	if !m.hasLocal {
		probe.local = sockaddr.Any(sockaddr.Family(m.family), 0)
	}
	_, ok := w.sourceFor(&probe, dst)
	return !ok
}

// exclusiveHolder returns a socket of host h, other than r, that holds dst's address:port
// exclusively (SO_EXCLUSIVEADDRUSE before its bind): exactly that address, the wildcard of its
// space, or a dual-stack `::` for an IPv4 destination.
func (w *smWorld) exclusiveHolder(h *smHost, typ int32, dst sockaddr.Addr, r *smSock) *smSock {
	for _, x := range w.openSocks(h) {
		if x == r || x.res == nil || !x.res.excl || x.res.typ != typ || x.res.addr.Port != dst.Port {
			continue
		}
		if covers(x.res, dst) >= 0 {
			return x
		}
	}
	return nil
}

// ---------------------------------------------------------------------------------------------
// Generators

var (
	smPorts    = []uint16{0, 80, 81, 49152}
	smDstPorts = []uint16{80, 81, 49152, 80, 81, 0}
	smV4       = []string{"0.0.0.0", "0.0.0.0", "127.0.0.1", "127.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.9"}
	smV6       = []string{"::", "::", "::1", "::1", "fd00::1", "fd00::9", "::ffff:127.0.0.1", "::ffff:0.0.0.0", "::ffff:10.0.0.1", "::ffff:10.0.0.2"}
	smMadeUp   = []sim.Handle{0, 4, 0x2000, 0xdeadbeec, sim.INVALID_SOCKET}
)

// smVariant draws 0 (the ordinary case) most of the time and 1..n for n unusual variants, each
// about once in outOf draws. rapid favours small integers and shrinks towards them, so the
// ordinary case must be the small one.
func smVariant(t *rapid.T, label string, n, outOf int) int {
	k := rapid.IntRange(0, outOf-1).Draw(t, label)
	if k < outOf-n {
		return 0
	}
	return k - (outOf - n) + 1
}

// drawApp picks an application: mostly host a's default one and app2 (another user), less
// often app3 (app2's user), host b's and host c's.
func (w *smWorld) drawApp(t *rapid.T) *smApp {
	return w.apps[rapid.SampledFrom([]int{0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4}).Draw(t, "app")]
}

// drawHandle picks mostly one of the application's open sockets, sometimes any handle the
// model knows (closed ones, other applications'), sometimes a made-up value.
func (w *smWorld) drawHandle(t *rapid.T, a *smApp) sim.Handle {
	var own, any []sim.Handle
	for _, h := range a.order {
		if !a.socks[h].closed {
			own = append(own, h)
		}
	}
	for _, b := range w.apps {
		any = append(any, b.order...)
	}
	k := rapid.IntRange(0, 19).Draw(t, "handleFrom")
	switch {
	case k < 17 && len(own) > 0:
		return rapid.SampledFrom(own).Draw(t, "own")
	case k < 19 && len(any) > 0:
		return rapid.SampledFrom(any).Draw(t, "known")
	}
	return rapid.SampledFrom(smMadeUp).Draw(t, "madeUp")
}

// drawTarget picks the calling application and the handle it passes. Most of the time it is
// one of the open sockets (of any application) for which fit holds (nil: any), so that calls
// reach the states where they do something; otherwise a random application and drawHandle.
func (w *smWorld) drawTarget(t *rapid.T, fit func(*smSock) bool) (*smApp, sim.Handle) {
	var fits []*smSock
	for _, m := range w.allOpen() {
		if fit == nil || fit(m) {
			fits = append(fits, m)
		}
	}
	if len(fits) > 0 && smVariant(t, "anyHandle", 1, 5) == 0 {
		m := rapid.SampledFrom(fits).Draw(t, "fit")
		return m.app, m.h
	}
	a := w.drawApp(t)
	return a, w.drawHandle(t, a)
}

func (w *smWorld) drawAddr(t *rapid.T, a *smApp, family, typ int32, bind bool) sockaddr.Addr {
	return w.drawAddrFrom(t, a, nil, family, typ, bind)
}

// drawAddrFrom is drawAddr for traffic from socket from (nil: not known), which aims at the
// sockets that would negotiate IPsec with it more often.
func (w *smWorld) drawAddrFrom(t *rapid.T, a *smApp, from *smSock, family, typ int32, bind bool) sockaddr.Addr {
	if (family != sim.AF_INET && family != sim.AF_INET6) || smVariant(t, "otherFamily", 1, 10) == 1 {
		family = rapid.SampledFrom([]int32{sim.AF_INET, sim.AF_INET6}).Draw(t, "addrFamily")
	}
	if !bind && rapid.IntRange(0, 2).Draw(t, "toListener") > 0 {
		if addr, ok := w.drawListenerAddr(t, a, from, family, typ); ok {
			return addr
		}
	}
	pool := smV4
	if family == sim.AF_INET6 {
		pool = smV6
	}
	ip := smIP(rapid.SampledFrom(pool).Draw(t, "ip"))
	ports := smDstPorts
	if bind {
		ports = smPorts
		// Half the binds go for a port someone on the host holds, so that the conflict rules
		// and the delivery rules between sockets sharing a port are exercised often.
		var held []*smRes
		for _, m := range w.openSocks(a.host) {
			if m.res != nil {
				held = append(held, m.res)
			}
		}
		if len(held) > 0 && rapid.Bool().Draw(t, "heldPort") {
			r := rapid.SampledFrom(held).Draw(t, "held")
			// ... and half of those for its very address (SO_REUSEADDR sharing, S→S and W→W).
			if ip := r.addr.IP.Unmap(); rapid.Bool().Draw(t, "heldAddr") && !(family == sim.AF_INET && ip.Is6()) {
				if family == sim.AF_INET6 && ip.Is4() {
					ip = netip.AddrFrom16(ip.As16())
				}
				return sockaddr.Addr{Family: sockaddr.Family(family), IP: ip, Port: r.addr.Port}
			}
			ports = []uint16{r.addr.Port}
		}
	}
	port := rapid.SampledFrom(ports).Draw(t, "port")
	if family == sim.AF_INET6 {
		return sockaddr.Addr{Family: sockaddr.AF_INET6, IP: ip, Port: port}
	}
	return sockaddr.Addr{Family: sockaddr.AF_INET, IP: ip, Port: port}
}

// drawListenerAddr aims at a bound socket of the type (a listener, or a UDP socket), so that
// connections and datagrams reach someone often.
func (w *smWorld) drawListenerAddr(t *rapid.T, a *smApp, from *smSock, family, typ int32) (sockaddr.Addr, bool) {
	var targets []*smSock
	for _, m := range w.allOpen() {
		if m.res != nil && m.typ == typ && (m.listening || m.dgram()) {
			targets = append(targets, m)
		}
	}
	if len(targets) == 0 {
		return sockaddr.Addr{}, false
	}
	// Sockets sharing their address with another (SO_REUSEADDR) are rare and interesting:
	// delivery must pick the earliest bound.
	var sharing []*smSock
	for _, m := range targets {
		for _, x := range targets {
			if x != m && x.app.host == m.app.host && x.res.addr.Port == m.res.addr.Port && x.res.v4 == m.res.v4 &&
				x.res.addr.IP.Unmap() == m.res.addr.IP.Unmap() {
				sharing = append(sharing, m)
				break
			}
		}
	}
	if len(sharing) > 0 && rapid.Bool().Draw(t, "toSharing") {
		targets = sharing
	}
	// Traffic to another host is what IPsec protects: aim there a third of the time, and from
	// a secured socket half of the time, then mostly at secured sockets.
	var remote, secured []*smSock
	for _, m := range targets {
		if m.app.host != a.host {
			remote = append(remote, m)
			if m.secured {
				secured = append(secured, m)
			}
		}
	}
	switch k := rapid.IntRange(0, 5).Draw(t, "toRemote"); {
	case from != nil && from.secured && len(secured) > 0 && k < 2:
		targets = secured
	case len(remote) > 0 && (k < 2 || (from != nil && from.secured && k < 3)):
		targets = remote
	}
	l := rapid.SampledFrom(targets).Draw(t, "target")
	var ips []netip.Addr
	switch {
	case l.res.specificAddr:
		ips = append(ips, l.res.addr.IP.Unmap())
	default:
		for _, ip := range append([]netip.Addr{smIP("127.0.0.1"), smIP("::1")}, l.app.host.addrs...) {
			if ip.IsLoopback() && l.app.host != a.host {
				continue
			}
			ips = append(ips, ip)
		}
	}
	ip := rapid.SampledFrom(ips).Draw(t, "targetIP")
	switch {
	case family == sim.AF_INET6 && ip.Is4():
		ip = netip.AddrFrom16(ip.As16())
	case family == sim.AF_INET && ip.Is6():
		return sockaddr.Addr{}, false
	}
	return sockaddr.From(ip, l.res.addr.Port), true
}

// drawAddrBuf encodes an address as a (name, namelen) pair, sometimes wrongly.
func drawAddrBuf(t *rapid.T, addr sockaddr.Addr) ([]byte, int32) {
	b := addr.Encode()
	switch smVariant(t, "addrEncoding", 7, 35) {
	case 1:
		return nil, int32(len(b))
	case 2:
		return b, int32(len(b) - 1)
	case 3:
		return b, int32(len(b) + 4) // longer than the buffer really is
	case 4:
		bb := make([]byte, 16)
		binary.LittleEndian.PutUint16(bb, 0xdead)
		return bb, 16
	case 5, 6:
		return make([]byte, 16), 16 // AF_UNSPEC: dissolves a UDP association
	case 7:
		return addr.EncodeStorage(), sockaddr.SizeofSockaddrStorage
	}
	return b, int32(len(b))
}

type smAddrArg struct {
	addr sockaddr.Addr
	err  errors.Errno // how Winsock reads (name, namelen): WSAEFAULT, WSAEAFNOSUPPORT or 0
}

func decodeArg(buf []byte, n int32) smAddrArg {
	if buf == nil || n < 0 || int(n) > len(buf) {
		return smAddrArg{err: errors.WSAEFAULT}
	}
	a, err := sockaddr.Decode(buf[:n])
	return smAddrArg{addr: a, err: err}
}

// ---------------------------------------------------------------------------------------------
// Checking one call

// result checks what every failure must be (property 3) and the trace, and returns the rule ID
// ("" for success).
func (w *smWorld) result(t *rapid.T, fn string, a *smApp, h sim.Handle, err error, n0 uint64) string {
	t.Helper()
	return w.resultOn(t, fn, a, 1, h, err, n0)
}

// resultOn is result for a call made on the application's thread number thread.
func (w *smWorld) resultOn(t *rapid.T, fn string, a *smApp, thread int, h sim.Handle, err error, n0 uint64) string {
	t.Helper()
	ev, n := w.tr.take()
	if n != n0+1 {
		t.Fatalf("%s: %d trace events, want 1", fn, n-n0)
	}
	if ev.Func != fn || ev.App != a.label || ev.Thread != thread {
		t.Fatalf("%s by %s: trace says %v", fn, a.label, ev)
	}
	if fn != "socket" && fn != "WSASocket" && fn != "WSAStartup" && fn != "WSACleanup" && ev.Handle != h {
		t.Fatalf("%s(%v): trace names handle %v", fn, h, ev.Handle)
	}
	if err == nil {
		if ev.Code != 0 || ev.Rule != nil {
			t.Fatalf("%s succeeded but the trace says %v", fn, ev)
		}
		smCount(fn + " ok")
		return ""
	}
	var re *sim.RuleError
	if !stderrors.As(err, &re) {
		t.Fatalf("%s: error %v (%T) is not a *sim.RuleError", fn, err, err)
	}
	r := re.Rule
	if !slices.Contains(sim.RulesFor(fn), r) {
		t.Fatalf("%s: rule %s (func %q) is not one sim.RulesFor(%q) lists", fn, r.ID, r.Func, fn)
	}
	var code errors.Errno
	if re.Code() != r.Code || !stderrors.Is(err, r.Code) || !stderrors.As(err, &code) || code != r.Code {
		t.Fatalf("%s: error %v does not carry its rule's code %v", fn, err, r.Code)
	}
	if ev.Rule != r || ev.Code != r.Code {
		t.Fatalf("%s failed with %s but the trace says %v", fn, r.ID, ev)
	}
	smCount(fn + " " + r.ID)
	return r.ID
}

// expect compares the rule the simulator gave with the model's prediction.
func expect(t *rapid.T, fn string, m *smSock, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s on %v: got %s, model predicts %s\nsocket: %s", fn, m, ruleName(got), ruleName(want), describe(m))
	}
}

func ruleName(id string) string {
	if id == "" {
		return "success"
	}
	return id
}

func describe(m *smSock) string {
	if m == nil {
		return "<none>"
	}
	return fmt.Sprintf("family=%d type=%d state=%v local=%v peer=%v res=%+v reuse=%v excl=%v v6only=%v nb=%v secured=%v wasBound=%v accepted=%v viaConnectEx=%v queue=%d",
		m.family, m.typ, m.state(), m.local, m.peer, m.res, m.reuse, m.excl, m.v6only, m.nonblocking, m.secured, m.wasBound, m.accepted, m.viaConnectEx, len(m.queue))
}

// common predicts the two rules every socket call checks first.
func common(a *smApp, h sim.Handle) (*smSock, string) {
	if a.startups == 0 {
		return nil, "GEN-NOTINITIALISED"
	}
	m := a.open(h)
	if m == nil {
		return nil, "GEN-NOTSOCK"
	}
	return m, ""
}

// ---------------------------------------------------------------------------------------------
// Deliveries (property 2)

// deliveries compares every socket's Received counter with the model's and returns the sockets
// that received something during the last call.
func (w *smWorld) deliveries(t *rapid.T) []*smSock {
	var out []*smSock
	for _, m := range w.allOpen() {
		info, ok := m.app.app.Inspect(m.h)
		if !ok {
			t.Fatalf("Inspect(%v) failed for an open socket", m)
		}
		switch {
		case info.Received == m.received+1:
			out = append(out, m)
		case info.Received != m.received:
			t.Fatalf("%v received %d, model counts %d", m, info.Received, m.received)
		}
	}
	return out
}

// delivered checks one call's deliveries against the model's prediction (nil: nobody) and the
// exclusivity property, and counts them.
func (w *smWorld) delivered(t *rapid.T, fn string, from *smSock, typ int32, dst sockaddr.Addr, target *smHost, want *smSock) {
	t.Helper()
	got := w.deliveries(t)
	if target != nil {
		kind := map[int32]string{sim.SOCK_STREAM: "connection", sim.SOCK_DGRAM: "datagram"}[typ]
		x := w.exclusiveHolder(target, typ, dst, nil)
		switch {
		case len(got) > 0 && x != nil:
			smCount("~ " + kind + " to an exclusively held address, delivered to its holder")
		case len(got) > 0:
			smCount("~ " + kind + " delivered")
		case x != nil:
			smCount("~ " + kind + " to an exclusively held address, delivered to nobody")
		default:
			smCount("~ " + kind + " delivered to nobody")
		}
	}
	for _, r := range got {
		if target == nil || r.app.host != target {
			t.Fatalf("%s from %v to %v: delivered to %v on host %s", fn, from, dst, r, r.app.host.name)
		}
		if x := w.exclusiveHolder(target, typ, dst, r); x != nil {
			t.Fatalf("exclusivity violated: %s from %v to %v delivered to %v while %v holds it with SO_EXCLUSIVEADDRUSE (%v)",
				fn, from, dst, r, x, x.res.addr)
		}
		if r.res == nil || r.res.typ != typ || r.res.addr.Port != dst.Port || covers(r.res, dst) < 0 {
			t.Fatalf("%s to %v delivered to %v, whose reservation %+v does not cover it", fn, dst, r, r.res)
		}
		r.received++
	}
	switch {
	case want == nil && len(got) > 0:
		t.Fatalf("%s from %v to %v: delivered to %v, model predicts nobody", fn, from, dst, got[0])
	case want != nil && (len(got) != 1 || got[0] != want):
		t.Fatalf("%s from %v to %v: delivered to %v, model predicts %v (%s)", fn, from, dst, got, want, describe(want))
	}
}

func noteFor(m *smSock) string {
	if m == nil {
		return ""
	}
	return "-> " + m.app.label + " " + m.h.String()
}

func (w *smWorld) checkNote(t *rapid.T, fn string, want string) {
	t.Helper()
	ev, _ := w.tr.take()
	if ev.Note != want {
		t.Fatalf("%s: trace note %q, want %q", fn, ev.Note, want)
	}
}

// ---------------------------------------------------------------------------------------------
// Actions

func smTypeKnown(af, typ int32) bool {
	if af == sim.AF_UNIX {
		return typ == sim.SOCK_STREAM || typ == 0
	}
	switch typ {
	case 0, sim.SOCK_STREAM, sim.SOCK_DGRAM, sim.SOCK_RAW:
		return true
	}
	return false
}

func smResolvedType(typ, proto int32) int32 {
	if typ != 0 {
		return typ
	}
	switch proto {
	case sim.IPPROTO_UDP:
		return sim.SOCK_DGRAM
	case sim.IPPROTO_ICMP, sim.IPPROTO_ICMPV6, sim.IPPROTO_RAW:
		return sim.SOCK_RAW
	}
	return sim.SOCK_STREAM
}

func smProtocolKnown(af, typ, proto int32) bool {
	if af == sim.AF_UNIX {
		return proto == 0
	}
	switch smResolvedType(typ, proto) {
	case sim.SOCK_STREAM:
		return proto == 0 || proto == sim.IPPROTO_TCP
	case sim.SOCK_DGRAM:
		return proto == 0 || proto == sim.IPPROTO_UDP
	case sim.SOCK_RAW:
		return proto >= 0 && proto <= 255
	}
	return false
}

func (w *smWorld) actSocket(t *rapid.T, odd bool) {
	a := w.drawApp(t)
	var af, typ, proto int32
	if odd {
		af = rapid.SampledFrom([]int32{sim.AF_INET, sim.AF_INET6, sim.AF_UNIX, sim.AF_UNSPEC, 0xdead, -1}).Draw(t, "af")
		typ = rapid.SampledFrom([]int32{0, sim.SOCK_STREAM, sim.SOCK_DGRAM, sim.SOCK_RAW, sim.SOCK_SEQPACKET, 0xdead}).Draw(t, "type")
		proto = rapid.SampledFrom([]int32{0, sim.IPPROTO_TCP, sim.IPPROTO_UDP, sim.IPPROTO_ICMP, 0xdead, -1}).Draw(t, "proto")
	} else {
		af = rapid.SampledFrom([]int32{sim.AF_INET, sim.AF_INET, sim.AF_INET, sim.AF_INET6, sim.AF_INET6, sim.AF_INET6, sim.AF_UNIX}).Draw(t, "af")
		typ = rapid.SampledFrom([]int32{sim.SOCK_STREAM, sim.SOCK_DGRAM}).Draw(t, "type")
		if af == sim.AF_UNIX {
			typ = sim.SOCK_STREAM
		}
		proto = 0
	}
	wsa := rapid.Bool().Draw(t, "WSASocket")
	flags := uint32(0)
	if wsa {
		flags = rapid.SampledFrom([]uint32{0, sim.WSA_FLAG_OVERLAPPED, sim.WSA_FLAG_OVERLAPPED | sim.WSA_FLAG_NO_HANDLE_INHERIT, 0x8000}).Draw(t, "flags")
	}
	w.doSocket(t, a, af, typ, proto, wsa, flags)
}

// doSocket makes the call socket (or WSASocket, with flags) and checks it; it returns the new
// handle, INVALID_SOCKET when the call failed.
func (w *smWorld) doSocket(t *rapid.T, a *smApp, af, typ, proto int32, wsa bool, flags uint32) sim.Handle {
	fn, want := "socket", ""
	if wsa {
		fn = "WSASocket"
	}
	switch {
	case a.startups == 0:
		want = "GEN-NOTINITIALISED"
	case af == sim.AF_UNSPEC && proto == 0:
		want = "SOCKET-UNSPEC"
	case !smTypeKnown(af, typ):
		want = "SOCKET-TYPE"
	case af != sim.AF_INET && af != sim.AF_INET6 && af != sim.AF_UNIX && af != sim.AF_UNSPEC:
		want = "SOCKET-FAMILY"
	case !smProtocolKnown(af, typ, proto):
		want = "SOCKET-PROTOCOL"
	case wsa && flags&0x8000 != 0:
		want = "WSASOCKET-FLAGS"
	case smResolvedType(typ, proto) == sim.SOCK_RAW && !a.admin:
		want = "SOCKET-RAW-ACCESS"
	case w.count(a.host) >= a.host.maxSockets:
		want = "SOCKET-MFILE"
	}

	_, n0 := w.tr.take()
	var h sim.Handle
	var err error
	if wsa {
		h, err = a.th.WSASocket(af, typ, proto, flags)
	} else {
		h, err = a.th.Socket(af, typ, proto)
	}
	got := w.result(t, fn, a, 0, err, n0)
	expect(t, fn, nil, got, want)
	if got != "" {
		if h != sim.INVALID_SOCKET {
			t.Fatalf("%s failed but returned %v", fn, h)
		}
		return sim.INVALID_SOCKET
	}
	w.checkNote(t, fn, "-> "+h.String())
	if h%4 != 0 || h == sim.INVALID_SOCKET {
		t.Fatalf("%s returned %v, not a multiple of 4", fn, h)
	}
	for _, b := range w.apps {
		if b == a && b.socks[h] != nil {
			t.Fatalf("%s returned %v, which %s was given before", fn, h, a.label)
		}
	}
	family := af
	if af == sim.AF_UNSPEC {
		family = sim.AF_INET
	}
	m := &smSock{app: a, h: h, family: family, typ: smResolvedType(typ, proto), v6only: true,
		overlapped: !wsa || flags&sim.WSA_FLAG_OVERLAPPED != 0, ov: w.newOv()}
	a.add(m)
	if m.typ == sim.SOCK_RAW {
		// Raw sockets are modelled no further than creation and close (the simulator's own
		// limitation: bind says BIND-UNSUPPORTED, but connect runs TCP's implicit bind and
		// handshake); check the type and close them at once.
		v, err := a.th.GetsockoptInt(h, sim.SOL_SOCKET, sim.SO_TYPE)
		if err != nil || v != sim.SOCK_RAW {
			t.Fatalf("SO_TYPE of a raw socket: %d, %v", v, err)
		}
		if err := a.th.Closesocket(h); err != nil {
			t.Fatal(err)
		}
		m.closed = true
	}
	return h
}

type smOpt struct {
	level, opt int32
}

var smOpts = []smOpt{
	{sim.SOL_SOCKET, sim.SO_REUSEADDR}, {sim.SOL_SOCKET, sim.SO_REUSEADDR}, {sim.SOL_SOCKET, sim.SO_REUSEADDR}, {sim.SOL_SOCKET, sim.SO_REUSEADDR},
	{sim.SOL_SOCKET, sim.SO_EXCLUSIVEADDRUSE}, {sim.SOL_SOCKET, sim.SO_EXCLUSIVEADDRUSE}, {sim.SOL_SOCKET, sim.SO_EXCLUSIVEADDRUSE},
	{sim.IPPROTO_IPV6, sim.IPV6_V6ONLY}, {sim.IPPROTO_IPV6, sim.IPV6_V6ONLY}, {sim.IPPROTO_IPV6, sim.IPV6_V6ONLY},
	{sim.SOL_SOCKET, sim.SO_TYPE}, {sim.SOL_SOCKET, sim.SO_ACCEPTCONN}, {sim.SOL_SOCKET, sim.SO_ERROR},
	{sim.SOL_SOCKET, sim.SO_UPDATE_CONNECT_CONTEXT}, {sim.SOL_SOCKET, 0x7777}, {0x1234, sim.SO_REUSEADDR},
	{sim.IPPROTO_TCP, 1}, {sim.SOL_SOCKET, sim.IPV6_V6ONLY},
}

func levelKnown(level int32) bool {
	switch level {
	case sim.SOL_SOCKET, sim.IPPROTO_IPV6, sim.IPPROTO_TCP, sim.IPPROTO_UDP, sim.IPPROTO_IP:
		return true
	}
	return false
}

func optionKnown(o smOpt) bool {
	switch o.level {
	case sim.SOL_SOCKET:
		switch o.opt {
		case sim.SO_REUSEADDR, sim.SO_EXCLUSIVEADDRUSE, sim.SO_BROADCAST, sim.SO_ACCEPTCONN, sim.SO_TYPE, sim.SO_ERROR, sim.SO_UPDATE_CONNECT_CONTEXT:
			return true
		}
	case sim.IPPROTO_IPV6:
		return o.opt == sim.IPV6_V6ONLY
	}
	return false
}

func isBoolOpt(o smOpt) bool {
	return o.level == sim.SOL_SOCKET && (o.opt == sim.SO_REUSEADDR || o.opt == sim.SO_EXCLUSIVEADDRUSE || o.opt == sim.SO_BROADCAST)
}

// isByteOpt: IPV6_V6ONLY is one byte on Windows (set from optlen 1, read back with optlen 1).
func isByteOpt(o smOpt) bool { return o.level == sim.IPPROTO_IPV6 && o.opt == sim.IPV6_V6ONLY }

// actSetsockopt calls setsockopt; with sharing, it turns SO_REUSEADDR or SO_EXCLUSIVEADDRUSE on,
// the options whose effect on later binds and deliveries the test is most about.
func (w *smWorld) actSetsockopt(t *rapid.T, sharing bool) {
	a, h := w.drawTarget(t, func(m *smSock) bool { return !m.hasLocal }) // options matter before bind
	o := rapid.SampledFrom(smOpts).Draw(t, "option")
	values := []int32{1, 0, 1, 0x100}
	if o.level == sim.IPPROTO_IPV6 {
		values = []int32{0, 0, 1} // dual-stack sockets are the interesting ones
	}
	if sharing {
		o = rapid.SampledFrom([]smOpt{{sim.SOL_SOCKET, sim.SO_REUSEADDR}, {sim.SOL_SOCKET, sim.SO_EXCLUSIVEADDRUSE}}).Draw(t, "sharingOption")
		values = []int32{1}
	}
	value := rapid.SampledFrom(values).Draw(t, "value")
	buf := binary.LittleEndian.AppendUint32(nil, uint32(value))
	n := int32(4)
	shapes := 6
	if sharing {
		shapes = 0
	}
	switch smVariant(t, "optvalShape", shapes, 24) {
	case 1:
		buf = nil
	case 2:
		buf, n = buf[:1], 1
	case 3:
		n = 0
	case 4:
		n = 8 // longer than the buffer
	case 5:
		n = 2
	case 6:
		n = -1
	}
	// The value Windows reads: a BOOL given short, and a one-byte option, read the first byte.
	var v int32
	switch {
	case buf == nil:
	case (n >= 0 && n < 4) || len(buf) < 4 || isByteOpt(o):
		v = int32(buf[0])
	default:
		v = int32(binary.LittleEndian.Uint32(buf))
	}

	ucc := o.level == sim.SOL_SOCKET && o.opt == sim.SO_UPDATE_CONNECT_CONTEXT
	m, want := common(a, h)
	if want == "" {
		switch {
		case buf == nil && !ucc: // SO_UPDATE_CONNECT_CONTEXT takes NULL, 0 (ConnectEx page)
			want = "SOCKOPT-NULL"
		case !levelKnown(o.level):
			want = "SOCKOPT-LEVEL"
		case !optionKnown(o):
			want = "SOCKOPT-UNKNOWN"
		case o.level == sim.SOL_SOCKET && o.opt == sim.SO_TYPE && m.dgram():
			want = "SOCKOPT-TYPE-DGRAM"
		case o.level == sim.SOL_SOCKET && (o.opt == sim.SO_ACCEPTCONN || o.opt == sim.SO_TYPE):
			want = "SOCKOPT-READONLY" // SO_ERROR can be set: the value is kept
		case n < 0 && o.level != sim.SOL_SOCKET:
			want = "SOCKOPT-LEN-NEGATIVE"
		case (buf != nil && int(n) > len(buf)) || (!isBoolOpt(o) && !(isByteOpt(o) && n >= 1) && !ucc && n >= 0 && n < 4):
			want = "SOCKOPT-LEN"
		case o.level == sim.IPPROTO_IPV6 && m.hasLocal:
			want = "SOCKOPT-V6ONLY-BOUND"
		case o.level == sim.SOL_SOCKET && v != 0 && ((o.opt == sim.SO_REUSEADDR && m.excl) || (o.opt == sim.SO_EXCLUSIVEADDRUSE && m.reuse)):
			want = "SOCKOPT-REUSE-EXCLUSIVE"
		}
	}

	_, n0 := w.tr.take()
	err := a.th.Setsockopt(h, o.level, o.opt, buf, n)
	got := w.result(t, "setsockopt", a, h, err, n0)
	expect(t, "setsockopt", m, got, want)
	if got != "" {
		return
	}
	on := v != 0
	switch {
	case o.level == sim.SOL_SOCKET && o.opt == sim.SO_REUSEADDR:
		m.reuse = on
	case o.level == sim.SOL_SOCKET && o.opt == sim.SO_EXCLUSIVEADDRUSE:
		m.excl = on
	case o.level == sim.IPPROTO_IPV6:
		m.v6only = on
	case o.level == sim.SOL_SOCKET && o.opt == sim.SO_UPDATE_CONNECT_CONTEXT:
		m.viaConnectEx = false
	case o.level == sim.SOL_SOCKET && o.opt == sim.SO_ERROR:
		m.soErr = errors.Errno(v)
		smCount("~ setsockopt SO_ERROR")
	}
}

func (w *smWorld) actGetsockopt(t *rapid.T) {
	a, h := w.drawTarget(t, nil)
	o := rapid.SampledFrom(smOpts).Draw(t, "option")
	if m := a.open(h); m != nil && m.soErr != 0 && rapid.Bool().Draw(t, "readSoError") {
		o = smOpt{sim.SOL_SOCKET, sim.SO_ERROR} // a failed non-blocking connect left an error
	}
	buf := []byte{0xee, 0xee, 0xee, 0xee}
	n := int32(4)
	lenNull := false
	switch smVariant(t, "optvalShape", 7, 28) {
	case 1:
		buf = nil
	case 2:
		lenNull = true
	case 3:
		n = 0
	case 4:
		n = 1
	case 5:
		n = 2
	case 6:
		n = -1
	case 7:
		n = 8
	}
	m, want := common(a, h)
	if want == "" {
		switch {
		case buf == nil || lenNull:
			want = "GETSOCKOPT-NULL"
		case !levelKnown(o.level):
			want = "GETSOCKOPT-LEVEL"
		case !optionKnown(o) || (o.level == sim.SOL_SOCKET && o.opt == sim.SO_UPDATE_CONNECT_CONTEXT):
			want = "GETSOCKOPT-UNKNOWN"
		case n <= 0 || int(n) > len(buf) || (!isBoolOpt(o) && !isByteOpt(o) && n < 4):
			want = "GETSOCKOPT-LEN"
		}
	}
	var lenp *int32
	if !lenNull {
		lenp = &n
	}
	passed := n
	_, n0 := w.tr.take()
	err := a.th.Getsockopt(h, o.level, o.opt, buf, lenp)
	got := w.result(t, "getsockopt", a, h, err, n0)
	expect(t, "getsockopt", m, got, want)
	if got != "" {
		return
	}
	var v int32
	switch {
	case o.level == sim.IPPROTO_IPV6:
		v = boolInt(m.v6only)
	case o.opt == sim.SO_REUSEADDR:
		v = boolInt(m.reuse)
	case o.opt == sim.SO_EXCLUSIVEADDRUSE:
		v = boolInt(m.excl)
	case o.opt == sim.SO_ACCEPTCONN:
		v = boolInt(m.listening)
	case o.opt == sim.SO_TYPE:
		v = m.typ
	case o.opt == sim.SO_ERROR:
		v = int32(m.soErr)
		m.soErr = 0 // reading SO_ERROR clears it
	}
	var full [4]byte
	binary.LittleEndian.PutUint32(full[:], uint32(v))
	wantLen := int32(4)
	if passed < 4 || isByteOpt(o) {
		wantLen = 1 // a BOOL read short: its low bytes, optlen 1; a one-byte option: one byte
	}
	written := min(int(passed), 4)
	if isByteOpt(o) {
		written = 1
		if buf[1] != 0xee || buf[2] != 0xee || buf[3] != 0xee {
			t.Fatalf("getsockopt(%v, %d, %#x) wrote % x: a one-byte option writes one byte", m, o.level, o.opt, buf)
		}
	}
	if n != wantLen || !bytes.Equal(buf[:written], full[:written]) {
		t.Fatalf("getsockopt(%v, %d, %#x) = % x (optlen %d), model says %d (optlen %d)", m, o.level, o.opt, buf, n, v, wantLen)
	}
	w.checkNote(t, "getsockopt", fmt.Sprintf("-> %d", v))
}

func boolInt(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

func (w *smWorld) actBind(t *rapid.T) {
	a, h := w.drawTarget(t, func(m *smSock) bool { return !m.hasLocal && m.inet() })
	family := int32(sim.AF_INET)
	m0 := a.open(h)
	if m0 != nil {
		family = m0.family
	}
	addr := w.drawAddr(t, a, family, 0, true)
	if m0 != nil && m0.reuse && rapid.Bool().Draw(t, "shareAddr") {
		// A socket with SO_REUSEADDR tries to share the address of another one that has it.
		var sharing []*smRes
		for _, x := range w.openSocks(a.host) {
			if x.res != nil && x.res.reuse && x.typ == m0.typ && x.family == m0.family {
				sharing = append(sharing, x.res)
			}
		}
		if len(sharing) > 0 {
			addr = rapid.SampledFrom(sharing).Draw(t, "share").addr
		}
	}
	buf, n := drawAddrBuf(t, addr)
	w.doBind(t, a, h, buf, n)
}

// doBind calls bind and checks it.
func (w *smWorld) doBind(t *rapid.T, a *smApp, h sim.Handle, buf []byte, n int32) {
	arg := decodeArg(buf, n)
	// want is the rule of the checks, "" when the port table decides.
	m, want := common(a, h)
	if want == "" {
		switch {
		case m.family == sim.AF_UNIX || m.typ == sim.SOCK_RAW:
			want = "BIND-UNSUPPORTED"
		case arg.err == errors.WSAEFAULT:
			want = "BIND-FAULT"
		case arg.err == errors.WSAEAFNOSUPPORT:
			want = "BIND-AFNOSUPPORT"
		case int32(arg.addr.Family) != m.family:
			want = "BIND-FAMILY"
		case m.hasLocal:
			want = "BIND-TWICE"
		case arg.addr.IsV4Mapped() && m.v6only:
			want = "BIND-MAPPED-V6ONLY"
		case !arg.addr.IsWildcard() && !a.host.owns(arg.addr.IP):
			want = "BIND-ADDRNOTAVAIL"
		case arg.addr.Port == 0 && !w.ephemeralFree(a.host, m.typ):
			want = "BIND-NO-EPHEMERAL"
		}
	}

	_, n0 := w.tr.take()
	err := a.th.Bind(h, buf, n)
	got := w.result(t, "bind", a, h, err, n0)
	if want != "" {
		if want == "BIND-TWICE" && m.accepted {
			smCount("~ bind on an accepted socket")
		}
		expect(t, "bind", m, got, want)
		return
	}
	switch got {
	case "":
	case "BIND-INUSE", "BIND-ACCESS":
		if arg.addr.Port == 0 {
			t.Fatalf("bind of %v to %v (port 0) gave %s", m, arg.addr, got)
		}
		w.checkConflictReal(t, m, arg.addr, got)
		return
	default:
		t.Fatalf("bind of %v to %v: got %s, model predicts success or a port conflict\nsocket: %s", m, arg.addr, got, describe(m))
	}
	bound := arg.addr
	bound.FlowInfo = 0
	if bound.Port == 0 {
		bound.Port = w.learnPort(t, m)
	}
	w.checkNoMissedConflict(t, m, bound)
	w.reserve(m, bound)
}

// reserve records m's new reservation.
func (w *smWorld) reserve(m *smSock, addr sockaddr.Addr) {
	m.res = w.newRes(m, addr)
	m.local = addr
	m.hasLocal, m.wasBound = true, true
}

// learnPort reads the dynamic port a bind to port 0 took, which only the simulator knows, and
// checks that it is a free one of the host's range.
func (w *smWorld) learnPort(t *rapid.T, m *smSock) uint16 {
	info, _ := m.app.app.Inspect(m.h)
	p, h := info.Local.Port, m.app.host
	if p < h.ephFirst || p > h.ephLast {
		t.Fatalf("bind of %v to port 0 took port %d, outside the dynamic range %d-%d", m, p, h.ephFirst, h.ephLast)
	}
	for _, x := range w.openSocks(h) {
		if x != m && x.res != nil && x.res.typ == m.typ && x.res.addr.Port == p {
			t.Fatalf("bind of %v to port 0 took port %d, which %v holds", m, p, x)
		}
	}
	return p
}

// learnImplicitBind records the implicit bind of a connect or sendto: the wildcard address and
// a dynamic port.
func (w *smWorld) learnImplicitBind(t *rapid.T, m *smSock) {
	if !m.hasLocal {
		w.reserve(m, sockaddr.Any(sockaddr.Family(m.family), w.learnPort(t, m)))
	}
}

// endpoint is a reservation's main address: its space and, if specific, its IP.
func endpoint(r *smRes) (v4 bool, ip netip.Addr) {
	if r.specificAddr {
		ip = r.addr.IP.Unmap()
	}
	return r.v4, ip
}

func (w *smWorld) sameEndpointHolders(m *smSock, addr sockaddr.Addr, y *smRes) []*smSock {
	var out []*smSock
	for _, x := range w.openSocks(m.app.host) {
		if x == m || x.res == nil || x.res.typ != m.typ || x.res.addr.Port != addr.Port {
			continue
		}
		xv4, xip := endpoint(x.res)
		yv4, yip := endpoint(y)
		if xv4 == yv4 && xip == yip {
			out = append(out, x)
		}
	}
	return out
}

// checkConflictReal: a bind refused for a conflict needs a socket holding an overlapping
// address on that port.
func (w *smWorld) checkConflictReal(t *rapid.T, m *smSock, addr sockaddr.Addr, got string) {
	y := &smRes{typ: m.typ, addr: addr, v4: inV4Space(addr), specificAddr: !addr.IsWildcard()}
	y.dual = m.family == sim.AF_INET6 && !y.v4 && !y.specificAddr && !m.v6only
	for _, x := range w.openSocks(m.app.host) {
		if x == m || x.res == nil || x.res.typ != m.typ || x.res.addr.Port != addr.Port {
			continue
		}
		switch {
		case x.res.v4 == y.v4 && (!x.res.specificAddr || !y.specificAddr || x.res.addr.IP.Unmap() == y.addr.IP.Unmap()):
			return
		case x.res.dual && y.v4, y.dual && x.res.v4:
			return
		}
	}
	t.Fatalf("bind of %v to %v gave %s but nobody holds an overlapping address", m, addr, got)
}

// checkNoMissedConflict: two binds of the same address share it only if both set SO_REUSEADDR
// (Tables B and C, the diagonal).
func (w *smWorld) checkNoMissedConflict(t *rapid.T, m *smSock, addr sockaddr.Addr) {
	y := &smRes{typ: m.typ, addr: addr, v4: inV4Space(addr), specificAddr: !addr.IsWildcard()}
	for _, x := range w.sameEndpointHolders(m, addr, y) {
		if !(x.res.reuse && m.reuse) {
			t.Fatalf("bind of %v to %v succeeded although %v holds %v (reuse %v/%v)", m, addr, x, x.res.addr, x.res.reuse, m.reuse)
		}
		smCount("~ bind sharing an address (SO_REUSEADDR)")
	}
}

func backlogLimit(n int32) int {
	switch {
	case n == sim.SOMAXCONN:
		return 200
	case n < 1:
		return 1
	case n > 200:
		return 200
	}
	return int(n)
}

func (w *smWorld) actListen(t *rapid.T) {
	a, h := w.drawTarget(t, func(m *smSock) bool { return m.hasLocal && m.stream() && !m.listening })
	backlog := rapid.SampledFrom([]int32{0, 1, 1, 2, 5, sim.SOMAXCONN, -1}).Draw(t, "backlog")
	w.doListen(t, a, h, backlog)
}

// doListen calls listen and checks it.
func (w *smWorld) doListen(t *rapid.T, a *smApp, h sim.Handle, backlog int32) {
	m, want := common(a, h)
	if want == "" {
		switch {
		case !m.stream():
			want = "LISTEN-NOT-STREAM"
		case m.connected:
			want = "LISTEN-ISCONN"
		case m.connecting:
			want = "LISTEN-CONNECTING"
		case !m.hasLocal:
			want = "LISTEN-UNBOUND"
		}
	}
	_, n0 := w.tr.take()
	err := a.th.Listen(h, backlog)
	got := w.result(t, "listen", a, h, err, n0)
	expect(t, "listen", m, got, want)
	if got == "" {
		if !m.listening {
			m.backlog = backlogLimit(backlog) // a second listen keeps the first backlog
		}
		m.listening = true
	}
}

func (w *smWorld) actConnect(t *rapid.T, fn string) {
	a, h := w.drawTarget(t, func(m *smSock) bool { return m.inet() && !m.listening && !m.connected })
	family, typ := int32(sim.AF_INET), int32(sim.SOCK_STREAM)
	if m0 := a.open(h); m0 != nil {
		family, typ = m0.family, m0.typ
	}
	dst := w.drawAddrFrom(t, a, a.open(h), family, typ, false)
	buf, n := drawAddrBuf(t, dst)
	var ovw *smOv
	if fn == "ConnectEx" && smVariant(t, "overlappedNull", 1, 10) == 0 {
		if m0 := a.open(h); m0 != nil {
			ovw = m0.ov
		} else {
			ovw = w.newOv()
		}
	}
	w.doConnect(t, fn, a, h, buf, n, ovw)
}

// doConnect calls connect, WSAConnect or ConnectEx (with the OVERLAPPED ovw, nil for NULL) and
// checks it.
func (w *smWorld) doConnect(t *rapid.T, fn string, a *smApp, h sim.Handle, buf []byte, n int32, ovw *smOv) {
	arg := decodeArg(buf, n)
	m, want := common(a, h)
	if want == "" {
		switch {
		case fn == "ConnectEx" && ovw == nil:
			want = "CONNECTEX-NULL-OVERLAPPED"
		case m.family == sim.AF_UNIX:
			want = "CONNECT-UNSUPPORTED"
		case arg.err == errors.WSAEFAULT:
			want = "CONNECT-FAULT"
		case !(m.dgram() && arg.addr.Family == sockaddr.AF_UNSPEC) && (arg.err != 0 || int32(arg.addr.Family) != m.family):
			want = "CONNECT-FAMILY"
		case fn == "ConnectEx" && !m.stream():
			want = "CONNECTEX-NOT-STREAM"
		case m.listening:
			want = "CONNECT-LISTENING"
		case fn != "ConnectEx" && m.viaConnectEx:
			want = "CONNECT-AFTER-CONNECTEX"
		case fn != "ConnectEx" && m.connecting:
			want = "CONNECT-ALREADY"
		case fn == "ConnectEx" && m.connecting:
			want = "CONNECTEX-CONNECTING"
		case m.stream() && m.connected:
			want = "CONNECT-ISCONN"
		case fn == "ConnectEx" && !m.hasLocal:
			want = "CONNECTEX-UNBOUND"
		case m.stream() && (arg.addr.IsWildcard() || arg.addr.Port == 0):
			want = "CONNECT-ADDRNOTAVAIL"
		case arg.addr.IsV4Mapped() && m.v6only:
			want = "CONNECT-MAPPED-V6ONLY"
		}
	}

	var ov *sim.Overlapped
	if ovw != nil {
		ov = ovw.ov
	}
	_, n0 := w.tr.take()
	var err error
	switch fn {
	case "connect":
		err = a.th.Connect(h, buf, n)
	case "WSAConnect":
		err = a.th.WSAConnect(h, buf, n)
	default:
		err = a.th.ConnectEx(h, buf, n, ov)
	}
	got := w.result(t, fn, a, h, err, n0)
	if want != "" {
		expect(t, fn, m, got, want)
		w.delivered(t, fn, m, 0, arg.addr, nil, nil)
		return
	}

	dst := arg.addr
	// A datagram socket connected to AF_UNSPEC or an all-zero address is disconnected.
	disconnect := m.dgram() && (dst.Family == sockaddr.AF_UNSPEC || dst.IsWildcard())
	if !m.hasLocal && !disconnect && !w.ephemeralFree(a.host, m.typ) {
		// The implicit bind finds no dynamic port.
		expect(t, fn, m, got, "BIND-NO-EPHEMERAL")
		w.delivered(t, fn, m, 0, dst, nil, nil)
		return
	}
	if m.dgram() {
		// A datagram socket connects at once: it sets or clears its default peer, if a local
		// address can reach the peer.
		if disconnect {
			expect(t, fn, m, got, "")
			if dst.IsWildcard() {
				smCount("~ UDP connect to an all-zero address")
			}
			m.peer, m.connected = sockaddr.Addr{}, false
		} else {
			w.learnImplicitBind(t, m)
			src, ok := w.sourceFor(m, dst)
			if !ok {
				// Checked after the implicit bind, which stays.
				expect(t, fn, m, got, "CONNECT-NETUNREACH")
				w.delivered(t, fn, m, 0, dst, nil, nil)
				return
			}
			expect(t, fn, m, got, "")
			if m.local.IsWildcard() {
				m.local = src.WithPort(m.local.Port)
			}
			m.peer, m.connected = dst, true
		}
		w.checkNote(t, fn, "")
		w.delivered(t, fn, m, 0, dst, nil, nil)
		return
	}

	w.learnImplicitBind(t, m)
	result := ""
	var l *smSock
	var target *smHost
	var neg smNeg
	src, ok := w.sourceFor(m, dst)
	switch {
	case !ok:
		result = "CONNECT-NETUNREACH"
	default:
		target = w.route(m.app.host, dst.IP)
		if target == nil {
			result = "CONNECT-UNREACHABLE"
			break
		}
		l = w.receiver(target, sim.SOCK_STREAM, dst)
		if l != nil && l != m && len(l.queue) >= l.backlog {
			smCount("~ connection refused: backlog full")
		}
		if l == nil || l == m || len(l.queue) >= l.backlog {
			l, result = nil, "CONNECT-REFUSED"
			break
		}
		// IPsec between hosts, once a listener has room (loopback is exempt, ruling R17); the
		// SYN reaches the target's TCP only when the traffic may flow.
		if target != m.app.host {
			neg = w.negotiate(w.side(m, ports.TCP, dst.Port), w.side(l, ports.TCP, dst.Port), m.ptn)
			switch {
			case neg.sa == nil && neg.flows:
				smCount("~ connection between hosts: no IPsec")
			case neg.sa == nil:
				smCount("~ connection between hosts: refused by IPsec")
			case neg.sa.secured:
				smCount("~ connection between hosts: secured")
			default:
				smCount("~ connection between hosts: in the clear after a failure")
			}
			if !neg.flows {
				l, result = nil, "CONNECT-NEGOTIATION"
				break
			}
		}
		if w.count(target) >= target.maxSockets {
			// TCP refuses the connection after IPsec let it through; the refusal is all the
			// caller learns.
			smCount("~ connection refused: target host full")
			l, result = nil, "CONNECT-REFUSED"
			neg.sa.close()
			neg = smNeg{}
		}
	}
	w.delivered(t, fn, m, sim.SOCK_STREAM, dst, target, l)
	if l != nil {
		l.queue = append(l.queue, smConn{local: asSeenBy(l.family, dst), peer: asSeenBy(l.family, src), sa: neg.sa})
		m.local, m.peer = src, dst
		m.sa, m.initiator = neg.sa, true
	}
	if result == "CONNECT-NEGOTIATION" {
		smCount("~ " + fn + " refused by IPsec: " + neg.reason)
	}
	switch {
	case fn == "ConnectEx" || m.nonblocking:
		want = "CONNECT-WOULDBLOCK"
		if fn == "ConnectEx" {
			want = "CONNECTEX-PENDING"
		}
		expect(t, fn, m, got, want)
		at := &smAttempt{s: m, result: result, ov: ovw, due: w.now}
		if result == "CONNECT-NEGOTIATION" {
			at.due += smNegotiationTimeout
		}
		// getpeername reports the target while the attempt is in flight.
		m.connecting, m.viaConnectEx, m.attempt, m.peer = true, fn == "ConnectEx", at, dst
		if ovw != nil {
			ovw.by, ovw.pending, ovw.done, ovw.result = m, true, false, ""
		}
		w.attempts = append(w.attempts, at)
		w.checkReason(t, fn, "", neg.reason, "")
	default:
		expect(t, fn, m, got, result)
		switch result {
		case "":
			m.connected = true
			w.checkReason(t, fn, noteFor(l), neg.reason, "in the clear")
		case "CONNECT-NEGOTIATION":
			w.checkReason(t, fn, "", neg.reason, "")
			// The thread was blocked until the SYN timed out (ruling R18).
			w.advanceTo(w.now + smNegotiationTimeout)
		}
	}
}

// checkReason checks a call's trace note: base alone when no negotiation failed, else base
// and the explanation of the failure, which starts with reason (how says what became of the
// traffic: "in the clear", "dropped"; "" for a call that failed).
func (w *smWorld) checkReason(t *rapid.T, fn, base, reason, how string) {
	t.Helper()
	if reason == "" {
		w.checkNote(t, fn, base)
		return
	}
	want := "— "
	if how != "" {
		want += how + ": "
	}
	if base != "" {
		want = base + " " + want
	}
	ev, _ := w.tr.take()
	if !strings.HasPrefix(ev.Note, want+reason) {
		t.Fatalf("%s: trace note %q, want it to start with %q (event %+v)", fn, ev.Note, want+reason, ev)
	}
}

func (w *smWorld) actIoctl(t *rapid.T) {
	a, h := w.drawTarget(t, nil)
	cmd := rapid.SampledFrom([]uint32{sim.FIONBIO, sim.FIONBIO, sim.FIONBIO, sim.FIONREAD, sim.SIOCATMARK, 0x667e}).Draw(t, "cmd")
	arg := rapid.SampledFrom([]uint32{0, 1, 1}).Draw(t, "arg")
	m, want := common(a, h)
	if want == "" && cmd != sim.FIONBIO && cmd != sim.FIONREAD && cmd != sim.SIOCATMARK {
		want = "IOCTLSOCKET-CMD"
	}
	_, n0 := w.tr.take()
	err := a.th.Ioctlsocket(h, cmd, arg)
	got := w.result(t, "ioctlsocket", a, h, err, n0)
	expect(t, "ioctlsocket", m, got, want)
	if got == "" && cmd == sim.FIONBIO {
		m.nonblocking = arg != 0
	}
}

func familySize(family int32) int32 {
	switch family {
	case sim.AF_INET:
		return sockaddr.SizeofSockaddrInet4
	case sim.AF_INET6:
		return sockaddr.SizeofSockaddrInet6
	}
	return 0
}

// drawNameBuf draws the (name, namelen) output arguments of accept, getsockname, getpeername.
func drawNameBuf(t *rapid.T) (buf []byte, n int32, lenNull bool) {
	switch smVariant(t, "nameShape", 7, 21) {
	case 1:
		return nil, 28, false
	case 2:
		return make([]byte, 28), 0, true
	case 3:
		return make([]byte, 16), 16, false
	case 4:
		return make([]byte, 28), 0, false
	case 5:
		return make([]byte, 16), 28, false // longer than the buffer
	case 6:
		return make([]byte, 28), 27, false
	case 7:
		return make([]byte, 128), 128, false
	}
	return make([]byte, 28), 28, false
}

func (w *smWorld) actAccept(t *rapid.T) {
	a, h := w.drawTarget(t, func(m *smSock) bool { return m.listening })
	var buf []byte
	var n int32
	lenNull := false
	if rapid.Bool().Draw(t, "wantAddr") {
		buf, n, lenNull = drawNameBuf(t)
	} else {
		lenNull = true
	}
	m, want := common(a, h)
	if want == "" {
		switch {
		case buf != nil && !lenNull && (n < familySize(m.family) || int(n) > len(buf)):
			want = "ACCEPT-FAULT"
		case !m.stream():
			want = "ACCEPT-NOT-STREAM"
		case !m.listening:
			want = "ACCEPT-NOT-LISTENING"
		case len(m.queue) == 0:
			want = "ACCEPT-WOULDBLOCK"
		}
	}
	var lenp *int32
	if !lenNull {
		lenp = &n
	}
	_, n0 := w.tr.take()
	h2, err := a.th.Accept(h, buf, lenp)
	got := w.result(t, "accept", a, h, err, n0)
	expect(t, "accept", m, got, want)
	if got != "" {
		if h2 != sim.INVALID_SOCKET {
			t.Fatalf("accept failed but returned %v", h2)
		}
		return
	}
	c := m.queue[0]
	m.queue = m.queue[1:]
	if a.socks[h2] != nil || h2%4 != 0 {
		t.Fatalf("accept returned %v, reused or not a multiple of 4", h2)
	}
	if buf != nil && lenp != nil {
		peer, _ := sockaddr.Decode(buf[:n])
		if n != familySize(m.family) || peer != c.peer {
			t.Fatalf("accept on %v: peer %v (%d bytes), model says %v", m, peer, n, c.peer)
		}
	}
	w.checkNote(t, "accept", "-> "+h2.String()+" peer "+c.peer.String())
	// The accepted socket has the listener's properties as they are now.
	s := &smSock{app: a, h: h2, family: m.family, typ: sim.SOCK_STREAM, overlapped: m.overlapped,
		reuse: m.reuse, excl: m.excl, v6only: m.v6only, nonblocking: m.nonblocking, secured: m.secured, settings: m.settings,
		hasLocal: true, wasBound: true, accepted: true, local: c.local, peer: c.peer, connected: true, ov: w.newOv(),
		sa: c.sa}
	a.add(s)
}

func (w *smWorld) actSendto(t *rapid.T) {
	a, h := w.drawTarget(t, nil)
	family, typ := int32(sim.AF_INET), int32(sim.SOCK_DGRAM)
	if m0 := a.open(h); m0 != nil {
		family, typ = m0.family, m0.typ
	}
	var buf []byte
	var n int32
	if smVariant(t, "toNull", 1, 7) == 0 {
		buf, n = drawAddrBuf(t, w.drawAddrFrom(t, a, a.open(h), family, typ, false))
	}
	w.doSendto(t, a, h, buf, n)
}

// doSendto sends an 8-byte datagram with sendto (to nil: NULL) and checks it.
func (w *smWorld) doSendto(t *rapid.T, a *smApp, h sim.Handle, buf []byte, n int32) {
	arg := decodeArg(buf, n)
	m, want := common(a, h)
	if want == "" {
		switch {
		case m.family == sim.AF_UNIX || m.typ == sim.SOCK_RAW:
			want = "SENDTO-UNSUPPORTED"
		case m.shutSend:
			want = "SENDTO-SHUTDOWN"
		case m.stream() && m.state() != sim.StateConnected:
			want = "SENDTO-NOTCONN"
		case m.stream(): // the destination is ignored
		case buf != nil && arg.err == errors.WSAEFAULT:
			want = "SENDTO-FAULT"
		case buf == nil && !m.connected:
			want = "SENDTO-NO-DEST"
		case buf != nil && (arg.err != 0 || int32(arg.addr.Family) != m.family):
			want = "SENDTO-FAMILY"
		case buf != nil && arg.addr.IsWildcard():
			want = "SENDTO-ADDRNOTAVAIL"
		case buf != nil && arg.addr.IsV4Mapped() && m.v6only:
			want = "SENDTO-MAPPED-V6ONLY"
		case !m.hasLocal && !w.ephemeralFree(a.host, m.typ):
			want = "BIND-NO-EPHEMERAL" // the implicit bind finds no dynamic port
		case w.unroutable(m, m.peer, buf, arg.addr):
			want = "SENDTO-NETUNREACH" // checked after the implicit bind
		}
	}
	_, n0 := w.tr.take()
	sent, err := a.th.Sendto(h, []byte("datagram"), 0, buf, n)
	got := w.result(t, "sendto", a, h, err, n0)
	expect(t, "sendto", m, got, want)
	if got == "SENDTO-NETUNREACH" {
		w.learnImplicitBind(t, m)
	}
	if got == "" && m.stream() {
		m.sa.use(w.now) // traffic keeps the connection's SA from idling out
	}
	if got != "" || m.stream() {
		w.delivered(t, "sendto", m, 0, arg.addr, nil, nil)
		return
	}
	if sent != len("datagram") {
		t.Fatalf("sendto returned %d", sent)
	}
	w.learnImplicitBind(t, m)
	dst := m.peer
	if buf != nil {
		dst = arg.addr
	}
	target := w.route(m.app.host, dst.IP)
	var r *smSock
	if target != nil {
		r = w.receiver(target, sim.SOCK_DGRAM, dst)
	}
	reason := ""
	if target != nil && target != m.app.host {
		src, _ := w.sourceFor(m, dst)
		r, reason = w.secureDatagram(m, r, src, dst)
	}
	w.delivered(t, "sendto", m, sim.SOCK_DGRAM, dst, target, r)
	if r == nil {
		w.checkReason(t, "sendto", "", reason, "dropped")
	} else {
		w.checkReason(t, "sendto", noteFor(r), reason, "in the clear")
	}
}

func (w *smWorld) actName(t *rapid.T, fn string) {
	var fit func(*smSock) bool
	if fn == "getpeername" {
		fit = func(m *smSock) bool { return m.connected || m.connecting }
	}
	a, h := w.drawTarget(t, fit)
	buf, n, lenNull := drawNameBuf(t)
	m, want := common(a, h)
	var wantAddr sockaddr.Addr // the address the call returns
	if m != nil {
		wantAddr = m.local
		if fn == "getpeername" {
			wantAddr = m.peer
		}
	}
	size := familySize(int32(wantAddr.Family))
	if size == 0 {
		size = sockaddr.SizeofSockaddr
	}
	if want == "" {
		switch {
		case buf == nil || lenNull:
			want = strings.ToUpper(fn) + "-FAULT-NULL"
		case fn == "getsockname" && !m.hasLocal:
			want = "GETSOCKNAME-UNBOUND"
		case fn == "getpeername" && (m.viaConnectEx || !(m.connected || (m.connecting && m.stream()))):
			want = "GETPEERNAME-NOTCONN"
		case n < size || int(n) > len(buf):
			want = strings.ToUpper(fn) + "-FAULT-LEN"
		}
	}
	var lenp *int32
	if !lenNull {
		lenp = &n
	}
	_, n0 := w.tr.take()
	var err error
	if fn == "getsockname" {
		err = a.th.Getsockname(h, buf, lenp)
	} else {
		err = a.th.Getpeername(h, buf, lenp)
	}
	got := w.result(t, fn, a, h, err, n0)
	expect(t, fn, m, got, want)
	if got != "" {
		return
	}
	switch {
	case m.accepted:
		smCount("~ " + fn + " on an accepted socket")
	case m.connecting:
		smCount("~ " + fn + " while connecting")
	}
	gotAddr, _ := sockaddr.Decode(buf[:n])
	if n != size || (wantAddr.Family != 0 && gotAddr != wantAddr) {
		t.Fatalf("%s(%v) = %v (%d bytes), model says %v\nsocket: %s", fn, m, gotAddr, n, wantAddr, describe(m))
	}
	w.checkNote(t, fn, "-> "+wantAddr.String())
}

func (w *smWorld) actShutdown(t *rapid.T) {
	a, h := w.drawTarget(t, nil)
	how := rapid.SampledFrom([]int32{sim.SD_RECEIVE, sim.SD_SEND, sim.SD_BOTH, 3, -1}).Draw(t, "how")
	m, want := common(a, h)
	if want == "" {
		switch {
		case m.stream() && (m.state() != sim.StateConnected || m.viaConnectEx):
			want = "SHUTDOWN-NOTCONN"
		case how < sim.SD_RECEIVE || how > sim.SD_BOTH:
			want = "SHUTDOWN-HOW"
		}
	}
	_, n0 := w.tr.take()
	err := a.th.Shutdown(h, how)
	got := w.result(t, "shutdown", a, h, err, n0)
	expect(t, "shutdown", m, got, want)
	if got == "" && how != sim.SD_RECEIVE {
		m.shutSend = true
	}
}

func (w *smWorld) close(m *smSock) {
	m.closed = true
	m.app.changes++
	m.res = nil
	// Connections waiting in a listener's backlog are reset; their SAs stay with the client.
	m.queue = nil
	m.sa.close()
	w.dropUDP(m)
	if at := m.attempt; at != nil {
		// A pending ConnectEx's OVERLAPPED completes with WSA_OPERATION_ABORTED, and the
		// attempt no longer holds the clock: Settle does not wait for it.
		m.attempt = nil
		w.attempts = slices.DeleteFunc(w.attempts, func(x *smAttempt) bool { return x == at })
		if at.ov != nil {
			at.ov.pending, at.ov.done, at.ov.result = false, true, "CLOSE-ABORTS-PENDING"
			smCount("~ pending ConnectEx aborted by closesocket")
		}
	}
}

func (w *smWorld) actClose(t *rapid.T) {
	a, h := w.drawTarget(t, nil)
	w.doClose(t, a, h)
}

// doClose calls closesocket and checks it.
func (w *smWorld) doClose(t *rapid.T, a *smApp, h sim.Handle) {
	m, want := common(a, h)
	_, n0 := w.tr.take()
	err := a.th.Closesocket(h)
	got := w.result(t, "closesocket", a, h, err, n0)
	expect(t, "closesocket", m, got, want)
	if got == "" {
		w.close(m)
		if _, ok := a.app.Inspect(h); ok {
			t.Fatalf("Inspect(%v) after closesocket still finds it", m)
		}
		// Property 4: the handle is gone for good.
		_, n0 = w.tr.take()
		err = a.th.Closesocket(h)
		expect(t, "closesocket", m, w.result(t, "closesocket", a, h, err, n0), "GEN-NOTSOCK")
	}
}

// drawSettings draws a SecuritySettings argument and the rule of the settings checks it fails
// (rulings R4 and R5), "" if it is acceptable. The acceptable ones vary what negotiation
// depends on: GUARANTEE_ENCRYPTION, ALLOW_INSECURE, SKIP_FILTER_INSTANTIATION,
// OPTIONAL_PEER_NAME_VERIFICATION and explicit credentials.
func drawSettings(t *rapid.T) (buf []byte, n uint32, want string) {
	ipsec := func(p policy.Protocol) []byte {
		return policy.Settings{Protocol: p, Flags: policy.SettingsAllowInsecure, IPsec: &policy.IPsecSettings{
			Flags: policy.IPsecSkipFilterInstantiation, UserName: "bob", DomainName: "CORP", Password: policy.NewSecret(smPassword),
		}}.Encode()
	}
	switch rapid.IntRange(0, 16).Draw(t, "settings") {
	case 0, 1, 2, 3, 4, 5, 6, 7:
		buf, n = drawAcceptableSettings(t)
		return buf, n, ""
	case 8:
		b := policy.Settings{}.Encode()
		return b, 4, "SETTINGS-LEN-MIN"
	case 9:
		b := policy.Settings{Protocol: policy.ProtocolInvalid}.Encode()
		return b, 8, "SETTINGS-PROTOCOL"
	case 10:
		b := ipsec(policy.ProtocolIPsec)
		return b, 40, "SETTINGS-IPSEC-LEN-MIN"
	case 11:
		b := ipsec(policy.ProtocolIPsec)
		return b, uint32(len(b) - 2), "SETTINGS-IPSEC-STRINGS-LEN"
	case 12:
		b := ipsec(policy.ProtocolIPsec)
		binary.LittleEndian.PutUint32(b[72:], 5) // UserNameStringLen: odd, still within the buffer
		return b, uint32(len(b)), "SETTINGS-IPSEC-STRINGS-ODD"
	case 13:
		b := ipsec(policy.ProtocolDefault)
		return b, uint32(len(b)), "SETTINGS-DEFAULT-WITH-IPSEC-LAYOUT"
	case 14:
		b := policy.Settings{Flags: 4}.Encode()
		return b, 8, "SETTINGS-FLAGS-UNKNOWN"
	case 15:
		b := ipsec(policy.ProtocolIPsec2)
		binary.LittleEndian.PutUint32(b[8:], 0x10)
		return b, uint32(len(b)), "SETTINGS-IPSEC-FLAGS-UNKNOWN"
	}
	b := policy.Settings{}.Encode()
	return b, 16, "SETSEC-FAULT" // longer than the buffer
}

// drawAcceptableSettings draws settings that WSASetSocketSecurity accepts.
func drawAcceptableSettings(t *rapid.T) ([]byte, uint32) {
	flags := func() policy.SecurityFlags {
		return rapid.SampledFrom([]policy.SecurityFlags{0, 1, 2, 3}).Draw(t, "flags")
	}
	switch rapid.IntRange(0, 7).Draw(t, "acceptableSettings") {
	case 0, 1:
		return nil, rapid.SampledFrom([]uint32{0, 8, 100}).Draw(t, "nullLen")
	case 2, 3:
		b := policy.Settings{Flags: flags()}.Encode()
		return b, uint32(len(b))
	case 4:
		b := policy.Settings{Protocol: rapid.SampledFrom([]policy.Protocol{policy.ProtocolIPsec, policy.ProtocolIPsec2}).Draw(t, "protocol"),
			Flags: policy.SettingsAllowInsecure, IPsec: &policy.IPsecSettings{
				Flags: policy.IPsecSkipFilterInstantiation, UserName: "bob", DomainName: "CORP", Password: policy.NewSecret(smPassword),
			}}.Encode()
		return b, uint32(len(b))
	}
	st := policy.Settings{Flags: flags(), IPsec: &policy.IPsecSettings{}}
	st.Protocol = rapid.SampledFrom([]policy.Protocol{policy.ProtocolIPsec, policy.ProtocolIPsec2}).Draw(t, "protocol")
	st.IPsec.Flags = rapid.SampledFrom([]policy.IPsecFlags{0, 0, policy.IPsecOptionalPeerNameVerification}).Draw(t, "ipsecFlags")
	if domain := rapid.SampledFrom([]string{"", "", "CORP", "EAST"}).Draw(t, "explicitDomain"); domain != "" {
		st.IPsec.UserName, st.IPsec.DomainName, st.IPsec.Password = "bob", domain, policy.NewSecret(smPassword)
	}
	b := st.Encode()
	return b, uint32(len(b))
}

func (w *smWorld) actSetSecurity(t *rapid.T) {
	a, h := w.drawTarget(t, func(m *smSock) bool { return !m.wasBound && !m.secured })
	buf, n, settingsRule := drawSettings(t)
	useOv := rapid.Bool().Draw(t, "overlapped")
	w.doSetSecurity(t, a, h, buf, n, settingsRule, useOv)
}

// doSetSecurity calls WSASetSocketSecurity with settings that fail settingsRule ("" for none),
// through the socket's OVERLAPPED if useOv, and checks it.
func (w *smWorld) doSetSecurity(t *rapid.T, a *smApp, h sim.Handle, buf []byte, n uint32, settingsRule string, useOv bool) {
	m, want := common(a, h)
	if want == "" {
		switch {
		case settingsRule == "SETSEC-FAULT":
			want = settingsRule
		case !m.inet() || !(m.stream() || m.dgram()):
			want = "SEC-FAMILY-TYPE"
		case m.connected:
			want = "SETSEC-ISCONN"
		case m.connecting:
			want = "SETSEC-CONNECTING"
		case m.listening:
			want = "SETSEC-LISTENING"
		case m.hasLocal || m.wasBound:
			want = "SETSEC-BOUND"
		case m.secured:
			want = "SETSEC-ONCE"
		case buf != nil && settingsRule != "":
			want = settingsRule
		case m.reuse:
			want = "SETSEC-REUSEADDR"
		}
	}
	var ov *sim.Overlapped
	if useOv && m != nil {
		ov = m.ov.ov
	}
	_, n0 := w.tr.take()
	err := a.th.WSASetSocketSecurity(h, buf, n, ov, nil)
	got := w.result(t, "WSASetSocketSecurity", a, h, err, n0)
	expect(t, "WSASetSocketSecurity", m, got, want)
	if got != "" {
		return
	}
	// Property 1: never after bind or connect, never twice.
	if m.hasLocal || m.wasBound || m.listening || m.connecting || m.connected || m.secured {
		t.Fatalf("WSASetSocketSecurity succeeded on %v, which is past its bind/connect or secured\n%s", m, describe(m))
	}
	m.secured, m.excl = true, true
	m.settings = nil
	if buf != nil {
		st, bad := policy.DecodeSettings(buf[:n])
		if bad != nil {
			t.Fatalf("accepted settings fail check %s", bad.ID)
		}
		m.settings = &st
	}
	if ov != nil && m.overlapped {
		m.ov.by, m.ov.pending, m.ov.done, m.ov.result = m, false, true, ""
	}
	_, n0 = w.tr.take()
	v, err := a.th.GetsockoptInt(h, sim.SOL_SOCKET, sim.SO_EXCLUSIVEADDRUSE)
	if w.result(t, "getsockopt", a, h, err, n0) != "" || v != 1 {
		t.Fatalf("SO_EXCLUSIVEADDRUSE after WSASetSocketSecurity on %v: %d, %v", m, v, err)
	}
	info, _ := a.app.Inspect(h)
	switch {
	case (info.Settings == nil) != (m.settings == nil):
		t.Fatalf("settings of %v: %v, model %v", m, info.Settings, m.settings)
	case m.settings != nil && (info.Settings.Protocol != m.settings.Protocol || info.Settings.Flags != m.settings.Flags):
		t.Fatalf("settings of %v: %v, model %v", m, info.Settings, m.settings)
	}
}

func negotiated(v uint16) uint16 {
	major, minor := v&0xff, v>>8
	switch {
	case major > 2 || (major == 2 && minor > 2):
		return 0x0202
	case major == 1 && minor > 1:
		return 0x0101
	}
	return v
}

func (w *smWorld) actStartupCleanup(t *rapid.T) {
	a := w.drawApp(t)
	if smVariant(t, "cleanup", 1, 8) == 0 {
		version := rapid.SampledFrom([]uint16{0x0202, 0x0202, 0x0202, 0x0101, 0x0000, 0x0900, 0x0103, 0x0501}).Draw(t, "version")
		var data *sim.WSAData
		if smVariant(t, "dataNull", 1, 10) == 0 {
			data = new(sim.WSAData)
		}
		want := ""
		switch {
		case version&0xff == 0:
			want = "STARTUP-VERSION"
		case data == nil:
			want = "STARTUP-FAULT"
		}
		_, n0 := w.tr.take()
		err := a.th.WSAStartup(version, data)
		got := w.result(t, "WSAStartup", a, 0, err, n0)
		expect(t, "WSAStartup", nil, got, want)
		if got == "" {
			a.startups++
			if data.Version != negotiated(version) || data.HighVersion != 0x0202 {
				t.Fatalf("WSAStartup(%#x): %+v", version, *data)
			}
		}
		return
	}
	want := ""
	if a.startups == 0 {
		want = "CLEANUP-NOTINITIALISED"
	}
	_, n0 := w.tr.take()
	err := a.th.WSACleanup()
	got := w.result(t, "WSACleanup", a, 0, err, n0)
	expect(t, "WSACleanup", nil, got, want)
	if got == "" {
		a.startups--
		if a.startups == 0 {
			for _, h := range a.order {
				if m := a.socks[h]; !m.closed {
					w.close(m)
				}
			}
		}
	}
}

// settle moves the clock to the last connection attempt due, as Network.Settle does.
func (w *smWorld) settle() {
	if len(w.attempts) == 0 {
		return
	}
	last := w.now
	for _, at := range w.attempts {
		last = max(last, at.due)
	}
	w.advanceTo(last)
}

// fire delivers a connection attempt's outcome to its socket, unless the socket moved on.
func (w *smWorld) fire(at *smAttempt) {
	s := at.s
	if s.closed || s.attempt != at || !s.connecting {
		return // closesocket ended it
	}
	s.attempt, s.connecting = nil, false
	if at.result == "" {
		s.connected = true
	} else {
		r, _ := sim.RuleByID(at.result)
		s.soErr = r.Code
		s.viaConnectEx = false
		s.peer = sockaddr.Addr{}
	}
	if at.ov != nil {
		at.ov.pending, at.ov.done, at.ov.result = false, true, at.result
	}
}

func (w *smWorld) actSettle(t *rapid.T) {
	w.net.Settle()
	w.settle()
}

func (w *smWorld) actGetOverlapped(t *rapid.T) {
	a, h := w.drawTarget(t, nil)
	var o *smOv
	switch k := smVariant(t, "whichOverlapped", 3, 10); {
	case k == 1:
	case k == 2:
		o = w.newOv()
	case k == 3 && len(w.ovs) > 0:
		o = rapid.SampledFrom(w.ovs).Draw(t, "anyOverlapped")
	default:
		if m := a.open(h); m != nil {
			o = m.ov
		} else {
			o = w.newOv()
		}
	}
	wait := rapid.Bool().Draw(t, "wait")
	if wait && o != nil {
		w.settle()
	}
	m, want := common(a, h)
	if want == "" {
		// Windows reads only the OVERLAPPED, whichever socket asks: pending, its result, or
		// success for one no operation has used.
		switch {
		case o == nil:
			want = "GETOVERLAPPED-FAULT"
		case o.pending:
			want = "GETOVERLAPPED-INCOMPLETE"
		default:
			want = o.result
		}
	}
	var ov *sim.Overlapped
	if o != nil {
		ov = o.ov
	}
	_, n0 := w.tr.take()
	bytes, err := a.th.WSAGetOverlappedResult(h, ov, wait)
	got := w.result(t, "WSAGetOverlappedResult", a, h, err, n0)
	expect(t, "WSAGetOverlappedResult", m, got, want)
	if bytes != 0 {
		t.Fatalf("WSAGetOverlappedResult reported %d bytes", bytes)
	}
}

// ---------------------------------------------------------------------------------------------
// Invariants

func (w *smWorld) check(t *rapid.T) {
	w.checks++
	if now := w.net.Now(); now != w.now {
		t.Fatalf("Network.Now() = %v, model %v", now, w.now)
	}
	w.drainIPsec()
	if leak := w.tr.leaked; leak != "" {
		t.Fatalf("property 10: %s", leak)
	}
	for _, a := range w.apps {
		if a.app.Initialised() != (a.startups > 0) {
			t.Fatalf("%s: Initialised() = %v, model startups %d", a.label, a.app.Initialised(), a.startups)
		}
		if got := a.app.OpenTokens(); got != len(a.tokens) {
			t.Fatalf("%s: OpenTokens() = %d, model %d", a.label, got, len(a.tokens))
		}
		w.checkThreads(t, a)
		var open []sim.Handle
		for _, h := range a.order {
			m := a.socks[h]
			info, ok := a.app.Inspect(h)
			if ok == m.closed {
				t.Fatalf("Inspect(%v) ok=%v, model closed=%v", m, ok, m.closed)
			}
			if !m.closed {
				open = append(open, h)
				w.checkInfo(t, m, info)
			}
		}
		// App.Sockets locks every shard of the handle table, which costs more than the rest of
		// a check: compare it after the model's set changed, and every fourth check.
		if a.changes != a.changesSeen || w.checks%4 == 0 {
			a.changesSeen = a.changes
			slices.Sort(open)
			if got := a.app.Sockets(); !slices.Equal(got, open) {
				t.Fatalf("%s: Sockets() = %v, model %v", a.label, got, open)
			}
		}
		if _, ok := a.app.Inspect(0xdeadbeec); ok {
			t.Fatalf("%s: Inspect of a made-up handle succeeded", a.label)
		}
	}
	for _, h := range w.hosts {
		want := int64(0)
		for _, m := range w.openSocks(h) {
			want += 1 + int64(len(m.queue))
		}
		if got := h.h.OpenSockets(); got != want {
			t.Fatalf("host %s: OpenSockets() = %d, model %d (open sockets + backlogs)", h.name, got, want)
		}
	}
	for _, o := range w.ovs {
		done, err := o.ov.Completed()
		if done != o.done {
			t.Fatalf("overlapped of %v: Completed() = %v, model %v", o.by, done, o.done)
		}
		if done && ruleOf(err) != o.result {
			t.Fatalf("overlapped of %v: result %v, model %s", o.by, err, ruleName(o.result))
		}
	}
	// Property 4, again: a closed handle of an initialised application is not a socket. The
	// probe is a real call, so it also checks the trace.
	probes := 0
	for _, a := range w.apps {
		if a.startups == 0 {
			continue
		}
		for i := len(a.order) - 1; i >= 0 && probes < 2; i-- {
			m := a.socks[a.order[i]]
			if !m.closed {
				continue
			}
			probes++
			_, n0 := w.tr.take()
			_, err := a.th.GetsockoptInt(m.h, sim.SOL_SOCKET, sim.SO_TYPE)
			expect(t, "getsockopt", m, w.result(t, "getsockopt", a, m.h, err, n0), "GEN-NOTSOCK")
		}
	}
}

func (w *smWorld) checkInfo(t *rapid.T, m *smSock, i sim.SocketInfo) {
	t.Helper()
	bad := func(field string, got, want any) {
		t.Fatalf("Inspect(%v).%s = %v, model %v\nsocket: %s", m, field, got, want, describe(m))
	}
	switch {
	case i.Handle != m.h:
		bad("Handle", i.Handle, m.h)
	case i.App != m.app.label:
		bad("App", i.App, m.app.label)
	case i.Family != m.family:
		bad("Family", i.Family, m.family)
	case i.Type != m.typ:
		bad("Type", i.Type, m.typ)
	case i.State != m.state():
		bad("State", i.State, m.state())
	case i.ReuseAddr != m.reuse:
		bad("ReuseAddr", i.ReuseAddr, m.reuse)
	case i.Exclusive != m.excl:
		bad("Exclusive", i.Exclusive, m.excl)
	case i.ReuseAddr && i.Exclusive:
		bad("ReuseAddr&&Exclusive", true, false)
	case i.V6Only != m.v6only:
		bad("V6Only", i.V6Only, m.v6only)
	case i.Overlapped != m.overlapped:
		bad("Overlapped", i.Overlapped, m.overlapped)
	case i.NonBlocking != m.nonblocking:
		bad("NonBlocking", i.NonBlocking, m.nonblocking)
	case i.Secured != m.secured:
		bad("Secured", i.Secured, m.secured)
	case i.Received != m.received:
		bad("Received", i.Received, m.received)
	case i.Pending != len(m.queue):
		bad("Pending", i.Pending, len(m.queue))
	case m.listening && len(m.queue) > m.backlog:
		bad("Pending (backlog)", i.Pending, m.backlog)
	case m.hasLocal && i.Local != m.local:
		bad("Local", i.Local, m.local)
	case !m.hasLocal && i.Local != (sockaddr.Addr{}):
		bad("Local", i.Local, "none")
	case i.Peer != m.peer:
		bad("Peer", i.Peer, m.peer)
	}
}

// finalCleanup closes every socket and checks that the hosts count none, and that the ports
// are free again.
func (w *smWorld) finalCleanup(t *rapid.T) {
	w.net.Settle()
	w.settle()
	for _, a := range w.apps {
		for a.startups == 0 {
			var d sim.WSAData
			if err := a.th.WSAStartup(0x0202, &d); err != nil {
				t.Fatal(err)
			}
			a.startups++
		}
		for _, h := range a.order {
			m := a.socks[h]
			err := a.th.Closesocket(h)
			if m.closed != (ruleOf(err) == "GEN-NOTSOCK") || (!m.closed && err != nil) {
				t.Fatalf("final closesocket(%v): %v (model closed %v)", m, err, m.closed)
			}
			w.close(m)
		}
	}
	w.check(t)
	for _, h := range w.hosts {
		if n := h.h.OpenSockets(); n != 0 {
			t.Fatalf("host %s: %d sockets open after closing everything", h.name, n)
		}
	}
	for _, h := range w.hosts {
		smCheckPortsFree(t, h.h.App().Main())
	}
}

// smCheckPortsFree binds a dual-stack exclusive `::` socket of each protocol to each test port:
// that conflicts with any reservation of the port, IPv4 or IPv6, so it succeeds only if
// closing released everything.
func smCheckPortsFree(t interface{ Fatalf(string, ...any) }, th *sim.Thread) {
	for _, port := range smPorts[1:] {
		for _, typ := range []int32{sim.SOCK_STREAM, sim.SOCK_DGRAM} {
			s, err := th.Socket(sim.AF_INET6, typ, 0)
			if err != nil {
				t.Fatalf("socket: %v", err)
			}
			if err := th.SetsockoptInt(s, sim.IPPROTO_IPV6, sim.IPV6_V6ONLY, 0); err != nil {
				t.Fatalf("IPV6_V6ONLY: %v", err)
			}
			if err := th.SetsockoptInt(s, sim.SOL_SOCKET, sim.SO_EXCLUSIVEADDRUSE, 1); err != nil {
				t.Fatalf("SO_EXCLUSIVEADDRUSE: %v", err)
			}
			if err := th.BindAddr(s, sockaddr.Any(sockaddr.AF_INET6, port)); err != nil {
				t.Fatalf("port %d (type %d) still reserved after every socket was closed: %v", port, typ, err)
			}
			if err := th.Closesocket(s); err != nil {
				t.Fatalf("closesocket: %v", err)
			}
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Concurrency

// TestStateMachineConcurrent hammers one host from 8 goroutines, each on its own Thread of one
// of three applications (different users), with random calls on shared ports and on each other's
// handles; the threads of the third application also call WSAStartup and WSACleanup, so its last
// cleanup closes sockets that other threads are using. A second host of the same domain has a
// secured and an unsecured listener and a secured UDP socket, so that IPsec negotiations (and the
// 21-second time-outs of failed ones), SAs on the clock (which the goroutines also advance),
// queries with tokens, impersonation and reverts run concurrently too; a thread that reverts
// must see its application's own account, whatever the other threads impersonate. Run it with
// -race. Afterwards the cleanups must balance the startups, every socket must close, the host
// count none and every token be closed; then smCleanupStorm races WSACleanup against itself.
func TestStateMachineConcurrent(t *testing.T) {
	const goroutines = 8
	iters := 20000
	if testing.Short() {
		iters /= 4
	}
	n := sim.NewNetwork()
	corp := ipsec.Credentials{Domain: "CORP"}
	h, err := n.AddHost(sim.HostConfig{Name: "a", Addresses: []netip.Addr{smIP("10.0.0.1"), smIP("fd00::1")}, Credentials: corp})
	if err != nil {
		t.Fatal(err)
	}
	hb, err := n.AddHost(sim.HostConfig{Name: "b", Addresses: []netip.Addr{smIP("10.0.0.2")}, Credentials: corp})
	if err != nil {
		t.Fatal(err)
	}
	// Host b's servers: port 80 secured, 81 not (TCP), and a secured UDP socket on 80.
	var bListeners []sim.Handle
	for _, srv := range []struct {
		typ     int32
		port    uint16
		secured bool
	}{{sim.SOCK_STREAM, 80, true}, {sim.SOCK_STREAM, 81, false}, {sim.SOCK_DGRAM, 80, true}} {
		bth := hb.App().Main()
		s, err := bth.Socket(sim.AF_INET, srv.typ, 0)
		if err == nil && srv.secured {
			err = bth.WSASetSocketSecurity(s, nil, 0, nil, nil)
		}
		if err == nil {
			err = bth.BindAddr(s, sockaddr.Any(sockaddr.AF_INET, srv.port))
		}
		if err == nil && srv.typ == sim.SOCK_STREAM {
			err = bth.Listen(s, sim.SOMAXCONN)
			bListeners = append(bListeners, s)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	app2, err := h.NewApp("app2", "alice")
	if err != nil {
		t.Fatal(err)
	}
	cycler, err := h.NewApp("cycler", "bob")
	if err != nil {
		t.Fatal(err)
	}
	apps := []*sim.App{h.App(), app2, cycler}
	var startups, cleanups atomic.Int64 // the cycler's successful calls
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("SM_HAMMER_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("seed %d (set SM_HAMMER_SEED to replay the goroutines' choices; the interleaving is the scheduler's)", seed)

	type shared struct {
		app    *sim.App
		h      sim.Handle
		family int32
	}
	var mu sync.Mutex
	var pool []shared
	var failures []string
	fail := func(format string, args ...any) {
		mu.Lock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
		mu.Unlock()
	}
	var outcomes sync.Map // "fn rule" -> *atomic.Int64, for the log
	count := func(key string) {
		v, _ := outcomes.LoadOrStore(key, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	checkErr := func(app *sim.App, fn string, err error) {
		if err == nil {
			count(fn + " ok")
			return
		}
		count(fn + " " + ruleOf(err))
		var re *sim.RuleError
		if !stderrors.As(err, &re) {
			fail("%s: %v is not a *sim.RuleError", fn, err)
			return
		}
		if !slices.Contains(sim.RulesFor(fn), re.Rule) {
			fail("%s: rule %s not in RulesFor(%s)", fn, re.Rule.ID, fn)
		}
		if !stderrors.Is(err, re.Rule.Code) {
			fail("%s: %v does not carry code %v", fn, err, re.Rule.Code)
		}
		if re.Rule.ID == "GEN-NOTINITIALISED" && app != cycler {
			fail("%s by %s: GEN-NOTINITIALISED, but it never calls WSACleanup", fn, app.Label())
		}
	}
	addrs := []sockaddr.Addr{
		sockaddr.Any(sockaddr.AF_INET, 0), sockaddr.Any(sockaddr.AF_INET6, 0),
		{Family: sockaddr.AF_INET, IP: smIP("127.0.0.1")}, {Family: sockaddr.AF_INET, IP: smIP("10.0.0.1")},
		{Family: sockaddr.AF_INET6, IP: smIP("::1")}, {Family: sockaddr.AF_INET6, IP: smIP("fd00::1")},
		{Family: sockaddr.AF_INET6, IP: smIP("::ffff:127.0.0.1")},
		{Family: sockaddr.AF_INET, IP: smIP("10.0.0.2")}, {Family: sockaddr.AF_INET6, IP: smIP("::ffff:10.0.0.2")},
	}
	ports := []uint16{0, 80, 81, 49152}

	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					fail("goroutine %d panicked: %v\n%s", g, r, debug.Stack())
				}
			}()
			rng := rand.New(rand.NewPCG(seed, uint64(g)))
			app := apps[g%len(apps)]
			th := app.NewThread()
			check := func(fn string, err error) { checkErr(app, fn, err) }
			bt := hb.App().NewThread() // host b's side: accepting the connections
			self := app.Identity().String()
			var mine, listeners []shared
			// pick returns a recent handle: one of this goroutine's, another goroutine's (maybe
			// of another application: WSAENOTSOCK, or a namesake of this one), or a made-up one.
			pick := func() shared {
				switch k := rng.IntN(10); {
				case k < 5 && len(mine) > 0:
					return mine[len(mine)-1-rng.IntN(min(16, len(mine)))]
				case k < 9:
					mu.Lock()
					defer mu.Unlock()
					if len(pool) > 0 {
						return pool[len(pool)-1-rng.IntN(min(48, len(pool)))]
					}
				}
				return shared{app, sim.Handle(0x100 + 4*rng.IntN(64)), sim.AF_INET}
			}
			addr := func(family int32) sockaddr.Addr {
				var a sockaddr.Addr
				for {
					a = addrs[rng.IntN(len(addrs))]
					if int32(a.Family) == family || rng.IntN(8) == 0 {
						break
					}
				}
				a.Port = ports[rng.IntN(len(ports))]
				return a
			}
			keep := func(s sim.Handle, family int32) {
				e := shared{app, s, family}
				mine = append(mine, e)
				mu.Lock()
				pool = append(pool, e)
				mu.Unlock()
			}
			<-start
			for range iters {
				switch rng.IntN(21) {
				case 0, 1:
					af := []int32{sim.AF_INET, sim.AF_INET6}[rng.IntN(2)]
					typ := []int32{sim.SOCK_STREAM, sim.SOCK_DGRAM}[rng.IntN(2)]
					s, err := th.WSASocket(af, typ, 0, uint32(rng.IntN(2)))
					check("WSASocket", err)
					if err == nil {
						keep(s, af)
					}
				case 2:
					opt := []int32{sim.SO_REUSEADDR, sim.SO_EXCLUSIVEADDRUSE}[rng.IntN(2)]
					check("setsockopt", th.SetsockoptInt(pick().h, sim.SOL_SOCKET, opt, int32(rng.IntN(2))))
				case 3:
					check("setsockopt", th.SetsockoptInt(pick().h, sim.IPPROTO_IPV6, sim.IPV6_V6ONLY, int32(rng.IntN(2))))
				case 4, 5:
					s := pick()
					check("bind", th.BindAddr(s.h, addr(s.family)))
				case 6:
					s := pick()
					err := th.Listen(s.h, int32(rng.IntN(4)))
					check("listen", err)
					if err == nil {
						listeners = append(listeners, s)
					}
				case 7:
					s := pick()
					if rng.IntN(3) == 0 {
						check("ioctlsocket", th.Ioctlsocket(s.h, sim.FIONBIO, 1))
					}
					check("connect", th.ConnectAddr(s.h, addr(s.family)))
				case 8:
					s := pick()
					b := addr(s.family).Encode()
					ov := new(sim.Overlapped)
					check("ConnectEx", th.ConnectEx(s.h, b, int32(len(b)), ov))
					if rng.IntN(2) == 0 {
						_, err := th.WSAGetOverlappedResult(s.h, ov, rng.IntN(2) == 0)
						check("WSAGetOverlappedResult", err)
					}
				case 9:
					l := pick()
					if len(listeners) > 0 && rng.IntN(4) > 0 {
						l = listeners[len(listeners)-1-rng.IntN(min(8, len(listeners)))]
					}
					s, err := th.Accept(l.h, nil, nil)
					check("accept", err)
					if err == nil {
						keep(s, l.family)
					}
				case 10:
					s := pick()
					_, err := th.SendtoAddr(s.h, []byte("x"), addr(s.family))
					check("sendto", err)
				case 11, 12:
					var b []byte
					if rng.IntN(2) == 0 {
						b = policy.Settings{Flags: policy.SettingsGuaranteeEncryption}.Encode()
					}
					check("WSASetSocketSecurity", th.WSASetSocketSecurity(pick().h, b, uint32(len(b)), nil, nil))
				case 13, 14:
					s := pick().h
					err := th.Closesocket(s)
					check("closesocket", err)
					if err == nil {
						if _, ok := app.Inspect(s); ok {
							// Handles are never reused, so nobody can have reopened it.
							fail("Inspect finds %v after closesocket succeeded", s)
						}
					}
				case 15:
					n.Settle()
				case 16:
					_, err := th.SocketName(pick().h)
					check("getsockname", err)
					_, err = th.PeerName(pick().h)
					check("getpeername", err)
					check("shutdown", th.Shutdown(pick().h, int32(rng.IntN(3))))
				case 17:
					if app != cycler {
						break
					}
					if rng.IntN(2) == 0 {
						err := th.WSAStartup(0x0202, new(sim.WSAData))
						check("WSAStartup", err)
						if err == nil {
							startups.Add(1)
						}
						break
					}
					err := th.WSACleanup()
					check("WSACleanup", err)
					if err == nil {
						cleanups.Add(1)
					}
				case 18:
					// What protects a connection, with tokens half of the time; they are closed.
					s := pick()
					q := policy.QueryTemplate{Protocol: policy.ProtocolIPsec2, IPsec2: true, PeerAddress: addr(s.family),
						PeerTokenAccessMask: uint32(rng.IntN(2)) * 8}.Encode()
					var info [policy.SizeofQueryInfoIPsec2]byte
					infoLen := uint32(len(info))
					err := th.WSAQuerySocketSecurity(s.h, q, uint32(len(q)), info[:], &infoLen, nil, nil)
					check("WSAQuerySocketSecurity", err)
					if err != nil {
						break
					}
					qi, _ := policy.DecodeQueryInfo(info[:infoLen])
					if qi.Flags&policy.InfoConnectionEncrypted != 0 && qi.Flags&policy.InfoConnectionSecured == 0 {
						fail("WSAQuerySocketSecurity: flags %#x: ENCRYPTED without SECURED", uint32(qi.Flags))
					}
					for _, tok := range []uint64{qi.PeerMachineAccessTokenHandle, qi.PeerApplicationAccessTokenHandle} {
						if tok != 0 {
							check("CloseHandle", th.CloseHandle(tok))
						}
					}
				case 19:
					// Impersonation is the thread's own: after its revert, it is itself again.
					s := pick()
					b := addr(s.family).Encode()
					check("WSAImpersonateSocketPeer", th.WSAImpersonateSocketPeer(s.h, b, uint32(len(b))))
					_, err := th.GetUserName()
					check("GetUserName", err)
					if rng.IntN(2) == 0 {
						check("WSARevertImpersonation", th.WSARevertImpersonation())
						if name, err := th.GetUserName(); err != nil || name != self {
							fail("GetUserName after WSARevertImpersonation on %s: %q, %v; want %q", app.Label(), name, err, self)
						}
					}
				case 20:
					if rng.IntN(4) == 0 {
						if err := n.Advance(time.Duration(rng.IntN(600)) * time.Second); err != nil {
							fail("Advance: %v", err)
						}
						break
					}
					s, err := bt.Accept(bListeners[rng.IntN(len(bListeners))], nil, nil)
					checkErr(hb.App(), "accept", err)
					if err == nil {
						checkErr(hb.App(), "closesocket", bt.Closesocket(s))
					}
				}
				if c := h.OpenSockets(); c < 0 {
					fail("OpenSockets() = %d", c)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	if testing.Verbose() {
		var keys []string
		outcomes.Range(func(k, _ any) bool { keys = append(keys, k.(string)); return true })
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			v, _ := outcomes.Load(k)
			fmt.Fprintf(&b, "\n%8d %s", v.(*atomic.Int64).Load(), k)
		}
		t.Logf("outcomes:%s", b.String())
	}
	for _, f := range failures {
		t.Error(f)
	}
	if t.Failed() {
		return
	}

	// The cycler's cleanups balance its startups (it started initialised once): as many more
	// succeed now as are outstanding, then WSACleanup fails.
	outstanding := 1 + startups.Load() - cleanups.Load()
	th := cycler.Main()
	drained := int64(0)
	for ; drained <= outstanding; drained++ {
		if err := th.WSACleanup(); err != nil {
			if ruleOf(err) != "CLEANUP-NOTINITIALISED" {
				t.Fatalf("WSACleanup: %v", err)
			}
			break
		}
	}
	if drained != outstanding {
		t.Fatalf("cycler: %d startups and %d cleanups succeeded concurrently (from 1), then %d more: the count was not kept",
			startups.Load(), cleanups.Load(), drained)
	}
	// A socket made while the last cleanup ran may survive it: start again to close it.
	if err := th.WSAStartup(0x0202, new(sim.WSAData)); err != nil {
		t.Fatal(err)
	}

	n.Settle()
	for _, app := range apps {
		if !app.Initialised() {
			t.Fatalf("%s is no longer initialised", app.Label())
		}
		for _, s := range app.Sockets() {
			if err := app.Main().Closesocket(s); err != nil {
				t.Fatalf("closesocket(%v) of %s: %v", s, app.Label(), err)
			}
		}
		if left := app.Sockets(); len(left) != 0 {
			t.Fatalf("%s still has sockets %v", app.Label(), left)
		}
	}
	if c := h.OpenSockets(); c != 0 {
		t.Fatalf("OpenSockets() = %d after closing every socket", c)
	}
	for _, app := range append(apps, hb.App()) {
		if k := app.OpenTokens(); k != 0 {
			t.Fatalf("%s: %d peer tokens open, but every one was closed", app.Label(), k)
		}
	}
	smCleanupStorm(t, h, goroutines)
	smCheckPortsFree(t, apps[0].Main())
	if c := h.OpenSockets(); c != 0 {
		t.Fatalf("OpenSockets() = %d at the end", c)
	}
}

// smCleanupStorm races WSACleanup against itself, round after round: an application with k
// outstanding startups and some sockets, then every goroutine calls WSACleanup at once, twice as
// often as k in all. Exactly k succeed, the others fail with CLEANUP-NOTINITIALISED, and the last
// one closes the sockets. (A check-then-decrement race shows up in a few hundred rounds.)
func smCleanupStorm(t *testing.T, h *sim.Host, goroutines int) {
	const k, sockets = 31, 6
	rounds := 5000
	if testing.Short() {
		rounds /= 4
	}
	perGoroutine := 2*k/goroutines + 1
	app, err := h.NewApp("storm", "carol")
	if err != nil {
		t.Fatal(err)
	}
	th := app.Main()
	open0 := h.OpenSockets()
	for range rounds {
		for app.Initialised() { // the application starts with one startup
			if err := th.WSACleanup(); err != nil {
				t.Fatal(err)
			}
		}
		for range k {
			if err := th.WSAStartup(0x0202, new(sim.WSAData)); err != nil {
				t.Fatal(err)
			}
		}
		for i := range sockets {
			s, err := th.Socket(sim.AF_INET, []int32{sim.SOCK_STREAM, sim.SOCK_DGRAM}[i%2], 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := th.BindAddr(s, sockaddr.Any(sockaddr.AF_INET, 0)); err != nil {
				t.Fatal(err)
			}
		}
		var ok, other atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				th := app.NewThread()
				<-start
				for range perGoroutine {
					switch err := th.WSACleanup(); {
					case err == nil:
						ok.Add(1)
					case ruleOf(err) != "CLEANUP-NOTINITIALISED":
						other.Add(1)
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		switch {
		case ok.Load() != k || other.Load() != 0:
			t.Fatalf("cleanup storm: %d of %d concurrent WSACleanup calls succeeded (want %d), %d failed with another rule",
				ok.Load(), perGoroutine*goroutines, k, other.Load())
		case app.Initialised():
			t.Fatalf("cleanup storm: %s still initialised", app.Label())
		case len(app.Sockets()) != 0 || h.OpenSockets() != open0:
			t.Fatalf("cleanup storm: sockets %v left open (host counts %d, %d before)", app.Sockets(), h.OpenSockets(), open0)
		}
	}
}
