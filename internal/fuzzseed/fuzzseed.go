// Package fuzzseed keeps the seed corpora of the project's Go fuzz targets in one place, the
// module's top-level testdata/fuzz/<Target>/ folders, and serves them to the two engines that
// run the targets: go test (each target adds its seeds with f.Add) and ClusterFuzzLite's
// libFuzzer (seed zips, written by the seedzip command).
//
// Go itself reads seeds only from <package>/testdata/fuzz/<Target>/, next to the target. Keeping
// them at the top level instead puts every corpus where the README, scripts/fuzz-long and
// .clusterfuzzlite/build.sh find them, with no symbolic links (which Windows checkouts and
// module zips lose). A crasher that go test -fuzz writes next to its target is still run by
// go test from there; a test of this package fails until it is moved to the top level.
//
// Seed files are in Go's corpus format: the line "go test fuzz v1", then one value per line in
// Go syntax. Every target of this project takes a single []byte, so a seed file holds exactly
// one []byte("...") line.
package fuzzseed

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// Header is the first line of every Go corpus file.
const Header = "go test fuzz v1"

// Root is the module's root folder, found from this file's own location so that it does not
// depend on the working directory of the test that asks.
func Root() (string, error) {
	_, here, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("fuzzseed: cannot locate the module")
	}
	root := filepath.Join(filepath.Dir(here), "..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("fuzzseed: no go.mod at %s: %w", root, err)
	}
	return root, nil
}

// CorpusDir is testdata/fuzz at the module root: one folder per fuzz target.
func CorpusDir() (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "testdata", "fuzz"), nil
}

// Load returns the seeds of the fuzz target named target, in file-name order. A target without
// seeds is an error, so that renaming a target without moving its corpus fails its test.
//
// Only names of the form FuzzX are looked up: under ClusterFuzzLite the target runs with a
// stand-in testing.F whose name is not the target's, and Load must then fail at once rather
// than touch the file system on every input.
func Load(target string) ([][]byte, error) {
	if !strings.HasPrefix(target, "Fuzz") || strings.ContainsAny(target, `/\.`) {
		return nil, fmt.Errorf("fuzzseed: %q is not a fuzz target's name", target)
	}
	dir, err := CorpusDir()
	if err != nil {
		return nil, err
	}
	return LoadDir(filepath.Join(dir, target))
}

// LoadDir reads every corpus file in dir, in file-name order.
func LoadDir(dir string) ([][]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("fuzzseed: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("fuzzseed: no seed files in %s", dir)
	}
	sort.Strings(names)
	seeds := make([][]byte, 0, len(names))
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("fuzzseed: %w", err)
		}
		seed, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("fuzzseed: %s: %w", filepath.Join(dir, name), err)
		}
		seeds = append(seeds, seed)
	}
	return seeds, nil
}

// Parse reads a corpus file that holds one []byte value, as Go's fuzzing engine reads it: the
// header line, then non-blank lines, each a Go expression []byte("...") (or []uint8).
func Parse(data []byte) ([]byte, error) {
	lines := bytes.Split(data, []byte("\n"))
	if strings.TrimSuffix(string(lines[0]), "\r") != Header {
		return nil, fmt.Errorf("not a Go corpus file: the first line must be %q", Header)
	}
	var values [][]byte
	for i, line := range lines[1:] {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		v, err := parseBytes(string(line))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+2, err)
		}
		values = append(values, v)
	}
	if len(values) != 1 {
		return nil, fmt.Errorf("%d values, want one []byte (every target here takes a single []byte)", len(values))
	}
	return values[0], nil
}

func parseBytes(line string) ([]byte, error) {
	expr, err := parser.ParseExpr(line)
	if err != nil {
		return nil, fmt.Errorf("malformed value %q: %w", line, err)
	}
	call, ok := expr.(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return nil, fmt.Errorf("value %q is not a []byte(...) conversion", line)
	}
	arr, ok := call.Fun.(*ast.ArrayType)
	if !ok || arr.Len != nil {
		return nil, fmt.Errorf("value %q is not a []byte", line)
	}
	if elt, ok := arr.Elt.(*ast.Ident); !ok || (elt.Name != "byte" && elt.Name != "uint8") {
		return nil, fmt.Errorf("value %q is not a []byte", line)
	}
	lit, ok := call.Args[0].(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return nil, fmt.Errorf("value %q does not convert a string literal", line)
	}
	s, err := strconv.Unquote(lit.Value)
	if err != nil {
		return nil, fmt.Errorf("value %q: %w", line, err)
	}
	return []byte(s), nil
}

// Format writes b as a corpus file, byte for byte as go test -fuzz writes a new input.
func Format(b []byte) []byte {
	return fmt.Appendf(nil, "%s\n[]byte(%q)\n", Header, b)
}

// LibFuzzerInput is the libFuzzer input that makes a target built by ClusterFuzzLite's
// compile_native_go_fuzzer call its fuzz function with exactly b. That build hands the input to
// a stand-in testing.F (github.com/AdamKorcz/go-118-fuzz-build/testing), which draws a []byte
// argument the go-fuzz-headers way: a big-endian uint32 length, then that many bytes (the length
// taken modulo the bytes left unless it equals them). An empty b cannot be expressed: the draw
// fails and the function is not called, so ok is false.
func LibFuzzerInput(b []byte) (in []byte, ok bool) {
	if len(b) == 0 {
		return nil, false
	}
	in = binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(b)), uint32(len(b)))
	return append(in, b...), true
}

// WriteZips writes, for every target folder in corpusDir, outDir/<Target>_seed_corpus.zip: its
// seeds as libFuzzer inputs (see LibFuzzerInput), one entry per seed file under the file's name,
// the name ClusterFuzzLite looks for next to the fuzzer binary <Target>. It returns the zips
// written. Seeds that libFuzzer cannot express (the empty one) are left out.
func WriteZips(corpusDir, outDir string) ([]string, error) {
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		return nil, fmt.Errorf("fuzzseed: %w", err)
	}
	var written []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		path := filepath.Join(outDir, e.Name()+"_seed_corpus.zip")
		if err := writeZip(filepath.Join(corpusDir, e.Name()), path); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	if len(written) == 0 {
		return nil, fmt.Errorf("fuzzseed: no target folders in %s", corpusDir)
	}
	return written, nil
}

func writeZip(dir, path string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("fuzzseed: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("fuzzseed: %w", err)
	}
	zw := zip.NewWriter(f)
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil {
			var seed []byte
			if seed, err = Parse(data); err != nil {
				err = fmt.Errorf("%s: %w", filepath.Join(dir, e.Name()), err)
			} else if in, ok := LibFuzzerInput(seed); ok {
				var w io.Writer
				if w, err = zw.Create(e.Name()); err == nil {
					_, err = w.Write(in)
				}
			}
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("fuzzseed: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return fmt.Errorf("fuzzseed: %w", err)
	}
	return f.Close()
}
