package scenario

import (
	"strconv"
	"strings"

	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/socket"
)

// Event objects, waits and completion routines. An event is a handle of the application, so
// "E = WSACreateEvent" binds it as socket calls bind a SOCKET, in the same variables. A completion
// routine is a name (routine=R1) that the run turns into a routine recording that it ran; the
// waits report which ran during them (ran=R1,R2, or ran=none).

// noRoutine is how ran= says that no completion routine ran.
const noRoutine = "none"

// eventCalls are the language's entries for the events and waits, in documentation order; init
// in calls.go puts them after the secure-socket calls.
func eventCalls() []*callSpec {
	return []*callSpec{
		{name: "WSACreateEvent", synopsis: "WSACreateEvent", handle: true, compile: func(r *reader) action {
			return func(x *execCtx) outcome {
				ev, err := x.api.WSACreateEvent()
				return outcome{err: err, handle: socket.Handle(ev), hasHandle: true}
			}
		}},
		{name: "WSASetEvent", synopsis: "WSASetEvent E", compile: compileEventCall},
		{name: "WSAResetEvent", synopsis: "WSAResetEvent E", compile: compileEventCall},
		{name: "WSACloseEvent", synopsis: "WSACloseEvent E", compile: compileEventCall},
		{name: "WSAWaitForMultipleEvents", synopsis: "WSAWaitForMultipleEvents E[,E...]|NULL [all=0|1] [timeout=MS|WSA_INFINITE] [alertable=0|1]",
			keys: []string{"all", "timeout", "alertable"}, checks: []string{"result", "ran"}, compile: compileWait},
		{name: "SleepEx", synopsis: "SleepEx MS|INFINITE [alertable=0|1]", keys: []string{"alertable"}, checks: []string{"result", "ran"}, compile: compileSleep},
	}
}

// event reads an event argument: a variable bound by WSACreateEvent, a number, or
// WSA_INVALID_EVENT (NULL).
func (r *reader) event() handleRef {
	a := r.positional("the event", true)
	if a == nil {
		return handleRef{h: eventHandle.nullVal}
	}
	return r.handleOf(a, a.Value, a.Pos, eventHandle)
}

func compileEventCall(r *reader) action {
	e := r.event()
	fn := r.spec.name
	return func(x *execCtx) outcome {
		ev := socket.EventHandle(e.resolve(x.env))
		var err error
		switch fn {
		case "WSASetEvent":
			err = x.api.WSASetEvent(ev)
		case "WSAResetEvent":
			err = x.api.WSAResetEvent(ev)
		default:
			if err = x.api.WSACloseEvent(ev); err == nil {
				x.closed(e)
			}
		}
		return outcome{err: err}
	}
}

// boolKey reads KEY=0|1 (or FALSE|TRUE), false when absent.
func (r *reader) boolKey(key string) bool {
	a := r.key(key)
	if a == nil {
		return false
	}
	switch a.Value {
	case "0", "FALSE":
		return false
	case "1", "TRUE":
		return true
	}
	r.errAt(valueStart(a), "%s= takes 0 or 1, got %q", key, a.Value)
	return false
}

// milliseconds reads a time-out: a number of milliseconds, or INFINITE (WSA_INFINITE).
func (r *reader) milliseconds(a *Arg, what string) uint32 {
	switch a.Value {
	case "INFINITE", "WSA_INFINITE":
		return sim.INFINITE
	}
	if mag, neg, ok := parseNumber(a.Value); ok && !neg && mag <= 0xffffffff {
		return uint32(mag)
	}
	r.errAt(valueStart(a), "%s needs milliseconds (0 … 4294967295) or INFINITE, got %q", what, a.Value)
	return 0
}

func compileWait(r *reader) action {
	var events []handleRef
	if a := r.positional("the events", true); a != nil && !(a.Value == "NULL" && !a.Quoted) {
		off := 0
		for part := range strings.SplitSeq(a.Value, ",") {
			p := a.Pos
			p.Col += off
			off += len(part) + 1
			if part == "" {
				r.errAt(p, "WSAWaitForMultipleEvents: empty event in %q (events are joined by ',' without spaces)", a.Value)
				continue
			}
			events = append(events, r.handleOf(a, part, p, eventHandle))
		}
	}
	all := r.boolKey("all")
	alertable := r.boolKey("alertable")
	timeout := sim.WSA_INFINITE
	if a := r.key("timeout"); a != nil {
		timeout = r.milliseconds(a, "timeout=")
	}
	return func(x *execCtx) outcome {
		evs := make([]socket.EventHandle, len(events))
		for i, e := range events {
			evs[i] = socket.EventHandle(e.resolve(x.env))
		}
		res, err := x.api.WSAWaitForMultipleEvents(evs, all, timeout, alertable)
		o := outcome{err: err}
		if err == nil {
			o.set("result", sim.WaitResultName(res))
			x.setRan(&o)
		}
		return o
	}
}

func compileSleep(r *reader) action {
	var ms uint32
	if a := r.positional("MS", true); a != nil {
		ms = r.milliseconds(a, "SleepEx")
	}
	alertable := r.boolKey("alertable")
	return func(x *execCtx) outcome {
		res, err := x.api.SleepEx(ms, alertable)
		o := outcome{err: err}
		if err == nil {
			o.set("result", sleepResultName(res))
			x.setRan(&o)
		}
		return o
	}
}

func sleepResultName(v uint32) string {
	if v == sim.WAIT_IO_COMPLETION {
		return "WAIT_IO_COMPLETION"
	}
	return strconv.FormatUint(uint64(v), 10)
}

// setRan reports the routines that ran during the call.
func (x *execCtx) setRan(o *outcome) {
	if len(x.ran) == 0 {
		o.set("ran", noRoutine)
		return
	}
	o.set("ran", strings.Join(x.ran, ","))
}

// routine returns the application's completion routine of that name, made on first use: it
// records that it ran, for the wait it runs in to report. "" is no routine (NULL).
func (x *execCtx) routine(name string) socket.CompletionRoutine {
	if name == "" {
		return nil
	}
	env := x.env
	cr := env.routines[name]
	if cr == nil {
		if env.routines == nil {
			env.routines = map[string]socket.CompletionRoutine{}
		}
		cr = func(uint32, uint32, *socket.Overlapped, uint32) { x.ran = append(x.ran, name) }
		env.routines[name] = cr
	}
	return cr
}

// parseWaitResult reads a wait's return value as checks write it: WSA_WAIT_EVENT_0,
// WSA_WAIT_EVENT_0+N, WSA_WAIT_IO_COMPLETION, WAIT_IO_COMPLETION, WSA_WAIT_TIMEOUT,
// WSA_WAIT_FAILED, or a number.
func parseWaitResult(s string) (uint32, bool) {
	if rest, ok := strings.CutPrefix(s, "WSA_WAIT_EVENT_0+"); ok {
		n, err := strconv.ParseUint(rest, 10, 32)
		return uint32(n), err == nil && n < sim.WSA_MAXIMUM_WAIT_EVENTS
	}
	switch s {
	case "WSA_WAIT_EVENT_0":
		return sim.WSA_WAIT_EVENT_0, true
	case "WSA_WAIT_IO_COMPLETION", "WAIT_IO_COMPLETION":
		return sim.WSA_WAIT_IO_COMPLETION, true
	case "WSA_WAIT_TIMEOUT", "WAIT_TIMEOUT":
		return sim.WSA_WAIT_TIMEOUT, true
	case "WSA_WAIT_FAILED":
		return sim.WSA_WAIT_FAILED, true
	}
	if mag, neg, ok := parseNumber(s); ok && !neg && mag <= 0xffffffff {
		return uint32(mag), true
	}
	return 0, false
}

// parseRan reads ran=: routine names joined by ',' in the order they ran, or none.
func parseRan(s string) (string, bool) {
	if s == noRoutine {
		return s, true
	}
	for part := range strings.SplitSeq(s, ",") {
		if !isIdent(part) || part == noRoutine {
			return "", false
		}
	}
	return s, true
}
