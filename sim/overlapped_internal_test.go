package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/errors"
)

// An aborted operation reports through whichever channel it started with. Only ConnectEx pends
// in the model today, and it takes no completion routine, so the routine channel of an abort is
// reached here, below the public calls.
func TestAnAbortReportsThroughTheOperationsChannel(t *testing.T) {
	th := NewNetwork().MustAddHost("h").App().Main()
	ev, err := th.WSACreateEvent()
	require.NoError(t, err)

	var got []uint32
	routine := func(code, bytes uint32, _ *Overlapped, flags uint32) { got = append(got, code, bytes, flags) }
	withRoutine := Overlapped{Event: ev}
	withRoutine.start(th, routine)
	withRoutine.complete(ruleCloseAborts, 0)
	signalled, _ := th.app.EventState(ev)
	assert.False(t, signalled, "a routine replaces the event")
	_, err = th.SleepEx(0, true)
	require.NoError(t, err)
	assert.Equal(t, []uint32{uint32(errors.WSA_OPERATION_ABORTED), 0, 0}, got)

	withEvent := Overlapped{Event: ev}
	withEvent.start(th, nil)
	withEvent.complete(ruleCloseAborts, 0)
	signalled, _ = th.app.EventState(ev)
	assert.True(t, signalled)
	done, err := withEvent.Completed()
	assert.True(t, done)
	assert.ErrorIs(t, err, errors.WSA_OPERATION_ABORTED)
	assert.Zero(t, th.QueuedRoutines())
}
