package scenario

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/socket"
)

// The thread, event, wait and completion-routine forms, each mistake with its exact message.
func TestOverlappedParseErrors(t *testing.T) {
	sock := "s = socket AF_INET SOCK_STREAM 0\n"
	cases := []struct{ name, src, want string }{
		{"empty thread", "local@: socket AF_INET SOCK_STREAM 0\n",
			`e.wss:1:7: empty thread name after '@' (write host@THREAD:)`},
		{"bad thread name", "local@9x: socket AF_INET SOCK_STREAM 0\n",
			`e.wss:1:1: thread name "9x" is not a name (a letter or _, then letters, digits, _)`},
		{"thread on a pseudo-statement", "@t: settle\n",
			`e.wss:1:1: settle takes no WHO: it acts on the whole network`},
		{"event without an OVERLAPPED", sock + "e = WSACreateEvent\nWSASetSocketSecurity s event=e\n",
			`e.wss:3:24: event= goes in an OVERLAPPED's hEvent: add ov=NAME`},
		{"event in a NULL OVERLAPPED", sock + "e = WSACreateEvent\nWSASetSocketSecurity s ov=NULL event=e\n",
			`e.wss:3:32: event= goes in an OVERLAPPED's hEvent: add ov=NAME`},
		{"routine without an OVERLAPPED", sock + "WSASetSocketSecurity s routine=R1\n",
			`e.wss:2:24: routine= reports through an OVERLAPPED: add ov=NAME (or ov=NULL, which Windows answers by ignoring the routine)`},
		{"routine named none", sock + "WSASetSocketSecurity s ov=o routine=none\n",
			`e.wss:2:37: "none" cannot name a completion routine (a name: letters, digits, _)`},
		{"ConnectEx takes no routine", sock + "ConnectEx s 127.0.0.1:80 ov=o routine=R1\n",
			`e.wss:2:31: ConnectEx takes no key routine (ConnectEx S ADDR|NULL [len=N] [ov=NAME|NULL] [event=E|NULL])`},
		{"unknown event variable", "WSASetEvent ev\n",
			`e.wss:1:13: unknown variable ev (bind it first: ev = WSACreateEvent)`},
		{"not an event", "WSASetEvent INVALID_SOCKET\n",
			`e.wss:1:13: WSASetEvent: "INVALID_SOCKET" is not an event (a variable bound by WSACreateEvent, a number, or WSA_INVALID_EVENT)`},
		{"empty event in the list", "e = WSACreateEvent\nWSAWaitForMultipleEvents e,,e\n",
			`e.wss:2:28: WSAWaitForMultipleEvents: empty event in "e,,e" (events are joined by ',' without spaces)`},
		{"unknown event in the list", "e = WSACreateEvent\nWSAWaitForMultipleEvents e,f\n",
			`e.wss:2:28: unknown variable f (bind it first: f = WSACreateEvent); did you mean e?`},
		{"bad boolean", "e = WSACreateEvent\nWSAWaitForMultipleEvents e all=2\n",
			`e.wss:2:32: all= takes 0 or 1, got "2"`},
		{"bad time-out", "e = WSACreateEvent\nWSAWaitForMultipleEvents e timeout=-1\n",
			`e.wss:2:36: timeout= needs milliseconds (0 … 4294967295) or INFINITE, got "-1"`},
		{"bad sleep", "SleepEx forever\n",
			`e.wss:1:9: SleepEx needs milliseconds (0 … 4294967295) or INFINITE, got "forever"`},
		{"bad result check", "SleepEx 0 => ok result=WSA_WAIT_EVENT_0+64\n",
			`e.wss:1:24: result= needs WSA_WAIT_EVENT_0, WSA_WAIT_EVENT_0+N, WSA_WAIT_IO_COMPLETION, WAIT_IO_COMPLETION, WSA_WAIT_TIMEOUT or a number, got "WSA_WAIT_EVENT_0+64"`},
		{"bad ran check", "SleepEx 0 => ok ran=R1,,R2\n",
			`e.wss:1:21: ran= needs the completion routines' names joined by ',' in the order they ran, or none, got "R1,,R2"`},
		{"ran on another call", "WSACreateEvent => ok ran=none\n",
			`e.wss:1:22: WSACreateEvent returns no values to check`},
		{"an event result is no socket", "e = WSASetEvent 4\n",
			`e.wss:1:5: WSASetEvent returns no SOCKET to assign to e`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("e.wss", []byte(c.src))
			require.Error(t, err)
			assert.Equal(t, c.want, strings.Split(err.Error(), "\n")[0])
		})
	}
}

func TestThreadsParseFormatAndTrace(t *testing.T) {
	src := "host server 10.0.0.2\nserver@worker: e = WSACreateEvent\n@main: WSASetEvent e\nserver/app@t1: SleepEx 0\napp server/app user=u\n"
	s := mustParse(t, "t.wss", src)
	require.Len(t, s.Stmts, 3)
	assert.Equal(t, "server", s.Stmts[0].Who)
	assert.Equal(t, "worker", s.Stmts[0].Thread)
	assert.Equal(t, "", s.Stmts[1].Who)
	assert.Equal(t, "main", s.Stmts[1].Thread)
	assert.Equal(t, "t1", s.Stmts[2].Thread)
	back := mustParse(t, "t.wss", s.Format())
	assert.Equal(t, normalize(s), normalize(back))
	assert.Contains(t, s.Format(), "server@worker: e = WSACreateEvent\n@main: WSASetEvent e\n")

	var trace bytes.Buffer
	r := Run(s, SimBackend(), Options{Trace: &trace})
	require.NoError(t, r.Err)
	assert.Empty(t, failureMessages(r))
	assert.Equal(t, "t.wss:2: server@worker: WSACreateEvent = ok e=0x100\n"+
		"t.wss:3: server: WSASetEvent e = ok\n"+
		"t.wss:4: server/app@t1: SleepEx 0 = ok ran=none result=0\n", trace.String())
}

// The variables are the application's, shared by its threads; the completion routines run only in
// the thread that made the call.
func TestThreadsShareVariablesButNotCompletionRoutines(t *testing.T) {
	r := runSim(t, "threads.wss", `
l = socket AF_INET SOCK_STREAM 0
bind l 127.0.0.1:27015
listen l 5
@worker: c = socket AF_INET SOCK_STREAM 0
connect c 127.0.0.1:27015
@worker: WSAQuerySocketSecurity c ov=q routine=done => ok infolen=24
SleepEx 0 alertable=1                     => ok result=0 ran=none
@main: SleepEx 0 alertable=1              => ok result=0 ran=none
@worker: SleepEx 0 alertable=0            => ok result=0 ran=none
@worker: SleepEx 0 alertable=1            => ok result=WAIT_IO_COMPLETION ran=done
@worker: SleepEx 0 alertable=1            => ok result=0 ran=none
WSAGetOverlappedResult c q                => ok bytes=24
`)
	require.NoError(t, r.Err)
	assert.Empty(t, failureMessages(r))
}

// A wait that fails reports no values; a check of one on a failing wait is a mismatch, never a
// pass.
func TestWaitChecksNeedTheWaitToSucceed(t *testing.T) {
	r := runSim(t, "w.wss", "e = WSACreateEvent\nWSAWaitForMultipleEvents e,e all=1 => ok result=WSA_WAIT_EVENT_0\n")
	require.Len(t, r.Failures(), 1)
	assert.Equal(t, "w.wss:2: WSAWaitForMultipleEvents e,e all=1: got WSA_INVALID_PARAMETER, want ok result=WSA_WAIT_EVENT_0 [rule WAIT-DUPLICATE: fWaitAll is TRUE and lphEvents holds the same handle more than once]", r.Failures()[0].Message())
	r = runSim(t, "w.wss", "e = WSACreateEvent\nWSASetEvent e\nWSAWaitForMultipleEvents e => ok result=WSA_WAIT_TIMEOUT ran=none\n")
	require.Len(t, r.Failures(), 1)
	assert.Equal(t, "got result=WSA_WAIT_EVENT_0, want result=WSA_WAIT_TIMEOUT", r.Failures()[0].Failure)
}

// The hEvent an event= line puts in an OVERLAPPED stays there, as a C structure's field would.
func TestEventKeyStaysInTheOverlapped(t *testing.T) {
	r := runSim(t, "ev.wss", `
l = socket AF_INET SOCK_STREAM 0
bind l 127.0.0.1:27015
listen l 5
e = WSACreateEvent
c = socket AF_INET SOCK_STREAM 0
bind c 0.0.0.0:0
ConnectEx c 127.0.0.1:27015 event=e             => WSA_IO_PENDING
WSAWaitForMultipleEvents e timeout=1            => ok result=WSA_WAIT_EVENT_0
WSAResetEvent e
d = socket AF_INET SOCK_STREAM 0
WSASetSocketSecurity d ov=o event=e
WSAWaitForMultipleEvents e timeout=0            => ok result=WSA_WAIT_EVENT_0
WSAResetEvent e
WSASetSocketPeerTargetName d name="host/x" ov=o
WSAWaitForMultipleEvents e timeout=0            => ok result=WSA_WAIT_EVENT_0
WSAResetEvent e
WSASetSocketPeerTargetName d name="host/x" ov=o event=NULL
WSAWaitForMultipleEvents e timeout=0            => ok result=WSA_WAIT_TIMEOUT
`)
	require.NoError(t, r.Err)
	assert.Empty(t, failureMessages(r))
}

func TestNativeBackendSkipsWaitsThatWouldHang(t *testing.T) {
	api, _ := socket.SimulatedHost("n")
	s := mustParse(t, "forever.wss", "SleepEx INFINITE => WSA_WAIT_TIMEOUT\n")
	r := Run(s, NativeBackend(api), Options{})
	assert.Contains(t, r.Skipped, "rule WAIT-FOREVER")
}

// The native back end runs each scenario thread on an OS thread of its own; with a simulated API
// behind it, the overlapped flows still pass (the one sim thread stands for them all).
func TestNativeBackendRunsThreadsOnOSThreads(t *testing.T) {
	api, _ := socket.SimulatedHost("n")
	s := mustParse(t, "native.wss", `
l = socket AF_INET SOCK_STREAM 0
bind l 127.0.0.1:27015
listen l 5
e = WSACreateEvent
c = socket AF_INET SOCK_STREAM 0
bind c 0.0.0.0:0
@worker: ConnectEx c 127.0.0.1:27015 ov=o event=e => WSA_IO_PENDING
@other: WSAWaitForMultipleEvents e timeout=100       => ok result=WSA_WAIT_EVENT_0
WSAGetOverlappedResult c o                           => ok bytes=0
@worker: WSACloseEvent e
`)
	r := Run(s, NativeBackend(api), Options{})
	require.NoError(t, r.Err)
	assert.Empty(t, r.Skipped)
	assert.Empty(t, failureMessages(r))
}
