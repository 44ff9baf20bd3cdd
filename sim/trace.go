package sim

import (
	"fmt"
	"strings"
	"sync"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sockaddr"
)

// Event is one call as a trace records it.
type Event struct {
	Seq    uint64
	App    string // "host" or "host/app"
	Thread int
	Func   string
	Handle Handle // the socket the call named, or INVALID_SOCKET
	Args   string
	Code   errors.Errno // 0 for success
	Rule   *Rule        // the rule that decided a failure
	Note   string       // what else happened: a new handle, where a connection or datagram went
	// Reason explains an IPsec negotiation that failed (why a secure connect timed out, or why
	// a connection runs in the clear), in words; empty otherwise.
	Reason string

	// Structured details, for tools that check the run (the fuzzer's invariants).
	Addr        sockaddr.Addr // the address argument (bind, connect, ConnectEx, sendto), if it decoded
	Level       int32         // setsockopt/getsockopt level
	Option      int32         // setsockopt/getsockopt option name
	Value       int32         // setsockopt's value, getsockopt's result
	Local       sockaddr.Addr // the socket's local address after the call
	SockType    int32         // the socket's type (SOCK_STREAM, SOCK_DGRAM, ...), or the type a new socket got
	NewHandle   Handle        // the socket a successful socket, WSASocket or accept made
	IoctlCode   uint32        // WSAIoctl's control code
	DeliveredTo string        // the application that received the connection or datagram ("host/app")
	Receiver    Handle        // and its socket
}

// String formats the event as one deterministic line, e.g.
// "12 server: bind(0x104, 10.0.0.2:27015) = WSAEACCES [BIND-ACCESS]".
func (e Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.Seq, e.App)
	if e.Thread > 1 {
		fmt.Fprintf(&b, "[t%d]", e.Thread)
	}
	fmt.Fprintf(&b, ": %s(%s) = ", e.Func, e.Args)
	if e.Code == 0 {
		b.WriteString("ok")
	} else {
		b.WriteString(e.Code.Name())
	}
	if e.Rule != nil {
		fmt.Fprintf(&b, " [%s]", e.Rule.ID)
	}
	if e.Note != "" {
		b.WriteString(" ")
		b.WriteString(e.Note)
	}
	return b.String()
}

// Tracer receives events. Implementations must be safe for concurrent use if the simulator is
// used from several goroutines.
type Tracer interface {
	Event(Event)
}

// StructuredTracer is a Tracer that reads only an Event's structured fields (Func, Handle, Code,
// Rule, Addr, Local, NewHandle …), never its text: the network leaves Args and Note empty for
// it, which spares formatting them on every call. A checker that follows a long run (the
// fuzzer's invariants) wants this; a tracer that prints or keeps events does not.
type StructuredTracer interface {
	Tracer
	// StructuredOnly marks the tracer; the network never calls it.
	StructuredOnly()
}

// TraceLog is a Tracer that keeps every event.
type TraceLog struct {
	mu     sync.Mutex
	events []Event
}

// Event records e.
func (l *TraceLog) Event(e Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

// Events returns the recorded events.
func (l *TraceLog) Events() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.events...)
}

// String returns the events, one per line.
func (l *TraceLog) String() string {
	var b strings.Builder
	for _, e := range l.Events() {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// trace reports a finished call to the tracer, if one is installed.
func (n *Network) trace(c *call, err error) {
	n.emit(func(seq uint64, structured bool) Event { return c.event(seq, structured, err) })
}

// emit numbers an event and hands it to the tracer, if one is installed: make builds it only
// then, so the untraced path does no work.
func (n *Network) emit(make func(seq uint64, structured bool) Event) {
	tp := n.tracer.Load()
	if tp == nil {
		return
	}
	n.traceMu.Lock()
	defer n.traceMu.Unlock()
	n.seq++
	_, structured := (*tp).(StructuredTracer)
	(*tp).Event(make(n.seq, structured))
}

// event is the call as a trace records it.
func (c *call) event(seq uint64, structured bool, err error) Event {
	e := Event{Seq: seq, App: c.app.Label(), Thread: c.t.id, Func: c.fn, Handle: c.h}
	if err != nil {
		if re, ok := err.(*RuleError); ok {
			e.Code, e.Rule = re.Rule.Code, re.Rule
		}
	}
	if !structured {
		e.Args, e.Note = c.describe(), c.note(err)
	}
	if c.addrErr == 0 && !c.null {
		e.Addr = c.addr
	}
	e.Level, e.Option = c.level, c.opt
	switch c.fn {
	case "setsockopt":
		e.Value = c.optValue()
	case "getsockopt":
		e.Value = c.outValue
	}
	if c.fn == "WSAIoctl" {
		e.IoctlCode = c.sec.code
	}
	if c.s != nil {
		e.Local, e.SockType = c.s.local, c.s.typ
	} else if c.fn == "socket" || c.fn == "WSASocket" {
		e.SockType = resolvedType(c.af, c.typ, c.proto)
	}
	if err == nil {
		e.NewHandle = c.outHandle
	}
	e.Reason = c.reason
	if d := c.deliveredTo; d != nil { // also for a connect that completes later: the listener already has it
		e.DeliveredTo, e.Receiver = d.app.Label(), d.handle
	}
	return e
}

// describe formats the call's arguments. The security settings print through policy.Settings,
// whose password shows only as [redacted].
func (c *call) describe() string {
	switch c.fn {
	case "WSAStartup":
		return fmt.Sprintf("%d.%d", c.version&0xff, c.version>>8)
	case "WSACleanup":
		return ""
	case "socket", "WSASocket":
		s := fmt.Sprintf("%s, %s, %s", familyName(c.af), typeName(c.typ), protoName(c.proto))
		if c.fn == "WSASocket" {
			s += fmt.Sprintf(", 0x%x", c.flags)
		}
		return s
	case "setsockopt", "getsockopt":
		s := fmt.Sprintf("%v, %s, %s", c.h, levelName(c.level), optName(c.level, c.opt))
		if c.fn == "setsockopt" && !c.null {
			s += fmt.Sprintf(", %d", c.optValue())
		}
		return s
	case "bind", "connect", "WSAConnect", "ConnectEx", "sendto":
		if c.null {
			return fmt.Sprintf("%v, NULL", c.h)
		}
		if c.addrErr != 0 {
			return fmt.Sprintf("%v, <%d bytes: %s>", c.h, c.n, c.addrErr.Name())
		}
		return fmt.Sprintf("%v, %v", c.h, c.addr)
	case "listen", "shutdown":
		return fmt.Sprintf("%v, %d", c.h, c.ival)
	case "ioctlsocket":
		return fmt.Sprintf("%v, 0x%x, %d", c.h, uint32(c.opt), c.ival)
	case "WSASetSocketSecurity":
		if c.null {
			return fmt.Sprintf("%v, NULL, %d", c.h, c.n)
		}
		if c.n >= 0 && c.n <= int64(len(c.buf)) {
			if st, ok := settingsText(c.buf[:c.n]); ok {
				return fmt.Sprintf("%v, %s, %d", c.h, st, c.n)
			}
		}
		return fmt.Sprintf("%v, <%d bytes>, %d", c.h, len(c.buf), c.n)
	}
	if s, ok := c.describeSecure(); ok {
		return s
	}
	if s, ok := c.describeEvent(); ok {
		return s
	}
	return c.h.String()
}

func (c *call) note(err error) string {
	n := c.noteOf(err)
	switch {
	case c.reason == "":
		return n
	case err != nil:
		return "— " + c.reason
	case c.fn == "sendto" && c.deliveredTo == nil:
		return "— dropped: " + c.reason
	case n == "":
		return "— in the clear: " + c.reason
	}
	return n + " — in the clear: " + c.reason
}

func (c *call) noteOf(err error) string {
	switch {
	case err != nil:
		return ""
	case (c.fn == "socket" || c.fn == "WSASocket" || c.fn == "accept") && c.outHandle != 0:
		s := "-> " + c.outHandle.String()
		if c.deliveredTo != nil && c.fn == "accept" {
			s += " peer " + c.outAddr.String()
		}
		return s
	case c.deliveredTo != nil:
		return "-> " + c.deliveredTo.app.Label() + " " + c.deliveredTo.handle.String()
	case c.fn == "getsockname" || c.fn == "getpeername":
		return "-> " + c.outAddr.String()
	case c.fn == "getsockopt":
		return fmt.Sprintf("-> %d", c.outValue)
	case c.fn == "GetUserName":
		return "-> " + c.userName
	case c.fn == "WSAImpersonateSocketPeer":
		if id := c.t.impersonating.Load(); id != nil {
			return "-> acting as " + id.String()
		}
	case c.sec != nil && c.sec.written > 0:
		return c.noteSecure()
	case c.ev != nil:
		return c.noteEvent()
	}
	return ""
}
