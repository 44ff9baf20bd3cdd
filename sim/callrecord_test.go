package sim

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fillNonZero gives every field reachable in v a value other than its zero, unexported ones
// included, so that a test can see which of them a reset leaves behind.
func fillNonZero(v reflect.Value) {
	if !v.CanSet() {
		v = reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(7)
	case reflect.String:
		v.SetString("left over")
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
	case reflect.Func:
		v.Set(reflect.MakeFunc(v.Type(), func([]reflect.Value) []reflect.Value { return nil }))
	case reflect.Struct:
		for i := range v.NumField() {
			fillNonZero(v.Field(i))
		}
	case reflect.Array:
		for i := range v.Len() {
			fillNonZero(v.Index(i))
		}
	default:
		panic("fillNonZero: no value for a " + v.Kind().String())
	}
}

// begin does not reset a thread's record wholesale (each pointer store costs a write barrier
// while the collector marks); it clears what end and the last call left. Whatever fields the
// record gains, begin must still give what *c = call{t, app, fn} would.
func TestBeginClearsTheRecord(t *testing.T) {
	th := NewNetwork().MustAddHost("h").App().NewThread()
	c := th.begin("first")
	require.Same(t, &th.c, c, "the thread's own record")
	fillNonZero(reflect.ValueOf(c).Elem())
	c.t, c.app = th, th.app
	c.s.mu.Lock() // end unlocks the socket a call locked
	th.end(c)

	c = th.begin("second")
	require.Same(t, &th.c, c)
	assert.True(t, reflect.DeepEqual(call{t: th, app: th.app, fn: "second"}, *c),
		"begin left a field of the last call: %+v", *c)
	th.end(c)

	// A record made for a concurrent use of the Thread starts clean too.
	c = th.begin("third")
	other := th.begin("fourth")
	assert.NotSame(t, &th.c, other)
	assert.True(t, reflect.DeepEqual(call{t: th, app: th.app, fn: "fourth"}, *other))
	th.end(other)
	th.end(c)
}
