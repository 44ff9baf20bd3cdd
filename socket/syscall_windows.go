//go:build windows

package socket

import "golang.org/x/sys/windows"

// Raw bindings, generated into zsyscall_windows.go by mkwinsyscall (go generate). They take
// pointers and lengths exactly as the C functions do, so the native back end can pass the same
// bytes and the same wrong lengths as the simulator receives.

//sys	wsaStartup(version uint32, data *windows.WSAData) (sockerr error) = ws2_32.WSAStartup
//sys	wsaCleanup() (err error) [failretval==socketError] = ws2_32.WSACleanup
//sys	socketRaw(af int32, typ int32, protocol int32) (s windows.Handle, err error) [failretval==windows.InvalidHandle] = ws2_32.socket
//sys	wsaSocket(af int32, typ int32, protocol int32, info *byte, group uint32, flags uint32) (s windows.Handle, err error) [failretval==windows.InvalidHandle] = ws2_32.WSASocketW
//sys	setsockopt(s windows.Handle, level int32, optname int32, optval *byte, optlen int32) (err error) [failretval==socketError] = ws2_32.setsockopt
//sys	getsockopt(s windows.Handle, level int32, optname int32, optval *byte, optlen *int32) (err error) [failretval==socketError] = ws2_32.getsockopt
//sys	ioctlsocket(s windows.Handle, cmd uint32, arg *uint32) (err error) [failretval==socketError] = ws2_32.ioctlsocket
//sys	bind(s windows.Handle, name *byte, namelen int32) (err error) [failretval==socketError] = ws2_32.bind
//sys	listen(s windows.Handle, backlog int32) (err error) [failretval==socketError] = ws2_32.listen
//sys	connect(s windows.Handle, name *byte, namelen int32) (err error) [failretval==socketError] = ws2_32.connect
//sys	wsaConnect(s windows.Handle, name *byte, namelen int32, callerData *byte, calleeData *byte, sqos *byte, gqos *byte) (err error) [failretval==socketError] = ws2_32.WSAConnect
//sys	accept(s windows.Handle, addr *byte, addrlen *int32) (a windows.Handle, err error) [failretval==windows.InvalidHandle] = ws2_32.accept
//sys	sendto(s windows.Handle, buf *byte, len int32, flags int32, to *byte, tolen int32) (n int32, err error) [failretval==-1] = ws2_32.sendto
//sys	getsockname(s windows.Handle, name *byte, namelen *int32) (err error) [failretval==socketError] = ws2_32.getsockname
//sys	getpeername(s windows.Handle, name *byte, namelen *int32) (err error) [failretval==socketError] = ws2_32.getpeername
//sys	shutdown(s windows.Handle, how int32) (err error) [failretval==socketError] = ws2_32.shutdown
//sys	closesocket(s windows.Handle) (err error) [failretval==socketError] = ws2_32.closesocket
//sys	wsaIoctl(s windows.Handle, code uint32, inBuf *byte, inLen uint32, outBuf *byte, outLen uint32, returned *uint32, overlapped *windows.Overlapped, completion uintptr) (err error) [failretval==socketError] = ws2_32.WSAIoctl
//sys	wsaGetOverlappedResult(s windows.Handle, overlapped *windows.Overlapped, transferred *uint32, wait bool, flags *uint32) (err error) = ws2_32.WSAGetOverlappedResult

//sys	wsaSetSocketSecurity(s windows.Handle, settings *byte, settingsLen uint32, overlapped *windows.Overlapped, completion uintptr) (err error) [failretval==socketError] = fwpuclnt.WSASetSocketSecurity
//sys	wsaQuerySocketSecurity(s windows.Handle, template *byte, templateLen uint32, info *byte, infoLen *uint32, overlapped *windows.Overlapped, completion uintptr) (err error) [failretval==socketError] = fwpuclnt.WSAQuerySocketSecurity
//sys	wsaSetSocketPeerTargetName(s windows.Handle, name *byte, nameLen uint32, overlapped *windows.Overlapped, completion uintptr) (err error) [failretval==socketError] = fwpuclnt.WSASetSocketPeerTargetName
//sys	wsaDeleteSocketPeerTargetName(s windows.Handle, addr *byte, addrLen uint32, overlapped *windows.Overlapped, completion uintptr) (err error) [failretval==socketError] = fwpuclnt.WSADeleteSocketPeerTargetName
//sys	wsaImpersonateSocketPeer(s windows.Handle, addr *byte, addrLen uint32) (err error) [failretval==socketError] = fwpuclnt.WSAImpersonateSocketPeer
//sys	wsaRevertImpersonation() (err error) [failretval==socketError] = fwpuclnt.WSARevertImpersonation
//sys	getUserNameEx(format uint32, name *uint16, size *uint32) (err error) [failretval==0] = secur32.GetUserNameExW
//sys	closeHandle(h windows.Handle) (err error) [failretval==0] = kernel32.CloseHandle

//sys	wsaCreateEvent() (h windows.Handle, err error) [failretval==0] = ws2_32.WSACreateEvent
//sys	wsaSetEvent(h windows.Handle) (err error) = ws2_32.WSASetEvent
//sys	wsaResetEvent(h windows.Handle) (err error) = ws2_32.WSAResetEvent
//sys	wsaCloseEvent(h windows.Handle) (err error) = ws2_32.WSACloseEvent
//sys	wsaWaitForMultipleEvents(count uint32, events *windows.Handle, waitAll bool, timeout uint32, alertable bool) (ret uint32, err error) [failretval==0xffffffff] = ws2_32.WSAWaitForMultipleEvents
//sys	sleepEx(ms uint32, alertable bool) (ret uint32) = kernel32.SleepEx
//sys	selectSockets(nfds int32, readfds *fdSet, writefds *fdSet, exceptfds *fdSet, timeout *windows.Timeval) (n int32, err error) [failretval==-1] = ws2_32.select

// fdSet is Winsock's fd_set: a count, then FD_SETSIZE (64) SOCKETs, not a bitmap as on Unix.
type fdSet struct {
	count uint32
	fds   [64]windows.Handle
}

// socketError is SOCKET_ERROR as the generated code compares a return value: the C int -1
// arrives zero-extended in a register, so only its low 32 bits are set.
const socketError = uintptr(^uint32(0))

var _ = windows.InvalidHandle
