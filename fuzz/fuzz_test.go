package fuzz_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/fuzz"
	"github.com/wsssim/wsssim/scenario"
)

func TestGeneratedProgramsKeepTheInvariants(t *testing.T) {
	calls := 0
	for seed := uint64(1); seed <= 200; seed++ {
		p := fuzz.Generate(seed, 150)
		v, n := fuzz.Check(p)
		calls += n
		require.Nil(t, v, "seed %d: %v\n%s", seed, v, p.Text())
	}
	assert.Greater(t, calls, 20000)
}

// The generator reaches the calls whose effects arrive later (events, waits, overlapped calls,
// the clock, network faults), and they do not all fail on their arguments: over a few hundred
// programs each of them succeeds somewhere, on the main thread and on another.
func TestGeneratorReachesTheOverlappedCalls(t *testing.T) {
	succeeded := map[string]bool{}
	onThread := false
	for seed := uint64(1); seed <= 300; seed++ {
		s, err := scenario.Parse("p.wss", []byte(fuzz.Generate(seed, 200).Text()))
		require.NoError(t, err)
		r := scenario.Run(s, scenario.SimBackend(), scenario.Options{})
		require.NoError(t, r.Err)
		for _, st := range r.Steps {
			if st.Got == 0 {
				succeeded[st.Stmt.Call] = true
				onThread = onThread || st.Thread != ""
			}
		}
	}
	for _, call := range []string{"WSACreateEvent", "WSASetEvent", "WSAResetEvent", "WSACloseEvent",
		"WSAWaitForMultipleEvents", "SleepEx", "WSAGetOverlappedResult", "WSASetSocketSecurity",
		"advance", "netfault"} {
		assert.True(t, succeeded[call], "no generated %s succeeded", call)
	}
	assert.True(t, onThread, "no generated call ran on a thread other than the main one")
}

// A Generator makes the programs Generate makes, in memory it reuses: a program is valid until
// the Generator's next one, and a Clone outlives it.
func TestGeneratorReusesItsMemory(t *testing.T) {
	var gen fuzz.Generator
	var kept fuzz.Program
	for seed := uint64(1); seed <= 40; seed++ {
		n := 50 + int(seed)*7 // programs of growing and then varied sizes
		if seed > 20 {
			n = 300 - int(seed)*5
		}
		p := gen.Generate(seed, n)
		want := fuzz.Generate(seed, n)
		require.Equal(t, want.Lines, p.Lines, "seed %d", seed)
		v, calls := fuzz.Check(p)
		wv, wcalls := fuzz.Check(want)
		require.Equal(t, wv, v, "seed %d", seed)
		require.Equal(t, wcalls, calls, "seed %d", seed)
		if seed == 5 {
			kept = p.Clone()
		}
	}
	assert.Equal(t, fuzz.Generate(5, 85).Text(), kept.Text(), "a clone outlives the Generator's next programs")
	v, calls := fuzz.Check(kept)
	assert.Nil(t, v)
	assert.NotZero(t, calls)
}
