package sim

import (
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/wsssim/wsssim/sim/ipsec"
	"github.com/wsssim/wsssim/sockaddr"
)

// Handle is a SOCKET value. Like Windows handles it is a multiple of 4; unlike Windows, the
// simulator never hands out the same value twice in an application, so a stale handle kept by a
// program always gives WSAENOTSOCK instead of silently reaching a newer socket.
type Handle uint64

// INVALID_SOCKET is (SOCKET)(~0).
const INVALID_SOCKET Handle = ^Handle(0)

// String prints the handle in hexadecimal, as debuggers show SOCKET values. Traces and every
// scenario step that returns a SOCKET print one, so it is built in one allocation.
func (h Handle) String() string {
	if h == INVALID_SOCKET {
		return "INVALID_SOCKET"
	}
	var b [18]byte
	return string(strconv.AppendUint(append(b[:0], "0x"...), uint64(h), 16))
}

// firstHandle is where an application's handles start: real processes have a few kernel
// handles open before their first socket.
const firstHandle = 0x100

// App is an application (a process) on a host: it runs under a user account, has its own
// Winsock initialisation count and its own socket handles, and has threads.
type App struct {
	host  *Host
	name  string
	label string // "host" or "host/app", made once: traces ask for it on every call
	user  string
	admin bool

	startups atomic.Int32
	handles  handleTable
	next     atomic.Uint64
	threads  atomic.Int32
	main     *Thread
	tokens   tokenTable
	events   eventTable // the application's event objects (WSACreateEvent)
}

// Name returns the application's name ("" for the host's default application).
func (a *App) Name() string { return a.name }

// User returns the account the application runs under.
func (a *App) User() string { return a.user }

// Host returns the host the application runs on.
func (a *App) Host() *Host { return a.host }

// Label names the application as the scenario language does: "host" or "host/app".
func (a *App) Label() string { return a.label }

// Main returns the application's main thread. Calls made through the App's own methods run on it.
func (a *App) Main() *Thread { return a.main }

// NewThread starts another thread in the application. A Thread makes one call at a time, as a
// real thread does; use one Thread per goroutine.
func (a *App) NewThread() *Thread {
	id := a.threads.Add(1)
	return &Thread{app: a, id: int(id)}
}

// Initialised reports whether the application has more WSAStartup than WSACleanup calls.
func (a *App) Initialised() bool { return a.startups.Load() > 0 }

// Sockets returns the application's open socket handles in ascending order.
func (a *App) Sockets() []Handle { return a.handles.all() }

// handleBlock is how many handles a thread takes from its application at a time: threads
// making sockets concurrently then touch the application's counter once per block, not once
// per socket. A single thread still numbers its sockets 0x100, 0x104, … in order.
const handleBlock = 64

// newHandle gives the thread's next handle, taking a new block from the application when the
// thread's is used up.
func (t *Thread) newHandle() Handle {
	if t.nextHandle == t.blockEnd {
		start := (t.app.next.Add(1) - 1) * handleBlock
		t.nextHandle = Handle(firstHandle + 4*start)
		t.blockEnd = t.nextHandle + 4*handleBlock
	}
	h := t.nextHandle
	t.nextHandle += 4
	return h
}

// handleTable maps handles to sockets. Handles are handed out in blocks (see handleBlock), so
// the table keeps them the same way: one array per block, found through a map keyed by the
// block's number. A thread's sockets then sit in one array that stays in cache, and the maps
// hold one entry per block instead of one per socket: with a million live sockets, a map entry
// per handle cost more in cache misses than the rest of a bind+closesocket. The maps are
// sharded by block, so that threads making sockets concurrently do not meet on one lock.
type handleTable struct {
	shards [handleShards]handleShard
}

// handleShards is how many shards an application's handle table has: enough that threads on
// the cores of a test machine rarely share one, few enough that an application stays small
// (every shard is a cache line, and 64 made each application 4 KiB, which a fuzzer making
// worlds of four applications thousands of times a second paid for).
const handleShards = 16

// handleShard is padded to a cache line, so that goroutines using neighbouring shards do not
// invalidate each other's lock. The lock is a plain mutex: a look-up holds it for one map
// access, and a read lock costs the same two atomic operations per look-up and two more per
// change.
type handleShard struct {
	mu sync.Mutex
	m  map[uint64]*handleRun
	_  [64 - 16]byte
}

// handleRun holds the sockets of one block of handles. live counts the open ones and issued
// the handles of the block used so far: a run goes away once every handle of its block has been
// used and closed, so that a long-lived program keeps arrays only for blocks with open sockets
// (and at most one more per thread, its current block), while a thread that opens and closes
// sockets one at a time reuses its run instead of making one per socket.
//
// A run stands for one block for good (runs are never reused for another), and its slots are
// atomic, so a thread may keep the run it used last and read its slots without the shard's
// lock (see Thread.socketOf): a handle's slot only ever goes from nil to its socket and back to
// nil, since no handle is given twice.
type handleRun struct {
	socks        [handleBlock]atomic.Pointer[Socket]
	live, issued int32
}

// init exists so that the table's zero value stays usable: shard maps are made on first put,
// which keeps an application with few sockets from paying for a map per shard.
func (t *handleTable) init() {}

// slotOf splits a handle into its block's number and its place in the block; ok is false for
// a value newHandle never gives (below firstHandle, or not a multiple of 4).
func slotOf(h Handle) (block uint64, i int, ok bool) {
	if h < firstHandle || h%4 != 0 {
		return 0, 0, false
	}
	n := uint64(h-firstHandle) / 4
	return n / handleBlock, int(n % handleBlock), true
}

func (t *handleTable) shard(block uint64) *handleShard { return &t.shards[block%handleShards] }

func (t *handleTable) get(h Handle) *Socket {
	block, i, ok := slotOf(h)
	if !ok {
		return nil
	}
	if run := t.run(block); run != nil {
		return run.socks[i].Load()
	}
	return nil
}

// run returns the block's run, nil when it has none (no socket of the block is open).
func (t *handleTable) run(block uint64) *handleRun {
	sh := t.shard(block)
	sh.mu.Lock()
	run := sh.m[block]
	sh.mu.Unlock()
	return run
}

// put records a socket under a handle newHandle gave, which no other socket has had.
func (t *handleTable) put(h Handle, s *Socket) {
	block, i, ok := slotOf(h)
	if !ok {
		return
	}
	sh := t.shard(block)
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = map[uint64]*handleRun{}
	}
	run := sh.m[block]
	if run == nil {
		run = new(handleRun)
		sh.m[block] = run
	}
	if run.socks[i].Load() == nil {
		run.live++
		run.issued++
	}
	run.socks[i].Store(s)
	sh.mu.Unlock()
}

// remove deletes the handle and reports whether this call removed it, so that two concurrent
// closesocket calls on one handle have exactly one winner.
func (t *handleTable) remove(h Handle) bool {
	block, i, ok := slotOf(h)
	if !ok {
		return false
	}
	sh := t.shard(block)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	run := sh.m[block]
	if run == nil || run.socks[i].Load() == nil {
		return false
	}
	run.socks[i].Store(nil)
	if run.live--; run.live == 0 && run.issued == handleBlock {
		delete(sh.m, block)
	}
	return true
}

func (t *handleTable) all() []Handle {
	var out []Handle
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for block, run := range sh.m {
			for j := range run.socks {
				if run.socks[j].Load() != nil {
					out = append(out, Handle(firstHandle+4*(block*handleBlock+uint64(j))))
				}
			}
		}
		sh.mu.Unlock()
	}
	slices.Sort(out)
	return out
}

// Thread is a thread of an application. Winsock's last error, impersonation and alertable waits
// belong to threads on Windows, so calls are made on a Thread.
type Thread struct {
	app  *App
	id   int
	busy atomic.Bool
	c    call

	// nextHandle and blockEnd are the thread's block of handles (see handleBlock), used by
	// the thread's own calls only.
	nextHandle, blockEnd Handle

	// lastRun is the handle run (of block lastBlock) the thread's own call record looked in
	// last; only the holder of busy reads or changes them (see socketOf).
	lastRun   *handleRun
	lastBlock uint64

	// sec and ev hold the secure-socket calls' and the event calls' extra arguments outside the
	// call record, so that the record every call resets stays small.
	sec secArgs
	ev  eventArgs

	// apcs are the completion routines queued to the thread, run by its next alertable wait.
	apcs apcQueue

	// blocked is how long (in virtual nanoseconds) the last call kept the thread blocked; the
	// clock moves by it when the call has let go of its socket.
	blocked atomic.Int64

	// impersonating is the peer identity the thread acts as after WSAImpersonateSocketPeer,
	// until WSARevertImpersonation (nil: its application's own).
	impersonating atomic.Pointer[ipsec.Identity]
}

// Impersonating returns the identity the thread impersonates, if it does.
func (t *Thread) Impersonating() (ipsec.Identity, bool) {
	if id := t.impersonating.Load(); id != nil {
		return *id, true
	}
	return ipsec.Identity{}, false
}

// beginSecure is begin for the secure-socket functions and WSAIoctl, which also use c.sec.
func (t *Thread) beginSecure(fn string) *call {
	c := t.begin(fn)
	if c == &t.c {
		t.sec = secArgs{}
		c.sec = &t.sec
	} else {
		c.sec = new(secArgs)
	}
	return c
}

// App returns the thread's application.
func (t *Thread) App() *App { return t.app }

// ID returns the thread's number within its application, starting at 1 for the main thread.
func (t *Thread) ID() int { return t.id }

// begin returns the call record for a new call. A Thread reuses one record so that calls do not
// allocate; a Thread used from two goroutines at once gets a fresh record instead of a data race.
func (t *Thread) begin(fn string) *call {
	if !t.busy.CompareAndSwap(false, true) {
		return &call{t: t, app: t.app, fn: fn}
	}
	// The record is as end left it: its references cleared, its scalars and strings still the
	// last call's. Only what is set is cleared, each pointer store costing a write barrier
	// while the garbage collector marks (TestBeginClearsTheRecord holds this to *c = call{…}).
	c := &t.c
	c.callScalars = callScalars{}
	if c.t == nil {
		c.t, c.app = t, t.app
	}
	c.fn = fn
	if c.addr != (sockaddr.Addr{}) {
		c.addr = sockaddr.Addr{}
	}
	if c.outAddr != (sockaddr.Addr{}) {
		c.outAddr = sockaddr.Addr{}
	}
	if c.reason != "" {
		c.reason = ""
	}
	if c.userName != "" {
		c.userName = ""
	}
	return c
}

func (t *Thread) end(c *call) {
	if c.s != nil && c.locked {
		c.s.mu.Unlock()
	}
	if c == &t.c {
		// The references go here, so that the caller's buffers and the socket are not kept
		// alive by an idle thread; begin clears the rest.
		if c.s != nil {
			c.s = nil
		}
		if c.buf != nil {
			c.buf = nil
		}
		if c.ov != nil {
			c.ov = nil
		}
		if c.routine != nil {
			c.routine = nil
		}
		if c.deliveredTo != nil {
			c.deliveredTo = nil
		}
		if c.sec != nil {
			c.sec = nil
		}
		if c.ev != nil {
			c.ev = nil
		}
		t.busy.Store(false)
	}
}

// socketOf returns the socket handle h names, nil when none does. Most calls name a socket of
// the block the thread named last, so the thread keeps that block's run and reads the slot
// without the shard's lock: two atomic operations fewer per call, and no shared lock between
// threads working on their own sockets. Only the call record the thread owns (busy) may use
// the kept run; a record made for a concurrent use of the Thread looks in the table.
func (c *call) socketOf(h Handle) *Socket {
	t := c.t
	if c != &t.c {
		return c.app.handles.get(h)
	}
	block, i, ok := slotOf(h)
	if !ok {
		return nil
	}
	if t.lastRun == nil || t.lastBlock != block {
		run := c.app.handles.run(block)
		if run == nil {
			return nil
		}
		t.lastRun, t.lastBlock = run, block
	}
	return t.lastRun.socks[i].Load()
}
