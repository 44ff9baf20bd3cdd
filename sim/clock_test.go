package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClockFiresTimersAtTheirOwnTimeInOrder(t *testing.T) {
	n := NewNetwork()
	var fired []string
	var seen []time.Duration
	record := func(name string) func() {
		return func() { fired = append(fired, name); seen = append(seen, n.Now()) }
	}
	n.at(2*time.Hour, timerSA, record("b"))
	n.at(time.Hour, timerSA, record("a"))
	n.at(time.Hour, timerSA, record("a2")) // same time: creation order
	stopped := n.at(30*time.Minute, timerSA, record("never"))
	stopped.stop()

	require.NoError(t, n.Advance(90*time.Minute))
	assert.Equal(t, []string{"a", "a2"}, fired)
	assert.Equal(t, []time.Duration{time.Hour, time.Hour}, seen, "a timer sees the clock at its own time")
	assert.Equal(t, 90*time.Minute, n.Now())

	require.NoError(t, n.Advance(time.Hour))
	assert.Equal(t, []string{"a", "a2", "b"}, fired)
	assert.Equal(t, 2*time.Hour, seen[2])
	assert.Equal(t, 150*time.Minute, n.Now())
}

func TestClockRefusesToGoBackOrOverflow(t *testing.T) {
	n := NewNetwork()
	assert.Error(t, n.Advance(-time.Second))
	require.NoError(t, n.Advance(time.Duration(1<<62)))
	assert.Error(t, n.Advance(time.Duration(1<<62)))
	assert.Equal(t, time.Duration(1<<62), n.Now(), "a refused advance leaves the clock where it was")
}

func TestSettleMovesTheClockToTheLastAttemptOnly(t *testing.T) {
	n := NewNetwork()
	fired := 0
	n.at(10*time.Second, timerAttempt, func() { fired++ })
	n.at(time.Hour, timerSA, func() { fired += 100 })
	n.Settle()
	assert.Equal(t, 1, fired)
	assert.Equal(t, 10*time.Second, n.Now())
}
