package scenario

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fingerprintSource has every kind of field a Script holds: a host with addresses and options,
// an app with options, WHO and thread, a variable, arguments quoted and not, and expectations
// with codes and value checks.
const fingerprintSource = `host h 10.0.0.1 fd00::1 domain=CORP
app h/x user=alice mode="a b"
h/x: s = socket AF_INET SOCK_STREAM 0
h/x@worker: bind s 10.0.0.1:80 => ok|WSAEADDRINUSE
h/x: getsockopt s SOL_SOCKET SO_TYPE => ok value=1 len=4
h/x: listen s 1 => WSAEINVAL|WSAEOPNOTSUPP|error
`

// leaves calls visit with the path of every settable field of v that holds data (strings,
// numbers, booleans, addresses), and of every slice (whose length is data too).
func leaves(v reflect.Value, path string, visit func(path string, v reflect.Value)) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			leaves(v.Elem(), path, visit)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[netip.Addr]() {
			visit(path, v)
			return
		}
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				leaves(v.Field(i), path+"."+f.Name, visit)
			}
		}
	case reflect.Slice:
		visit(path, v)
		for i := range v.Len() {
			leaves(v.Index(i), path+"["+string(rune('0'+i))+"]", visit)
		}
	default:
		visit(path, v)
	}
}

// change alters a leaf so that its content differs, as a caller editing a parsed Script would.
func change(t *testing.T, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Uint, reflect.Uint32, reflect.Uint64:
		v.SetUint(v.Uint() + 1)
	case reflect.Slice:
		if v.Len() > 0 {
			v.Set(v.Slice(0, v.Len()-1))
		} else {
			v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
		}
	case reflect.Struct: // netip.Addr
		a := v.Interface().(netip.Addr)
		v.Set(reflect.ValueOf(a.Next()))
	default:
		t.Fatalf("no way to change a %s", v.Type())
	}
}

// Every field the compiler reads is part of the fingerprint: changing any one of them after
// Parse makes Run compile the script again instead of running the program Parse made.
func TestFingerprintCoversEveryField(t *testing.T) {
	var paths []string
	leaves(reflect.ValueOf(mustParse(t, "f.wss", fingerprintSource)), "Script", func(p string, _ reflect.Value) {
		paths = append(paths, p)
	})
	require.Greater(t, len(paths), 100, "the walk reached the statements' fields")
	for _, path := range paths {
		s := mustParse(t, "f.wss", fingerprintSource)
		require.NotNil(t, s.prog)
		require.Equal(t, s.prog.fingerprint, fingerprintOf(s), "an untouched script matches its program")
		leaves(reflect.ValueOf(s), "Script", func(p string, v reflect.Value) {
			if p == path {
				change(t, v)
			}
		})
		assert.NotEqual(t, s.prog.fingerprint, fingerprintOf(s), "changing %s went unseen", path)
	}

	// Replacing a statement by an equal copy changes it too: steps point at the statement.
	s := mustParse(t, "f.wss", fingerprintSource)
	c := *s.Stmts[0]
	s.Stmts[0] = &c
	assert.NotEqual(t, s.prog.fingerprint, fingerprintOf(s))
}

// A parsed script edited before it runs runs as edited.
func TestRunSeesEditsAfterParse(t *testing.T) {
	s := mustParse(t, "e.wss", "s = socket AF_INET SOCK_STREAM 0\nbind s 127.0.0.1:80\n")
	r := Run(s, SimBackend(), Options{})
	require.True(t, r.Passed(), "%v", failureMessages(r))
	assert.Equal(t, s.prog.fingerprint, fingerprintOf(s), "Run leaves the script as it was")

	s.Stmts[1].Args[1].Value = "10.9.9.9:80" // an address the host does not have
	r = Run(s, SimBackend(), Options{})
	require.NoError(t, r.Err)
	assert.Equal(t, []string{"e.wss:2: bind s 10.9.9.9:80: got WSAEADDRNOTAVAIL, want ok [rule BIND-ADDRNOTAVAIL: the IP address is neither a wildcard nor one of this host's addresses]"},
		failureMessages(r))

	s.Stmts[1].Call = "nosuchcall"
	r = Run(s, SimBackend(), Options{})
	require.Error(t, r.Err, "an edit that breaks the script is reported, as for a hand-built one")
	assert.Contains(t, r.Err.Error(), `unknown function "nosuchcall"`)
}

// One parsed script may run on several goroutines at once: the program Parse made is shared
// by the runs and must hold no state of its own. The whole corpus runs this way under -race.
func TestParsedScriptRunsConcurrently(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "scenarios", "*", "*.wss"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	ran := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		s, err := Parse(f, src)
		if err != nil {
			continue // the corpus's own test reports these
		}
		ran++
		want := strings.Join(failureMessages(Run(s, SimBackend(), Options{})), "\n")
		var wg sync.WaitGroup
		got := make([]string, 3)
		for i := range got {
			wg.Go(func() { got[i] = strings.Join(failureMessages(Run(s, SimBackend(), Options{})), "\n") })
		}
		wg.Wait()
		for _, g := range got {
			assert.Equal(t, want, g, "%s: a concurrent run gave another result", f)
		}
	}
	assert.Greater(t, ran, len(files)*9/10, "most of the corpus parses")
}
