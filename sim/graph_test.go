package sim_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wsssim/wsssim/sim"
)

func TestGraphComesFromTheModel(t *testing.T) {
	g := sim.BuildGraph()
	found := map[string]sim.GraphEdge{}
	for _, k := range g.Kinds {
		for _, e := range k.Edges {
			found[k.Name+" "+e.From.String()+" "+e.Call] = e
		}
	}
	assert.Equal(t, sim.StateBound, found["TCP open bind"].To)
	assert.Equal(t, sim.StateListening, found["TCP bound listen"].To)
	assert.Equal(t, "LISTEN-UNBOUND", found["TCP open listen"].Rule)
	assert.Equal(t, "SETSEC-BOUND", found["TCP bound WSASetSocketSecurity"].Rule)
	assert.Equal(t, "SETSEC-ISCONN", found["TCP connected WSASetSocketSecurity"].Rule)
	assert.Equal(t, "LISTEN-NOT-STREAM", found["UDP bound listen"].Rule)
	assert.Equal(t, "GEN-NOTSOCK", found["TCP closed bind"].Rule)
	assert.Equal(t, sim.StateConnecting, found["TCP bound ConnectEx"].To)
	assert.Contains(t, g.Mermaid(), "stateDiagram-v2")
	assert.Contains(t, g.DOT(), "digraph wsssim")
}
