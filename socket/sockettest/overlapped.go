package sockettest

import (
	stderrors "errors"
	"runtime"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/socket"
)

// Event objects and the three channels an overlapped call reports through: its event, the
// OVERLAPPED that WSAGetOverlappedResult reads, and its completion routine, which runs only in
// an alertable wait of the thread that made the call. Waits here always have a time-out: a check
// must never hang a real thread.
func init() {
	checks = append(checks,
		check{name: "events", run: func(c *checker) {
			ev, err := c.api.WSACreateEvent()
			c.ok("WSACreateEvent", err)
			c.wait("a new event", []socket.EventHandle{ev}, false, 0, false, socket.WSA_WAIT_TIMEOUT)
			c.ok("WSASetEvent", c.api.WSASetEvent(ev))
			c.wait("a signalled event", []socket.EventHandle{ev}, false, 0, false, socket.WSA_WAIT_EVENT_0)
			c.wait("a manual-reset event, again", []socket.EventHandle{ev}, false, 0, false, socket.WSA_WAIT_EVENT_0)
			other, err := c.api.WSACreateEvent()
			c.ok("WSACreateEvent", err)
			c.wait("any of two, the second signalled", []socket.EventHandle{other, ev}, false, 0, false, socket.WSA_WAIT_EVENT_0+1)
			c.wait("all of two, one signalled", []socket.EventHandle{other, ev}, true, 10, false, socket.WSA_WAIT_TIMEOUT)
			c.ok("WSAResetEvent", c.api.WSAResetEvent(ev))
			c.wait("a reset event", []socket.EventHandle{ev}, false, 10, false, socket.WSA_WAIT_TIMEOUT)

			_, err = c.api.WSAWaitForMultipleEvents(nil, false, 0, false)
			c.expect("WSAWaitForMultipleEvents with no events", err, errors.WSA_INVALID_PARAMETER)
			c.ok("WSACloseEvent", c.api.WSACloseEvent(other))
			// A closed handle's value may already belong to a handle another thread opened, so
			// the calls that stand for "an event no longer open" use a value never issued.
			stale := socket.EventHandle(socket.NeverIssuedHandle)
			c.expect("WSASetEvent on an event that is not open", c.api.WSASetEvent(stale), errors.WSA_INVALID_HANDLE)
			c.expect("WSACloseEvent on an event that is not open", c.api.WSACloseEvent(stale), errors.WSA_INVALID_HANDLE)
			_, err = c.api.WSAWaitForMultipleEvents([]socket.EventHandle{ev, stale}, false, 0, false)
			c.expect("WSAWaitForMultipleEvents with an event that is not open", err, errors.WSA_INVALID_HANDLE)
			c.expect("WSACloseEvent(WSA_INVALID_EVENT)", c.api.WSACloseEvent(socket.WSA_INVALID_EVENT), errors.WSA_INVALID_HANDLE)
			c.ok("WSACloseEvent", c.api.WSACloseEvent(ev))
		}},
		check{name: "connectex-event", run: func(c *checker) {
			_, addr := c.listener()
			s := c.sock(socket.AF_INET, socket.SOCK_STREAM)
			c.ok("bind", c.bind(s, loopback))
			ev, err := c.api.WSACreateEvent()
			c.ok("WSACreateEvent", err)
			defer func() { _ = c.api.WSACloseEvent(ev) }()
			ov := socket.Overlapped{Event: ev}
			b := addr.Encode()
			err = c.api.ConnectEx(s, b, int32(len(b)), &ov)
			if err != nil && !stderrors.Is(err, errors.ERROR_IO_PENDING) {
				c.fatalf("ConnectEx: %v, want success or ERROR_IO_PENDING", err)
			}
			c.wait("ConnectEx's event", []socket.EventHandle{ev}, false, 5000, false, socket.WSA_WAIT_EVENT_0)
			_, err = c.api.WSAGetOverlappedResult(s, &ov, false)
			c.expect("WSAGetOverlappedResult after the event", err, 0)
		}},
		check{name: "overlapped-secure-event-and-result", secure: true, run: func(c *checker) {
			s := c.sock(socket.AF_INET, socket.SOCK_STREAM) // socket() sockets are overlapped
			ev, err := c.api.WSACreateEvent()
			c.ok("WSACreateEvent", err)
			defer func() { _ = c.api.WSACloseEvent(ev) }()
			ov := socket.Overlapped{Event: ev}
			c.ok("WSASetSocketSecurity with an OVERLAPPED", c.api.WSASetSocketSecurity(s, nil, 0, &ov, nil))
			c.wait("WSASetSocketSecurity's event", []socket.EventHandle{ev}, false, 1000, false, socket.WSA_WAIT_EVENT_0)
			n, err := c.api.WSAGetOverlappedResult(s, &ov, false)
			c.expect("WSAGetOverlappedResult after WSASetSocketSecurity", err, 0)
			if n != 0 {
				c.t.Errorf("WSASetSocketSecurity transferred %d bytes, want 0", n)
			}

			_, addr := c.listener()
			cl := c.sock(socket.AF_INET, socket.SOCK_STREAM)
			c.ok("connect", c.connect(cl, addr))
			var q socket.Overlapped
			info := make([]byte, policy.SizeofQueryInfo)
			size := uint32(len(info))
			c.ok("WSAQuerySocketSecurity with an OVERLAPPED", c.api.WSAQuerySocketSecurity(cl, nil, 0, info, &size, &q, nil))
			n, err = c.api.WSAGetOverlappedResult(cl, &q, true)
			c.expect("WSAGetOverlappedResult after WSAQuerySocketSecurity", err, 0)
			if n != policy.SizeofQueryInfo {
				c.t.Errorf("WSAQuerySocketSecurity transferred %d bytes, want %d", n, policy.SizeofQueryInfo)
			}
		}},
		check{name: "overlapped-completion-routine", secure: true, run: func(c *checker) {
			// The routine is queued to the thread that made the call, and the wait must be that
			// thread's: keep this goroutine on one OS thread from the call to the wait.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			s := c.sock(socket.AF_INET, socket.SOCK_STREAM)
			var ov socket.Overlapped
			var ran []uint32
			var got *socket.Overlapped
			routine := func(code, bytes uint32, o *socket.Overlapped, flags uint32) {
				ran = append(ran, code, bytes, flags)
				got = o
			}
			c.ok("WSASetSocketSecurity with a completion routine", c.api.WSASetSocketSecurity(s, nil, 0, &ov, routine))
			if len(ran) != 0 {
				c.fatalf("the completion routine ran inside the call")
			}
			r, err := c.api.SleepEx(0, false)
			c.ok("SleepEx(0, FALSE)", err)
			if r != 0 || len(ran) != 0 {
				c.fatalf("SleepEx(0, FALSE) = %#x and ran the routine %d times; want 0 and none", r, len(ran)/3)
			}
			r, err = c.api.SleepEx(1000, true)
			c.ok("SleepEx(1000, TRUE)", err)
			if r != socket.WAIT_IO_COMPLETION {
				c.fatalf("SleepEx(1000, TRUE) = %#x, want WAIT_IO_COMPLETION", r)
			}
			if len(ran) != 3 || ran[0] != 0 || ran[1] != 0 || ran[2] != 0 || got != &ov {
				c.fatalf("the routine got %v with %p, want one call (0, 0, %p, 0)", ran, got, &ov)
			}
			r, err = c.api.SleepEx(0, true)
			c.ok("SleepEx(0, TRUE)", err)
			if r != 0 || len(ran) != 3 {
				c.fatalf("a second alertable SleepEx = %#x and ran the routine again", r)
			}

			// In WSAWaitForMultipleEvents too; a signalled event wins over the routine.
			ev, err := c.api.WSACreateEvent()
			c.ok("WSACreateEvent", err)
			defer func() { _ = c.api.WSACloseEvent(ev) }()
			t := c.sock(socket.AF_INET, socket.SOCK_STREAM)
			c.ok("WSASetSocketSecurity with a completion routine", c.api.WSASetSocketSecurity(t, nil, 0, &ov, routine))
			c.ok("WSASetEvent", c.api.WSASetEvent(ev))
			c.wait("an alertable wait on a signalled event", []socket.EventHandle{ev}, false, 1000, true, socket.WSA_WAIT_EVENT_0)
			c.ok("WSAResetEvent", c.api.WSAResetEvent(ev))
			c.wait("an alertable wait with a routine queued", []socket.EventHandle{ev}, false, 1000, true, socket.WSA_WAIT_IO_COMPLETION)
			if len(ran) != 6 {
				c.fatalf("the routine ran %d times, want 2", len(ran)/3)
			}
		}},
	)
}

// wait runs WSAWaitForMultipleEvents and checks what it returns.
func (c *checker) wait(what string, evs []socket.EventHandle, all bool, ms uint32, alertable bool, want uint32) {
	c.t.Helper()
	r, err := c.api.WSAWaitForMultipleEvents(evs, all, ms, alertable)
	if err != nil {
		c.fatalf("WSAWaitForMultipleEvents (%s): %v", what, err)
	}
	if r != want {
		c.t.Errorf("WSAWaitForMultipleEvents (%s) = %#x, want %#x", what, r, want)
	}
}
