package sim

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/wsssim/wsssim/errors"
)

// Event objects (WSAEVENT), the waits on them, and the completion routines that alertable waits
// run. On Windows an event is a kernel object of the process and a completion routine an APC
// queued to the thread that issued the operation; the simulator keeps the same owners: events
// belong to an App, APC queues to a Thread.
//
// Nothing in the simulator blocks. A wait looks at what is already signalled or queued, then
// lets the virtual clock run — connection attempts in flight reach their sockets, as they would
// while a real thread slept — up to its time-out, and returns the moment it is satisfied. An
// INFINITE wait that nothing can satisfy would hang a real thread for good; the simulator
// returns instead, with rule WAIT-FOREVER.

// EventHandle is a WSAEVENT: the handle of an event object of one application. Like socket
// handles, event handles are multiples of 4, drawn from the same numbering, and never reused.
type EventHandle uint64

// WSA_INVALID_EVENT is ((WSAEVENT)NULL): what WSACreateEvent returns when it fails, and an
// Overlapped's "no event".
const WSA_INVALID_EVENT EventHandle = 0

// String prints the handle in hexadecimal, as debuggers show HANDLE values.
func (h EventHandle) String() string { return "0x" + strconv.FormatUint(uint64(h), 16) }

// The return values of the waits, with their Windows SDK values (winsock2.h, winbase.h).
const (
	WSA_WAIT_EVENT_0        uint32 = 0          // WAIT_OBJECT_0: add the index of the signalled event
	WSA_WAIT_IO_COMPLETION  uint32 = 0xC0       // WAIT_IO_COMPLETION: completion routines ran
	WSA_WAIT_TIMEOUT        uint32 = 0x102      // WAIT_TIMEOUT
	WSA_WAIT_FAILED         uint32 = 0xFFFFFFFF // WAIT_FAILED: the call failed
	WSA_INFINITE            uint32 = 0xFFFFFFFF // INFINITE: a time-out that never expires
	WSA_MAXIMUM_WAIT_EVENTS        = 64         // MAXIMUM_WAIT_OBJECTS
	WAIT_IO_COMPLETION      uint32 = WSA_WAIT_IO_COMPLETION
	INFINITE                uint32 = WSA_INFINITE
)

// waitFunctions is the Func of the rule the two waits share (WAIT-FOREVER).
const waitFunctions = "SleepEx, WSAWaitForMultipleEvents"

// eventFunctions is the Func of the rule the three functions that take one event share.
const eventFunctions = "WSASetEvent, WSAResetEvent, WSACloseEvent"

var (
	ruleEventHandle = rule("EVENT-INVALID-HANDLE", eventFunctions, errors.WSA_INVALID_HANDLE,
		"hEvent is not an open event object of the application: WSA_INVALID_EVENT, never created, already closed by WSACloseEvent, another process's, or a socket (Windows' CloseHandle would close a socket handle behind Winsock's back; the simulator refuses it)",
		"doc: WSASetEvent, WSAResetEvent, WSACloseEvent — WSA_INVALID_HANDLE: hEvent is not a valid event object handle; WSACloseEvent remarks: once the handle is closed, further references to it fail with WSA_INVALID_HANDLE",
		func(c *call) bool { return !c.app.eventOpen(c.ev.event) })

	ruleWaitCount = rule("WAIT-COUNT", "WSAWaitForMultipleEvents", errors.WSA_INVALID_PARAMETER,
		"cEvents is 0 or more than WSA_MAXIMUM_WAIT_EVENTS (64)",
		"doc: WSAWaitForMultipleEvents — one or more events must be specified, at most WSA_MAXIMUM_WAIT_EVENTS; WSA_INVALID_PARAMETER: the cEvents parameter does not contain a valid handle count",
		func(c *call) bool { return len(c.ev.events) == 0 || len(c.ev.events) > WSA_MAXIMUM_WAIT_EVENTS })
	ruleWaitHandle = rule("WAIT-HANDLE", "WSAWaitForMultipleEvents", errors.WSA_INVALID_HANDLE,
		"one or more of the handles in lphEvents is not an open event object of the application (WSA_INVALID_EVENT, closed, never created, or a socket: the simulator models events as the only waitable objects)",
		"doc: WSAWaitForMultipleEvents — WSA_INVALID_HANDLE: one or more of the values in the lphEvents array is not a valid event object handle",
		func(c *call) bool {
			for _, e := range c.ev.events {
				if !c.app.eventOpen(e) {
					return true
				}
			}
			return false
		})
	ruleWaitDuplicate = rule("WAIT-DUPLICATE", "WSAWaitForMultipleEvents", errors.WSA_INVALID_PARAMETER,
		"fWaitAll is TRUE and lphEvents holds the same handle more than once",
		"doc: WSAWaitForMultipleEvents — the array may not contain multiple copies of the same handle if fWaitAll is TRUE [INFER: WSA_INVALID_PARAMETER, the page's code for a bad parameter; the kernel's wait-all refuses duplicates with STATUS_INVALID_PARAMETER_MIX, which is ERROR_INVALID_PARAMETER]",
		func(c *call) bool { return c.ev.all && hasDuplicate(c.ev.events) })
	ruleWaitForever = rule("WAIT-FOREVER", waitFunctions, errors.WSA_WAIT_TIMEOUT,
		"an INFINITE wait that nothing can end: none of its events is signalled, no completion routine is queued to the thread (or the wait is not alertable), and no connection attempt in flight would change that. Windows would block the thread for good; the simulator, which never blocks, returns as a timed-out wait does (WSAWaitForMultipleEvents WSA_WAIT_TIMEOUT, SleepEx 0) and fails with this rule instead of hanging",
		"wsssim ruling (README, Threads and overlapped I/O), as for ACCEPT-WOULDBLOCK: a call that would wait forever answers what the program's own time-out path expects; doc: WSAWaitForMultipleEvents — with WSA_INFINITE the time-out never expires; SleepEx — INFINITE: the suspension does not time out",
		nil)
)

var (
	chainCreateEvent = chain("WSACreateEvent", ruleNotInitialised)
	chainSetEvent    = chain("WSASetEvent", ruleNotInitialised, ruleEventHandle)
	chainResetEvent  = chain("WSAResetEvent", ruleNotInitialised, ruleEventHandle)
	chainCloseEvent  = chain("WSACloseEvent", ruleNotInitialised, ruleEventHandle)
	chainWait        = chain("WSAWaitForMultipleEvents", ruleNotInitialised, ruleWaitCount, ruleWaitHandle, ruleWaitDuplicate)
	// SleepEx is kernel32's: it needs no WSAStartup and checks nothing.
	chainSleep = chain("SleepEx")
)

func init() {
	outcomes("WSAWaitForMultipleEvents", ruleWaitForever)
	outcomes("SleepEx", ruleWaitForever)
}

func hasDuplicate(events []EventHandle) bool {
	for i := range events {
		for j := i + 1; j < len(events); j++ {
			if events[i] == events[j] {
				return true
			}
		}
	}
	return false
}

// eventArgs holds the arguments of the event and wait calls, outside the call record.
type eventArgs struct {
	event     EventHandle   // WSASetEvent, WSAResetEvent, WSACloseEvent; what WSACreateEvent made
	events    []EventHandle // WSAWaitForMultipleEvents
	all       bool
	alertable bool
	timeout   uint32
	sleep     bool   // the call is SleepEx
	result    uint32 // what the wait returns
	apcs      bool   // the wait ended for queued completion routines: run them before returning
}

// beginEvent is begin for the event and wait calls, which also use c.ev.
func (t *Thread) beginEvent(fn string) *call {
	c := t.begin(fn)
	if c == &t.c {
		t.ev = eventArgs{}
		c.ev = &t.ev
	} else {
		c.ev = new(eventArgs)
	}
	c.h = INVALID_SOCKET
	return c
}

// eventTable is an application's event objects and whether each is signalled. Completions reach
// it from whichever goroutine moves the clock, hence the lock.
type eventTable struct {
	mu sync.Mutex
	m  map[EventHandle]bool
}

func (a *App) eventOpen(h EventHandle) bool {
	a.events.mu.Lock()
	defer a.events.mu.Unlock()
	_, ok := a.events.m[h]
	return ok
}

// setEvent signals an event; a handle that is not an open event is left alone (an OVERLAPPED
// whose event was closed meanwhile: Windows would find no object either).
func (a *App) setEvent(h EventHandle) { a.putEvent(h, true) }

func (a *App) resetEvent(h EventHandle) { a.putEvent(h, false) }

func (a *App) putEvent(h EventHandle, signalled bool) {
	a.events.mu.Lock()
	if _, ok := a.events.m[h]; ok {
		a.events.m[h] = signalled
	}
	a.events.mu.Unlock()
}

// EventState reports whether h is an open event of the application, and whether it is
// signalled: for tests and tools that inspect a run.
func (a *App) EventState(h EventHandle) (signalled, open bool) {
	a.events.mu.Lock()
	defer a.events.mu.Unlock()
	signalled, open = a.events.m[h]
	return signalled, open
}

// eventsReady reports whether the wait on events is satisfied, and the index it returns: the
// lowest signalled event for a wait on any (the WSAWaitForMultipleEvents page), 0 for a wait on
// all of them.
func (a *App) eventsReady(events []EventHandle, all bool) (uint32, bool) {
	a.events.mu.Lock()
	defer a.events.mu.Unlock()
	for i, e := range events {
		signalled := a.events.m[e]
		switch {
		case all && !signalled:
			return 0, false
		case !all && signalled:
			return uint32(i), true
		}
	}
	return 0, all
}

// WSACreateEvent creates a manual-reset event object, not signalled, as WSACreateEvent does. It
// returns WSA_INVALID_EVENT with the error when the call fails.
func (t *Thread) WSACreateEvent() (EventHandle, error) {
	c := t.beginEvent("WSACreateEvent")
	defer t.end(c)
	if err := t.run(c, chainCreateEvent, createEventEffect); err != nil {
		return WSA_INVALID_EVENT, err
	}
	return c.ev.event, nil
}

func createEventEffect(c *call) error {
	h := EventHandle(c.t.newHandle())
	a := c.app
	a.events.mu.Lock()
	if a.events.m == nil {
		a.events.m = map[EventHandle]bool{}
	}
	a.events.m[h] = false
	a.events.mu.Unlock()
	c.ev.event = h
	return nil
}

// WSASetEvent signals the event. Every wait on it is satisfied until WSAResetEvent: the events
// WSACreateEvent makes reset only by hand.
func (t *Thread) WSASetEvent(h EventHandle) error {
	return t.eventCall("WSASetEvent", chainSetEvent, h, func(c *call) error { c.app.setEvent(h); return nil })
}

// WSAResetEvent makes the event non-signalled.
func (t *Thread) WSAResetEvent(h EventHandle) error {
	return t.eventCall("WSAResetEvent", chainResetEvent, h, func(c *call) error { c.app.resetEvent(h); return nil })
}

// WSACloseEvent closes the event; the handle is invalid from then on (WSA_INVALID_HANDLE).
// An OVERLAPPED that still names it completes without signalling anything.
func (t *Thread) WSACloseEvent(h EventHandle) error {
	return t.eventCall("WSACloseEvent", chainCloseEvent, h, func(c *call) error {
		c.app.events.mu.Lock()
		delete(c.app.events.m, h)
		c.app.events.mu.Unlock()
		return nil
	})
}

func (t *Thread) eventCall(fn string, rules []*Rule, h EventHandle, effect func(*call) error) error {
	c := t.beginEvent(fn)
	defer t.end(c)
	c.ev.event = h
	return t.run(c, rules, effect)
}

// WSAWaitForMultipleEvents waits until one of events is signalled (or all, with waitAll), the
// time-out in milliseconds passes (WSA_INFINITE: never), or — with alertable — completion
// routines are queued to the thread, which it runs before returning WSA_WAIT_IO_COMPLETION. It
// returns WSA_WAIT_EVENT_0 plus the index of the lowest signalled event (0 with waitAll),
// WSA_WAIT_IO_COMPLETION or WSA_WAIT_TIMEOUT; on failure WSA_WAIT_FAILED and the error.
//
// A signalled event wins over queued routines, which then stay queued: the kernel tests the
// objects of a wait before the thread's pending APCs. The wait first looks at the events as they
// are; with a time-out other than 0 it then lets connection attempts in flight reach their
// sockets on the virtual clock, up to the time-out, and returns as soon as it is satisfied. An
// INFINITE wait that nothing can satisfy fails with WAIT-FOREVER (returning WSA_WAIT_TIMEOUT)
// rather than hang.
func (t *Thread) WSAWaitForMultipleEvents(events []EventHandle, waitAll bool, timeoutMs uint32, alertable bool) (uint32, error) {
	c := t.beginEvent("WSAWaitForMultipleEvents")
	w := c.ev
	w.events, w.all, w.timeout, w.alertable = events, waitAll, timeoutMs, alertable
	err := t.run(c, chainWait, waitEffect)
	result, apcs := w.result, w.apcs
	t.end(c)
	if apcs {
		t.runAPCs()
	}
	if err != nil && err != ruleWaitForever.err {
		return WSA_WAIT_FAILED, err
	}
	return result, err
}

// SleepEx suspends the thread for ms milliseconds of virtual time (INFINITE: for good), or —
// with alertable — until completion routines are queued to the thread, which it runs before
// returning WAIT_IO_COMPLETION; otherwise it returns 0. Routines queued to the thread do not run
// in a wait that is not alertable, nor in another thread's. SleepEx(INFINITE, FALSE), and an
// alertable one no routine will ever reach, fail with WAIT-FOREVER (returning 0) rather than
// hang.
func (t *Thread) SleepEx(ms uint32, alertable bool) (uint32, error) {
	c := t.beginEvent("SleepEx")
	w := c.ev
	w.timeout, w.alertable, w.sleep = ms, alertable, true
	err := t.run(c, chainSleep, waitEffect)
	result, apcs := w.result, w.apcs
	t.end(c)
	if apcs {
		t.runAPCs()
	}
	return result, err
}

// waitEffect runs a wait on the virtual clock. The routines it finds queued run after the call
// is traced and its record released (WSAWaitForMultipleEvents, SleepEx), so that calls they make
// follow the wait in the trace, as they follow it on Windows.
func waitEffect(c *call) error {
	w, t := c.ev, c.t
	ready := func() bool {
		if !w.sleep {
			if i, ok := t.app.eventsReady(w.events, w.all); ok {
				w.result = WSA_WAIT_EVENT_0 + i
				return true
			}
		}
		if w.alertable && t.hasAPCs() {
			w.result, w.apcs = WSA_WAIT_IO_COMPLETION, true
			return true
		}
		return false
	}
	timedOut := WSA_WAIT_TIMEOUT
	if w.sleep {
		timedOut = 0
	}
	switch t.app.host.net.waitFor(w.timeout, ready) {
	case waitSatisfied:
		return nil
	case waitTimedOut:
		w.result = timedOut
		return nil
	}
	w.result = timedOut
	return ruleWaitForever.err
}

// waitOutcome is how a wait on the virtual clock ended.
type waitOutcome uint8

const (
	waitSatisfied waitOutcome = iota
	waitTimedOut
	waitForever // INFINITE, and nothing left in flight could satisfy it
)

// waitFor is the clock side of a wait: it tests ready, then (unless the time-out is 0, a poll)
// moves the clock to each connection attempt due within the time-out in turn, testing ready
// after each, and finally to the time-out itself. Other timers (an SA's lifetime) fire as the
// clock passes them; only connection attempts complete overlapped work, so only they are steps.
func (n *Network) waitFor(timeoutMs uint32, ready func() bool) waitOutcome {
	if ready() {
		return waitSatisfied
	}
	if timeoutMs == 0 {
		return waitTimedOut
	}
	infinite := timeoutMs == WSA_INFINITE
	deadline := n.Now() + msDuration(timeoutMs)
	for {
		due, ok := n.nextDue(timerAttempt)
		if !ok || (!infinite && due > deadline) {
			break
		}
		// Advance fails only for a negative or overflowing step; due ≥ now by construction.
		_ = n.Advance(max(due-n.Now(), 0))
		if ready() {
			return waitSatisfied
		}
	}
	if infinite {
		return waitForever
	}
	_ = n.Advance(max(deadline-n.Now(), 0))
	if ready() {
		return waitSatisfied
	}
	return waitTimedOut
}

// apc is a completion routine queued to a thread, with the arguments it will get.
type apc struct {
	routine     CompletionRoutine
	code, bytes uint32
	ov          *Overlapped
}

// apcQueue is a thread's queued completion routines. Completions queue them from whichever
// goroutine moves the clock, hence the lock.
type apcQueue struct {
	mu sync.Mutex
	q  []apc
}

func (t *Thread) queueAPC(a apc) {
	t.apcs.mu.Lock()
	t.apcs.q = append(t.apcs.q, a)
	t.apcs.mu.Unlock()
}

func (t *Thread) hasAPCs() bool {
	t.apcs.mu.Lock()
	defer t.apcs.mu.Unlock()
	return len(t.apcs.q) > 0
}

// QueuedRoutines reports how many completion routines wait for the thread's next alertable wait.
func (t *Thread) QueuedRoutines() int {
	t.apcs.mu.Lock()
	defer t.apcs.mu.Unlock()
	return len(t.apcs.q)
}

// runAPCs runs the queued routines in the order they were queued, each with no lock held, until
// none is left — those that routines themselves queue included, as Windows delivers every
// pending user APC before the wait returns.
func (t *Thread) runAPCs() {
	for {
		t.apcs.mu.Lock()
		if len(t.apcs.q) == 0 {
			t.apcs.q = nil
			t.apcs.mu.Unlock()
			return
		}
		a := t.apcs.q[0]
		t.apcs.q[0] = apc{}
		t.apcs.q = t.apcs.q[1:]
		t.apcs.mu.Unlock()
		a.routine(a.code, a.bytes, a.ov, 0)
	}
}

// WaitResultName names a wait's return value as the SDK does: WSA_WAIT_EVENT_0+i,
// WSA_WAIT_IO_COMPLETION, WSA_WAIT_TIMEOUT, WSA_WAIT_FAILED.
func WaitResultName(v uint32) string {
	switch {
	case v == WSA_WAIT_IO_COMPLETION:
		return "WSA_WAIT_IO_COMPLETION"
	case v == WSA_WAIT_TIMEOUT:
		return "WSA_WAIT_TIMEOUT"
	case v == WSA_WAIT_FAILED:
		return "WSA_WAIT_FAILED"
	case v == WSA_WAIT_EVENT_0:
		return "WSA_WAIT_EVENT_0"
	case v < WSA_MAXIMUM_WAIT_EVENTS:
		return "WSA_WAIT_EVENT_0+" + strconv.FormatUint(uint64(v), 10)
	}
	return strconv.FormatUint(uint64(v), 10)
}

// describeEvent formats the arguments of the event and wait calls for traces; ok is false for
// other functions.
func (c *call) describeEvent() (string, bool) {
	switch c.fn {
	case "WSACreateEvent":
		return "", true
	case "WSASetEvent", "WSAResetEvent", "WSACloseEvent":
		return c.ev.event.String(), true
	case "WSAWaitForMultipleEvents":
		hs := make([]string, len(c.ev.events))
		for i, e := range c.ev.events {
			hs[i] = e.String()
		}
		return fmt.Sprintf("%d, {%s}, %s, %s, %s", len(c.ev.events), strings.Join(hs, ", "), boolText(c.ev.all), timeoutText(c.ev.timeout), boolText(c.ev.alertable)), true
	case "SleepEx":
		return timeoutText(c.ev.timeout) + ", " + boolText(c.ev.alertable), true
	}
	return "", false
}

// noteEvent is what a successful event or wait call reports in a trace.
func (c *call) noteEvent() string {
	switch c.fn {
	case "WSACreateEvent":
		return "-> " + c.ev.event.String()
	case "WSAWaitForMultipleEvents":
		return "-> " + WaitResultName(c.ev.result)
	case "SleepEx":
		if c.ev.result == WAIT_IO_COMPLETION {
			return "-> WAIT_IO_COMPLETION"
		}
		return "-> 0"
	}
	return ""
}

func boolText(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

func timeoutText(ms uint32) string {
	if ms == WSA_INFINITE {
		return "INFINITE"
	}
	return strconv.FormatUint(uint64(ms), 10)
}
