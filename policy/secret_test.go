package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const password = "hunter2-Pässwörd😀"

// unitsOf reads a Secret's code units, for tests that inspect the stored memory.
func unitsOf(s Secret) []uint16 {
	var out []uint16
	s.use(func(u []uint16) { out = u })
	return out
}

// leaks lists the forms in which the password could show: its text, its code units in decimal
// and hex (what fmt would print for a raw []uint16), and its UTF-16LE bytes in hex.
func leaks() []string {
	s := NewSecret(password)
	units := unitsOf(s)
	var le []byte
	for _, u := range units {
		le = append(le, byte(u), byte(u>>8))
	}
	return []string{
		password, "hunter2",
		strings.Trim(fmt.Sprint(units), "[]"),
		strings.Trim(fmt.Sprintf("%x", units), "[]"),
		fmt.Sprintf("%x", le), fmt.Sprintf("% x", le),
	}
}

func requireNoLeak(t *testing.T, what, out string) {
	t.Helper()
	for _, l := range leaks() {
		require.NotContains(t, out, l, "%s leaks the password: %s", what, out)
	}
}

type withExported struct {
	Name string
	Pass Secret
}

type withUnexported struct {
	name string
	pass Secret
}

type nested struct {
	Inner    withExported
	Settings Settings
	Ptr      *IPsecSettings
	List     []Secret
	Map      map[string]Secret
	hidden   IPsecSettings
}

func TestSecretRedactedEverywhere(t *testing.T) {
	s := NewSecret(password)
	ip := &IPsecSettings{UserName: "bob", Password: s}
	settings := Settings{Protocol: ProtocolIPsec, IPsec: ip}
	values := map[string]any{
		"Secret":          s,
		"*Secret":         &s,
		"IPsecSettings":   *ip,
		"*IPsecSettings":  ip,
		"Settings":        settings,
		"*Settings":       &settings,
		"exported field":  withExported{"x", s},
		"unexported":      withUnexported{"x", s},
		"*unexported":     &withUnexported{"x", s},
		"nested":          nested{withExported{"x", s}, settings, ip, []Secret{s}, map[string]Secret{"k": s}, *ip},
		"slice of Secret": []Secret{s, s},
		"any slice":       []any{s, ip},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s", "%-8v", "%T", "%p", "%t", "%08b"}
	for name, v := range values {
		for _, verb := range verbs {
			requireNoLeak(t, name+" "+verb, fmt.Sprintf(verb, v))
		}
		requireNoLeak(t, name+" Sprint", fmt.Sprint(v))
		requireNoLeak(t, name+" Sprintln", fmt.Sprintln(v))
	}
	assert.Equal(t, "[redacted]", fmt.Sprintf("%v", s))
	assert.Equal(t, "[redacted]", fmt.Sprintf("%#v", s))
	assert.Equal(t, `"[redacted]"`, fmt.Sprintf("%q", s))
	assert.Equal(t, "[redacted]", s.String())
	assert.Equal(t, "[redacted]", s.GoString())
	assert.Contains(t, fmt.Sprintf("%+v", *ip), "Password:[redacted]")
}

// reachable walks everything reflection can reach from v, as dumpers (go-spew, go-cmp) do,
// unexported fields and pointers included, and collects every uint16 and byte it meets.
func reachable(v reflect.Value, seen map[uintptr]bool, out *[]uint64) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		if v.Kind() == reflect.Pointer {
			if seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
		}
		reachable(v.Elem(), seen, out)
	case reflect.Struct:
		for i := range v.NumField() {
			reachable(v.Field(i), seen, out)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			reachable(v.Index(i), seen, out)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			reachable(it.Key(), seen, out)
			reachable(it.Value(), seen, out)
		}
	case reflect.Uint16, reflect.Uint8:
		*out = append(*out, v.Uint())
	}
}

func TestSecretUnreachableByReflection(t *testing.T) {
	s := NewSecret(password)
	settings := Settings{Protocol: ProtocolIPsec, IPsec: &IPsecSettings{Password: s}}
	var found []uint64
	reachable(reflect.ValueOf(&settings), map[uintptr]bool{}, &found)
	for _, u := range unitsOf(s) {
		if u > 0xFF { // the GUID bytes are zero here; any non-ASCII unit must not appear
			assert.NotContains(t, found, uint64(u))
		}
	}
	assert.NotContains(t, fmt.Sprintf("%v", found), "104 117 110 116 101 114")
	// Only the flag and protocol words are reachable, not the text.
	assert.Less(t, len(found), 100)
	runtime.KeepAlive(s)
}

func TestSecretCleanupWipes(t *testing.T) {
	// The last copy becoming unreachable wipes and drops the units.
	var mem []uint16
	func() {
		s := NewSecret(password)
		mem = unitsOf(s)
	}()
	require.NotEmpty(t, mem)
	for range 20 {
		runtime.GC()
		wiped := true
		for _, u := range mem {
			wiped = wiped && u == 0
		}
		if wiped {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("units of an unreachable Secret were not wiped")
}

func TestSecretMarshalers(t *testing.T) {
	s := NewSecret(password)
	settings := Settings{Protocol: ProtocolIPsec, IPsec: &IPsecSettings{UserName: "bob", Password: s}}
	for name, v := range map[string]any{
		"Secret": s, "*Secret": &s, "Settings": settings, "nested": nested{Settings: settings, List: []Secret{s}},
	} {
		b, err := json.Marshal(v)
		require.NoError(t, err, name)
		requireNoLeak(t, name+" JSON", string(b))
	}
	b, err := json.Marshal(s)
	require.NoError(t, err)
	assert.Equal(t, `"[redacted]"`, string(b))
	txt, err := s.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "[redacted]", string(txt))

	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
		l := slog.New(h)
		l.Info("set", "password", s, "settings", settings, "ptr", &s)
		l.Info("group", slog.Group("g", slog.Any("pw", s)))
	}
	requireNoLeak(t, "slog", buf.String())
	assert.Contains(t, buf.String(), "[redacted]")
}

func TestSecretRevealAndLen(t *testing.T) {
	s := NewSecret(password)
	assert.Equal(t, password, s.Reveal())
	assert.Equal(t, 2*utf16Len(password), s.Len())
	assert.Equal(t, 2*(len([]rune(password))+1), s.Len(), "the emoji takes two code units")
	assert.Equal(t, 0, Secret{}.Len())
	assert.Equal(t, "", Secret{}.Reveal())
	assert.Equal(t, Secret{}, NewSecret(""))

	assert.True(t, s.Equal(NewSecret(password)))
	assert.False(t, s.Equal(NewSecret(password+"x")))
	assert.False(t, s.Equal(NewSecret("hunter3-Pässwörd😀")))
	assert.True(t, Secret{}.Equal(NewSecret("")))

	units := []uint16{'a', 'b'}
	c := SecretFromUTF16(units)
	units[0] = 'z'
	assert.Equal(t, "ab", c.Reveal(), "SecretFromUTF16 copies")
	assert.Equal(t, Secret{}, SecretFromUTF16(nil))
}

func TestSecretWipe(t *testing.T) {
	s := NewSecret(password)
	shared := s // a copy, as Settings values make
	mem := unitsOf(s)
	require.NotEmpty(t, mem)
	s.Wipe()
	for i, u := range mem {
		assert.Zero(t, u, "unit %d not wiped", i)
	}
	assert.Equal(t, 0, s.Len())
	assert.Equal(t, 0, shared.Len(), "copies share the wiped memory")
	assert.Equal(t, "", shared.Reveal())
	Secret{}.Wipe() // the zero Secret wipes without trouble

	// A decoded password owns its memory: wiping it leaves the input buffer alone.
	enc := Settings{Protocol: ProtocolIPsec, IPsec: &IPsecSettings{Password: NewSecret("pw")}}.Encode()
	dec, c := DecodeSettings(enc)
	require.Nil(t, c)
	dec.IPsec.Password.Wipe()
	assert.Equal(t, []byte{'p', 0, 'w', 0}, enc[OffsetSettingsIPsecStrings:OffsetSettingsIPsecStrings+4])
}
