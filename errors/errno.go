// Package errors defines the Windows Sockets error codes that wsssim returns: every WSAE* and
// WSA_* code of the Winsock headers and the Win32 codes that Winsock calls report, each as one
// typed Errno with its SDK name, number and a one-line meaning.
//
// An Errno is comparable and works with the standard library's errors.Is and errors.As. On
// Windows an Errno also matches a syscall.Errno of the same number, so code written against the
// real API and code written against the simulator test the same way.
package errors

import (
	"strconv"
	"strings"
)

// Errno is a Windows Sockets or Win32 error code, as returned by WSAGetLastError.
type Errno uint32

// Code describes one error code: its canonical SDK name, number and meaning.
type Code struct {
	Name    string
	Number  Errno
	Meaning string
}

// The codes. Values are those of the Windows SDK headers (winerror.h, winsock2.h); the
// project's oracle test compares each one with the compiled header value.
const (
	ERROR_SUCCESS                 Errno = 0
	ERROR_INVALID_HANDLE          Errno = 6
	ERROR_NOT_ENOUGH_MEMORY       Errno = 8
	ERROR_NOT_SUPPORTED           Errno = 50
	ERROR_INVALID_PARAMETER       Errno = 87
	ERROR_CALL_NOT_IMPLEMENTED    Errno = 120
	ERROR_INSUFFICIENT_BUFFER     Errno = 122
	ERROR_OPERATION_ABORTED       Errno = 995
	ERROR_IO_INCOMPLETE           Errno = 996
	ERROR_IO_PENDING              Errno = 997
	ERROR_NETWORK_UNREACHABLE     Errno = 1231
	ERROR_HOST_UNREACHABLE        Errno = 1232
	ERROR_CONNECTION_REFUSED      Errno = 1225
	ERROR_SEM_TIMEOUT             Errno = 121
	ERROR_NOT_FOUND               Errno = 1168
	ERROR_ACCESS_DENIED           Errno = 5
	ERROR_NO_TOKEN                Errno = 1008
	ERROR_BAD_IMPERSONATION_LEVEL Errno = 1346
	WAIT_TIMEOUT                  Errno = 258

	WSA_INVALID_HANDLE    Errno = 6
	WSA_NOT_ENOUGH_MEMORY Errno = 8
	WSA_INVALID_PARAMETER Errno = 87
	WSA_OPERATION_ABORTED Errno = 995
	WSA_IO_INCOMPLETE     Errno = 996
	WSA_IO_PENDING        Errno = 997
	WSA_WAIT_TIMEOUT      Errno = 258

	WSABASEERR             Errno = 10000
	WSAEINTR               Errno = 10004
	WSAEBADF               Errno = 10009
	WSAEACCES              Errno = 10013
	WSAEFAULT              Errno = 10014
	WSAEINVAL              Errno = 10022
	WSAEMFILE              Errno = 10024
	WSAEWOULDBLOCK         Errno = 10035
	WSAEINPROGRESS         Errno = 10036
	WSAEALREADY            Errno = 10037
	WSAENOTSOCK            Errno = 10038
	WSAEDESTADDRREQ        Errno = 10039
	WSAEMSGSIZE            Errno = 10040
	WSAEPROTOTYPE          Errno = 10041
	WSAENOPROTOOPT         Errno = 10042
	WSAEPROTONOSUPPORT     Errno = 10043
	WSAESOCKTNOSUPPORT     Errno = 10044
	WSAEOPNOTSUPP          Errno = 10045
	WSAEPFNOSUPPORT        Errno = 10046
	WSAEAFNOSUPPORT        Errno = 10047
	WSAEADDRINUSE          Errno = 10048
	WSAEADDRNOTAVAIL       Errno = 10049
	WSAENETDOWN            Errno = 10050
	WSAENETUNREACH         Errno = 10051
	WSAENETRESET           Errno = 10052
	WSAECONNABORTED        Errno = 10053
	WSAECONNRESET          Errno = 10054
	WSAENOBUFS             Errno = 10055
	WSAEISCONN             Errno = 10056
	WSAENOTCONN            Errno = 10057
	WSAESHUTDOWN           Errno = 10058
	WSAETOOMANYREFS        Errno = 10059
	WSAETIMEDOUT           Errno = 10060
	WSAECONNREFUSED        Errno = 10061
	WSAELOOP               Errno = 10062
	WSAENAMETOOLONG        Errno = 10063
	WSAEHOSTDOWN           Errno = 10064
	WSAEHOSTUNREACH        Errno = 10065
	WSAENOTEMPTY           Errno = 10066
	WSAEPROCLIM            Errno = 10067
	WSAEUSERS              Errno = 10068
	WSAEDQUOT              Errno = 10069
	WSAESTALE              Errno = 10070
	WSAEREMOTE             Errno = 10071
	WSASYSNOTREADY         Errno = 10091
	WSAVERNOTSUPPORTED     Errno = 10092
	WSANOTINITIALISED      Errno = 10093
	WSAEDISCON             Errno = 10101
	WSAENOMORE             Errno = 10102
	WSAECANCELLED          Errno = 10103
	WSAEINVALIDPROCTABLE   Errno = 10104
	WSAEINVALIDPROVIDER    Errno = 10105
	WSAEPROVIDERFAILEDINIT Errno = 10106
	WSASYSCALLFAILURE      Errno = 10107
	WSASERVICE_NOT_FOUND   Errno = 10108
	WSATYPE_NOT_FOUND      Errno = 10109
	WSA_E_NO_MORE          Errno = 10110
	WSA_E_CANCELLED        Errno = 10111
	WSAEREFUSED            Errno = 10112
	WSAHOST_NOT_FOUND      Errno = 11001
	WSATRY_AGAIN           Errno = 11002
	WSANO_RECOVERY         Errno = 11003
	WSANO_DATA             Errno = 11004
	WSANO_ADDRESS          Errno = 11004

	WSA_QOS_RECEIVERS          Errno = 11005
	WSA_QOS_SENDERS            Errno = 11006
	WSA_QOS_NO_SENDERS         Errno = 11007
	WSA_QOS_NO_RECEIVERS       Errno = 11008
	WSA_QOS_REQUEST_CONFIRMED  Errno = 11009
	WSA_QOS_ADMISSION_FAILURE  Errno = 11010
	WSA_QOS_POLICY_FAILURE     Errno = 11011
	WSA_QOS_BAD_STYLE          Errno = 11012
	WSA_QOS_BAD_OBJECT         Errno = 11013
	WSA_QOS_TRAFFIC_CTRL_ERROR Errno = 11014
	WSA_QOS_GENERIC_ERROR      Errno = 11015
	WSA_QOS_ESERVICETYPE       Errno = 11016
	WSA_QOS_EFLOWSPEC          Errno = 11017
	WSA_QOS_EPROVSPECBUF       Errno = 11018
	WSA_QOS_EFILTERSTYLE       Errno = 11019
	WSA_QOS_EFILTERTYPE        Errno = 11020
	WSA_QOS_EFILTERCOUNT       Errno = 11021
	WSA_QOS_EOBJLENGTH         Errno = 11022
	WSA_QOS_EFLOWCOUNT         Errno = 11023
	WSA_QOS_EUNKNOWNPSOBJ      Errno = 11024
	WSA_QOS_EUNKOWNPSOBJ       Errno = 11024
	WSA_QOS_EPOLICYOBJ         Errno = 11025
	WSA_QOS_EFLOWDESC          Errno = 11026
	WSA_QOS_EPSFLOWSPEC        Errno = 11027
	WSA_QOS_EPSFILTERSPEC      Errno = 11028
	WSA_QOS_ESDMODEOBJ         Errno = 11029
	WSA_QOS_ESHAPERATEOBJ      Errno = 11030
	WSA_QOS_RESERVED_PETYPE    Errno = 11031

	WSA_SECURE_HOST_NOT_FOUND   Errno = 11032
	WSA_IPSEC_NAME_POLICY_ERROR Errno = 11033

	// IKE/AuthIP negotiation results (winerror.h, "System Error Codes (12000-15999)"): what
	// SOCKET_SECURITY_QUERY_INFO_IPSEC2's NegotiationWinerr reports when a negotiation failed.
	ERROR_IPSEC_IKE_AUTH_FAIL        Errno = 13801
	ERROR_IPSEC_IKE_ATTRIB_FAIL      Errno = 13802
	ERROR_IPSEC_IKE_TIMED_OUT        Errno = 13805
	ERROR_IPSEC_IKE_NO_CERT          Errno = 13806
	ERROR_IPSEC_IKE_DROP_NO_RESPONSE Errno = 13813
	ERROR_IPSEC_IKE_NO_POLICY        Errno = 13825
	ERROR_IPSEC_IKE_KERBEROS_ERROR   Errno = 13827
	ERROR_IPSEC_IKE_NO_PEER_CERT     Errno = 13847
	ERROR_IPSEC_IKE_NO_MM_POLICY     Errno = 13850
)

// codes lists every code once per name. Where two names share a number the first listed is the
// canonical one that Name and Error print: the WSA_ spelling for the overlapped codes, because
// that is how Winsock documents them.
var codes = []Code{
	{"ERROR_SUCCESS", ERROR_SUCCESS, "the operation completed successfully"},
	{"ERROR_ACCESS_DENIED", ERROR_ACCESS_DENIED, "access is denied"},
	{"WSA_INVALID_HANDLE", WSA_INVALID_HANDLE, "the specified event object handle is invalid"},
	{"ERROR_INVALID_HANDLE", ERROR_INVALID_HANDLE, "the handle is invalid"},
	{"WSA_NOT_ENOUGH_MEMORY", WSA_NOT_ENOUGH_MEMORY, "insufficient memory is available"},
	{"ERROR_NOT_ENOUGH_MEMORY", ERROR_NOT_ENOUGH_MEMORY, "not enough memory resources are available"},
	{"ERROR_NOT_SUPPORTED", ERROR_NOT_SUPPORTED, "the request is not supported"},
	{"WSA_INVALID_PARAMETER", WSA_INVALID_PARAMETER, "one or more parameters are invalid"},
	{"ERROR_INVALID_PARAMETER", ERROR_INVALID_PARAMETER, "the parameter is incorrect"},
	{"ERROR_CALL_NOT_IMPLEMENTED", ERROR_CALL_NOT_IMPLEMENTED, "this function is not supported on this system"},
	{"ERROR_SEM_TIMEOUT", ERROR_SEM_TIMEOUT, "the semaphore timeout period has expired"},
	{"WSA_WAIT_TIMEOUT", WSA_WAIT_TIMEOUT, "the wait's time-out interval elapsed before any event was signalled"},
	{"WAIT_TIMEOUT", WAIT_TIMEOUT, "the wait operation timed out"},
	{"ERROR_INSUFFICIENT_BUFFER", ERROR_INSUFFICIENT_BUFFER, "the data area passed to a system call is too small"},
	{"WSA_OPERATION_ABORTED", WSA_OPERATION_ABORTED, "the overlapped operation was cancelled because the socket was closed"},
	{"ERROR_OPERATION_ABORTED", ERROR_OPERATION_ABORTED, "the I/O operation has been aborted"},
	{"WSA_IO_INCOMPLETE", WSA_IO_INCOMPLETE, "the overlapped I/O event object is not in a signaled state"},
	{"ERROR_IO_INCOMPLETE", ERROR_IO_INCOMPLETE, "overlapped I/O event is not in a signaled state"},
	{"WSA_IO_PENDING", WSA_IO_PENDING, "an overlapped operation will complete later"},
	{"ERROR_IO_PENDING", ERROR_IO_PENDING, "overlapped I/O operation is in progress"},
	{"ERROR_NO_TOKEN", ERROR_NO_TOKEN, "an attempt was made to reference a token that does not exist"},
	{"ERROR_NOT_FOUND", ERROR_NOT_FOUND, "element not found"},
	{"ERROR_CONNECTION_REFUSED", ERROR_CONNECTION_REFUSED, "the remote computer refused the network connection"},
	{"ERROR_NETWORK_UNREACHABLE", ERROR_NETWORK_UNREACHABLE, "the network location cannot be reached"},
	{"ERROR_HOST_UNREACHABLE", ERROR_HOST_UNREACHABLE, "the remote system is not reachable by the transport"},
	{"ERROR_BAD_IMPERSONATION_LEVEL", ERROR_BAD_IMPERSONATION_LEVEL, "either a required impersonation level was not provided, or it is invalid"},
	{"WSABASEERR", WSABASEERR, "the base of the Windows Sockets error codes; no error"},
	{"WSAEINTR", WSAEINTR, "a blocking operation was interrupted"},
	{"WSAEBADF", WSAEBADF, "the file handle supplied is not valid"},
	{"WSAEACCES", WSAEACCES, "an attempt was made to access a socket in a way forbidden by its access permissions"},
	{"WSAEFAULT", WSAEFAULT, "a pointer argument is not valid or a length argument is too small"},
	{"WSAEINVAL", WSAEINVAL, "an invalid argument was supplied"},
	{"WSAEMFILE", WSAEMFILE, "too many open sockets"},
	{"WSAEWOULDBLOCK", WSAEWOULDBLOCK, "a non-blocking socket operation could not be completed immediately"},
	{"WSAEINPROGRESS", WSAEINPROGRESS, "a blocking operation is currently executing"},
	{"WSAEALREADY", WSAEALREADY, "an operation was attempted on a non-blocking socket that already had an operation in progress"},
	{"WSAENOTSOCK", WSAENOTSOCK, "an operation was attempted on something that is not a socket"},
	{"WSAEDESTADDRREQ", WSAEDESTADDRREQ, "a required address was omitted from an operation on a socket"},
	{"WSAEMSGSIZE", WSAEMSGSIZE, "a message or buffer was too large, or a buffer passed was too small"},
	{"WSAEPROTOTYPE", WSAEPROTOTYPE, "a protocol was specified that does not support the socket type"},
	{"WSAENOPROTOOPT", WSAENOPROTOOPT, "an unknown, invalid or unsupported option or level was specified"},
	{"WSAEPROTONOSUPPORT", WSAEPROTONOSUPPORT, "the requested protocol has not been configured or does not exist"},
	{"WSAESOCKTNOSUPPORT", WSAESOCKTNOSUPPORT, "the socket type is not supported in this address family"},
	{"WSAEOPNOTSUPP", WSAEOPNOTSUPP, "the operation is not supported for the type of object referenced"},
	{"WSAEPFNOSUPPORT", WSAEPFNOSUPPORT, "the protocol family has not been configured or does not exist"},
	{"WSAEAFNOSUPPORT", WSAEAFNOSUPPORT, "an address incompatible with the requested protocol was used"},
	{"WSAEADDRINUSE", WSAEADDRINUSE, "only one usage of each socket address is normally permitted"},
	{"WSAEADDRNOTAVAIL", WSAEADDRNOTAVAIL, "the requested address is not valid in its context"},
	{"WSAENETDOWN", WSAENETDOWN, "the network is down"},
	{"WSAENETUNREACH", WSAENETUNREACH, "the network is unreachable"},
	{"WSAENETRESET", WSAENETRESET, "the connection was broken by keep-alive activity"},
	{"WSAECONNABORTED", WSAECONNABORTED, "the connection was aborted by software on this host"},
	{"WSAECONNRESET", WSAECONNRESET, "the connection was reset by the remote host"},
	{"WSAENOBUFS", WSAENOBUFS, "no buffer space is available or a queue was full"},
	{"WSAEISCONN", WSAEISCONN, "the socket is already connected"},
	{"WSAENOTCONN", WSAENOTCONN, "the socket is not connected"},
	{"WSAESHUTDOWN", WSAESHUTDOWN, "the socket has been shut down in that direction"},
	{"WSAETOOMANYREFS", WSAETOOMANYREFS, "too many references to a kernel object"},
	{"WSAETIMEDOUT", WSAETIMEDOUT, "the connection attempt timed out"},
	{"WSAECONNREFUSED", WSAECONNREFUSED, "no connection could be made because the target refused it"},
	{"WSAELOOP", WSAELOOP, "cannot translate name"},
	{"WSAENAMETOOLONG", WSAENAMETOOLONG, "a name component or the whole name was too long"},
	{"WSAEHOSTDOWN", WSAEHOSTDOWN, "the destination host is down"},
	{"WSAEHOSTUNREACH", WSAEHOSTUNREACH, "no route to the host"},
	{"WSAENOTEMPTY", WSAENOTEMPTY, "cannot remove a directory that is not empty"},
	{"WSAEPROCLIM", WSAEPROCLIM, "too many processes are using Windows Sockets"},
	{"WSAEUSERS", WSAEUSERS, "the user quota was exceeded"},
	{"WSAEDQUOT", WSAEDQUOT, "the disk quota was exceeded"},
	{"WSAESTALE", WSAESTALE, "the file handle reference is no longer available"},
	{"WSAEREMOTE", WSAEREMOTE, "the item is not available locally"},
	{"WSASYSNOTREADY", WSASYSNOTREADY, "the network subsystem is unavailable"},
	{"WSAVERNOTSUPPORTED", WSAVERNOTSUPPORTED, "the requested Windows Sockets version is not supported"},
	{"WSANOTINITIALISED", WSANOTINITIALISED, "WSAStartup has not been called successfully"},
	{"WSAEDISCON", WSAEDISCON, "the remote party has initiated a graceful shutdown"},
	{"WSAENOMORE", WSAENOMORE, "no more results can be returned"},
	{"WSAECANCELLED", WSAECANCELLED, "the call was cancelled"},
	{"WSAEINVALIDPROCTABLE", WSAEINVALIDPROCTABLE, "the procedure call table is invalid"},
	{"WSAEINVALIDPROVIDER", WSAEINVALIDPROVIDER, "the requested service provider is invalid"},
	{"WSAEPROVIDERFAILEDINIT", WSAEPROVIDERFAILEDINIT, "the service provider failed to initialise"},
	{"WSASYSCALLFAILURE", WSASYSCALLFAILURE, "a system call that should never fail has failed"},
	{"WSASERVICE_NOT_FOUND", WSASERVICE_NOT_FOUND, "no such service is known"},
	{"WSATYPE_NOT_FOUND", WSATYPE_NOT_FOUND, "the specified class type was not found"},
	{"WSA_E_NO_MORE", WSA_E_NO_MORE, "no more results can be returned"},
	{"WSA_E_CANCELLED", WSA_E_CANCELLED, "the lookup call was cancelled"},
	{"WSAEREFUSED", WSAEREFUSED, "a database query failed because it was actively refused"},
	{"WSAHOST_NOT_FOUND", WSAHOST_NOT_FOUND, "no such host is known"},
	{"WSATRY_AGAIN", WSATRY_AGAIN, "a temporary failure in name resolution; try again"},
	{"WSANO_RECOVERY", WSANO_RECOVERY, "a non-recoverable error occurred during a database lookup"},
	{"WSANO_DATA", WSANO_DATA, "the name is valid but no data record of the requested type was found"},
	{"WSANO_ADDRESS", WSANO_ADDRESS, "the name is valid but has no address"},
	{"WSA_QOS_RECEIVERS", WSA_QOS_RECEIVERS, "at least one QoS reserve has arrived"},
	{"WSA_QOS_SENDERS", WSA_QOS_SENDERS, "at least one QoS send path has arrived"},
	{"WSA_QOS_NO_SENDERS", WSA_QOS_NO_SENDERS, "there are no QoS senders"},
	{"WSA_QOS_NO_RECEIVERS", WSA_QOS_NO_RECEIVERS, "there are no QoS receivers"},
	{"WSA_QOS_REQUEST_CONFIRMED", WSA_QOS_REQUEST_CONFIRMED, "the QoS reserve request has been confirmed"},
	{"WSA_QOS_ADMISSION_FAILURE", WSA_QOS_ADMISSION_FAILURE, "a QoS error occurred due to lack of resources"},
	{"WSA_QOS_POLICY_FAILURE", WSA_QOS_POLICY_FAILURE, "the QoS request was rejected by policy"},
	{"WSA_QOS_BAD_STYLE", WSA_QOS_BAD_STYLE, "an unknown or conflicting QoS style was encountered"},
	{"WSA_QOS_BAD_OBJECT", WSA_QOS_BAD_OBJECT, "a problem was found in part of the QoS filter spec or provider buffer"},
	{"WSA_QOS_TRAFFIC_CTRL_ERROR", WSA_QOS_TRAFFIC_CTRL_ERROR, "a problem was found in part of the QoS flow spec"},
	{"WSA_QOS_GENERIC_ERROR", WSA_QOS_GENERIC_ERROR, "a general QoS error"},
	{"WSA_QOS_ESERVICETYPE", WSA_QOS_ESERVICETYPE, "an invalid or unrecognised QoS service type"},
	{"WSA_QOS_EFLOWSPEC", WSA_QOS_EFLOWSPEC, "an invalid or inconsistent QoS flow spec"},
	{"WSA_QOS_EPROVSPECBUF", WSA_QOS_EPROVSPECBUF, "an invalid QoS provider-specific buffer"},
	{"WSA_QOS_EFILTERSTYLE", WSA_QOS_EFILTERSTYLE, "an invalid QoS filter style"},
	{"WSA_QOS_EFILTERTYPE", WSA_QOS_EFILTERTYPE, "an invalid QoS filter type"},
	{"WSA_QOS_EFILTERCOUNT", WSA_QOS_EFILTERCOUNT, "an incorrect number of QoS filter specs"},
	{"WSA_QOS_EOBJLENGTH", WSA_QOS_EOBJLENGTH, "an invalid QoS object length"},
	{"WSA_QOS_EFLOWCOUNT", WSA_QOS_EFLOWCOUNT, "an incorrect number of QoS flow descriptors"},
	{"WSA_QOS_EUNKNOWNPSOBJ", WSA_QOS_EUNKNOWNPSOBJ, "an unrecognised QoS object"},
	{"WSA_QOS_EUNKOWNPSOBJ", WSA_QOS_EUNKOWNPSOBJ, "an unrecognised QoS object (the SDK's misspelt alias)"},
	{"WSA_QOS_EPOLICYOBJ", WSA_QOS_EPOLICYOBJ, "an invalid QoS policy object"},
	{"WSA_QOS_EFLOWDESC", WSA_QOS_EFLOWDESC, "an invalid QoS flow descriptor"},
	{"WSA_QOS_EPSFLOWSPEC", WSA_QOS_EPSFLOWSPEC, "an invalid or inconsistent QoS provider-specific flow spec"},
	{"WSA_QOS_EPSFILTERSPEC", WSA_QOS_EPSFILTERSPEC, "an invalid QoS provider-specific filter spec"},
	{"WSA_QOS_ESDMODEOBJ", WSA_QOS_ESDMODEOBJ, "an invalid QoS shape discard mode object"},
	{"WSA_QOS_ESHAPERATEOBJ", WSA_QOS_ESHAPERATEOBJ, "an invalid QoS shaping rate object"},
	{"WSA_QOS_RESERVED_PETYPE", WSA_QOS_RESERVED_PETYPE, "a reserved QoS policy element type"},
	{"WSA_SECURE_HOST_NOT_FOUND", WSA_SECURE_HOST_NOT_FOUND, "no secure (IPsec-protected) address was found for the host"},
	{"WSA_IPSEC_NAME_POLICY_ERROR", WSA_IPSEC_NAME_POLICY_ERROR, "the name-based IPsec policy could not be applied"},
	{"ERROR_IPSEC_IKE_AUTH_FAIL", ERROR_IPSEC_IKE_AUTH_FAIL, "IKE authentication credentials are unacceptable"},
	{"ERROR_IPSEC_IKE_ATTRIB_FAIL", ERROR_IPSEC_IKE_ATTRIB_FAIL, "IKE security attributes are unacceptable"},
	{"ERROR_IPSEC_IKE_TIMED_OUT", ERROR_IPSEC_IKE_TIMED_OUT, "negotiation timed out"},
	{"ERROR_IPSEC_IKE_NO_CERT", ERROR_IPSEC_IKE_NO_CERT, "IKE failed to find a valid machine certificate"},
	{"ERROR_IPSEC_IKE_DROP_NO_RESPONSE", ERROR_IPSEC_IKE_DROP_NO_RESPONSE, "no response from the peer"},
	{"ERROR_IPSEC_IKE_NO_POLICY", ERROR_IPSEC_IKE_NO_POLICY, "no policy configured"},
	{"ERROR_IPSEC_IKE_KERBEROS_ERROR", ERROR_IPSEC_IKE_KERBEROS_ERROR, "failed to authenticate using Kerberos"},
	{"ERROR_IPSEC_IKE_NO_PEER_CERT", ERROR_IPSEC_IKE_NO_PEER_CERT, "the peer's certificate did not have a public key"},
	{"ERROR_IPSEC_IKE_NO_MM_POLICY", ERROR_IPSEC_IKE_NO_MM_POLICY, "no main mode policy"},
}

var (
	byName   = make(map[string]int, len(codes))
	byNumber = make(map[Errno]int, len(codes))
)

func init() {
	for i, c := range codes {
		byName[c.Name] = i
		if _, seen := byNumber[c.Number]; !seen {
			byNumber[c.Number] = i
		}
	}
}

// Codes returns every known code, one entry per SDK name, in the order of the table.
func Codes() []Code {
	return append([]Code(nil), codes...)
}

// ByName looks up a code by its SDK name (for example "WSAEINVAL" or "ERROR_IO_PENDING").
// Case is ignored.
func ByName(name string) (Errno, bool) {
	if i, ok := byName[strings.ToUpper(strings.TrimSpace(name))]; ok {
		return codes[i].Number, true
	}
	return 0, false
}

// ByNumber reports the code with that number and whether it is known.
func ByNumber(n uint32) (Code, bool) {
	if i, ok := byNumber[Errno(n)]; ok {
		return codes[i], true
	}
	return Code{}, false
}

// Parse reads a code given by SDK name or by decimal or 0x-hexadecimal number.
func Parse(s string) (Errno, bool) {
	if e, ok := ByName(s); ok {
		return e, true
	}
	n, err := strconv.ParseUint(strings.TrimSpace(s), 0, 32)
	if err != nil {
		return 0, false
	}
	return Errno(n), true
}

// Name returns the canonical SDK name, or "error N" for a number the table does not know.
func (e Errno) Name() string {
	if i, ok := byNumber[e]; ok {
		return codes[i].Name
	}
	return "error " + strconv.FormatUint(uint64(e), 10)
}

// Meaning returns the one-line meaning of the code.
func (e Errno) Meaning() string {
	if i, ok := byNumber[e]; ok {
		return codes[i].Meaning
	}
	return "unknown error code"
}

// Known reports whether the number is in the table.
func (e Errno) Known() bool {
	_, ok := byNumber[e]
	return ok
}

// Error reads like "WSAEINVAL (10022): an invalid argument was supplied".
func (e Errno) Error() string {
	return e.Name() + " (" + strconv.FormatUint(uint64(e), 10) + "): " + e.Meaning()
}

// String returns the canonical SDK name.
func (e Errno) String() string { return e.Name() }

// Is reports whether target is the same code: an Errno of the same number, or (on Windows) a
// syscall.Errno of the same number.
func (e Errno) Is(target error) bool {
	if t, ok := target.(Errno); ok {
		return t == e
	}
	return isPlatformErrno(e, target)
}
