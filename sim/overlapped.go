package sim

import (
	"sync"

	"github.com/wsssim/wsssim/errors"
)

// Overlapped is a WSAOVERLAPPED: the record through which an overlapped operation reports its
// completion. The zero value is ready to use. An Overlapped may be reused once its operation
// has completed.
type Overlapped struct {
	mu      sync.Mutex
	pending bool
	done    bool
	result  *Rule // nil: success
	bytes   uint32
}

func (o *Overlapped) start() {
	o.mu.Lock()
	o.pending, o.done, o.result, o.bytes = true, false, nil, 0
	o.mu.Unlock()
}

func (o *Overlapped) complete(result *Rule, bytes uint32) {
	o.mu.Lock()
	o.pending, o.done, o.result, o.bytes = false, true, result, bytes
	o.mu.Unlock()
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
		return true, o.result.err
	}
	return true, nil
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
		return o.result.err
	}
	return nil
}
