package ports

import "math/bits"

// portIndex is a shard's map from a protocol:port key to the reservations on that port: an
// open-addressing hash table with linear probing, kept at most three-quarters full, in which an
// entry is present exactly when its port has reservations.
//
// A Go map would do, but each access touches its header (written on every change), a group's
// control word and a slot. Here a bind or a release touches one 32-byte entry. That matters
// when goroutines bind ephemeral ports: consecutive ports fall in different shards, so a
// shard is used by one goroutine, then by another, and every line it touches has to come from
// the other core.
type portIndex struct {
	entries []portEntry // a power of two long; nil before the first reservation
	used    int32
}

// portEntry is one port's reservations in bind order; a nil list marks a free entry.
type portEntry struct {
	list []slot
	key  uint32
}

// minIndex is the length of a shard's first table.
const minIndex = 8

// home is where key k's probe sequence starts in a table of n entries (a power of two). The
// shard was chosen by the top bits of the same multiplicative hash (Table.shardOf), so the
// table takes the bits below those.
func home(k uint32, n int) int {
	return int(((k * 0x9E3779B1) << 6) >> (33 - bits.Len(uint(n))))
}

// find returns the index of k's entry, or of the free entry where k would go.
func (x *portIndex) find(k uint32) int {
	mask := len(x.entries) - 1
	for i := home(k, len(x.entries)); ; i = (i + 1) & mask {
		if e := &x.entries[i]; e.list == nil || e.key == k {
			return i
		}
	}
}

// get returns the reservations on k's port (nil for none).
func (x *portIndex) get(k uint32) []slot {
	if x.entries == nil {
		return nil
	}
	return x.entries[x.find(k)].list
}

// set stores a port's non-empty list of reservations.
func (x *portIndex) set(k uint32, list []slot) {
	if x.entries == nil {
		x.entries = make([]portEntry, minIndex)
	}
	i := x.find(k)
	if x.entries[i].list == nil {
		if 4*(int(x.used)+1) > 3*len(x.entries) {
			x.grow()
			i = x.find(k)
		}
		x.used++
	}
	x.entries[i] = portEntry{list: list, key: k}
}

func (x *portIndex) grow() {
	old := x.entries
	x.entries = make([]portEntry, 2*len(old))
	for _, e := range old {
		if e.list != nil {
			x.entries[x.find(e.key)] = e
		}
	}
}

// remove deletes k's entry, if any. Linear probing needs no tombstones: the entries after the
// hole that belong before it move back into it, so that every probe sequence stays unbroken.
func (x *portIndex) remove(k uint32) {
	if x.entries == nil {
		return
	}
	i := x.find(k)
	if x.entries[i].list == nil {
		return
	}
	mask := len(x.entries) - 1
	for j := (i + 1) & mask; x.entries[j].list != nil; j = (j + 1) & mask {
		// The entry at j may fill the hole at i unless its home lies cyclically in (i, j].
		h := home(x.entries[j].key, len(x.entries))
		if (i < j && (h <= i || h > j)) || (i > j && h <= i && h > j) {
			x.entries[i] = x.entries[j]
			i = j
		}
	}
	x.entries[i] = portEntry{}
	x.used--
}

// all calls f for every port with reservations, in no particular order.
func (x *portIndex) all(f func(k uint32, list []slot)) {
	for _, e := range x.entries {
		if e.list != nil {
			f(e.key, e.list)
		}
	}
}
