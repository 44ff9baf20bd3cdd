package sim

import "github.com/wsssim/wsssim/sockaddr"

// Address families, socket types and protocols with their Windows SDK values. They are int32
// because that is how socket() and WSASocket() take them: a caller can pass any value, and the
// simulator must answer for nonsense values the way Windows does.
const (
	AF_UNSPEC int32 = int32(sockaddr.AF_UNSPEC)
	AF_UNIX   int32 = int32(sockaddr.AF_UNIX)
	AF_INET   int32 = int32(sockaddr.AF_INET)
	AF_INET6  int32 = int32(sockaddr.AF_INET6)

	SOCK_STREAM    int32 = 1
	SOCK_DGRAM     int32 = 2
	SOCK_RAW       int32 = 3
	SOCK_RDM       int32 = 4
	SOCK_SEQPACKET int32 = 5

	IPPROTO_IP     int32 = 0
	IPPROTO_ICMP   int32 = 1
	IPPROTO_TCP    int32 = 6
	IPPROTO_UDP    int32 = 17
	IPPROTO_IPV6   int32 = 41
	IPPROTO_ICMPV6 int32 = 58
	IPPROTO_RAW    int32 = 255
)

// Option levels and names for setsockopt and getsockopt.
const (
	SOL_SOCKET                int32 = 0xffff
	SO_REUSEADDR              int32 = 0x0004
	SO_EXCLUSIVEADDRUSE       int32 = ^SO_REUSEADDR // ((int)(~SO_REUSEADDR)) in winsock2.h
	SO_ACCEPTCONN             int32 = 0x0002
	SO_BROADCAST              int32 = 0x0020
	SO_TYPE                   int32 = 0x1008
	SO_ERROR                  int32 = 0x1007
	SO_UPDATE_CONNECT_CONTEXT int32 = 0x7010
	IPV6_V6ONLY               int32 = 27
)

// WSASocket flags.
const (
	WSA_FLAG_OVERLAPPED             uint32 = 0x01
	WSA_FLAG_MULTIPOINT_C_ROOT      uint32 = 0x02
	WSA_FLAG_MULTIPOINT_C_LEAF      uint32 = 0x04
	WSA_FLAG_MULTIPOINT_D_ROOT      uint32 = 0x08
	WSA_FLAG_MULTIPOINT_D_LEAF      uint32 = 0x10
	WSA_FLAG_ACCESS_SYSTEM_SECURITY uint32 = 0x40
	WSA_FLAG_NO_HANDLE_INHERIT      uint32 = 0x80
	WSA_FLAG_REGISTERED_IO          uint32 = 0x100

	wsaFlagsKnown = WSA_FLAG_OVERLAPPED | WSA_FLAG_MULTIPOINT_C_ROOT | WSA_FLAG_MULTIPOINT_C_LEAF |
		WSA_FLAG_MULTIPOINT_D_ROOT | WSA_FLAG_MULTIPOINT_D_LEAF | WSA_FLAG_ACCESS_SYSTEM_SECURITY |
		WSA_FLAG_NO_HANDLE_INHERIT | WSA_FLAG_REGISTERED_IO
)

// shutdown() directions.
const (
	SD_RECEIVE int32 = 0
	SD_SEND    int32 = 1
	SD_BOTH    int32 = 2
)

// ioctlsocket commands: the three the ioctlsocket page defines.
const (
	FIONBIO    uint32 = 0x8004667e // _IOW('f', 126, u_long)
	FIONREAD   uint32 = 0x4004667f // _IOR('f', 127, u_long)
	SIOCATMARK uint32 = 0x40047307 // _IOR('s', 7, u_long)
)

// Miscellaneous SDK values.
const (
	SOMAXCONN    int32 = 0x7fffffff
	SOCKET_ERROR int32 = -1
)
