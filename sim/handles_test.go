package sim

import (
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"pgregory.net/rapid"
)

// TestHandleTableModel drives the handle table with handles from several threads' blocks, as
// newHandle gives them, against a plain map: every look-up, including of values next to real
// handles that newHandle never gives, answers as the map does, and the table keeps a run only
// for blocks with open sockets or still unused handles.
func TestHandleTableModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		a := &App{}
		threads := []*Thread{{app: a}, {app: a}, {app: a}}

		model := map[Handle]*Socket{}
		var issued []Handle
		rt.Repeat(map[string]func(*rapid.T){
			"open": func(rt *rapid.T) {
				th := threads[rapid.IntRange(0, len(threads)-1).Draw(rt, "thread")]
				h := th.newHandle()
				s := &Socket{handle: h}
				a.handles.put(h, s)
				model[h] = s
				issued = append(issued, h)
			},
			"churn": func(rt *rapid.T) {
				// A block's worth of sockets opened and closed: its run must not stay.
				th := threads[rapid.IntRange(0, len(threads)-1).Draw(rt, "thread")]
				for range handleBlock {
					h := th.newHandle()
					a.handles.put(h, &Socket{handle: h})
					assert.True(rt, a.handles.remove(h))
				}
			},
			"close": func(rt *rapid.T) {
				if len(issued) == 0 {
					rt.Skip("no handle yet")
				}
				h := rapid.SampledFrom(issued).Draw(rt, "handle")
				_, open := model[h]
				assert.Equal(rt, open, a.handles.remove(h), "remove(%v)", h)
				delete(model, h)
			},
			"get": func(rt *rapid.T) {
				h := Handle(rapid.Uint64Range(0, firstHandle+4*4*handleBlock).Draw(rt, "handle"))
				if len(issued) > 0 && rapid.Bool().Draw(rt, "near an issued one") {
					h = rapid.SampledFrom(issued).Draw(rt, "issued") + Handle(rapid.IntRange(-2, 2).Draw(rt, "offset"))
				}
				assert.Same(rt, model[h], a.handles.get(h), "get(%v)", h)
			},
			"look up from a thread": func(rt *rapid.T) {
				// A thread's own call record reads the run it kept from its last look-up: it must
				// see every put and remove since, whichever thread made them.
				th := threads[rapid.IntRange(0, len(threads)-1).Draw(rt, "thread")]
				h := Handle(rapid.Uint64Range(0, firstHandle+4*4*handleBlock).Draw(rt, "handle"))
				if len(issued) > 0 && rapid.Bool().Draw(rt, "an issued one") {
					h = rapid.SampledFrom(issued).Draw(rt, "issued")
				}
				c := th.begin("test")
				assert.Same(rt, model[h], c.socketOf(h), "socketOf(%v) on its own record", h)
				th.end(c)
				fresh := &call{t: th, app: a} // as a concurrent use of the Thread gets
				assert.Same(rt, model[h], fresh.socketOf(h), "socketOf(%v) on a fresh record", h)
			},
			"": func(rt *rapid.T) {
				assert.Equal(rt, slices.Sorted(maps.Keys(model)), a.handles.all())
				assert.Nil(rt, a.handles.get(INVALID_SOCKET))
				runs := 0
				for i := range a.handles.shards {
					runs += len(a.handles.shards[i].m)
				}
				blocks := map[uint64]bool{}
				for h := range model {
					block, _, _ := slotOf(h)
					blocks[block] = true
				}
				assert.LessOrEqual(rt, runs, len(blocks)+len(threads), "runs kept for blocks without open sockets")
			},
		})
	})
}

// TestHandleRunReused checks that a thread opening and closing one socket at a time keeps
// using its block's run rather than making one per socket.
func TestHandleRunReused(t *testing.T) {
	a := &App{}
	th := &Thread{app: a}
	s := &Socket{}
	allocs := testing.AllocsPerRun(10*handleBlock, func() {
		h := th.newHandle()
		a.handles.put(h, s)
		a.handles.remove(h)
	})
	// One run per block of handles, and the blocks' map grows once or twice.
	assert.LessOrEqual(t, allocs, 0.1)
	assert.Empty(t, a.handles.all())
}
