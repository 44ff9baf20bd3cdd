package sim

import (
	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
)

// A host's buffer budget models the nonpaged pool Windows draws socket state from: every socket
// holds SocketBufferCost bytes of it while it exists (an open socket, an accepted connection,
// and a connection waiting in a listener's backlog, which already has its server-side socket),
// and every peer target name a socket keeps holds its SOCKET_PEER_TARGET_NAME's size. A call
// that needs more than is left fails with WSAENOBUFS. Nothing a scenario or a program can do
// then grows the host's memory without bound: sockets are capped by MaxSockets and the budget,
// names by the budget.
const (
	// SocketBufferCost is what one socket holds of its host's buffer budget.
	SocketBufferCost = 1024
	// DefaultBuffersReserve is what the default budget allows beyond every socket the host
	// may open (see DefaultBuffers).
	DefaultBuffersReserve = 64 << 20
)

// DefaultBuffers is the budget of a host whose HostConfig.Buffers is 0: room for maxSockets
// sockets and 64 MiB more, so that by default the socket limit (WSAEMFILE) is what a host runs
// into first, and WSAENOBUFS needs a smaller budget or very many peer target names.
func DefaultBuffers(maxSockets int64) int64 {
	return maxSockets*SocketBufferCost + DefaultBuffersReserve
}

var (
	ruleSocketNoBufs = rule("SOCKET-NOBUFS", "socket", errors.WSAENOBUFS,
		"the host's buffer budget (HostConfig.Buffers, the scenario host key buffers=) cannot hold another socket: each socket holds 1024 bytes of it while it exists (accepted connections and connections waiting in a backlog included), each peer target name its structure's size",
		"doc: socket — WSAENOBUFS: no buffer space is available, the socket cannot be created [INFER: the budget and its costs are wsssim's model of the nonpaged pool]",
		nil)
	ruleSetPTNNoBufs = rule("SETPTN-NOBUFS", "WSASetSocketPeerTargetName", errors.WSAENOBUFS,
		"the host's buffer budget cannot hold the name: a kept name holds sizeof(SOCKET_PEER_TARGET_NAME) plus its UTF-16 bytes (a UDP socket keeps one per peer, a TCP socket its last), on top of 1024 bytes per socket",
		"doc: Windows Sockets Error Codes — WSAENOBUFS: an operation on a socket could not be performed because the system lacked sufficient buffer space [INFER: the page of WSASetSocketPeerTargetName lists no code for it; its list is \"some possible error codes\"]",
		nil)
)

// admitSocket counts a new socket if the host has room for it, and otherwise returns the rule
// that says why not: one atomic add, undone on failure, rather than a load and
// compare-and-swap loop that threads would retry. The buffer check reads the other
// reservations after making its own, so two racing reservations never both overcommit.
func (h *Host) admitSocket() *Rule {
	n := h.open.Add(1)
	switch {
	case n > h.maxSockets:
		h.open.Add(-1)
		return ruleSocketLimit
	case n*SocketBufferCost+h.bufExtra.Load() > h.buffers:
		h.open.Add(-1)
		return ruleSocketNoBufs
	}
	return nil
}

// reserveSocket is admitSocket for callers that only need a yes or no (a connection arriving
// at a full host is refused, whatever the reason).
func (h *Host) reserveSocket() bool { return h.admitSocket() == nil }

func (h *Host) releaseSocket() { h.open.Add(-1) }

// chargeBuffers takes n more bytes of the budget for state other than sockets, if it has them.
func (h *Host) chargeBuffers(n int64) bool {
	used := h.bufExtra.Add(n)
	if h.open.Load()*SocketBufferCost+used > h.buffers {
		h.bufExtra.Add(-n)
		return false
	}
	return true
}

// refundBuffers gives back what chargeBuffers took.
func (h *Host) refundBuffers(n int64) { h.bufExtra.Add(-n) }

// BuffersInUse is how much of the host's buffer budget its sockets and their state hold now.
func (h *Host) BuffersInUse() int64 { return h.open.Load()*SocketBufferCost + h.bufExtra.Load() }

// Buffers is the host's buffer budget in bytes.
func (h *Host) Buffers() int64 { return h.buffers }

// MaxSockets is the most sockets the host holds at once.
func (h *Host) MaxSockets() int64 { return h.maxSockets }

// nameCost is what a kept peer target name holds of the budget.
func nameCost(p policy.PeerTargetName) int64 { return int64(p.Size()) }
