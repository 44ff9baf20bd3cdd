// Package socket is wsssim's Winsock-shaped API: one Go interface, API, with one method per
// Winsock function, Windows names and argument order, and errors that unwrap to errors.Errno.
//
// Two back ends implement it. Simulated runs the calls against a simulated Windows host from
// package sim, on every operating system. Native (only in Windows builds) calls the real
// ws2_32.dll and fwpuclnt.dll, with structures passed in the exact bytes that package policy
// encodes. Default returns the platform's natural choice — the real API on Windows, an embedded
// simulated host elsewhere — so one program runs on both, and tests create their own isolated
// hosts with sim.NewNetwork and Simulated.
//
// Pointer arguments are Go slices: nil is a NULL pointer, and the separate length argument is
// passed as given, so a test can reproduce a C caller's wrong length. A length larger than the
// slice is a pointer range Windows could not read: the simulator answers WSAEFAULT, and the
// native back end pads the buffer with zeros rather than let the kernel read past Go memory.
package socket

import (
	"time"

	"github.com/wsssim/wsssim/sim"
)

// Handle is a SOCKET value.
type Handle = sim.Handle

// INVALID_SOCKET is (SOCKET)(~0).
const INVALID_SOCKET = sim.INVALID_SOCKET

// WSAData is what WSAStartup fills in.
type WSAData = sim.WSAData

// API is the Winsock functions wsssim models. Every method returns nil on success; a failure
// returns an error for which errors.As into errors.Errno gives the WSAGetLastError code (the
// simulated back end's errors are *sim.RuleError values that also name the rule that decided).
type API interface {
	WSAStartup(version uint16, data *WSAData) error
	WSACleanup() error
	Socket(af, typ, protocol int32) (Handle, error)
	WSASocket(af, typ, protocol int32, flags uint32) (Handle, error)
	Setsockopt(s Handle, level, optname int32, optval []byte, optlen int32) error
	Getsockopt(s Handle, level, optname int32, optval []byte, optlen *int32) error
	Ioctlsocket(s Handle, cmd uint32, arg uint32) error
	Bind(s Handle, name []byte, namelen int32) error
	Listen(s Handle, backlog int32) error
	Connect(s Handle, name []byte, namelen int32) error
	WSAConnect(s Handle, name []byte, namelen int32) error
	ConnectEx(s Handle, name []byte, namelen int32, ov *Overlapped) error
	WSAGetOverlappedResult(s Handle, ov *Overlapped, wait bool) (bytes uint32, err error)
	Accept(s Handle, addr []byte, addrlen *int32) (Handle, error)
	Sendto(s Handle, buf []byte, flags int32, to []byte, tolen int32) (int, error)
	Getsockname(s Handle, name []byte, namelen *int32) error
	Getpeername(s Handle, name []byte, namelen *int32) error
	Shutdown(s Handle, how int32) error
	Closesocket(s Handle) error
	// The secure-socket functions and WSAIoctl take lpOverlapped and lpCompletionRoutine (nil is
	// NULL). On an overlapped socket with an OVERLAPPED they complete at once and report through
	// it (ruling R7): the routine is queued to the calling thread, or else ov.Event is signalled.
	WSASetSocketSecurity(s Handle, settings []byte, settingsLen uint32, ov *Overlapped, routine CompletionRoutine) error
	// WSAQuerySocketSecurity: template nil is NULL (TCP only); info nil is NULL (a size
	// probe); infoLen is SecurityQueryInfoLen, in and out (nil is NULL).
	WSAQuerySocketSecurity(s Handle, template []byte, templateLen uint32, info []byte, infoLen *uint32, ov *Overlapped, routine CompletionRoutine) error
	WSASetSocketPeerTargetName(s Handle, name []byte, nameLen uint32, ov *Overlapped, routine CompletionRoutine) error
	WSADeleteSocketPeerTargetName(s Handle, addr []byte, addrLen uint32, ov *Overlapped, routine CompletionRoutine) error
	// WSAImpersonateSocketPeer and WSARevertImpersonation act on the calling thread: use them
	// from one goroutine locked to its thread (runtime.LockOSThread) on the native back end,
	// and through one sim.Thread's API on the simulated one.
	WSAImpersonateSocketPeer(s Handle, addr []byte, addrLen uint32) error
	WSARevertImpersonation() error
	// GetUserName is GetUserNameExW(NameSamCompatible) of the calling thread: DOMAIN\user, or
	// the impersonated peer's identity while the thread impersonates one.
	GetUserName() (string, error)
	// CloseHandle closes a token handle that WSAQuerySocketSecurity returned.
	CloseHandle(h uint64) error
	// WSAIoctl takes the codes of the secure-socket functions (SIO_SET_SECURITY …); bytesReturned
	// nil is a NULL lpcbBytesReturned.
	WSAIoctl(s Handle, code uint32, in []byte, inLen uint32, out []byte, outLen uint32, bytesReturned *uint32, ov *Overlapped, routine CompletionRoutine) error

	// Event objects: WSACreateEvent makes a manual-reset event, not signalled (WSA_INVALID_EVENT
	// with the error when it fails).
	WSACreateEvent() (EventHandle, error)
	WSASetEvent(ev EventHandle) error
	WSAResetEvent(ev EventHandle) error
	WSACloseEvent(ev EventHandle) error
	// WSAWaitForMultipleEvents returns WSA_WAIT_EVENT_0 plus an index, WSA_WAIT_IO_COMPLETION
	// or WSA_WAIT_TIMEOUT; WSA_WAIT_FAILED with the error when it fails. timeoutMs may be
	// WSA_INFINITE.
	WSAWaitForMultipleEvents(events []EventHandle, waitAll bool, timeoutMs uint32, alertable bool) (uint32, error)
	// SleepEx returns 0, or WAIT_IO_COMPLETION when completion routines ran. The error is only
	// ever the simulator's WAIT-FOREVER, for a sleep nothing would end (Windows would hang).
	//
	// Completion routines run in the alertable waits of the thread that made the call: on the
	// native back end keep the goroutine on one OS thread (runtime.LockOSThread) from the call
	// to the wait; on the simulated one use one sim.Thread's API for both.
	SleepEx(ms uint32, alertable bool) (uint32, error)
}

// ConnectWaiter is implemented by an API whose connection attempts finish in real time: the
// native one. (The simulator's finish when its network settles, sim.Network.Settle.)
type ConnectWaiter interface {
	// WaitConnect waits until the non-blocking connect in flight on s has succeeded or failed,
	// or timeout has passed, and reports whether it finished. It asks as select does (writable
	// or exception), so it consumes nothing the socket's owner reads next, such as SO_ERROR.
	WaitConnect(s Handle, timeout time.Duration) (finished bool, err error)
}

// EventHandle is a WSAEVENT.
type EventHandle = sim.EventHandle

// WSA_INVALID_EVENT is ((WSAEVENT)NULL).
const WSA_INVALID_EVENT = sim.WSA_INVALID_EVENT

// NeverIssuedHandle is a handle value no Windows process is ever given: a process's handle
// table holds at most 2^24 entries, four apart, so every real handle is below 0x4000000.
//
// Conformance checks and the native scenario back end pass it where a program passes a handle
// it has closed. Windows gives a closed handle's value to the next handle any thread of the
// process opens — the Go runtime opens events and timers at moments no test controls — so a
// call on the stale value could act on someone else's handle (set it, wait on it, close it).
const NeverIssuedHandle = 0x7ffffff0

// CompletionRoutine is an LPWSAOVERLAPPED_COMPLETION_ROUTINE: errCode is the operation's
// result (0 or a Winsock code), bytes its cbTransferred, ov the OVERLAPPED the call was given,
// and flags is 0. It runs inside an alertable wait (SleepEx, WSAWaitForMultipleEvents) of the
// thread that made the call, never inside the call itself.
type CompletionRoutine func(errCode uint32, bytes uint32, ov *Overlapped, flags uint32)

// Overlapped is a WSAOVERLAPPED usable with either back end. The zero value is ready; keep it
// alive and unmoved (a Go heap value is) until its operation completes.
type Overlapped struct {
	// Event is hEvent: an event (WSACreateEvent) that the operation signals when it completes,
	// unless the call gives a completion routine. WSA_INVALID_EVENT leaves the back end to
	// choose: none in the simulator, a private event on Windows (which WSAGetOverlappedResult's
	// wait needs).
	Event EventHandle

	sim    sim.Overlapped
	native nativeOverlapped
}

// Constants of the Windows SDK, re-exported so that programs need only this package.
const (
	AF_UNSPEC = sim.AF_UNSPEC
	AF_UNIX   = sim.AF_UNIX
	AF_INET   = sim.AF_INET
	AF_INET6  = sim.AF_INET6

	SOCK_STREAM = sim.SOCK_STREAM
	SOCK_DGRAM  = sim.SOCK_DGRAM
	SOCK_RAW    = sim.SOCK_RAW

	IPPROTO_TCP  = sim.IPPROTO_TCP
	IPPROTO_UDP  = sim.IPPROTO_UDP
	IPPROTO_IPV6 = sim.IPPROTO_IPV6

	SOL_SOCKET                = sim.SOL_SOCKET
	SO_REUSEADDR              = sim.SO_REUSEADDR
	SO_EXCLUSIVEADDRUSE       = sim.SO_EXCLUSIVEADDRUSE
	SO_ACCEPTCONN             = sim.SO_ACCEPTCONN
	SO_TYPE                   = sim.SO_TYPE
	SO_ERROR                  = sim.SO_ERROR
	SO_UPDATE_CONNECT_CONTEXT = sim.SO_UPDATE_CONNECT_CONTEXT
	IPV6_V6ONLY               = sim.IPV6_V6ONLY

	WSA_FLAG_OVERLAPPED = sim.WSA_FLAG_OVERLAPPED
	FIONBIO             = sim.FIONBIO
	SD_RECEIVE          = sim.SD_RECEIVE
	SD_SEND             = sim.SD_SEND
	SD_BOTH             = sim.SD_BOTH
	SOMAXCONN           = sim.SOMAXCONN

	SIO_SET_SECURITY              = sim.SIO_SET_SECURITY
	SIO_QUERY_SECURITY            = sim.SIO_QUERY_SECURITY
	SIO_SET_PEER_TARGET_NAME      = sim.SIO_SET_PEER_TARGET_NAME
	SIO_DELETE_PEER_TARGET_NAME   = sim.SIO_DELETE_PEER_TARGET_NAME
	SIO_SOCKET_USAGE_NOTIFICATION = sim.SIO_SOCKET_USAGE_NOTIFICATION

	WSA_WAIT_EVENT_0        = sim.WSA_WAIT_EVENT_0
	WSA_WAIT_IO_COMPLETION  = sim.WSA_WAIT_IO_COMPLETION
	WSA_WAIT_TIMEOUT        = sim.WSA_WAIT_TIMEOUT
	WSA_WAIT_FAILED         = sim.WSA_WAIT_FAILED
	WSA_INFINITE            = sim.WSA_INFINITE
	WSA_MAXIMUM_WAIT_EVENTS = sim.WSA_MAXIMUM_WAIT_EVENTS
	WAIT_IO_COMPLETION      = sim.WAIT_IO_COMPLETION
	INFINITE                = sim.INFINITE
)
