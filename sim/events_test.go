package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim"
)

// The event, wait and completion-routine rules join the table's cases here.
func init() {
	ruleCases["EVENT-INVALID-HANDLE"] = func(f *fixture) error {
		ev := f.event()
		f.ok(f.th.WSACloseEvent(ev))
		return f.th.WSASetEvent(ev) // a closed handle stays invalid
	}
	ruleCases["WAIT-COUNT"] = func(f *fixture) error {
		_, err := f.th.WSAWaitForMultipleEvents(nil, false, 0, false)
		return err
	}
	ruleCases["WAIT-HANDLE"] = func(f *fixture) error {
		_, err := f.th.WSAWaitForMultipleEvents([]sim.EventHandle{f.event(), sim.EventHandle(f.tcp())}, false, 0, false)
		return err
	}
	ruleCases["WAIT-DUPLICATE"] = func(f *fixture) error {
		ev := f.event()
		_, err := f.th.WSAWaitForMultipleEvents([]sim.EventHandle{ev, ev}, true, 0, false)
		return err
	}
	ruleCases["WAIT-FOREVER"] = func(f *fixture) error {
		_, err := f.th.WSAWaitForMultipleEvents([]sim.EventHandle{f.event()}, false, sim.WSA_INFINITE, true)
		return err
	}
}

func (f *fixture) event() sim.EventHandle {
	f.t.Helper()
	ev, err := f.th.WSACreateEvent()
	require.NoError(f.t, err)
	return ev
}

// overlappedClient returns a connected, overlapped TCP client socket of the main thread, whose secure
// calls complete at once through their OVERLAPPED (ruling R7).
func (f *fixture) overlappedClient() sim.Handle {
	f.t.Helper()
	f.listener(f.th, "127.0.0.1:7000")
	c := f.tcp() // socket() sockets are overlapped
	f.ok(f.th.ConnectAddr(c, v4("127.0.0.1:7000")))
	return c
}

// routineLog records the completion routines that ran.
type routineLog struct{ calls []routineCall }

type routineCall struct {
	name        string
	code, bytes uint32
	ov          *sim.Overlapped
	flags       uint32
}

func (l *routineLog) routine(name string) sim.CompletionRoutine {
	return func(code, bytes uint32, ov *sim.Overlapped, flags uint32) {
		l.calls = append(l.calls, routineCall{name, code, bytes, ov, flags})
	}
}

func TestEventsAreManualResetAndStartUnsignalled(t *testing.T) {
	f := newFixture(t)
	ev := f.event()
	signalled, open := f.h.App().EventState(ev)
	assert.True(t, open)
	assert.False(t, signalled)
	r, err := f.th.WSAWaitForMultipleEvents([]sim.EventHandle{ev}, false, 0, false)
	require.NoError(t, err)
	assert.Equal(t, sim.WSA_WAIT_TIMEOUT, r)

	f.ok(f.th.WSASetEvent(ev))
	for range 2 { // manual reset: a satisfied wait leaves it signalled
		r, err = f.th.WSAWaitForMultipleEvents([]sim.EventHandle{ev}, false, 0, false)
		require.NoError(t, err)
		assert.Equal(t, sim.WSA_WAIT_EVENT_0, r)
	}
	f.ok(f.th.WSAResetEvent(ev))
	r, _ = f.th.WSAWaitForMultipleEvents([]sim.EventHandle{ev}, false, 0, false)
	assert.Equal(t, sim.WSA_WAIT_TIMEOUT, r)

	f.ok(f.th.WSACloseEvent(ev))
	_, open = f.h.App().EventState(ev)
	assert.False(t, open)
	requireRule(t, "EVENT-INVALID-HANDLE", f.th.WSAResetEvent(ev))
	requireRule(t, "EVENT-INVALID-HANDLE", f.th.WSACloseEvent(ev))
	requireRule(t, "EVENT-INVALID-HANDLE", f.th.WSASetEvent(sim.WSA_INVALID_EVENT))
}

func TestEventsBelongToTheirApplication(t *testing.T) {
	f := newFixture(t)
	ev := f.event()
	requireRule(t, "EVENT-INVALID-HANDLE", f.alice.WSASetEvent(ev))
	_, err := f.alice.WSAWaitForMultipleEvents([]sim.EventHandle{ev}, false, 0, false)
	requireRule(t, "WAIT-HANDLE", err)
	// Another thread of the same application shares it.
	other := f.h.App().NewThread()
	f.ok(other.WSASetEvent(ev))
	r, err := f.th.WSAWaitForMultipleEvents([]sim.EventHandle{ev}, false, 0, false)
	require.NoError(t, err)
	assert.Equal(t, sim.WSA_WAIT_EVENT_0, r)
}

func TestEventHandlesShareTheSocketNumbering(t *testing.T) {
	f := newFixture(t)
	s := f.tcp()
	ev := f.event()
	s2 := f.tcp()
	assert.Equal(t, uint64(s)+4, uint64(ev))
	assert.Equal(t, uint64(ev)+4, uint64(s2))
	requireRule(t, "GEN-NOTSOCK", f.th.Closesocket(sim.Handle(ev)))
	requireRule(t, "EVENT-INVALID-HANDLE", f.th.WSACloseEvent(sim.EventHandle(s)))
}

func TestEventCallsNeedWinsock(t *testing.T) {
	f := newFixture(t)
	ev := f.event()
	f.ok(f.th.WSACleanup())
	_, err := f.th.WSACreateEvent()
	requireRule(t, "GEN-NOTINITIALISED", err)
	requireRule(t, "GEN-NOTINITIALISED", f.th.WSASetEvent(ev))
	r, err := f.th.WSAWaitForMultipleEvents([]sim.EventHandle{ev}, false, 0, false)
	requireRule(t, "GEN-NOTINITIALISED", err)
	assert.Equal(t, sim.WSA_WAIT_FAILED, r)
	// SleepEx is kernel32's and needs no WSAStartup; the event outlives the cleanup.
	r, err = f.th.SleepEx(1, false)
	require.NoError(t, err)
	assert.Zero(t, r)
	var d sim.WSAData
	f.ok(f.th.WSAStartup(0x0202, &d))
	f.ok(f.th.WSASetEvent(ev))
}

func TestWaitForAnyReturnsTheLowestSignalledAndAllNeedsEvery(t *testing.T) {
	f := newFixture(t)
	evs := []sim.EventHandle{f.event(), f.event(), f.event()}
	f.ok(f.th.WSASetEvent(evs[2]))
	f.ok(f.th.WSASetEvent(evs[1]))
	r, err := f.th.WSAWaitForMultipleEvents(evs, false, 0, false)
	require.NoError(t, err)
	assert.Equal(t, sim.WSA_WAIT_EVENT_0+1, r)
	r, _ = f.th.WSAWaitForMultipleEvents(evs, true, 0, false)
	assert.Equal(t, sim.WSA_WAIT_TIMEOUT, r)
	f.ok(f.th.WSASetEvent(evs[0]))
	r, _ = f.th.WSAWaitForMultipleEvents(evs, true, 0, false)
	assert.Equal(t, sim.WSA_WAIT_EVENT_0, r)
	// Duplicates are fine when waiting for any.
	r, err = f.th.WSAWaitForMultipleEvents([]sim.EventHandle{evs[0], evs[0]}, false, 0, false)
	require.NoError(t, err)
	assert.Equal(t, sim.WSA_WAIT_EVENT_0, r)
}

func TestWaitCountLimits(t *testing.T) {
	f := newFixture(t)
	evs := make([]sim.EventHandle, sim.WSA_MAXIMUM_WAIT_EVENTS+1)
	for i := range evs {
		evs[i] = f.event()
	}
	f.ok(f.th.WSASetEvent(evs[63]))
	r, err := f.th.WSAWaitForMultipleEvents(evs[:64], false, 0, false)
	require.NoError(t, err)
	assert.Equal(t, sim.WSA_WAIT_EVENT_0+63, r)
	_, err = f.th.WSAWaitForMultipleEvents(evs, false, 0, false)
	requireRule(t, "WAIT-COUNT", err)
}

// A finite wait that nothing satisfies moves the virtual clock by its time-out, and no further.
func TestATimedOutWaitMovesTheVirtualClockByItsTimeout(t *testing.T) {
	f := newFixture(t)
	ev := f.event()
	start := f.net.Now()
	r, err := f.th.WSAWaitForMultipleEvents([]sim.EventHandle{ev}, false, 250, true)
	require.NoError(t, err)
	assert.Equal(t, sim.WSA_WAIT_TIMEOUT, r)
	assert.Equal(t, 250*time.Millisecond, f.net.Now()-start)
	r, err = f.th.SleepEx(1500, false)
	require.NoError(t, err)
	assert.Zero(t, r)
	assert.Equal(t, 1750*time.Millisecond, f.net.Now()-start)
	r, _ = f.th.SleepEx(0, true) // a poll: no time passes
	assert.Zero(t, r)
	assert.Equal(t, 1750*time.Millisecond, f.net.Now()-start)
}

func TestInfiniteWaitsThatNothingEndsDoNotHang(t *testing.T) {
	f := newFixture(t)
	r, err := f.th.SleepEx(sim.INFINITE, false)
	requireRule(t, "WAIT-FOREVER", err)
	assert.Zero(t, r)
	r, err = f.th.SleepEx(sim.INFINITE, true)
	requireRule(t, "WAIT-FOREVER", err)
	assert.Zero(t, r)
	r, err = f.th.WSAWaitForMultipleEvents([]sim.EventHandle{f.event()}, false, sim.WSA_INFINITE, false)
	requireRule(t, "WAIT-FOREVER", err)
	assert.Equal(t, sim.WSA_WAIT_TIMEOUT, r, "the value a timed-out wait returns")

	// An INFINITE wait that a connection in flight satisfies returns when it completes.
	f.listener(f.th, "127.0.0.1:80")
	s := f.tcp()
	f.ok(f.th.BindAddr(s, v4("0.0.0.0:0")))
	ov := sim.Overlapped{Event: f.event()}
	requireRule(t, "CONNECTEX-PENDING", f.th.ConnectEx(s, v4("127.0.0.1:80").Encode(), 16, &ov))
	r, err = f.th.WSAWaitForMultipleEvents([]sim.EventHandle{ov.Event}, false, sim.WSA_INFINITE, false)
	require.NoError(t, err)
	assert.Equal(t, sim.WSA_WAIT_EVENT_0, r)
}

// ConnectEx reports through the OVERLAPPED's event: reset as the operation starts, signalled
// when the connection completes, which a wait lets happen.
func TestConnectExSignalsItsEvent(t *testing.T) {
	f := newFixture(t)
	f.listener(f.th, "127.0.0.1:80")
	s := f.tcp()
	f.ok(f.th.BindAddr(s, v4("0.0.0.0:0")))
	ev := f.event()
	f.ok(f.th.WSASetEvent(ev)) // left over from an earlier use
	ov := sim.Overlapped{Event: ev}
	requireRule(t, "CONNECTEX-PENDING", f.th.ConnectEx(s, v4("127.0.0.1:80").Encode(), 16, &ov))
	signalled, _ := f.h.App().EventState(ev)
	assert.False(t, signalled, "starting the operation reset the event")
	r, err := f.th.WSAWaitForMultipleEvents([]sim.EventHandle{ev}, false, 0, false)
	require.NoError(t, err)
	assert.Equal(t, sim.WSA_WAIT_TIMEOUT, r, "a poll lets no time pass")
	r, err = f.th.WSAWaitForMultipleEvents([]sim.EventHandle{ev}, false, 100, false)
	require.NoError(t, err)
	assert.Equal(t, sim.WSA_WAIT_EVENT_0, r)
	n, err := f.th.WSAGetOverlappedResult(s, &ov, false)
	require.NoError(t, err)
	assert.Zero(t, n)

	// A refused ConnectEx signals the event too; the OVERLAPPED holds the error.
	g := f.tcp()
	f.ok(f.th.BindAddr(g, v4("0.0.0.0:0")))
	requireRule(t, "CONNECTEX-PENDING", f.th.ConnectEx(g, v4("127.0.0.1:81").Encode(), 16, &ov))
	r, _ = f.th.WSAWaitForMultipleEvents([]sim.EventHandle{ev}, false, 100, false)
	assert.Equal(t, sim.WSA_WAIT_EVENT_0, r)
	_, err = f.th.WSAGetOverlappedResult(g, &ov, false)
	requireRule(t, "CONNECT-REFUSED", err)
}

func TestCloseAbortsPendingWorkThroughItsEvent(t *testing.T) {
	f := newFixture(t)
	f.listener(f.th, "127.0.0.1:80")
	s := f.tcp()
	f.ok(f.th.BindAddr(s, v4("0.0.0.0:0")))
	ov := sim.Overlapped{Event: f.event()}
	requireRule(t, "CONNECTEX-PENDING", f.th.ConnectEx(s, v4("127.0.0.1:80").Encode(), 16, &ov))
	closer := f.h.App().NewThread() // any thread may close it
	f.ok(closer.Closesocket(s))
	signalled, _ := f.h.App().EventState(ov.Event)
	assert.True(t, signalled)
	_, err := f.th.WSAGetOverlappedResult(f.tcp(), &ov, false)
	requireRule(t, "CLOSE-ABORTS-PENDING", err)
	assert.ErrorIs(t, err, errors.WSA_OPERATION_ABORTED)
}

func TestCompletionRoutinesRunOnlyInTheirThreadsAlertableWait(t *testing.T) {
	f := newFixture(t)
	c := f.overlappedClient()
	var log routineLog
	ev := f.event()
	ov := sim.Overlapped{Event: ev}
	n := uint32(policy.SizeofQueryInfo)
	f.ok(f.th.WSAQuerySocketSecurity(c, nil, 0, make([]byte, n), &n, &ov, log.routine("R1")))
	assert.Empty(t, log.calls, "a routine never runs inside the call")
	assert.Equal(t, 1, f.th.QueuedRoutines())
	done, err := ov.Completed()
	assert.True(t, done)
	require.NoError(t, err)
	signalled, _ := f.h.App().EventState(ev)
	assert.False(t, signalled, "hEvent is ignored when a completion routine is given")

	r, err := f.th.SleepEx(10, false)
	require.NoError(t, err)
	assert.Zero(t, r)
	other := f.h.App().NewThread()
	r, err = other.SleepEx(10, true)
	require.NoError(t, err)
	assert.Zero(t, r)
	_, err = f.th.WSAGetOverlappedResult(c, &ov, true)
	require.NoError(t, err)
	assert.Empty(t, log.calls, "not in a wait that is not alertable, nor in another thread's")

	r, err = f.th.SleepEx(0, true)
	require.NoError(t, err)
	assert.Equal(t, sim.WAIT_IO_COMPLETION, r)
	require.Len(t, log.calls, 1)
	assert.Equal(t, routineCall{"R1", 0, policy.SizeofQueryInfo, &ov, 0}, log.calls[0])
	assert.Zero(t, f.th.QueuedRoutines())
	r, _ = f.th.SleepEx(0, true)
	assert.Zero(t, r, "each routine runs once")
}

func TestASignalledEventWinsOverQueuedRoutines(t *testing.T) {
	f := newFixture(t)
	var log routineLog
	var ov sim.Overlapped
	name := policy.PeerTargetName{Name: "host/x"}.Encode()
	s := f.tcp()
	f.ok(f.th.WSASetSocketPeerTargetName(s, name, uint32(len(name)), &ov, log.routine("R1")))
	ev := f.event()
	f.ok(f.th.WSASetEvent(ev))
	r, err := f.th.WSAWaitForMultipleEvents([]sim.EventHandle{ev}, false, 0, true)
	require.NoError(t, err)
	assert.Equal(t, sim.WSA_WAIT_EVENT_0, r)
	assert.Empty(t, log.calls)
	f.ok(f.th.WSAResetEvent(ev))
	r, err = f.th.WSAWaitForMultipleEvents([]sim.EventHandle{ev}, false, sim.WSA_INFINITE, true)
	require.NoError(t, err)
	assert.Equal(t, sim.WSA_WAIT_IO_COMPLETION, r)
	require.Len(t, log.calls, 1)
}

// Every call that takes lpCompletionRoutine queues it; the routine may issue the next call, whose
// routine runs in the same wait.
func TestEveryOverlappedSecureCallQueuesItsRoutine(t *testing.T) {
	f := newFixture(t)
	c := f.overlappedClient()
	u := f.udp()
	var log routineLog
	var ov1, ov2, ov3, ov4, ov5 sim.Overlapped
	f.ok(f.th.WSASetSocketSecurity(f.tcp(), nil, 0, &ov1, log.routine("set")))
	name := policy.PeerTargetName{Name: "host/x"}.Encode()
	f.ok(f.th.WSASetSocketPeerTargetName(f.tcp(), name, uint32(len(name)), &ov2, log.routine("name")))
	peer := v4("127.0.0.1:53").Encode()
	f.ok(f.th.WSADeleteSocketPeerTargetName(u, peer, uint32(len(peer)), &ov3, log.routine("delete")))
	out := make([]byte, 24)
	f.ok(f.th.WSAIoctl(c, sim.SIO_QUERY_SECURITY, nil, 0, out, 24, nil, &ov4, func(code, bytes uint32, ov *sim.Overlapped, flags uint32) {
		log.calls = append(log.calls, routineCall{"ioctl", code, bytes, ov, flags})
		n := uint32(24)
		f.ok(f.th.WSAQuerySocketSecurity(c, nil, 0, out, &n, &ov5, log.routine("chained")))
	}))
	r, err := f.th.SleepEx(sim.INFINITE, true)
	require.NoError(t, err)
	assert.Equal(t, sim.WAIT_IO_COMPLETION, r)
	var names []string
	for _, c := range log.calls {
		names = append(names, c.name)
	}
	assert.Equal(t, []string{"set", "name", "delete", "ioctl", "chained"}, names)
	assert.Equal(t, uint32(24), log.calls[3].bytes)
}

func TestRoutinesAreIgnoredWithoutAnOverlappedSocketOrOverlapped(t *testing.T) {
	f := newFixture(t)
	var log routineLog
	plain, err := f.th.WSASocket(sim.AF_INET, sim.SOCK_STREAM, 0, 0) // no WSA_FLAG_OVERLAPPED
	require.NoError(t, err)
	ov := sim.Overlapped{Event: f.event()}
	f.ok(f.th.WSASetSocketSecurity(plain, nil, 0, &ov, log.routine("plain")))
	f.ok(f.th.WSASetSocketSecurity(f.tcp(), nil, 0, nil, log.routine("no-ov")))
	assert.Zero(t, f.th.QueuedRoutines())
	done, _ := ov.Completed()
	assert.False(t, done)
	signalled, _ := f.h.App().EventState(ov.Event)
	assert.False(t, signalled)

	// A failed call queues nothing either.
	requireRule(t, "GEN-NOTSOCK", f.th.WSASetSocketSecurity(0xdead0, nil, 0, &ov, log.routine("failed")))
	assert.Zero(t, f.th.QueuedRoutines())

	// Without a routine the event is signalled at once.
	f.ok(f.th.WSASetSocketSecurity(f.tcp(), nil, 0, &ov, nil))
	signalled, _ = f.h.App().EventState(ov.Event)
	assert.True(t, signalled)
}

func TestEventCallsTraceDeterministically(t *testing.T) {
	run := func() string {
		n := sim.NewNetwork()
		log := &sim.TraceLog{}
		n.SetTracer(log)
		th := n.MustAddHost("h").App().Main()
		ev, _ := th.WSACreateEvent()
		_ = th.WSASetEvent(ev)
		_, _ = th.WSAWaitForMultipleEvents([]sim.EventHandle{ev}, false, 100, true)
		_, _ = th.SleepEx(sim.INFINITE, false)
		_ = th.WSACloseEvent(ev)
		_ = th.WSAResetEvent(ev)
		return log.String()
	}
	want := "1 h: WSACreateEvent() = ok -> 0x100\n" +
		"2 h: WSASetEvent(0x100) = ok\n" +
		"3 h: WSAWaitForMultipleEvents(1, {0x100}, FALSE, 100, TRUE) = ok -> WSA_WAIT_EVENT_0\n" +
		"4 h: SleepEx(INFINITE, FALSE) = WSA_WAIT_TIMEOUT [WAIT-FOREVER]\n" +
		"5 h: WSACloseEvent(0x100) = ok\n" +
		"6 h: WSAResetEvent(0x100) = WSA_INVALID_HANDLE [EVENT-INVALID-HANDLE]\n"
	assert.Equal(t, want, run())
	assert.Equal(t, run(), run())
}

// A model of the wait on any or all of a set of events, against random signalling.
func TestWaitMatchesAModelOfItsEvents(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := sim.NewNetwork()
		th := n.MustAddHost("h").App().Main()
		count := rapid.IntRange(1, 8).Draw(rt, "events")
		evs := make([]sim.EventHandle, count)
		state := make([]bool, count)
		for i := range evs {
			evs[i], _ = th.WSACreateEvent()
		}
		for range rapid.IntRange(0, 30).Draw(rt, "steps") {
			i := rapid.IntRange(0, count-1).Draw(rt, "i")
			switch rapid.IntRange(0, 2).Draw(rt, "op") {
			case 0:
				require.NoError(rt, th.WSASetEvent(evs[i]))
				state[i] = true
			case 1:
				require.NoError(rt, th.WSAResetEvent(evs[i]))
				state[i] = false
			default:
				all := rapid.Bool().Draw(rt, "all")
				want := sim.WSA_WAIT_TIMEOUT
				if all {
					every := true
					for _, s := range state {
						every = every && s
					}
					if every {
						want = sim.WSA_WAIT_EVENT_0
					}
				} else {
					for j, s := range state {
						if s {
							want = sim.WSA_WAIT_EVENT_0 + uint32(j)
							break
						}
					}
				}
				got, err := th.WSAWaitForMultipleEvents(evs, all, uint32(rapid.IntRange(0, 50).Draw(rt, "timeout")), rapid.Bool().Draw(rt, "alertable"))
				require.NoError(rt, err)
				require.Equal(rt, want, got)
			}
		}
	})
}

// A completion routine runs in an alertable wait of the thread that made the call, and not
// before: WSAQuerySocketSecurity completes at once (ruling R7), its routine when the thread
// sleeps alertably.
func ExampleThread_SleepEx() {
	n := sim.NewNetwork()
	th := n.MustAddHost("h").App().Main()
	l, _ := th.Socket(sim.AF_INET, sim.SOCK_STREAM, 0)
	_ = th.BindAddr(l, v4("127.0.0.1:27015"))
	_ = th.Listen(l, 5)
	c, _ := th.Socket(sim.AF_INET, sim.SOCK_STREAM, 0) // socket() sockets are overlapped
	_ = th.ConnectAddr(c, v4("127.0.0.1:27015"))

	var ov sim.Overlapped
	info := make([]byte, 24)
	size := uint32(len(info))
	done := func(code, bytes uint32, _ *sim.Overlapped, _ uint32) {
		fmt.Printf("routine: code %d, %d bytes\n", code, bytes)
	}
	_ = th.WSAQuerySocketSecurity(c, nil, 0, info, &size, &ov, done)
	r, _ := th.SleepEx(0, false) // not alertable: the routine waits
	fmt.Println("SleepEx(0, FALSE) =", r)
	r, _ = th.SleepEx(0, true)
	fmt.Printf("SleepEx(0, TRUE) = %#x\n", r)
	// Output:
	// SleepEx(0, FALSE) = 0
	// routine: code 0, 24 bytes
	// SleepEx(0, TRUE) = 0xc0
}

// Completions arrive from whichever goroutine moves the clock: a test's Settle on one goroutine
// while the issuing thread polls on another.
func TestCompletionsReachEventsFromAnotherGoroutine(t *testing.T) {
	f := newFixture(t)
	f.listener(f.th, "127.0.0.1:80")
	const n = 20
	ovs := make([]sim.Overlapped, n)
	evs := make([]sim.EventHandle, n)
	for i := range ovs {
		s := f.tcp()
		f.ok(f.th.BindAddr(s, v4("0.0.0.0:0")))
		evs[i] = f.event()
		ovs[i].Event = evs[i]
		requireRule(t, "CONNECTEX-PENDING", f.th.ConnectEx(s, v4("127.0.0.1:80").Encode(), 16, &ovs[i]))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.net.Settle()
	}()
	for range 100 {
		_, err := f.th.WSAWaitForMultipleEvents(evs[:1], false, 0, true)
		require.NoError(t, err)
	}
	<-done
	r, err := f.th.WSAWaitForMultipleEvents(evs, true, 0, false)
	require.NoError(t, err)
	assert.Equal(t, sim.WSA_WAIT_EVENT_0, r)
}
