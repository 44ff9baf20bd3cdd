package sim

import (
	"sync"

	"github.com/wsssim/wsssim/errors"
)

// Overlapped is a WSAOVERLAPPED: the record through which an overlapped operation reports its
// completion. The zero value is ready to use. An Overlapped may be reused once its operation
// has completed.
//
// Windows reports a completion through one of three channels, and so does the simulator: the
// OVERLAPPED itself, which WSAGetOverlappedResult reads (always); the event in Event, which is
// signalled (when the call gave no completion routine); or the completion routine, queued to the
// thread that made the call and run only when that thread enters an alertable wait (SleepEx,
// WSAWaitForMultipleEvents with alertable set).
type Overlapped struct {
	// Event is hEvent: an event of the calling application (WSACreateEvent) that the operation
	// resets when it starts and signals when it completes, or WSA_INVALID_EVENT for none. A call
	// that gives a completion routine leaves it alone: the WSAIoctl page says hEvent is then
	// ignored, free for the application's own use.
	Event EventHandle

	mu      sync.Mutex
	pending bool
	done    bool
	result  *Rule  // nil: success
	detail  string // the model's words on a failure (why an IPsec negotiation failed), or ""
	bytes   uint32
	// The channel of the operation in flight: the thread whose call started it (the APC's
	// target, and the owner of Event) and its completion routine, nil for none.
	issuer  *Thread
	routine CompletionRoutine
}

// CompletionRoutine is an LPWSAOVERLAPPED_COMPLETION_ROUTINE: errCode is the operation's
// result (0, or a code such as WSA_OPERATION_ABORTED), bytes its cbTransferred, ov the
// OVERLAPPED the call was given, and flags is always 0, as the WSAIoctl page says. It runs on the
// goroutine that calls the thread's alertable wait, before the wait returns.
type CompletionRoutine func(errCode uint32, bytes uint32, ov *Overlapped, flags uint32)

// start marks the operation pending and records how it will report. The I/O manager resets the
// OVERLAPPED's event as the operation starts (ReadFile and DeviceIoControl document it for
// hEvent), so that a wait sees this operation's completion, not an earlier one's.
func (o *Overlapped) start(t *Thread, routine CompletionRoutine) {
	o.mu.Lock()
	o.pending, o.done, o.result, o.detail, o.bytes = true, false, nil, "", 0
	o.issuer, o.routine = t, routine
	ev := o.Event
	o.mu.Unlock()
	if routine == nil && ev != WSA_INVALID_EVENT {
		t.app.resetEvent(ev)
	}
}

// complete records the result in the OVERLAPPED and reports it through the operation's channel:
// the completion routine is queued to the issuing thread, or else the event is signalled.
func (o *Overlapped) complete(result *Rule, bytes uint32) { o.completeWith(result, "", bytes) }

// completeWith is complete with the model's explanation of a failure, which the error that
// WSAGetOverlappedResult returns carries as its Detail.
func (o *Overlapped) completeWith(result *Rule, detail string, bytes uint32) {
	o.mu.Lock()
	o.pending, o.done, o.result, o.detail, o.bytes = false, true, result, detail, bytes
	t, routine, ev := o.issuer, o.routine, o.Event
	o.issuer, o.routine = nil, nil // the OVERLAPPED must not keep the thread or routine alive
	o.mu.Unlock()
	if t == nil {
		return
	}
	switch {
	case routine != nil:
		var code uint32
		if result != nil {
			code = uint32(result.Code)
		}
		t.queueAPC(apc{routine: routine, code: code, bytes: bytes, ov: o})
	case ev != WSA_INVALID_EVENT:
		t.app.setEvent(ev)
	}
}

// Completed reports whether the operation has completed, and its result (nil for success). It
// reads the Internal field, as HasOverlappedIoCompleted does, and waits for nothing.
func (o *Overlapped) Completed() (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.done {
		return false, nil
	}
	if o.result != nil {
		return true, o.err()
	}
	return true, nil
}

// err is the failed operation's error; o.mu is held.
func (o *Overlapped) err() error {
	if o.detail != "" {
		return o.result.errWith(o.detail)
	}
	return o.result.err
}

var (
	ruleOvNull = rule("GETOVERLAPPED-FAULT", "WSAGetOverlappedResult", errors.WSAEFAULT,
		"lpOverlapped is NULL",
		"doc: WSAGetOverlappedResult — WSAEFAULT: one or more of the pointers is not valid",
		func(c *call) bool { return c.ovNull })
	ruleOvIncomplete = rule("GETOVERLAPPED-INCOMPLETE", "WSAGetOverlappedResult", errors.WSA_IO_INCOMPLETE,
		"fWait is FALSE and the operation has not completed",
		"doc: WSAGetOverlappedResult — WSA_IO_INCOMPLETE: fWait is FALSE and the I/O operation has not yet completed",
		nil)
)

var chainGetOverlapped = chain("WSAGetOverlappedResult", ruleNotInitialised, ruleNotSocket, ruleOvNull)

// WSAGetOverlappedResult reports how an overlapped operation ended. With wait, the network
// settles first, as a blocking wait lets in-flight work finish. The error is the operation's own
// (for example CONNECT-REFUSED) when it failed.
//
// Windows reads only the OVERLAPPED: its Internal status and InternalHigh byte count. The socket
// must be one, but need not be the one the operation ran on, and an OVERLAPPED no operation has
// used (Internal 0, STATUS_SUCCESS) reports success with 0 bytes (Wine sock.c
// test_WSAGetOverlappedResult: every success status gives TRUE, STATUS_PENDING gives
// WSA_IO_INCOMPLETE, whatever operation, if any, set it).
func (t *Thread) WSAGetOverlappedResult(h Handle, ov *Overlapped, wait bool) (bytes uint32, err error) {
	c := t.begin("WSAGetOverlappedResult")
	defer t.end(c)
	entered := c.reach(h) // the socket the wait starts on (a close during it aborts the operation)
	if wait && ov != nil {
		t.app.host.net.Settle()
		c.ival = 1
	}
	c.lookupFrom(h, entered)
	c.ov, c.ovNull = ov, ov == nil
	err = t.run(c, chainGetOverlapped, getOverlappedEffect)
	return uint32(c.outValue), err
}

func getOverlappedEffect(c *call) error {
	o := c.ov
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.pending {
		return ruleOvIncomplete.err
	}
	c.outValue = int32(o.bytes) // 0 for an OVERLAPPED no operation has used
	if o.result != nil {
		return o.err()
	}
	return nil
}
