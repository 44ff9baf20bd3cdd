package socket

import (
	"sync"

	"github.com/wsssim/wsssim/sim"
)

// simulated is the API over one thread of a simulated application.
type simulated struct{ t *sim.Thread }

// Simulated returns the API as seen by a thread of a simulated application. Use one per
// goroutine, as a real program uses one thread per blocking caller.
func Simulated(t *sim.Thread) API { return simulated{t} }

// SimulatedHost makes a fresh network with one host of that name and addresses and returns
// the API of the host's default application (which runs as SYSTEM with Winsock initialised),
// and the host for inspection. It is the quickest way to an isolated host in a test.
func SimulatedHost(name string, addrs ...string) (API, *sim.Host) {
	h := sim.NewNetwork().MustAddHost(name, addrs...)
	return Simulated(h.App().Main()), h
}

var (
	embeddedOnce sync.Once
	embedded     *sim.Host
)

// Embedded returns the process-wide default simulated host, "localhost", with only the loopback
// addresses. Default uses it off Windows. Tests should prefer hosts of their own.
func Embedded() *sim.Host {
	embeddedOnce.Do(func() { embedded = sim.NewNetwork().MustAddHost("localhost") })
	return embedded
}

func (a simulated) WSAStartup(v uint16, d *WSAData) error { return a.t.WSAStartup(v, d) }
func (a simulated) WSACleanup() error                     { return a.t.WSACleanup() }
func (a simulated) Socket(af, typ, p int32) (Handle, error) {
	return a.t.Socket(af, typ, p)
}
func (a simulated) WSASocket(af, typ, p int32, f uint32) (Handle, error) {
	return a.t.WSASocket(af, typ, p, f)
}
func (a simulated) Setsockopt(s Handle, l, o int32, v []byte, n int32) error {
	return a.t.Setsockopt(s, l, o, v, n)
}
func (a simulated) Getsockopt(s Handle, l, o int32, v []byte, n *int32) error {
	return a.t.Getsockopt(s, l, o, v, n)
}
func (a simulated) Ioctlsocket(s Handle, cmd, arg uint32) error { return a.t.Ioctlsocket(s, cmd, arg) }
func (a simulated) Bind(s Handle, b []byte, n int32) error      { return a.t.Bind(s, b, n) }
func (a simulated) Listen(s Handle, backlog int32) error        { return a.t.Listen(s, backlog) }
func (a simulated) Connect(s Handle, b []byte, n int32) error   { return a.t.Connect(s, b, n) }
func (a simulated) WSAConnect(s Handle, b []byte, n int32) error {
	return a.t.WSAConnect(s, b, n)
}
func (a simulated) ConnectEx(s Handle, b []byte, n int32, ov *Overlapped) error {
	return a.t.ConnectEx(s, b, n, ov.simPtr())
}
func (a simulated) WSAGetOverlappedResult(s Handle, ov *Overlapped, wait bool) (uint32, error) {
	return a.t.WSAGetOverlappedResult(s, ov.simPtr(), wait)
}
func (a simulated) Accept(s Handle, b []byte, n *int32) (Handle, error) { return a.t.Accept(s, b, n) }
func (a simulated) Sendto(s Handle, buf []byte, f int32, to []byte, n int32) (int, error) {
	return a.t.Sendto(s, buf, f, to, n)
}
func (a simulated) Getsockname(s Handle, b []byte, n *int32) error { return a.t.Getsockname(s, b, n) }
func (a simulated) Getpeername(s Handle, b []byte, n *int32) error { return a.t.Getpeername(s, b, n) }
func (a simulated) Shutdown(s Handle, how int32) error             { return a.t.Shutdown(s, how) }
func (a simulated) Closesocket(s Handle) error                     { return a.t.Closesocket(s) }
func (a simulated) WSASetSocketSecurity(s Handle, b []byte, n uint32, ov *Overlapped, r CompletionRoutine) error {
	return a.t.WSASetSocketSecurity(s, b, n, ov.simPtr(), simRoutine(ov, r))
}

func (a simulated) WSAQuerySocketSecurity(s Handle, t []byte, tn uint32, info []byte, n *uint32, ov *Overlapped, r CompletionRoutine) error {
	return a.t.WSAQuerySocketSecurity(s, t, tn, info, n, ov.simPtr(), simRoutine(ov, r))
}
func (a simulated) WSASetSocketPeerTargetName(s Handle, b []byte, n uint32, ov *Overlapped, r CompletionRoutine) error {
	return a.t.WSASetSocketPeerTargetName(s, b, n, ov.simPtr(), simRoutine(ov, r))
}
func (a simulated) WSADeleteSocketPeerTargetName(s Handle, b []byte, n uint32, ov *Overlapped, r CompletionRoutine) error {
	return a.t.WSADeleteSocketPeerTargetName(s, b, n, ov.simPtr(), simRoutine(ov, r))
}
func (a simulated) WSAImpersonateSocketPeer(s Handle, b []byte, n uint32) error {
	return a.t.WSAImpersonateSocketPeer(s, b, n)
}
func (a simulated) WSARevertImpersonation() error { return a.t.WSARevertImpersonation() }
func (a simulated) WSAIoctl(s Handle, code uint32, in []byte, inLen uint32, out []byte, outLen uint32, ret *uint32, ov *Overlapped, r CompletionRoutine) error {
	return a.t.WSAIoctl(s, code, in, inLen, out, outLen, ret, ov.simPtr(), simRoutine(ov, r))
}
func (a simulated) WSACreateEvent() (EventHandle, error) { return a.t.WSACreateEvent() }
func (a simulated) WSASetEvent(ev EventHandle) error     { return a.t.WSASetEvent(ev) }
func (a simulated) WSAResetEvent(ev EventHandle) error   { return a.t.WSAResetEvent(ev) }
func (a simulated) WSACloseEvent(ev EventHandle) error   { return a.t.WSACloseEvent(ev) }
func (a simulated) WSAWaitForMultipleEvents(evs []EventHandle, all bool, ms uint32, alertable bool) (uint32, error) {
	return a.t.WSAWaitForMultipleEvents(evs, all, ms, alertable)
}
func (a simulated) SleepEx(ms uint32, alertable bool) (uint32, error) {
	return a.t.SleepEx(ms, alertable)
}

// simPtr returns the simulator's OVERLAPPED, carrying the caller's hEvent.
func (o *Overlapped) simPtr() *sim.Overlapped {
	if o == nil {
		return nil
	}
	if o.sim.Event != o.Event { // written only when it changed: a pending operation may read it
		o.sim.Event = o.Event
	}
	return &o.sim
}

func (a simulated) GetUserName() (string, error) { return a.t.GetUserName() }
func (a simulated) CloseHandle(h uint64) error   { return a.t.CloseHandle(h) }

// simRoutine hands the simulator a routine that gives r the caller's Overlapped back.
func simRoutine(ov *Overlapped, r CompletionRoutine) sim.CompletionRoutine {
	if r == nil {
		return nil
	}
	return func(code, bytes uint32, _ *sim.Overlapped, flags uint32) { r(code, bytes, ov, flags) }
}
