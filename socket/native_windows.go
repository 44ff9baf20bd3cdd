//go:build windows

package socket

import (
	stderrors "errors"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/wsssim/wsssim/errors"
)

// nativeOverlapped is the real OVERLAPPED handed to Windows, and the private event it gets
// when the caller gives none.
type nativeOverlapped struct {
	ov   windows.Overlapped
	auto windows.Handle
}

// Default returns the real Winsock on Windows.
func Default() API { return Native() }

// Native returns the API backed by the real ws2_32.dll and fwpuclnt.dll. It holds no model:
// every call goes to Windows, and errors come back as errors.Errno.
func Native() API { return native{} }

type native struct{}

// toErrno turns what a generated binding returned into an errors.Errno.
func toErrno(err error) error {
	if err == nil {
		return nil
	}
	var e syscall.Errno
	if stderrors.As(err, &e) {
		return errors.Errno(e)
	}
	return err
}

// ptr passes a slice as a C pointer (nil stays NULL). When the declared length exceeds the
// slice, the bytes are copied into a zero-padded buffer of that length, so Windows never reads
// past Go memory.
func ptr(b []byte, declared int64) *byte {
	if b == nil {
		return nil
	}
	if declared > int64(len(b)) && declared < 1<<20 {
		p := make([]byte, declared)
		copy(p, b)
		b = p
	}
	if len(b) == 0 {
		var zero [1]byte
		return &zero[0]
	}
	return &b[0]
}

func (native) WSAStartup(v uint16, d *WSAData) error {
	var wd windows.WSAData
	var p *windows.WSAData
	if d != nil {
		p = &wd
	}
	if err := wsaStartup(uint32(v), p); err != nil {
		return toErrno(err)
	}
	if d != nil {
		*d = WSAData{
			Version: wd.Version, HighVersion: wd.HighVersion,
			Description: windows.ByteSliceToString(wd.Description[:]),
			Status:      windows.ByteSliceToString(wd.SystemStatus[:]),
		}
	}
	return nil
}

func (native) WSACleanup() error { return toErrno(wsaCleanup()) }

func (native) Socket(af, typ, p int32) (Handle, error) {
	s, err := socketRaw(af, typ, p)
	if err != nil {
		return INVALID_SOCKET, toErrno(err)
	}
	return Handle(s), nil
}

func (native) WSASocket(af, typ, p int32, flags uint32) (Handle, error) {
	s, err := wsaSocket(af, typ, p, nil, 0, flags)
	if err != nil {
		return INVALID_SOCKET, toErrno(err)
	}
	return Handle(s), nil
}

func (native) Setsockopt(s Handle, level, opt int32, v []byte, n int32) error {
	return toErrno(setsockopt(windows.Handle(s), level, opt, ptr(v, int64(n)), n))
}

func (native) Getsockopt(s Handle, level, opt int32, v []byte, n *int32) error {
	var declared int64
	if n != nil {
		declared = int64(*n)
	}
	return toErrno(getsockopt(windows.Handle(s), level, opt, ptr(v, declared), n))
}

func (native) Ioctlsocket(s Handle, cmd, arg uint32) error {
	return toErrno(ioctlsocket(windows.Handle(s), cmd, &arg))
}

func (native) Bind(s Handle, b []byte, n int32) error {
	return toErrno(bind(windows.Handle(s), ptr(b, int64(n)), n))
}

func (native) Listen(s Handle, backlog int32) error {
	return toErrno(listen(windows.Handle(s), backlog))
}

func (native) Connect(s Handle, b []byte, n int32) error {
	return toErrno(connect(windows.Handle(s), ptr(b, int64(n)), n))
}

func (native) WSAConnect(s Handle, b []byte, n int32) error {
	return toErrno(wsaConnect(windows.Handle(s), ptr(b, int64(n)), n, nil, nil, nil, nil))
}

// WSAID_CONNECTEX is the GUID that WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER) takes.
var wsaidConnectEx = windows.GUID{Data1: 0x25a207b9, Data2: 0xddf3, Data3: 0x4660, Data4: [8]byte{0x8e, 0xe9, 0x76, 0xe5, 0x8c, 0x74, 0x06, 0x3e}}

const sioGetExtensionFunctionPointer = 0xc8000006

func (native) ConnectEx(s Handle, b []byte, n int32, ov *Overlapped) error {
	var fn uintptr
	var ret uint32
	err := wsaIoctl(windows.Handle(s), sioGetExtensionFunctionPointer,
		(*byte)(unsafe.Pointer(&wsaidConnectEx)), uint32(unsafe.Sizeof(wsaidConnectEx)),
		(*byte)(unsafe.Pointer(&fn)), uint32(unsafe.Sizeof(fn)), &ret, nil, 0)
	if err != nil {
		return toErrno(err)
	}
	var o *windows.Overlapped
	if ov != nil {
		o = ov.nativePtr()
	}
	r1, _, e1 := syscall.SyscallN(fn, uintptr(s), uintptr(unsafe.Pointer(ptr(b, int64(n)))), uintptr(n), 0, 0, 0, uintptr(unsafe.Pointer(o)))
	if uint32(r1) == 0 {
		return toErrno(e1)
	}
	return nil
}

func (native) WSAGetOverlappedResult(s Handle, ov *Overlapped, wait bool) (uint32, error) {
	var n, flags uint32
	var o *windows.Overlapped
	if ov != nil {
		o = ov.nativePtr()
	}
	err := wsaGetOverlappedResult(windows.Handle(s), o, &n, wait, &flags)
	return n, toErrno(err)
}

// WaitConnect asks select whether s is writable (connected) or has an exception (the attempt
// failed), as a program waiting on a non-blocking connect does.
func (native) WaitConnect(s Handle, timeout time.Duration) (bool, error) {
	w := fdSet{count: 1}
	w.fds[0] = windows.Handle(s)
	x := w
	tv := windows.Timeval{Sec: int32(timeout / time.Second), Usec: int32(timeout % time.Second / time.Microsecond)}
	n, err := selectSockets(0, nil, &w, &x, &tv)
	if err != nil {
		return false, toErrno(err)
	}
	return n > 0, nil
}

func (native) Accept(s Handle, b []byte, n *int32) (Handle, error) {
	var declared int64
	if n != nil {
		declared = int64(*n)
	}
	a, err := accept(windows.Handle(s), ptr(b, declared), n)
	if err != nil {
		return INVALID_SOCKET, toErrno(err)
	}
	return Handle(a), nil
}

func (native) Sendto(s Handle, buf []byte, flags int32, to []byte, tolen int32) (int, error) {
	data := buf
	if len(data) == 0 {
		data = make([]byte, 1)
	}
	n, err := sendto(windows.Handle(s), &data[0], int32(len(buf)), flags, ptr(to, int64(tolen)), tolen)
	if err != nil {
		return 0, toErrno(err)
	}
	return int(n), nil
}

func (native) Getsockname(s Handle, b []byte, n *int32) error {
	var declared int64
	if n != nil {
		declared = int64(*n)
	}
	return toErrno(getsockname(windows.Handle(s), ptr(b, declared), n))
}

func (native) Getpeername(s Handle, b []byte, n *int32) error {
	var declared int64
	if n != nil {
		declared = int64(*n)
	}
	return toErrno(getpeername(windows.Handle(s), ptr(b, declared), n))
}

func (native) Shutdown(s Handle, how int32) error { return toErrno(shutdown(windows.Handle(s), how)) }
func (native) Closesocket(s Handle) error         { return toErrno(closesocket(windows.Handle(s))) }

func (native) WSASetSocketSecurity(s Handle, b []byte, n uint32, ov *Overlapped, r CompletionRoutine) error {
	cr := completionPtr(ov, r)
	return done(ov, cr, wsaSetSocketSecurity(windows.Handle(s), ptr(b, int64(n)), n, ovPtr(ov), cr))
}

// outBuf passes an output slice as a C pointer (nil stays NULL). When the declared length
// exceeds the slice, Windows writes into a zero-padded copy of that length and done copies back
// what fits, so Windows never writes past Go memory.
func outBuf(b []byte, declared int64) (p *byte, done func()) {
	if b == nil {
		return nil, func() {}
	}
	if declared > int64(len(b)) && declared < 1<<20 {
		tmp := make([]byte, declared)
		copy(tmp, b)
		return &tmp[0], func() { copy(b, tmp) }
	}
	if len(b) == 0 {
		var zero [1]byte
		return &zero[0], func() {}
	}
	return &b[0], func() {}
}

// ovPtr returns the OVERLAPPED to hand to Windows for ov, or nil.
func ovPtr(ov *Overlapped) *windows.Overlapped {
	if ov == nil {
		return nil
	}
	return ov.nativePtr()
}

// The secure-socket functions complete synchronously (ruling R7), so an output buffer is
// complete when the call returns, even with an OVERLAPPED.

func (native) WSAQuerySocketSecurity(s Handle, t []byte, tn uint32, info []byte, n *uint32, ov *Overlapped, r CompletionRoutine) error {
	var declared int64
	if n != nil {
		declared = int64(*n)
	}
	p, copyBack := outBuf(info, declared)
	cr := completionPtr(ov, r)
	err := wsaQuerySocketSecurity(windows.Handle(s), ptr(t, int64(tn)), tn, p, n, ovPtr(ov), cr)
	copyBack()
	return done(ov, cr, err)
}

func (native) WSASetSocketPeerTargetName(s Handle, b []byte, n uint32, ov *Overlapped, r CompletionRoutine) error {
	cr := completionPtr(ov, r)
	return done(ov, cr, wsaSetSocketPeerTargetName(windows.Handle(s), ptr(b, int64(n)), n, ovPtr(ov), cr))
}

func (native) WSADeleteSocketPeerTargetName(s Handle, b []byte, n uint32, ov *Overlapped, r CompletionRoutine) error {
	cr := completionPtr(ov, r)
	return done(ov, cr, wsaDeleteSocketPeerTargetName(windows.Handle(s), ptr(b, int64(n)), n, ovPtr(ov), cr))
}

// WSAImpersonateSocketPeer and WSARevertImpersonation act on the calling OS thread: a caller
// must keep its goroutine on one thread (runtime.LockOSThread) from one to the other.
func (native) WSAImpersonateSocketPeer(s Handle, b []byte, n uint32) error {
	return toErrno(wsaImpersonateSocketPeer(windows.Handle(s), ptr(b, int64(n)), n))
}

func (native) WSARevertImpersonation() error { return toErrno(wsaRevertImpersonation()) }

// nameSamCompatible is EXTENDED_NAME_FORMAT's NameSamCompatible: DOMAIN\user.
const nameSamCompatible = 2

// GetUserName asks for the size first, as GetUserNameExW's page describes (ERROR_MORE_DATA with
// the size required), then for the name.
func (native) GetUserName() (string, error) {
	size := uint32(64)
	for range 4 {
		buf := make([]uint16, size)
		err := getUserNameEx(nameSamCompatible, &buf[0], &size)
		if err == nil {
			return windows.UTF16ToString(buf[:size]), nil
		}
		if err != windows.ERROR_MORE_DATA {
			return "", toErrno(err)
		}
	}
	return "", toErrno(windows.ERROR_MORE_DATA)
}

func (native) CloseHandle(h uint64) error { return toErrno(closeHandle(windows.Handle(h))) }

func (native) WSAIoctl(s Handle, code uint32, in []byte, inLen uint32, out []byte, outLen uint32, ret *uint32, ov *Overlapped, r CompletionRoutine) error {
	p, copyBack := outBuf(out, int64(outLen))
	cr := completionPtr(ov, r)
	err := wsaIoctl(windows.Handle(s), code, ptr(in, int64(inLen)), inLen, p, outLen, ret, ovPtr(ov), cr)
	copyBack()
	return done(ov, cr, err)
}

func (native) WSACreateEvent() (EventHandle, error) {
	h, err := wsaCreateEvent()
	if err != nil {
		return WSA_INVALID_EVENT, toErrno(err)
	}
	return EventHandle(h), nil
}

func (native) WSASetEvent(ev EventHandle) error   { return toErrno(wsaSetEvent(windows.Handle(ev))) }
func (native) WSAResetEvent(ev EventHandle) error { return toErrno(wsaResetEvent(windows.Handle(ev))) }
func (native) WSACloseEvent(ev EventHandle) error { return toErrno(wsaCloseEvent(windows.Handle(ev))) }

func (native) WSAWaitForMultipleEvents(evs []EventHandle, all bool, ms uint32, alertable bool) (uint32, error) {
	hs := make([]windows.Handle, len(evs))
	for i, e := range evs {
		hs[i] = windows.Handle(e)
	}
	var p *windows.Handle
	if len(hs) > 0 {
		p = &hs[0]
	}
	r, err := wsaWaitForMultipleEvents(uint32(len(hs)), p, all, ms, alertable)
	if err != nil {
		return WSA_WAIT_FAILED, toErrno(err)
	}
	return r, nil
}

// SleepEx never fails on Windows: a sleep nothing ends hangs there, as it should.
func (native) SleepEx(ms uint32, alertable bool) (uint32, error) { return sleepEx(ms, alertable), nil }

// nativePtr returns the OVERLAPPED to hand to Windows. Its hEvent is the caller's event, or a
// private manual-reset one, so that WSAGetOverlappedResult's wait has something to wait on.
func (o *Overlapped) nativePtr() *windows.Overlapped {
	if o.Event != WSA_INVALID_EVENT {
		o.native.ov.HEvent = windows.Handle(o.Event)
		return &o.native.ov
	}
	if o.native.auto == 0 {
		if ev, err := windows.CreateEvent(nil, 1, 0, nil); err == nil {
			o.native.auto = ev
		}
	}
	o.native.ov.HEvent = o.native.auto
	return &o.native.ov
}

// Completion routines. windows.NewCallback makes a limited number of callbacks that are never
// freed, so there is one: it finds the caller's routine by the OVERLAPPED Windows hands back.
var (
	completionOnce     sync.Once
	completionCallback uintptr
	completionMu       sync.Mutex
	completions        = map[*windows.Overlapped]pendingRoutine{}
)

// pendingRoutine is a routine waiting for its APC, with the caller's Overlapped to give back.
type pendingRoutine struct {
	ov *Overlapped
	r  CompletionRoutine
}

// completionPtr registers r for ov's completion and returns the lpCompletionRoutine to pass: 0
// (NULL) without a routine or without an OVERLAPPED, which the routine reports through.
func completionPtr(ov *Overlapped, r CompletionRoutine) uintptr {
	if r == nil || ov == nil {
		return 0
	}
	completionOnce.Do(func() { completionCallback = windows.NewCallback(dispatchCompletion) })
	completionMu.Lock()
	completions[ov.nativePtr()] = pendingRoutine{ov, r}
	completionMu.Unlock()
	return completionCallback
}

// dispatchCompletion is the routine Windows calls, on the thread in the alertable wait.
func dispatchCompletion(code uintptr, bytes uintptr, o *windows.Overlapped, flags uintptr) uintptr {
	completionMu.Lock()
	p, ok := completions[o]
	delete(completions, o)
	completionMu.Unlock()
	if ok {
		p.r(uint32(code), uint32(bytes), p.ov, uint32(flags))
	}
	return 0
}

// done forgets the routine of a call that failed at once: Windows queues no APC for it.
func done(ov *Overlapped, cr uintptr, err error) error {
	if err != nil && cr != 0 && !stderrors.Is(err, windows.ERROR_IO_PENDING) {
		completionMu.Lock()
		delete(completions, &ov.native.ov)
		completionMu.Unlock()
	}
	return toErrno(err)
}
