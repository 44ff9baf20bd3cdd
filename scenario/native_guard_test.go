package scenario_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/scenario"
	"github.com/wsssim/wsssim/socket"
)

// A native run must never send anything off the machine: scripts that name another address
// are skipped, not run.
func TestNativeBackendOnlyTalksToItself(t *testing.T) {
	api, _ := socket.SimulatedHost("machine")
	for _, src := range []string{
		"s = socket AF_INET SOCK_DGRAM 0\nsendto s 10.1.2.3:9 => error\n",
		"s = socket AF_INET SOCK_STREAM 0\nconnect s [fd00::9]:80 => error\n",
		"s = socket AF_INET SOCK_DGRAM 0\nsendto s 255.255.255.255:9 => error\n",
	} {
		script, err := scenario.Parse("t.wss", []byte(src))
		require.NoError(t, err)
		res := scenario.Run(script, scenario.NativeBackend(api), scenario.Options{})
		assert.Contains(t, res.Skipped, "not this machine's", src)
		assert.Empty(t, res.Steps)
	}
	script, err := scenario.Parse("t.wss", []byte("s = socket AF_INET SOCK_DGRAM 0\nsendto s 127.0.0.1:9\n"))
	require.NoError(t, err)
	res := scenario.Run(script, scenario.NativeBackend(api), scenario.Options{})
	assert.True(t, res.Passed(), "%+v", res)
}
