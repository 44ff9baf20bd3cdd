package scenario

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValues(t *testing.T) {
	var vs Values
	assert.Nil(t, vs.Map())
	vs.set("peer", "1.2.3.4:5")
	vs.set("len", "16")
	vs.set("peer", "[::1]:5") // a key appears once: the later value replaces the earlier
	got, ok := vs.Get("peer")
	assert.True(t, ok)
	assert.Equal(t, "[::1]:5", got)
	_, ok = vs.Get("value")
	assert.False(t, ok)
	assert.Equal(t, Values{{"peer", "[::1]:5"}, {"len", "16"}}, vs, "in the order the call gave them")
	assert.Equal(t, Values{{"len", "16"}, {"peer", "[::1]:5"}}, vs.sorted(), "traces print them by key")
	assert.Equal(t, Values{{"peer", "[::1]:5"}, {"len", "16"}}, vs, "sorting copies")
	assert.Equal(t, map[string]string{"peer": "[::1]:5", "len": "16"}, vs.Map())
}
