// Package scenario reads and runs .wss scenario files: plain text, one Winsock call per line,
// each with the result it must give. The same file runs on the simulator everywhere
// (SimBackend) and on a real Winsock (NativeBackend), which is how wsssim shows that it
// answers as Windows does. LANGUAGE.md, next to this file, is the reference with examples; this
// comment is its summary.
//
// # Lines
//
//	# comment                      '#' ends any line outside "double quotes"
//	host NAME ADDR... [KEY=VALUE...]
//	app HOST/NAME user=USER [KEY=VALUE...]
//	[WHO[@THREAD]:] [VAR =] CALL ARG... [=> RESULT [KEY=VALUE...]]
//
// A host has its addresses (IPv4 or IPv6, no port) besides 127.0.0.1 and ::1; its KEY=VALUE
// options are its IPsec credentials and rules (domain=NAME, cert="SUBJECT", require=tcp/445,...,
// request=..., failover=yes) and its limits (maxsockets=N: WSAEMFILE past N sockets;
// buffers=N: WSAENOBUFS when its buffer budget of N bytes is spent). A file without host lines has one
// host, "local", with only the loopback addresses. Each host has a default application (SYSTEM,
// an administrator); app lines add applications under other user accounts. Every application
// starts with Winsock initialised once, as if it had called WSAStartup.
//
// WHO is "host" (the host's default application) or "host/app". It may be left out when the
// file declares at most one host. "@THREAD" after it ("server@worker:", or "@worker:") names a
// thread of the application, made on first use; without it the main thread ("@main") makes the
// call. Threads share their application's variables; completion routines are queued to the
// thread that made the call. Statements run in file order, whoever makes them, so a run is
// deterministic.
//
// # Variables
//
// "VAR =" binds the SOCKET that socket, WSASocket or accept returns (INVALID_SOCKET when the call
// fails), or the WSAEVENT that WSACreateEvent returns: both are handles of the process, in one set
// of variables. Variables belong to the application that bound them: server's s is not client's
// s, just as a handle means nothing in another process. A closed variable still names its old
// handle; binding a name again replaces it. Using a name no earlier line of that application
// bound is an error at parse time. OVERLAPPED variables (ov=NAME) and completion routines
// (routine=NAME) are per application too and are created on first use.
//
// # Arguments
//
// Arguments follow the SDK's order. An argument is a socket variable, an SDK constant (AF_INET,
// SOCK_DGRAM, IPPROTO_UDP, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, IPV6_V6ONLY, WSA_FLAG_OVERLAPPED,
// FIONBIO, SD_SEND, SOMAXCONN, INVALID_SOCKET …; see Constants), a decimal (also negative) or
// 0x number (also as a handle: closesocket 0xdeadbeef), an address (127.0.0.1:80, [::1]:80,
// [::ffff:127.0.0.1]:80), AF_UNSPEC where an address goes (a 16-byte SOCKADDR of family 0, the
// UDP "disconnect"), NULL (a NULL pointer), or KEY=VALUE. A VALUE may be "quoted" (Go escapes);
// a quoted value is always text. Flags join with |, each by SDK name, by name without the common
// prefix, or as a number: WSA_FLAG_OVERLAPPED|NO_HANDLE_INHERIT, flags=GUARANTEE_ENCRYPTION|0x2.
//
// # Calls
//
//	CALL                    ARGUMENTS                                  CHECKS after => ok
//	WSAStartup              [VERSION (2.2)] [data=NULL]                version
//	WSACleanup
//	socket                  AF TYPE PROTO                              (binds VAR)
//	WSASocket               AF TYPE PROTO [FLAGS]                      (binds VAR)
//	setsockopt              S LEVEL OPT VALUE|NULL [len=N]
//	getsockopt              S LEVEL OPT [len=N|NULL] [optval=NULL]     value len
//	ioctlsocket             S CMD ARG
//	bind                    S ADDR|NULL [len=N]
//	listen                  S BACKLOG
//	connect, WSAConnect     S ADDR|NULL|AF_UNSPEC [len=N]
//	ConnectEx               S ADDR|NULL [len=N] [ov=NAME|NULL] [event=E|NULL]
//	WSAGetOverlappedResult  S [OV|NULL] [wait=0|1]                     bytes
//	accept                  S [len=N|NULL] [addr=NULL]                 peer len (binds VAR)
//	sendto                  S ADDR|NULL|AF_UNSPEC [data="text"|NULL] [len=N] [flags=N]  bytes
//	getsockname, getpeername S [len=N|NULL] [name=NULL]                addr len
//	shutdown                S HOW
//	closesocket             S
//	WSASetSocketSecurity    S [protocol=] [flags=] [ipsecflags=] [mmpolicy=GUID] [qmpolicy=GUID]
//	                          [user=] [domain=] [password=] [len=N] [settings=NULL] [OVERLAPPED keys]
//	WSAQuerySocketSecurity  S [protocol=] [peer=ADDR] [access=MASK] [ipsec2flags=] [fieldmask=]
//	                          [family=N] [template=NULL] [len=N] [infolen=N|NULL] [info=NULL]
//	                          [OVERLAPPED keys]                        flags protocol infolen
//	WSASetSocketPeerTargetName S name="SPN"|NULL [protocol=] [peer=ADDR] [namelen=N] [family=N]
//	                          [len=N] [OVERLAPPED keys]
//	WSADeleteSocketPeerTargetName S ADDR|NULL|AF_UNSPEC [len=N] [OVERLAPPED keys]
//	WSAImpersonateSocketPeer S [ADDR|NULL|AF_UNSPEC] [len=N]
//	WSARevertImpersonation
//	WSAIoctl                S CODE [ADDR] [the input keys of CODE's function] [usage=N] [in=NULL]
//	                          [len=N] [outlen=N] [out=NULL] [bytes=NULL] [OVERLAPPED keys]
//	                                                                   bytes flags protocol
//	WSACreateEvent                                                     (binds VAR)
//	WSASetEvent, WSAResetEvent, WSACloseEvent  E
//	WSAWaitForMultipleEvents E[,E...]|NULL [all=0|1] [timeout=MS|WSA_INFINITE] [alertable=0|1]
//	                                                                   result ran
//	SleepEx                 MS|INFINITE [alertable=0|1]                result ran
//	settle                  (pseudo-statement: let connections in flight complete)
//	inject CALL CODE [times=N] [nth=N] [probability=P seed=N] [app=HOST/APP] [host=HOST]
//	                        (pseudo-statement: make later CALLs that would succeed fail with CODE)
//	netfault KIND [from=HOST] [to=HOST] [delay=D] [reason="..."] [times=N]
//	                        (pseudo-statement: drop, delay, reset, unreachable, negotiation)
//	advance DURATION        (pseudo-statement: move the virtual clock; 90s, 5m, 1h30m)
//	mmpolicy GUID host=HOST [proposals=] [auth=] [lifetime=]   (pseudo-statement: an AuthIP MM policy)
//	qmpolicy GUID host=HOST [proposals=] [em=] [impersonation=] [lifetime=] [kb=] [idle=]
//	                          [failoveridle=]   (pseudo-statement: an AuthIP QM policy)
//	GetUserName                                                        name
//	CloseHandle             machinetoken|apptoken|HANDLE
//
// Lengths: an input length (bind's, connect's, sendto's tolen, setsockopt's optlen,
// SecuritySettingsLen) defaults to the true size of what is passed; a larger len= is a caller
// lying about its buffer, which the simulator answers with WSAEFAULT. An output length
// (getsockopt 4, accept and getsockname/getpeername 128) describes the buffer: a larger len=
// makes the buffer that large.
//
// setsockopt passes VALUE as a 4-byte int (len defaults to 4, or 0 with NULL). ConnectEx
// without ov= uses the socket's own OVERLAPPED, which WSAGetOverlappedResult without OV reads
// too; wait defaults to 0 (FALSE).
//
// WSASetSocketSecurity without settings keys passes NULL with length 0; settings=NULL len=N
// passes NULL with a length. protocol= and flags= make a SOCKET_SECURITY_SETTINGS (8 bytes,
// protocol DEFAULT unless given); any of ipsecflags, mmpolicy, qmpolicy, user, domain, password,
// or protocol=IPSEC/IPSEC2, makes a SOCKET_SECURITY_SETTINGS_IPSEC (88 bytes plus the strings,
// protocol IPSEC unless given). Passwords never appear in traces or messages.
//
// The OVERLAPPED keys are ov=NAME|NULL (default NULL), event=E|NULL (put in the OVERLAPPED's
// hEvent, where it stays) and routine=NAME (a completion routine; needs ov=). On an overlapped
// socket the call reports through them (ruling R7): the routine is queued to the calling thread
// and runs only in that thread's alertable wait (SleepEx … alertable=1, WSAWaitForMultipleEvents
// … alertable=1); without a routine the event is signalled. Waits never sleep: they let the
// virtual clock run up to their time-out, and an INFINITE one that nothing can end fails with rule
// WAIT-FOREVER (=> WSA_WAIT_TIMEOUT) instead of hanging. result= checks the value a wait returns
// (WSA_WAIT_EVENT_0+N, WSA_WAIT_IO_COMPLETION, WSA_WAIT_TIMEOUT; 0 or WAIT_IO_COMPLETION for
// SleepEx), ran= the routines that ran in it (R1,R2 or none).
//
// WSAQuerySocketSecurity's template keys build a SOCKET_SECURITY_QUERY_TEMPLATE (144 bytes; the
// IPSEC2 form, 152, with protocol=IPSEC2, ipsec2flags= or fieldmask=); without them the template
// is NULL. infolen= is *SecurityQueryInfoLen (default 24, or 64 for IPSEC2) and the buffer's
// size. WSASetSocketPeerTargetName's keys build a SOCKET_PEER_TARGET_NAME; family= overrides a
// PeerAddress's sa_family and namelen= its PeerTargetNameStringLen. WSAIoctl takes the input
// keys of the function its CODE stands behind (SIO_SET_SECURITY, SIO_QUERY_SECURITY,
// SIO_SET_PEER_TARGET_NAME, SIO_DELETE_PEER_TARGET_NAME with its ADDR) and runs its checks;
// outlen= is cbOutBuffer. Connections between hosts negotiate IPsec when either end asks for
// it; queries report what was negotiated (flags, machinetoken, apptoken, and mmsa, qmsa, negerr
// for IPSEC2), a failed secure connect gives WSAETIMEDOUT with reason= in words.
//
// # Results
//
// Without "=>" the call must succeed. RESULT is ok, an error's SDK name (WSAEINVAL,
// WSA_IO_PENDING, ERROR_INVALID_PARAMETER …), a number, error (any failure), or alternatives
// joined by |. After ok (or with only KEY=VALUE after "=>", which means ok), KEY=VALUE pairs
// check returned values; a value check needs the result to be exactly ok, except the values a
// call returns when it fails too (WSAQuerySocketSecurity's infolen=, WSAIoctl's bytes=), which
// may follow an error: "=> WSAEMSGSIZE infolen=64". addr= and peer= may end in :* to accept any
// port (ephemeral ports differ between back ends).
//
// # Running
//
// Parse checks everything that does not need a network: names (with "did you mean"
// suggestions), arguments, variables, expectations, all reported as "file:line:col: message".
// Run executes a Script on a Backend and reports each Step; a failing step's Message reads
// "file:line: CALL …: got X, want Y [rule ID: condition]". RunReader runs a file as it reads it,
// in memory that does not grow with its length. Format writes a Script back in canonical form.
package scenario
