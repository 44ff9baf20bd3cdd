package scenario

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/socket"
)

// nativeOnSim is the native back end driving a simulated host, standing in for a real Winsock
// in a process that has not initialised Winsock itself (the back end's documented contract).
func nativeOnSim(t *testing.T, opts NativeOptions) (Backend, *sim.App) {
	t.Helper()
	h := sim.NewNetwork().MustAddHost("machine", "10.1.1.1")
	require.NoError(t, h.App().Main().WSACleanup())
	return NativeBackendWith(socket.Simulated(h.App().Main()), opts), h.App()
}

func TestNativeBackendRunsOneHostScripts(t *testing.T) {
	b, app := nativeOnSim(t, NativeOptions{})
	assert.Equal(t, "native", b.Name())
	s := mustParse(t, "n.wss", `l = socket AF_INET SOCK_STREAM 0
bind l 127.0.0.1:80
listen l 1
c = socket AF_INET SOCK_STREAM 0
connect c 127.0.0.1:80
a = accept l => ok peer=127.0.0.1:*
settle
WSAStartup
w = WSASocket AF_INET6 SOCK_DGRAM 0 OVERLAPPED
closesocket a
`)
	r := Run(s, b, Options{})
	require.NoError(t, r.Err)
	assert.Empty(t, failureMessages(r))
	assert.Nil(t, r.Steps[0].Rule, "steps carry the rule only if the API's errors do")

	// Close closed what the script left open and balanced its WSAStartup and Open's own.
	assert.Empty(t, app.Sockets())
	assert.False(t, app.Initialised())
}

func TestNativeBackendAfterFinalCleanup(t *testing.T) {
	b, app := nativeOnSim(t, NativeOptions{})
	r := Run(mustParse(t, "c.wss", "s = socket AF_INET SOCK_STREAM 0\nWSACleanup\nWSACleanup => WSANOTINITIALISED\n"), b, Options{})
	assert.Empty(t, failureMessages(r))
	assert.False(t, app.Initialised())
	assert.Empty(t, app.Sockets())
}

func TestNativeBackendSkips(t *testing.T) {
	b, _ := nativeOnSim(t, NativeOptions{})
	for _, c := range []struct{ src, reason string }{
		{"host a\nhost b\na: WSACleanup\n", "needs 2 hosts (a, b); the native back end is one machine"},
		{"app local/x user=alice\nWSACleanup\n", "runs application local/x as user alice; the native back end is one process"},
		{"host h 10.9.9.9\nWSACleanup\n", "needs address 10.9.9.9, which this machine lacks"},
	} {
		r := Run(mustParse(t, "skip.wss", c.src), b, Options{})
		assert.Equal(t, c.reason, r.Skipped)
		assert.Empty(t, r.Steps)
		assert.False(t, r.Passed())
		assert.NoError(t, r.Err)
	}
}

func TestNativeBackendAddressCheck(t *testing.T) {
	b, _ := nativeOnSim(t, NativeOptions{HasAddress: func(a netip.Addr) bool { return a == netip.MustParseAddr("10.1.1.1") }})
	r := Run(mustParse(t, "addr.wss", "host machine 10.1.1.1\ns = socket AF_INET SOCK_STREAM 0\nbind s 10.1.1.1:0\n"), b, Options{})
	assert.Empty(t, r.Skipped)
	assert.True(t, r.Passed(), "%v", failureMessages(r))
	r = Run(mustParse(t, "addr.wss", "host machine 10.1.1.2\nWSACleanup\n"), b, Options{})
	assert.Equal(t, "needs address 10.1.1.2, which this machine lacks", r.Skipped)
}

func TestNativeBackendWithoutAPI(t *testing.T) {
	r := Run(mustParse(t, "x.wss", "WSACleanup\n"), NativeBackend(nil), Options{})
	assert.Error(t, r.Err)
}

// failingOpen is a back end whose Open fails for a reason other than a skip.
type failingOpen struct{}

func (failingOpen) Name() string                { return "broken" }
func (failingOpen) Open(*Script) (World, error) { return nil, assert.AnError }

func TestBackendOpenFailure(t *testing.T) {
	r := Run(mustParse(t, "x.wss", "WSACleanup\n"), failingOpen{}, Options{})
	assert.ErrorIs(t, r.Err, assert.AnError)
	assert.Equal(t, "broken", r.Backend)
	assert.False(t, r.Passed())
}

func TestSkipErrorMessage(t *testing.T) {
	assert.Equal(t, "skipped: why", (&SkipError{Reason: "why"}).Error())
}

// handleRecorder is a socket.API that notes every event handle the calls on events receive,
// and every socket closesocket receives.
type handleRecorder struct {
	socket.API
	seen    []socket.EventHandle
	sockets []socket.Handle
}

func (r *handleRecorder) Closesocket(s socket.Handle) error {
	r.sockets = append(r.sockets, s)
	return r.API.Closesocket(s)
}

func (r *handleRecorder) WSASetEvent(ev socket.EventHandle) error {
	r.seen = append(r.seen, ev)
	return r.API.WSASetEvent(ev)
}

func (r *handleRecorder) WSAResetEvent(ev socket.EventHandle) error {
	r.seen = append(r.seen, ev)
	return r.API.WSAResetEvent(ev)
}

func (r *handleRecorder) WSACloseEvent(ev socket.EventHandle) error {
	r.seen = append(r.seen, ev)
	return r.API.WSACloseEvent(ev)
}

func (r *handleRecorder) WSAWaitForMultipleEvents(evs []socket.EventHandle, all bool, ms uint32, alertable bool) (uint32, error) {
	r.seen = append(r.seen, evs...)
	return r.API.WSAWaitForMultipleEvents(evs, all, ms, alertable)
}

// On a real Winsock a closed event's value can be reissued to a handle the Go runtime opens,
// so the native back end must never hand it to Windows again: the script's calls on a closed
// event reach the API as socket.NeverIssuedHandle, and still get WSA_INVALID_HANDLE.
func TestNativeBackendNeverReusesClosedEvents(t *testing.T) {
	api, _ := socket.SimulatedHost("n")
	rec := &handleRecorder{API: api}
	s := mustParse(t, "closed-events.wss", `
e = WSACreateEvent
f = WSACreateEvent
WSACloseEvent e
WSASetEvent e                               => WSA_INVALID_HANDLE
WSAResetEvent e                             => WSA_INVALID_HANDLE
WSACloseEvent e                             => WSA_INVALID_HANDLE
WSAWaitForMultipleEvents f,e timeout=0      => WSA_INVALID_HANDLE
WSASetEvent f
WSAWaitForMultipleEvents f timeout=0        => ok result=WSA_WAIT_EVENT_0
WSACloseEvent f
`)
	r := Run(s, NativeBackend(rec), Options{})
	require.NoError(t, r.Err)
	assert.Empty(t, failureMessages(r))

	require.Len(t, rec.seen, 9)
	e, f := rec.seen[0], rec.seen[4]
	stale := socket.EventHandle(socket.NeverIssuedHandle)
	assert.NotEqual(t, e, f)
	assert.NotEqual(t, stale, e)
	assert.Equal(t, []socket.EventHandle{e, stale, stale, stale, f, stale, f, f, f}, rec.seen,
		"after WSACloseEvent e, every call naming e reaches the API as NeverIssuedHandle")
}

// Windows (and Wine, which hands out the lowest free slot) may give a closed socket's value to
// the next socket: `closesocket s` after `t = socket` would close t. The native back end passes
// NeverIssuedHandle for a variable the script closed, so the stale s stays stale, as in the
// simulator, which never reuses a value and so is handed the old one.
func TestNativeBackendNeverReusesClosedSockets(t *testing.T) {
	src := `s = socket AF_INET SOCK_STREAM 0
closesocket s
t = socket AF_INET SOCK_STREAM 0
closesocket s                               => WSAENOTSOCK
listen s 1                                  => WSAENOTSOCK
closesocket t
u = socket AF_INET SOCK_STREAM 0
e = WSACreateEvent
WSACleanup
WSAStartup
v = socket AF_INET SOCK_STREAM 0
closesocket u                               => WSAENOTSOCK
closesocket v
WSACloseEvent e
`
	handles := func(r *Result, steps ...int) []string {
		var out []string
		for _, i := range steps {
			h, _ := r.Steps[i].Values.Get("handle")
			require.NotEmpty(t, h)
			out = append(out, h)
		}
		return out
	}
	api, _ := socket.SimulatedHost("n")
	require.NoError(t, api.WSACleanup(), "the back end's own WSAStartup is then the only one, as in a fresh process")
	rec := &handleRecorder{API: api}
	r := Run(mustParse(t, "stale.wss", src), NativeBackend(rec), Options{})
	require.NoError(t, r.Err)
	assert.Empty(t, failureMessages(r), "events outlive WSACleanup: e is still open")
	h := handles(r, 0, 2, 10)
	stale := socket.Handle(socket.NeverIssuedHandle).String()
	assert.Equal(t, []string{h[0], stale, h[1], stale, h[2]}, handleStrings(rec.sockets),
		"closesocket, and for sockets the last WSACleanup, leave the variable stale")

	rec.sockets = nil
	r = Run(mustParse(t, "stale.wss", src), socketRecordingSim{rec}, Options{})
	assert.Empty(t, failureMessages(r))
	h = handles(r, 0, 2, 6, 10)
	assert.Equal(t, []string{h[0], h[0], h[1], h[2], h[3]}, handleStrings(rec.sockets), "the simulator is handed the old values")
}

// socketRecordingSim is the simulator, its API seen through a handleRecorder.
type socketRecordingSim struct{ rec *handleRecorder }

func (socketRecordingSim) Name() string { return "sim" }

func (b socketRecordingSim) Open(s *Script) (World, error) {
	w, err := NewSimWorld(s)
	if err != nil {
		return nil, err
	}
	return socketRecordingWorld{w, b.rec}, nil
}

type socketRecordingWorld struct {
	*SimWorld
	rec *handleRecorder
}

func (w socketRecordingWorld) API(who, thread string) (socket.API, error) {
	api, err := w.SimWorld.API(who, thread)
	w.rec.API = api
	return w.rec, err
}

func handleStrings(hs []socket.Handle) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String()
	}
	return out
}

// slowMachine is a simulated host standing in for a real one on which connection attempts take
// a while: they finish only after settle has asked about them, as if time had passed meanwhile.
type slowMachine struct {
	socket.API
	net          *sim.Network
	polls, waits int
	waited       []socket.Handle
}

func (m *slowMachine) WSAGetOverlappedResult(s socket.Handle, ov *socket.Overlapped, wait bool) (uint32, error) {
	if !wait {
		m.polls++
		if m.polls == 3 {
			m.net.Settle()
		}
	}
	return m.API.WSAGetOverlappedResult(s, ov, wait)
}

func (m *slowMachine) WaitConnect(s socket.Handle, _ time.Duration) (bool, error) {
	m.waits++
	m.waited = append(m.waited, s)
	m.net.Settle()
	return true, nil
}

// On a real machine settle must wait for the attempts in flight, or a slow ConnectEx is still
// incomplete when the script checks it (seen under Wine in CI): it polls each ConnectEx's
// OVERLAPPED and selects on each non-blocking connect, forgetting sockets the script closed.
func TestNativeSettleWaitsForAttemptsInFlight(t *testing.T) {
	n := sim.NewNetwork()
	h := n.MustAddHost("machine", "10.1.1.1")
	require.NoError(t, h.App().Main().WSACleanup())
	m := &slowMachine{API: socket.Simulated(h.App().Main()), net: n}
	s := mustParse(t, "slow.wss", `l = socket AF_INET SOCK_STREAM 0
bind l 127.0.0.1:27015
listen l 5
e = socket AF_INET SOCK_STREAM 0
bind e 0.0.0.0:0
ConnectEx e 127.0.0.1:27015          => WSA_IO_PENDING
WSAGetOverlappedResult e             => WSA_IO_INCOMPLETE
c = socket AF_INET SOCK_STREAM 0
ioctlsocket c FIONBIO 1
connect c 127.0.0.1:27015            => WSAEWOULDBLOCK
gone = socket AF_INET SOCK_STREAM 0
ioctlsocket gone FIONBIO 1
connect gone 127.0.0.1:27015         => WSAEWOULDBLOCK
closesocket gone
settle
WSAGetOverlappedResult e             => ok bytes=0
getpeername c                        => ok addr=127.0.0.1:27015
settle
`)
	r := Run(s, NativeBackend(m), Options{})
	require.NoError(t, r.Err)
	assert.Empty(t, failureMessages(r))
	assert.Equal(t, 4, m.polls, "the script's two checks, and settle's two polls until the ConnectEx finished")
	require.Equal(t, 1, m.waits, "one select, for c: gone was closed, and the second settle had nothing in flight")
	c, _ := r.Steps[7].Values.Get("handle")
	require.NotEmpty(t, c)
	assert.Equal(t, c, fmt.Sprint(m.waited[0]))
}
