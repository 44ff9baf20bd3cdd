package scenario

import (
	stderrors "errors"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sockaddr"
	"github.com/wsssim/wsssim/socket"
)

// Backend is where a script runs: the simulator, or a real Winsock. The engine only talks to
// socket.API, so the same scenario checks both, which is how wsssim shows it matches Windows.
type Backend interface {
	// Name is "sim", "native" …, for reports.
	Name() string
	// Open prepares the hosts and applications a script declares. It returns a *SkipError
	// when the back end cannot run the script faithfully (several hosts on one real machine,
	// say): such a script is reported as skipped, never as failed or passed.
	Open(s *Script) (World, error)
}

// World is the hosts and applications of one run.
type World interface {
	// API returns the calls of a thread of an application, named as statements name them: who
	// is "host" or "host/app", thread the name after '@' ("" for the main thread).
	API(who, thread string) (socket.API, error)
	// Settle lets connection attempts in flight complete (the settle statement).
	Settle()
	// Close releases what the run left behind.
	Close()
}

// SkipError says why a back end cannot run a script.
type SkipError struct{ Reason string }

// Error returns the reason.
func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// SimBackend runs scripts on a fresh simulated network per run, so runs never share state.
func SimBackend() Backend { return simBackend{} }

type simBackend struct{}

// Name is "sim".
func (simBackend) Name() string { return "sim" }

// Open builds a fresh network for the script.
func (simBackend) Open(s *Script) (World, error) {
	w, err := NewSimWorld(s)
	if err != nil {
		return nil, err
	}
	return w, nil
}

// SimWorld is a simulated network built from a script's declarations. It is exported so that
// tests and the CLI can reach the network (its sockets, its trace) after or during a run.
type SimWorld struct {
	net  *sim.Network
	apis map[threadRef]socket.API
	// threads are the named threads statements made, per application, in the order made.
	threads map[threadRef]*sim.Thread
}

// NewSimWorld builds the network a script declares: its hosts with their addresses (or the one
// host "local" with only loopback), and its applications under their users.
func NewSimWorld(s *Script) (*SimWorld, error) {
	n := sim.NewNetwork()
	w := &SimWorld{net: n, apis: map[threadRef]socket.API{}, threads: map[threadRef]*sim.Thread{}}
	hosts := s.Hosts
	if len(hosts) == 0 {
		hosts = []HostDecl{{Name: localHost}}
	}
	for i := range hosts {
		hd := &hosts[i]
		var bad error
		cfg := hostConfig(hd, func(p Pos, format string, args ...any) {
			if bad == nil {
				bad = fmt.Errorf("%s: %s", p.lineString(), fmt.Sprintf(format, args...))
			}
		})
		if bad != nil {
			return nil, bad
		}
		if _, err := n.AddHost(cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", hd.Pos.lineString(), err)
		}
	}
	for _, ad := range s.Apps {
		h, ok := n.Host(ad.Host)
		if !ok {
			return nil, fmt.Errorf("%s: app %s: no host %s", ad.Pos.lineString(), ad.Label(), ad.Host)
		}
		if _, err := h.NewApp(ad.Name, ad.User); err != nil {
			return nil, fmt.Errorf("%s: %w", ad.Pos.lineString(), err)
		}
	}
	return w, nil
}

// Network returns the simulated network, for inspection and tracing.
func (w *SimWorld) Network() *sim.Network { return w.net }

// App returns the simulated application a statement's WHO names.
func (w *SimWorld) App(who string) (*sim.App, bool) {
	hostName, appName, _ := strings.Cut(who, "/")
	h, ok := w.net.Host(hostName)
	if !ok {
		return nil, false
	}
	return h.AppByName(appName)
}

// API returns a thread of the named application: its main thread for "" (or "main"), else the
// thread of that name, started on first use.
func (w *SimWorld) API(who, thread string) (socket.API, error) {
	th, err := w.Thread(who, thread)
	if err != nil {
		return nil, err
	}
	k := threadRef{who, thread}
	api, ok := w.apis[k]
	if !ok {
		api = socket.Simulated(th)
		w.apis[k] = api
	}
	return api, nil
}

// Thread returns the simulated thread a statement's WHO names, starting a named one on first
// use, so that tests can inspect it (its queued completion routines, say).
func (w *SimWorld) Thread(who, thread string) (*sim.Thread, error) {
	app, ok := w.App(who)
	if !ok {
		return nil, fmt.Errorf("no application %q", who)
	}
	if thread == "" || thread == mainThread {
		return app.Main(), nil
	}
	k := threadRef{who, thread}
	th, ok := w.threads[k]
	if !ok {
		th = app.NewThread()
		w.threads[k] = th
	}
	return th, nil
}

// mainThread is the name that "host@main:" gives the main thread.
const mainThread = "main"

// Settle delivers the network's connection attempts in flight.
func (w *SimWorld) Settle() { w.net.Settle() }

// Close does nothing: the network is garbage once unreferenced.
func (w *SimWorld) Close() {}

// NativeOptions tunes NativeBackendWith.
type NativeOptions struct {
	// HasAddress reports whether the machine owns an address a script's host declares. Nil
	// means no declared address is assumed present, so such scripts are skipped.
	HasAddress func(netip.Addr) bool
	// Unavailable names calls this Winsock cannot make, with the reason (Wine's fwpuclnt.dll
	// aborts the process on the secure-socket functions); scripts that use one are skipped.
	Unavailable map[string]string
}

// NativeBackend runs scripts on one real Winsock (or anything else behind socket.API). It only
// takes a socket.API, so it builds on every OS; the CLI hands it socket.Native() on Windows.
// Scripts that need more than one machine, applications under other users, or addresses it
// cannot vouch for are skipped with the reason.
//
// The process should have no Winsock initialisation of its own while a script runs: Open calls
// WSAStartup once (the scenario's implicit one) and Close undoes what the script left, closing
// the sockets it left open, so counts and handles do not leak from one script to the next.
func NativeBackend(api socket.API) Backend { return NativeBackendWith(api, NativeOptions{}) }

// NativeBackendWith is NativeBackend with options.
func NativeBackendWith(api socket.API, opts NativeOptions) Backend {
	return nativeBackend{api: api, opts: opts}
}

type nativeBackend struct {
	api  socket.API
	opts NativeOptions
}

// Name is "native".
func (nativeBackend) Name() string { return "native" }

// Open skips what one real machine cannot run, then initialises Winsock once for the script.
func (b nativeBackend) Open(s *Script) (World, error) {
	if b.api == nil {
		return nil, fmt.Errorf("native back end: no API")
	}
	if len(s.Hosts) > 1 {
		names := make([]string, len(s.Hosts))
		for i, h := range s.Hosts {
			names[i] = h.Name
		}
		return nil, &SkipError{Reason: "needs " + strconv.Itoa(len(s.Hosts)) + " hosts (" + strings.Join(names, ", ") + "); the native back end is one machine"}
	}
	if len(s.Apps) > 0 {
		a := s.Apps[0]
		return nil, &SkipError{Reason: "runs application " + a.Label() + " as user " + a.User + "; the native back end is one process"}
	}
	if which, limited := limitedHost(s); limited {
		return nil, &SkipError{Reason: "host " + which + "; only the simulator's limits can be set"}
	}
	for _, h := range s.Hosts {
		for _, ip := range h.Addrs {
			if b.opts.HasAddress == nil || !b.opts.HasAddress(ip) {
				return nil, &SkipError{Reason: "needs address " + ip.String() + ", which this machine lacks"}
			}
		}
	}
	for _, st := range s.Stmts {
		if st.Call == "netfault" {
			return nil, &SkipError{Reason: "disturbs the network between hosts, which only the simulator can"}
		}
		if st.Call == "inject" {
			return nil, &SkipError{Reason: "injects faults, which only the simulator can"}
		}
		if st.Call == "advance" {
			return nil, &SkipError{Reason: "moves the virtual clock, which only the simulator has"}
		}
		if st.Call == "mmpolicy" || st.Call == "qmpolicy" {
			return nil, &SkipError{Reason: "registers AuthIP policies, which on a real machine are its administrator's"}
		}
		if (st.Call == "SleepEx" || st.Call == "WSAWaitForMultipleEvents") && slices.Contains(st.Expect.Codes, errors.WSA_WAIT_TIMEOUT) {
			return nil, &SkipError{Reason: "expects the simulator's answer to a wait that would block forever (rule WAIT-FOREVER); a real thread would hang"}
		}
		for _, a := range st.Args {
			// A real machine must only ever talk to itself: a script naming any other address
			// (another host's, a broadcast) is skipped, never sent there.
			if ad, err := sockaddr.Parse(a.Value); err == nil && strings.ContainsAny(a.Value, ":") && !a.Quoted {
				ip := ad.IP.Unmap()
				if !ip.IsLoopback() && !ip.IsUnspecified() && (b.opts.HasAddress == nil || !b.opts.HasAddress(ip)) {
					return nil, &SkipError{Reason: "uses address " + ip.String() + ", which is not this machine's; the native back end only talks to itself"}
				}
			}
		}
		if reason, missing := b.opts.Unavailable[st.Call]; missing {
			return nil, &SkipError{Reason: "calls " + st.Call + ", which this Winsock cannot make: " + reason}
		}
	}
	c := &countingAPI{API: b.api, open: map[socket.Handle]bool{}}
	var d socket.WSAData
	if err := b.api.WSAStartup(0x0202, &d); err != nil {
		return nil, fmt.Errorf("native back end: WSAStartup: %w", err)
	}
	c.inits = 1
	return &nativeWorld{api: c, threads: map[string]*osThread{}}, nil
}

type nativeWorld struct {
	api        *countingAPI
	threads    map[string]*osThread
	mainLocked bool // the goroutine running the script is locked to its OS thread
}

// API maps every WHO to the one real API (Open skipped scripts with several applications);
// RunOn puts each thread's calls on an OS thread of its own.
func (w *nativeWorld) API(string, string) (socket.API, error) { return w.api, nil }

// RunOn runs f on the OS thread that stands for the scenario's thread, started on first use.
//
// The main thread's calls run on the goroutine running the script, locked to its OS thread for
// the rest of its life (the OS thread ends with it): handing every call to another locked
// goroutine costs two thread switches a call, and under Wine the Go runtime was seen to crash
// in that hand-off (startlockedm) after a few thousand calls.
func (w *nativeWorld) RunOn(thread string, f func()) {
	if thread == mainThread {
		thread = ""
	}
	if thread == "" {
		if !w.mainLocked {
			runtime.LockOSThread()
			w.mainLocked = true
		}
		f()
		return
	}
	t, ok := w.threads[thread]
	if !ok {
		t = startOSThread()
		w.threads[thread] = t
	}
	t.run(f)
}

// osThread is a goroutine locked to an OS thread, which runs the functions it is handed one
// at a time: one scenario thread on a real Winsock, whose APCs must reach the thread that
// issued the call.
type osThread struct{ work chan func() }

func startOSThread() *osThread {
	t := &osThread{work: make(chan func())}
	go func() {
		runtime.LockOSThread() // never unlocked: the OS thread ends with the goroutine
		for f := range t.work {
			f()
		}
	}()
	return t
}

func (t *osThread) run(f func()) {
	done := make(chan struct{})
	t.work <- func() { defer close(done); f() }
	<-done
}

// settleLimit bounds how long settle waits for one real connection attempt: longer than a
// refused loopback connect takes on Windows (about 2 s of SYN retries), shorter than
// wsssim run's default --timeout.
const settleLimit = 10 * time.Second

// socketsClosed makes the native world a handleValueReuser: its handle values come back.
func (w *nativeWorld) socketsClosed() bool { return w.api.inits == 0 }

// Settle waits, in real time, for the connection attempts in flight to finish, so that what the
// script checks next is the attempt's outcome, as it is on the simulator. Time passes by itself
// on a real machine, but not necessarily fast enough: a loaded machine (or Wine) can take longer
// than the script's next call to complete even a loopback ConnectEx.
//
// It asks without consuming anything the script reads next: WSAGetOverlappedResult without
// waiting for a ConnectEx, select (socket.ConnectWaiter) for a non-blocking connect. An attempt
// that does not finish within settleLimit is left as it is, for the script's checks to report.
func (w *nativeWorld) Settle() {
	c := w.api
	deadline := time.Now().Add(settleLimit)
	for _, a := range c.inFlight {
		if a.ov != nil {
			for {
				_, err := c.API.WSAGetOverlappedResult(a.s, a.ov, false)
				if !stderrors.Is(err, errors.WSA_IO_INCOMPLETE) || !time.Now().Before(deadline) {
					break
				}
				time.Sleep(time.Millisecond)
			}
		} else if waiter, ok := c.API.(socket.ConnectWaiter); ok {
			_, _ = waiter.WaitConnect(a.s, max(time.Until(deadline), 0))
		}
	}
	c.inFlight = c.inFlight[:0]
}

// Close closes the sockets the script left open, then balances its WSAStartup calls, and ends
// the script's OS threads.
func (w *nativeWorld) Close() {
	for _, t := range w.threads {
		close(t.work)
	}
	w.threads = nil
	c := w.api
	if c.inits > 0 {
		for _, h := range c.handles() {
			_ = c.API.Closesocket(h)
		}
	}
	for ; c.inits > 0; c.inits-- {
		_ = c.API.WSACleanup()
	}
	c.open = map[socket.Handle]bool{}
	c.inFlight = nil
}

// countingAPI passes calls through while recording what Close must undo (the initialisation
// count and the sockets still open) and what settle must wait for.
type countingAPI struct {
	socket.API
	inits    int
	open     map[socket.Handle]bool
	order    []socket.Handle
	inFlight []connectAttempt // what the next settle waits for
}

// connectAttempt is a connection attempt the script started and has not seen finish: a
// ConnectEx that returned WSA_IO_PENDING (ov is its OVERLAPPED), or a non-blocking connect that
// returned WSAEWOULDBLOCK (ov is nil).
type connectAttempt struct {
	s  socket.Handle
	ov *socket.Overlapped
}

// started records an attempt that is now in flight.
func (c *countingAPI) started(s socket.Handle, ov *socket.Overlapped, err error) error {
	if (ov == nil && stderrors.Is(err, errors.WSAEWOULDBLOCK)) || (ov != nil && stderrors.Is(err, errors.WSA_IO_PENDING)) {
		c.inFlight = append(c.inFlight, connectAttempt{s: s, ov: ov})
	}
	return err
}

// Connect records a non-blocking connect in flight.
func (c *countingAPI) Connect(s socket.Handle, name []byte, n int32) error {
	return c.started(s, nil, c.API.Connect(s, name, n))
}

// WSAConnect records a non-blocking connect in flight.
func (c *countingAPI) WSAConnect(s socket.Handle, name []byte, n int32) error {
	return c.started(s, nil, c.API.WSAConnect(s, name, n))
}

// ConnectEx records a ConnectEx in flight.
func (c *countingAPI) ConnectEx(s socket.Handle, name []byte, n int32, ov *socket.Overlapped) error {
	err := c.API.ConnectEx(s, name, n, ov)
	if ov == nil {
		return err // no OVERLAPPED: ConnectEx fails at once, nothing is in flight
	}
	return c.started(s, ov, err)
}

func (c *countingAPI) handles() []socket.Handle {
	var out []socket.Handle
	for _, h := range c.order {
		if c.open[h] {
			out = append(out, h)
		}
	}
	return out
}

func (c *countingAPI) track(h socket.Handle, err error) (socket.Handle, error) {
	if err == nil && h != socket.INVALID_SOCKET {
		if !c.open[h] {
			c.order = append(c.order, h)
		}
		c.open[h] = true
	}
	return h, err
}

// WSAStartup counts successful initialisations.
func (c *countingAPI) WSAStartup(v uint16, d *socket.WSAData) error {
	err := c.API.WSAStartup(v, d)
	if err == nil {
		c.inits++
	}
	return err
}

// WSACleanup counts them down; the last one closes every socket, as Windows does.
func (c *countingAPI) WSACleanup() error {
	err := c.API.WSACleanup()
	if err == nil && c.inits > 0 {
		c.inits--
		if c.inits == 0 {
			c.open = map[socket.Handle]bool{} // the last WSACleanup closed them
			c.inFlight = nil
		}
	}
	return err
}

// Socket records the new socket.
func (c *countingAPI) Socket(af, typ, p int32) (socket.Handle, error) {
	return c.track(c.API.Socket(af, typ, p))
}

// WSASocket records the new socket.
func (c *countingAPI) WSASocket(af, typ, p int32, f uint32) (socket.Handle, error) {
	return c.track(c.API.WSASocket(af, typ, p, f))
}

// Accept records the accepted socket.
func (c *countingAPI) Accept(s socket.Handle, b []byte, n *int32) (socket.Handle, error) {
	return c.track(c.API.Accept(s, b, n))
}

// Closesocket forgets the socket once closed.
func (c *countingAPI) Closesocket(s socket.Handle) error {
	err := c.API.Closesocket(s)
	if err == nil {
		delete(c.open, s)
		c.inFlight = slices.DeleteFunc(c.inFlight, func(a connectAttempt) bool { return a.s == s })
	}
	return err
}
