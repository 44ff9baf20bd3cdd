package fuzzseed

import (
	"archive/zip"
	"encoding/binary"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestFormatParseRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOf(rapid.Byte()).Draw(t, "b")
		got, err := Parse(Format(b))
		require.NoError(t, err)
		require.Equal(t, string(b), string(got))
	})
}

func TestParseReadsWhatGoWrites(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       string
	}{
		{"go test -fuzz output", "go test fuzz v1\n[]byte(\"\\x00a\\\"\")\n", "\x00a\""},
		{"raw string, CRLF, blank lines", "go test fuzz v1\r\n\n  []byte(`x y`)  \r\n\n", "x y"},
		{"uint8", "go test fuzz v1\n[]uint8(\"z\")", "z"},
		{"empty", "go test fuzz v1\n[]byte(\"\")\n", ""},
	} {
		got, err := Parse([]byte(tc.file))
		if assert.NoError(t, err, tc.name) {
			assert.Equal(t, tc.want, string(got), tc.name)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, file := range []string{
		"", "go test fuzz v2\n[]byte(\"a\")\n", "[]byte(\"a\")\n", "go test fuzz v1\n",
		"go test fuzz v1\nstring(\"a\")\n", "go test fuzz v1\n[]byte(\"a\")\n[]byte(\"b\")\n",
		"go test fuzz v1\n[]int(\"a\")\n", "go test fuzz v1\n[4]byte(\"a\")\n", "go test fuzz v1\n[]byte(97)\n",
		"go test fuzz v1\n[]byte(\"a\"\n", "go test fuzz v1\n[]byte(\"a\", \"b\")\n", "go test fuzz v1\nint(1)\n",
	} {
		_, err := Parse([]byte(file))
		assert.Error(t, err, "%q", file)
	}
}

// drawBytes draws a []byte the way the stand-in testing.F of ClusterFuzzLite's build does
// (go-fuzz-headers' ConsumeFuzzer.GetBytes), so the test holds LibFuzzerInput to that reader.
func drawBytes(data []byte) ([]byte, bool) {
	if len(data) < 4 {
		return nil, false
	}
	length, left := binary.BigEndian.Uint32(data), uint32(len(data)-4)
	if length == 0 {
		length = 30
	}
	if left == 0 {
		return nil, false
	}
	if length != left {
		length %= left
	}
	return data[4 : 4+length], true
}

func TestLibFuzzerInput(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOf(rapid.Byte()).Draw(t, "b")
		in, ok := LibFuzzerInput(b)
		require.Equal(t, len(b) > 0, ok)
		if !ok {
			return
		}
		got, ok := drawBytes(in)
		require.True(t, ok)
		require.Equal(t, b, got)
	})
}

func TestLoad(t *testing.T) {
	for _, name := range []string{"libFuzzer", "", "Fuzz/../x", "Fuzz.x", "FuzzNoSuchTarget"} {
		_, err := Load(name)
		assert.Error(t, err, name)
	}
	dir := t.TempDir()
	_, err := LoadDir(dir)
	assert.ErrorContains(t, err, "no seed files")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b"), Format([]byte("second")), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a"), Format([]byte("first")), 0o644))
	seeds, err := LoadDir(dir)
	require.NoError(t, err)
	assert.Equal(t, [][]byte{[]byte("first"), []byte("second")}, seeds, "file-name order")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "c"), []byte("not a corpus file"), 0o644))
	_, err = LoadDir(dir)
	assert.ErrorContains(t, err, filepath.Join(dir, "c"))
}

// target is a Go native fuzz target of the module.
type target struct {
	Pkg  string // the package folder, relative to the module root ("policy")
	Name string // FuzzX
	File string // the file it is declared in
}

// fuzzTargets finds every func FuzzX(f *testing.F) in the module's _test.go files.
func fuzzTargets(t *testing.T) []target {
	root, err := Root()
	require.NoError(t, err)
	var out []target
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Fuzz") || len(fn.Type.Params.List) != 1 {
				continue
			}
			star, ok := fn.Type.Params.List[0].Type.(*ast.StarExpr)
			if !ok {
				continue
			}
			if sel, ok := star.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "F" {
				rel, _ := filepath.Rel(root, filepath.Dir(path))
				out = append(out, target{Pkg: filepath.ToSlash(rel), Name: fn.Name.Name, File: path})
			}
		}
		return nil
	})
	require.NoError(t, err)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Every target has a seed folder that loads, and every seed folder belongs to a target.
func TestEveryTargetHasSeeds(t *testing.T) {
	targets := fuzzTargets(t)
	require.GreaterOrEqual(t, len(targets), 8, "the fuzz targets were not found")
	dir, err := CorpusDir()
	require.NoError(t, err)
	names := map[string]bool{}
	for _, tg := range targets {
		assert.False(t, names[tg.Name], "two targets are named %s: the corpus folder and ClusterFuzzLite need unique names", tg.Name)
		names[tg.Name] = true
		seeds, err := Load(tg.Name)
		if assert.NoError(t, err, "%s (%s) has no usable seeds in testdata/fuzz/%s", tg.Name, tg.Pkg, tg.Name) {
			assert.NotEmpty(t, seeds)
		}
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.True(t, e.IsDir() && names[e.Name()], "testdata/fuzz/%s belongs to no fuzz target", e.Name())
	}
}

// go test -fuzz writes a failing input next to its target, in <package>/testdata/fuzz/; it
// belongs with the others at the top level.
func TestNoSeedsBesideTheTargets(t *testing.T) {
	for _, tg := range fuzzTargets(t) {
		root, err := Root()
		require.NoError(t, err)
		stray := filepath.Join(root, tg.Pkg, "testdata", "fuzz", tg.Name)
		_, err = os.Stat(stray)
		assert.True(t, os.IsNotExist(err), "move %s/* to testdata/fuzz/%s/ (the corpus lives at the top level)", stray, tg.Name)
	}
}

func TestWriteZips(t *testing.T) {
	corpus, out := t.TempDir(), t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(corpus, "FuzzA"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(corpus, "FuzzA", "one"), Format([]byte("seed one")), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(corpus, "FuzzA", "empty"), Format(nil), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(corpus, "README"), []byte("not a target"), 0o644))
	written, err := WriteZips(corpus, out)
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(out, "FuzzA_seed_corpus.zip")}, written)
	assert.Equal(t, map[string]string{"one": "seed one"}, readZip(t, written[0]), "the empty seed cannot be expressed")

	require.NoError(t, os.WriteFile(filepath.Join(corpus, "FuzzA", "bad"), []byte("junk"), 0o644))
	_, err = WriteZips(corpus, out)
	assert.ErrorContains(t, err, filepath.Join(corpus, "FuzzA", "bad"))
}

// The project's own corpus converts: one zip per target, each seed the input that gives the
// target its bytes.
func TestWriteZipsOfTheCorpus(t *testing.T) {
	dir, err := CorpusDir()
	require.NoError(t, err)
	out := t.TempDir()
	written, err := WriteZips(dir, out)
	require.NoError(t, err)
	targets := fuzzTargets(t)
	require.Len(t, written, len(targets))
	for _, tg := range targets {
		seeds, err := LoadDir(filepath.Join(dir, tg.Name))
		require.NoError(t, err)
		want := map[string]string{}
		entries, _ := os.ReadDir(filepath.Join(dir, tg.Name))
		for i, e := range entries {
			if len(seeds[i]) > 0 {
				want[e.Name()] = string(seeds[i])
			}
		}
		assert.Equal(t, want, readZip(t, filepath.Join(out, tg.Name+"_seed_corpus.zip")), tg.Name)
	}
}

// readZip returns each entry as the bytes the target receives.
func readZip(t *testing.T, path string) map[string]string {
	r, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer r.Close()
	out := map[string]string{}
	for _, f := range r.File {
		rc, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		b, ok := drawBytes(data)
		require.True(t, ok, f.Name)
		out[f.Name] = string(b)
	}
	return out
}
