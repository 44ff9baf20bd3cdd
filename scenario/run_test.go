package scenario

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/socket"
)

func TestOnStepSeesEveryStepInOrder(t *testing.T) {
	s := mustParse(t, "steps.wss", "s = socket AF_INET SOCK_DGRAM 0\nbind s 127.0.0.1:9\nsettle\nclosesocket s\nclosesocket s => WSAENOTSOCK\n")
	var seen []Step
	r := Run(s, SimBackend(), Options{OnStep: func(st Step) { seen = append(seen, st) }})
	require.True(t, r.Passed())
	assert.Equal(t, r.Steps, seen)

	seen = nil
	r = Run(mustParse(t, "stop.wss", "closesocket 1\nclosesocket 2\n"), SimBackend(), Options{StopAtFirstFailure: true, OnStep: func(st Step) { seen = append(seen, st) }})
	assert.Equal(t, r.Steps, seen)
	assert.Len(t, seen, 1)
}

// recordingBackend is the simulator, with each API's sendto and bind arguments recorded, and
// bind scribbling over the address it was given (as a careless native callee might).
type recordingBackend struct {
	sendtoBufs [][]byte
	bindAddrs  [][]byte
}

func (*recordingBackend) Name() string { return "rec" }

func (b *recordingBackend) Open(s *Script) (World, error) {
	w, err := NewSimWorld(s)
	if err != nil {
		return nil, err
	}
	return &recordingWorld{SimWorld: w, b: b}, nil
}

type recordingWorld struct {
	*SimWorld
	b *recordingBackend
}

func (w *recordingWorld) API(who, thread string) (socket.API, error) {
	api, err := w.SimWorld.API(who, thread)
	return &recordingAPI{API: api, b: w.b}, err
}

type recordingAPI struct {
	socket.API
	b *recordingBackend
}

func (a *recordingAPI) Sendto(s socket.Handle, buf []byte, f int32, to []byte, n int32) (int, error) {
	rec := buf // the buffer is the run's to reuse once the call returns: keep a copy (or nil)
	if buf != nil {
		rec = append([]byte{}, buf...)
	}
	a.b.sendtoBufs = append(a.b.sendtoBufs, rec)
	return a.API.Sendto(s, buf, f, to, n)
}

func (a *recordingAPI) Bind(s socket.Handle, name []byte, n int32) error {
	a.b.bindAddrs = append(a.b.bindAddrs, append([]byte(nil), name...))
	err := a.API.Bind(s, name, n)
	clear(name)
	return err
}

// The run's reusable buffers must reach the API exactly as fresh ones did: an empty data="" is
// an empty buffer, not NULL, and a callee that writes to an input cannot change a later line's.
func TestCallBuffersAreFreshToTheAPI(t *testing.T) {
	s := mustParse(t, "bufs.wss", `s = socket AF_INET SOCK_DGRAM 0
sendto s 127.0.0.1:9 data=""
sendto s 127.0.0.1:9 data=NULL => ok|error
sendto s 127.0.0.1:9 data="hi" => ok bytes=2
t = socket AF_INET SOCK_DGRAM 0
bind t 127.0.0.1:7
u = socket AF_INET SOCK_DGRAM 0
bind u 127.0.0.1:7 => WSAEADDRINUSE
getsockname t => ok addr=127.0.0.1:7 len=16
`)
	b := &recordingBackend{}
	for range 2 { // twice: the compiled lines must not have been changed by the first run
		b.sendtoBufs, b.bindAddrs = nil, nil
		r := Run(s, b, Options{})
		require.NoError(t, r.Err)
		assert.True(t, r.Passed(), "%v", failureMessages(r))
		require.Len(t, b.sendtoBufs, 3)
		assert.NotNil(t, b.sendtoBufs[0])
		assert.Empty(t, b.sendtoBufs[0])
		assert.Nil(t, b.sendtoBufs[1])
		assert.Equal(t, []byte("hi"), b.sendtoBufs[2])
		require.Len(t, b.bindAddrs, 2)
		assert.Equal(t, b.bindAddrs[0], b.bindAddrs[1])
	}
}

// With FailedStepsOnly a run keeps only its failed steps, counting them all, while OnStep
// still sees every step.
func TestRunFailedStepsOnly(t *testing.T) {
	s := mustParse(t, "f.wss", `s = socket AF_INET SOCK_STREAM 0
bind s 127.0.0.1:80
bind s 127.0.0.1:81
listen s 5
closesocket s => WSAENOTSOCK
`)
	seen := 0
	r := Run(s, SimBackend(), Options{FailedStepsOnly: true, OnStep: func(Step) { seen++ }})
	require.NoError(t, r.Err)
	assert.Equal(t, 5, seen)
	assert.Equal(t, 5, r.StepCount)
	assert.Equal(t, 2, r.FailureCount)
	require.Len(t, r.Steps, 2)
	assert.Equal(t, 3, r.Steps[0].Stmt.Pos.Line)
	assert.Equal(t, 5, r.Steps[1].Stmt.Pos.Line)
	assert.False(t, r.Passed())

	all := Run(s, SimBackend(), Options{})
	assert.Len(t, all.Steps, 5)
	assert.Equal(t, failureMessages(all), failureMessages(r))
}
