package sim

import (
	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sockaddr"
)

// call holds one call's arguments and the socket it names, for the rules to read. Each rule is
// a predicate over it; keeping every argument in one record lets one rule table serve every
// function.
type call struct {
	t   *Thread
	app *App
	fn  string
	s   *Socket

	callScalars

	buf     []byte // the pointer argument: optval, name, to, settings
	addr    sockaddr.Addr
	ov      *Overlapped
	routine CompletionRoutine // lpCompletionRoutine; nil is NULL
	sec     *secArgs          // the other secure-socket functions' and WSAIoctl's arguments (secsock.go); nil for other calls
	ev      *eventArgs        // the event and wait calls' arguments (events.go); nil for other calls

	// results an effect hands back to the exported method
	outAddr sockaddr.Addr
	// deliveredTo is the socket that received the call's connection or datagram, for traces.
	deliveredTo *Socket
	// reason explains what the model decided in words (why an IPsec negotiation failed, or
	// what it negotiated), for traces.
	reason string
	// userName is what GetUserName returned.
	userName string
}

// callScalars are the call's arguments and results that hold no pointer. They are kept apart so
// that a thread's reused record clears them in one go: clearing a pointer costs a write barrier
// while the garbage collector marks, which made resetting the whole record a sixth of a call.
type callScalars struct {
	h      Handle
	locked bool
	raced  race // the handle named a socket when the call reached it, but another thread closed it first

	af, typ, proto int32
	flags          uint32
	level, opt     int32
	ival           int32
	null           bool         // the pointer argument is NULL
	n              int64        // its length argument
	lenNull        bool         // a length pointer (getsockopt, accept, getsockname) is NULL
	addrErr        errors.Errno // why buf does not decode as a sockaddr (0 = it does)
	ovNull         bool
	version        uint16

	outHandle Handle
	outValue  int32
}

// lookup finds the call's socket and locks it; an unknown or closed handle leaves c.s nil.
func (c *call) lookup(h Handle) { c.lookupFrom(h, c.reach(h)) }

// reach returns the socket handle h names as the call reaches it (nil: none). A test's hook
// runs here, so that another thread can act at exactly this point.
func (c *call) reach(h Handle) *Socket {
	s := c.socketOf(h)
	if s != nil {
		if hook := c.app.host.net.lookupHook.Load(); hook != nil {
			(*hook)(c.fn, h)
		}
	}
	return s
}

// lookupFrom locks s, the socket handle h named when the call reached it (nil: none). If
// another thread closed it in between, c.s stays nil and c.raced says so: the call was
// outstanding on the socket when it closed, which closedWhileOutstanding turns into Windows'
// answer.
func (c *call) lookupFrom(h Handle, s *Socket) {
	c.h = h
	if s == nil {
		return
	}
	s.mu.Lock()
	if s.state == StateClosed {
		c.raced = raceClosed
		if !s.has(bitNonBlocking) {
			c.raced = raceClosedBlocking
		}
		s.mu.Unlock()
		return
	}
	c.s, c.locked = s, true
}

// race records that a call's socket was closed by another thread after the call reached it.
type race uint8

const (
	raceNone           race = iota
	raceClosed              // a non-blocking socket
	raceClosedBlocking      // a blocking one (FIONBIO off)
)

// setBuf records a pointer argument given as a Go slice (nil is NULL) and its length argument.
func (c *call) setBuf(b []byte, n int64) {
	c.buf, c.null, c.n = b, b == nil, n
}

// decodeAddr decodes the (buf, n) pair as a sockaddr, the way Winsock reads (name, namelen).
// A length beyond the real buffer is a bad pointer range: WSAEFAULT.
func (c *call) decodeAddr() {
	switch {
	case c.null:
		c.addrErr = errors.WSAEFAULT
	case c.n < 0 || c.n > int64(len(c.buf)):
		c.addrErr = errors.WSAEFAULT
	default:
		c.addr, c.addrErr = sockaddr.Decode(c.buf[:c.n])
	}
}

// addrCall is the shape of the calls that take one socket and a (name, namelen) address.
func (t *Thread) addrCall(fn string, rules []*Rule, effect func(*call) error, h Handle, name []byte, namelen int32) error {
	c := t.begin(fn)
	defer t.end(c)
	c.lookup(h)
	c.setBuf(name, int64(namelen))
	c.decodeAddr()
	return t.run(c, rules, effect)
}

// run is the common shape (the caller defers t.end) of a socket call: look the handle up, check the chain, and on success
// apply the effect. It returns the failing rule's error or the effect's.
func (t *Thread) run(c *call, rules []*Rule, effect func(*call) error) error {
	err := c.check(rules)
	if c.raced != raceNone && (err == ruleNotSocket.err || err == ruleNotInitialised.err) {
		// The socket was closed (by closesocket, or a last WSACleanup) after the call reached it.
		if outstanding, out := c.closedWhileOutstanding(); outstanding {
			err = out
		}
		t.app.host.net.trace(c, err)
		return err
	}
	if err == nil {
		err = t.app.host.net.injected(c)
	}
	if err == nil && effect != nil {
		err = effect(c)
	}
	t.app.host.net.trace(c, err)
	return err
}

// closedWhileOutstanding is the answer to a call whose socket another thread closed after the
// call had reached it, when Windows counts the call as outstanding on the socket: a blocking
// accept, connect or WSAConnect is interrupted (WSAEINTR, CLOSE-INTERRUPTS-BLOCKING); a
// WSAGetOverlappedResult waiting on the socket reports how its operation ended,
// WSA_OPERATION_ABORTED if the close cancelled it (CLOSE-ABORTS-PENDING). Any other call is not
// (outstanding is false): it answers as if it had come a moment later, WSAENOTSOCK (or
// WSANOTINITIALISED after a last WSACleanup, which R1 checks first).
func (c *call) closedWhileOutstanding() (outstanding bool, err error) {
	switch c.fn {
	case "accept", "connect", "WSAConnect":
		if c.raced == raceClosedBlocking {
			return true, ruleCloseInterrupts.err
		}
	case "WSAGetOverlappedResult":
		if c.ival != 0 && c.ov != nil { // fWait: the thread was waiting on the operation
			return true, getOverlappedEffect(c)
		}
	}
	return false, nil
}
