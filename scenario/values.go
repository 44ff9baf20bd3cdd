package scenario

import (
	"cmp"
	"slices"
)

// Values are the values a call returned, as KEY=VALUE pairs in the order the call gave them;
// each key appears once. They are a slice, not a map, because most calls return one or two:
// a map for every step of a long run cost more than the simulated calls it recorded.
type Values []Value

// Value is one value a call returned.
type Value struct{ Key, Value string }

// Get returns the value with that key, and whether the call returned one.
func (vs Values) Get(key string) (string, bool) {
	for _, v := range vs {
		if v.Key == key {
			return v.Value, true
		}
	}
	return "", false
}

// Map returns the values as a map, nil when there are none.
func (vs Values) Map() map[string]string {
	if len(vs) == 0 {
		return nil
	}
	m := make(map[string]string, len(vs))
	for _, v := range vs {
		m[v.Key] = v.Value
	}
	return m
}

// set gives key the value, replacing an earlier one.
func (vs *Values) set(key, value string) {
	for i := range *vs {
		if (*vs)[i].Key == key {
			(*vs)[i].Value = value
			return
		}
	}
	*vs = append(*vs, Value{key, value})
}

// sorted returns the values in key order, as traces print them (a copy when they need sorting).
func (vs Values) sorted() Values {
	byKey := func(a, b Value) int { return cmp.Compare(a.Key, b.Key) }
	if slices.IsSortedFunc(vs, byKey) {
		return vs
	}
	out := slices.Clone(vs)
	slices.SortFunc(out, byKey)
	return out
}
