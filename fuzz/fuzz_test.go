package fuzz_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/fuzz"
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
