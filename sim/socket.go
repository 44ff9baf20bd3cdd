package sim

import (
	"sync"
	"sync/atomic"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim/ports"
	"github.com/wsssim/wsssim/sockaddr"
)

// State is where a socket is in its lifecycle.
type State uint8

// The socket states. A UDP socket with a default peer (after connect) is StateConnected.
const (
	StateOpen       State = iota // created; no local address
	StateBound                   // has a local address (explicit bind, or implicitly by sendto/connect)
	StateListening               // TCP, after listen
	StateConnecting              // a non-blocking connect or ConnectEx is in flight
	StateConnected               // TCP established or accepted; UDP with a default peer
	StateClosed                  // closesocket was called; the handle is gone
)

var stateNames = [...]string{"open", "bound", "listening", "connecting", "connected", "closed"}

// String returns the state's name as traces and the graph print it.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state?"
}

// States lists every state in order.
func States() []State {
	return []State{StateOpen, StateBound, StateListening, StateConnecting, StateConnected, StateClosed}
}

// socket option and attribute bits, kept in one word to keep a socket small.
type sockBits uint16

const (
	bitReuseAddr sockBits = 1 << iota
	bitExclusive
	bitV6Only
	bitOverlapped
	bitNonBlocking
	bitSecured      // WSASetSocketSecurity succeeded
	bitImplicit     // the local address came from an implicit bind
	bitShutSend     // shutdown(SD_SEND)
	bitShutRecv     // shutdown(SD_RECEIVE)
	bitReset        // the connection was reset by the peer
	bitWasBound     // has ever held a local address (stays after a UDP disconnect)
	bitViaConnectEx // connected by ConnectEx and SO_UPDATE_CONNECT_CONTEXT not yet set
	bitBroadcast    // SO_BROADCAST
)

// Socket is one simulated socket. Its fields are guarded by mu; calls lock it after looking the
// handle up and hold it while their rules run and their effects apply, so a rule never sees a
// half-changed socket.
type Socket struct {
	mu     sync.Mutex
	app    *App
	handle Handle
	family int32
	typ    int32
	proto  int32
	state  State
	bits   sockBits
	soErr  errors.Errno // pending error (SO_ERROR) of a failed non-blocking connect
	// udpSecured marks a UDP socket with entries in the network's per-peer IPsec table, which
	// closesocket then clears. (It sits here, in what would be padding, so that a socket is
	// 128 bytes: a size class of its own.)
	udpSecured atomic.Bool

	local     sockaddr.Addr
	entry     *ports.Entry
	listenq   *listenQueue
	extra     *sockExtra    // what only some sockets need, made on first use (see ext)
	datagrams atomic.Uint64 // datagrams delivered to this socket

	// security is what WSASetSocketSecurity applied (nil: never called), published so that a
	// datagram's sender can read a receiver's settings without taking its lock; settings are
	// fixed before bind, so a socket that can receive never changes them.
	security atomic.Pointer[appliedSecurity]
}

// appliedSecurity is a successful WSASetSocketSecurity: its settings (nil for NULL, the
// defaults).
type appliedSecurity struct{ settings *policy.Settings }

// sockExtra holds the state only secured, connected, connecting or accepted sockets have, so
// that the many sockets that are merely open or bound stay small (a million of them fit in
// under 400 MB).
type sockExtra struct {
	// peer is the address the socket is connected or associated to (or connecting to); kept
	// here because a socket that is merely bound has none (see peerAddr).
	peer     sockaddr.Addr
	settings *policy.Settings
	names    *peerNames // WSASetSocketPeerTargetName's names (peername.go)
	attempt  *connectAttempt
	accepted *ports.Entry // for a socket made by accept: its listener's port entry
	peerSock *Socket      // the socket at the other end of the last connection or association

	// What IPsec negotiation left on the socket's TCP connection (nil: none was asked for), and
	// whether this end initiated it. UDP peers' are in the network's table (udpKey).
	conn      *secureConn
	initiator bool
}

// udpSecurity is a UDP socket's negotiated protection with one peer.
type udpSecurity struct {
	conn      *secureConn
	initiator bool
}

// acceptedSocket is a socket made for a connection to a listener, with the extra record every
// such socket needs (it always has a peer and a listener's entry), so that the pair is one
// allocation.
type acceptedSocket struct {
	s Socket
	x sockExtra
}

// peerAddr is the address the socket is connected, associated or connecting to; zero when
// none. s.mu is held.
func (s *Socket) peerAddr() sockaddr.Addr {
	if s.extra == nil {
		return sockaddr.Addr{}
	}
	return s.extra.peer
}

// setPeer records the socket's peer; clearing one on a socket without extra state makes none.
// s.mu is held.
func (s *Socket) setPeer(a sockaddr.Addr) {
	if s.extra == nil && a == (sockaddr.Addr{}) {
		return
	}
	s.ext().peer = a
}

// ext returns the socket's extra state, making it if needed; s.mu is held.
func (s *Socket) ext() *sockExtra {
	if s.extra == nil {
		s.extra = &sockExtra{}
	}
	return s.extra
}

func (s *Socket) settingsOf() *policy.Settings {
	if s.extra == nil {
		return nil
	}
	return s.extra.settings
}

func (s *Socket) attemptOf() *connectAttempt {
	if s.extra == nil {
		return nil
	}
	return s.extra.attempt
}

func (s *Socket) acceptedFrom() *ports.Entry {
	if s.extra == nil {
		return nil
	}
	return s.extra.accepted
}

func (s *Socket) has(b sockBits) bool { return s.bits&b != 0 }
func (s *Socket) set(b sockBits, on bool) {
	if on {
		s.bits |= b
	} else {
		s.bits &^= b
	}
}

func (s *Socket) isStream() bool  { return s.typ == SOCK_STREAM }
func (s *Socket) isDgram() bool   { return s.typ == SOCK_DGRAM }
func (s *Socket) isInet() bool    { return s.family == AF_INET || s.family == AF_INET6 }
func (s *Socket) dualStack() bool { return s.family == AF_INET6 && !s.has(bitV6Only) }

// hasLocal reports a local address: a port entry of its own, or (for an accepted socket) the
// listener's address it was accepted on.
func (s *Socket) hasLocal() bool { return s.entry != nil || s.acceptedFrom() != nil }
func (s *Socket) portsProto() ports.Proto {
	if s.isDgram() {
		return ports.UDP
	}
	return ports.TCP
}

// listenQueue is a listener's backlog of established connections waiting for accept.
type listenQueue struct {
	backlog  int
	ready    []*Socket // server-side sockets, created when the handshake completed
	received uint64    // connections delivered to the listener
}

// SocketInfo is a snapshot of a socket for tests, traces and invariant checks.
type SocketInfo struct {
	Handle      Handle
	App         string
	Family      int32
	Type        int32
	Protocol    int32
	State       State
	Local, Peer sockaddr.Addr
	ReuseAddr   bool
	Exclusive   bool
	V6Only      bool
	Overlapped  bool
	NonBlocking bool
	Secured     bool
	Settings    *policy.Settings
	Received    uint64
	Pending     int // connections waiting in a listener's backlog
}

func (s *Socket) info() SocketInfo {
	i := SocketInfo{
		Handle: s.handle, App: s.app.Label(), Family: s.family, Type: s.typ, Protocol: s.proto,
		State: s.state, Local: s.local, Peer: s.peerAddr(),
		ReuseAddr: s.has(bitReuseAddr), Exclusive: s.has(bitExclusive), V6Only: s.has(bitV6Only),
		Overlapped: s.has(bitOverlapped), NonBlocking: s.has(bitNonBlocking), Secured: s.has(bitSecured),
		Settings: s.settingsOf(), Received: s.datagrams.Load(),
	}
	if s.listenq != nil {
		i.Pending = len(s.listenq.ready)
		i.Received += s.listenq.received
	}
	return i
}

// Inspect returns a snapshot of the socket with that handle, or false if the application has
// no such socket. It is not a Winsock call: it changes nothing and checks no rule.
func (a *App) Inspect(h Handle) (SocketInfo, bool) {
	s := a.handles.get(h)
	if s == nil {
		return SocketInfo{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == StateClosed {
		return SocketInfo{}, false
	}
	return s.info(), true
}
