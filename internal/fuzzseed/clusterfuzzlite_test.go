package fuzzseed

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const modulePath = "github.com/wsssim/wsssim"

func readRootFile(t *testing.T, name string) string {
	root, err := Root()
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(root, name))
	require.NoError(t, err)
	return string(data)
}

func TestBuildShParses(t *testing.T) {
	root, err := Root()
	require.NoError(t, err)
	out, err := exec.Command("bash", "-n", filepath.Join(root, ".clusterfuzzlite", "build.sh")).CombinedOutput()
	require.NoError(t, err, "bash -n .clusterfuzzlite/build.sh: %s", out)
}

// build.sh compiles exactly the fuzz targets of the tree, each once, under its own name (the
// name its seed zip carries), from its own package.
func TestBuildShListsEveryTarget(t *testing.T) {
	script := readRootFile(t, ".clusterfuzzlite/build.sh")
	line := regexp.MustCompile(`(?m)^\s*compile_native_go_fuzzer\s+(\S+)\s+(\S+)\s+(\S+)\s*$`)
	var listed []string
	for _, m := range line.FindAllStringSubmatch(script, -1) {
		assert.Equal(t, m[2], m[3], "build.sh builds %s as %s: the binary must carry the target's name, which its seed zip has", m[2], m[3])
		listed = append(listed, m[1]+" "+m[2])
	}
	var want []string
	for _, tg := range fuzzTargets(t) {
		want = append(want, modulePath+"/"+tg.Pkg+" "+tg.Name)
	}
	sort.Strings(listed)
	sort.Strings(want)
	assert.Equal(t, want, listed, "the compile_native_go_fuzzer lines of .clusterfuzzlite/build.sh")
	assert.Regexp(t, `(?m)^go run \./internal/fuzzseed/seedzip testdata/fuzz "\$OUT"$`, script, "build.sh writes the seed zips")
}

// scripts/fuzz-long finds the same targets.
func TestFuzzLongFindsEveryTarget(t *testing.T) {
	root, err := Root()
	require.NoError(t, err)
	out, err := exec.Command("bash", filepath.Join(root, "scripts", "fuzz-long"), "--list").Output()
	require.NoError(t, err)
	var want []string
	for _, tg := range fuzzTargets(t) {
		want = append(want, tg.Pkg+" "+tg.Name)
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	sort.Strings(got)
	sort.Strings(want)
	assert.Equal(t, want, got)
}

// compile_native_go_fuzzer takes the one file of the package folder that mentions the target
// (grep -r over the folder), copies it to <file>_fuzz_.go and builds the package with it, without
// the package's other _test.go files. Each target's name must therefore appear in one file only,
// and that file must compile as an ordinary source file of its package.
func TestTargetFilesBuildAsClusterFuzzLiteDoes(t *testing.T) {
	root, err := Root()
	require.NoError(t, err)
	replace := map[string]string{}
	pkgs := map[string]bool{}
	for _, tg := range fuzzTargets(t) {
		var mention []string
		err := filepath.WalkDir(filepath.Join(root, tg.Pkg), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err == nil && strings.Contains(string(data), tg.Name) {
				mention = append(mention, path)
			}
			return err
		})
		require.NoError(t, err)
		assert.Equal(t, []string{tg.File}, mention, "files of %s/ that mention %s", tg.Pkg, tg.Name)
		replace[tg.File+"_fuzz_.go"] = tg.File
		pkgs["./"+tg.Pkg] = true
	}
	overlay, err := json.Marshal(map[string]any{"Replace": replace})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "overlay.json")
	require.NoError(t, os.WriteFile(path, overlay, 0o644))
	args := []string{"build", "-o", os.DevNull, "-overlay", path}
	for p := range pkgs {
		args = append(args, p)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the fuzz target files do not build as non-test files:\n%s", out)
}

func TestClusterFuzzLiteConfiguration(t *testing.T) {
	assert.Regexp(t, `(?m)^language: go$`, readRootFile(t, ".clusterfuzzlite/project.yaml"))
	docker := readRootFile(t, ".clusterfuzzlite/Dockerfile")
	assert.Regexp(t, `(?m)^FROM gcr\.io/oss-fuzz-base/base-builder-go$`, docker)
	assert.Regexp(t, `(?m)^COPY \.clusterfuzzlite/build\.sh \$SRC/$`, docker)
	flow := readRootFile(t, ".github/workflows/cflite.yml")
	for _, want := range []string{"pull_request:", "google/clusterfuzzlite/actions/build_fuzzers@v1", "google/clusterfuzzlite/actions/run_fuzzers@v1", "mode: code-change", "sanitizer: [address]", "language: go"} {
		assert.Contains(t, flow, want, ".github/workflows/cflite.yml")
	}
}
