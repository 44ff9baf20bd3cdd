package policy

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"unicode/utf16"
)

// Redacted is what a Secret prints, marshals and logs in place of its content.
const Redacted = "[redacted]"

// Secret holds a password as the UTF-16 code units the IPsec settings carry. It prints as
// "[redacted]" under every fmt verb, in JSON, as text and in slog, so that settings can be
// traced and dumped freely.
//
// A Secret holds only an opaque handle; the code units live in a package registry. Reflection
// therefore cannot reach them: fmt prints unexported fields by reflection (and, for a verb it
// rejects, even dereferences pointers), and dumpers such as the ones test libraries use walk
// everything reachable. Copies of a Secret share the units, so Wipe on any copy clears them all;
// once no copy is left, a runtime cleanup wipes and drops them. The zero Secret is empty.
type Secret struct {
	h *secretHandle
}

// secretHandle is the identity of one stored secret; its address is what copies share. The
// padding lifts it out of the runtime's tiny allocator, which batches small pointer-free
// objects and may then never run their cleanups.
type secretHandle struct {
	id uint64
	_  [16]byte
}

var secretStore struct {
	sync.Mutex
	next  uint64
	units map[uint64][]uint16
}

// adopt stores units (taking ownership) and returns a Secret for them.
func adopt(units []uint16) Secret {
	if len(units) == 0 {
		return Secret{}
	}
	secretStore.Lock()
	secretStore.next++
	id := secretStore.next
	if secretStore.units == nil {
		secretStore.units = make(map[uint64][]uint16)
	}
	secretStore.units[id] = units
	secretStore.Unlock()
	h := &secretHandle{id: id}
	runtime.AddCleanup(h, dropSecret, id)
	return Secret{h}
}

// dropSecret wipes and forgets a secret whose last copy became unreachable.
func dropSecret(id uint64) {
	secretStore.Lock()
	clear(secretStore.units[id])
	delete(secretStore.units, id)
	secretStore.Unlock()
}

// use calls f with the units. The handle is kept alive until f returns, so the cleanup cannot
// wipe the units while f reads them.
func (s Secret) use(f func(units []uint16)) {
	if s.h == nil {
		f(nil)
		return
	}
	secretStore.Lock()
	u := secretStore.units[s.h.id]
	secretStore.Unlock()
	f(u)
	runtime.KeepAlive(s.h)
}

// NewSecret stores s as UTF-16. The caller's string cannot be wiped (Go strings are
// immutable); prefer SecretFromUTF16 when the text is already in a buffer the caller clears.
func NewSecret(s string) Secret {
	units := make([]uint16, 0, utf16Len(s))
	for _, r := range s {
		units = utf16.AppendRune(units, r)
	}
	return adopt(units)
}

// SecretFromUTF16 copies the code units into memory the Secret owns.
func SecretFromUTF16(units []uint16) Secret {
	return adopt(append([]uint16(nil), units...))
}

// secretFromLE copies UTF-16LE bytes (an odd trailing byte is ignored).
func secretFromLE(b []byte) Secret {
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return adopt(units)
}

// Len is the size of the secret in bytes, as PasswordStringLen counts it.
func (s Secret) Len() int {
	n := 0
	s.use(func(u []uint16) { n = 2 * len(u) })
	return n
}

// Reveal returns the text. It is the one deliberate way out; the returned string cannot be
// wiped, so call it only where the text is really needed (e.g. to compare credentials).
func (s Secret) Reveal() string {
	var out string
	s.use(func(u []uint16) { out = decodeUnits(u) })
	return out
}

// Equal compares two secrets in time that depends only on their lengths.
func (s Secret) Equal(o Secret) bool {
	eq := false
	s.use(func(a []uint16) {
		o.use(func(b []uint16) {
			if len(a) != len(b) {
				return
			}
			var diff uint16
			for i := range a {
				diff |= a[i] ^ b[i]
			}
			eq = diff == 0
		})
	})
	return eq
}

// putTo writes the units as UTF-16LE at the start of b and returns the bytes written.
func (s Secret) putTo(b []byte) int {
	n := 0
	s.use(func(u []uint16) { n = putUnits(b, u) })
	return n
}

// Wipe zeroes the code units and empties the secret, for every copy that shares them.
func (s Secret) Wipe() {
	if s.h == nil {
		return
	}
	secretStore.Lock()
	clear(secretStore.units[s.h.id])
	delete(secretStore.units, s.h.id)
	secretStore.Unlock()
}

// String returns "[redacted]".
func (s Secret) String() string { return Redacted }

// GoString returns "[redacted]", so %#v of a structure holding a Secret hides it too.
func (s Secret) GoString() string { return Redacted }

// Format prints "[redacted]" for every verb (quoted for %q), so no verb reaches the content.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", Redacted)
		return
	}
	_, _ = f.Write([]byte(Redacted))
}

// MarshalJSON writes the JSON string "[redacted]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText writes "[redacted]".
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue makes slog print "[redacted]".
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// LiveSecrets counts the secrets whose code units are in memory now: neither wiped nor dropped
// with their last copy. It lets a test show that code which must wipe a password does (call
// runtime.GC first, so that unreachable secrets have been dropped).
func LiveSecrets() int {
	secretStore.Lock()
	defer secretStore.Unlock()
	return len(secretStore.units)
}
