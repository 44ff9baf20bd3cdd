package ports

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// The index answers as a map does through any sequence of stores and removals: keys drawn
// from a small range collide and wrap around the table, and enough of them make it grow, so
// the probing and the back-shifting of removal both get exercised.
func TestPortIndexModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var x portIndex
		model := map[uint32][]slot{}
		keys := rapid.Uint32Range(0, uint32(rapid.IntRange(1, 200).Draw(t, "key range")))
		t.Repeat(map[string]func(*rapid.T){
			"set": func(t *rapid.T) {
				k := keys.Draw(t, "key")
				list := make([]slot, rapid.IntRange(1, 3).Draw(t, "reservations"))
				list[0].conns = int32(k) // tells the lists apart
				x.set(k, list)
				model[k] = list
			},
			"remove": func(t *rapid.T) {
				k := keys.Draw(t, "key")
				x.remove(k)
				delete(model, k)
			},
			"": func(t *rapid.T) {
				for k := uint32(0); k <= 200; k++ {
					require.Equal(t, model[k], x.get(k), "key %d", k)
				}
				seen := 0
				x.all(func(k uint32, list []slot) {
					require.Equal(t, model[k], list)
					seen++
				})
				require.Equal(t, len(model), seen)
				require.Equal(t, len(model), int(x.used))
				if x.entries != nil {
					require.LessOrEqual(t, 4*int(x.used), 3*len(x.entries), "over three-quarters full")
				}
			},
		})
	})
}
