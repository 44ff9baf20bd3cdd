package sim

import (
	"container/heap"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// The network's virtual clock. Nothing in the simulator sleeps: time moves only when a program
// (or a scenario's advance line) moves it, or when a waiting call lets in-flight work finish.
// Every timed thing — a connection attempt that fails after the negotiation time-out, an IPsec
// SA's lifetime or idle time-out — is a timer on this clock, and timers fire in (time, order of
// creation) order, so a run replays exactly.

// clock is the virtual time and the timers waiting on it.
type clock struct {
	now atomic.Int64 // nanoseconds since the network was made

	// advanceMu serialises Advance: timers fire in one order, whoever moves the clock.
	advanceMu sync.Mutex

	mu     sync.Mutex
	timers timerQueue
	seq    uint64
}

// timer is a function due at a virtual time. Stopping one takes it out of the queue at once, so
// that a program that never lets time pass (connect, close, over and over) holds no timers for
// work that will never happen.
type timer struct {
	clock   *clock
	at      time.Duration
	seq     uint64
	kind    timerKind
	fire    func()
	stopped atomic.Bool
	index   int // in the queue; -1 once popped or removed
}

func (t *timer) stop() {
	if t == nil {
		return
	}
	t.stopped.Store(true)
	c := t.clock
	c.mu.Lock()
	if t.index >= 0 && t.index < len(c.timers) && c.timers[t.index] == t {
		heap.Remove(&c.timers, t.index)
	}
	c.mu.Unlock()
}

// timerKind tells what a timer is for, so that Settle can wait for connection attempts alone.
type timerKind uint8

const (
	timerAttempt timerKind = iota // a connection attempt's outcome reaches its socket
	timerSA                       // an IPsec SA's lifetime or idle time-out
)

type timerQueue []*timer

func (q timerQueue) Len() int { return len(q) }
func (q timerQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q timerQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *timerQueue) Push(x any) {
	t := x.(*timer)
	t.index = len(*q)
	*q = append(*q, t)
}
func (q *timerQueue) Pop() any {
	old := *q
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	t.index = -1
	return t
}

// Now returns the network's virtual time: how long has passed since it was made.
func (n *Network) Now() time.Duration { return time.Duration(n.clock.now.Load()) }

// at schedules fire at virtual time t (now, if t is in the past). fire runs on the goroutine
// that moves the clock, with no lock of the clock held; it must not move the clock itself.
func (n *Network) at(t time.Duration, kind timerKind, fire func()) *timer {
	c := &n.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	tm := &timer{clock: c, at: max(t, n.Now()), seq: c.seq, kind: kind, fire: fire}
	heap.Push(&c.timers, tm)
	return tm
}

// Advance moves the virtual clock forward by d, firing every timer that falls due on the way at
// its own time: an SA whose lifetime ends at 1 h is rekeyed at 1 h even when the clock jumps by
// 2 h. It must not be called while holding a socket, which no exported method does.
func (n *Network) Advance(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("sim: the clock cannot go back (advance by %v)", d)
	}
	c := &n.clock
	c.advanceMu.Lock()
	defer c.advanceMu.Unlock()
	target := n.Now() + d
	if target < n.Now() { // overflow: a caller asking for centuries
		return fmt.Errorf("sim: advancing the clock by %v overflows it", d)
	}
	n.runTimersUntil(target)
	c.now.Store(int64(target))
	return nil
}

// runTimersUntil fires, in order, every timer due at or before target, moving the clock to each
// one's time first. c.advanceMu is held.
func (n *Network) runTimersUntil(target time.Duration) {
	c := &n.clock
	for {
		c.mu.Lock()
		if len(c.timers) == 0 || c.timers[0].at > target {
			c.mu.Unlock()
			return
		}
		tm := heap.Pop(&c.timers).(*timer)
		c.mu.Unlock()
		if tm.stopped.Load() {
			continue
		}
		if tm.at > n.Now() {
			c.now.Store(int64(tm.at))
		}
		tm.fire()
	}
}

// nextDue returns the time of the earliest live timer of that kind, if there is one.
func (n *Network) nextDue(kind timerKind) (time.Duration, bool) {
	return n.due(kind, func(a, b time.Duration) bool { return a < b })
}

// msDuration is a wait's time-out in milliseconds as a duration.
func msDuration(ms uint32) time.Duration { return time.Duration(ms) * time.Millisecond }

// lastDue returns the time of the latest live timer of that kind, if there is one.
func (n *Network) lastDue(kind timerKind) (time.Duration, bool) {
	return n.due(kind, func(a, b time.Duration) bool { return a > b })
}

// due returns the time of the live timer of that kind that comes first by better.
func (n *Network) due(kind timerKind, better func(a, b time.Duration) bool) (time.Duration, bool) {
	c := &n.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	var best time.Duration
	found := false
	for _, tm := range c.timers {
		if !tm.stopped.Load() && tm.kind == kind && (!found || better(tm.at, best)) {
			best, found = tm.at, true
		}
	}
	return best, found
}
