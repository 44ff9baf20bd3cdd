package replay

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/fuzz"
	"github.com/wsssim/wsssim/scenario"
)

const corpus = "../testdata/scenarios"

func corpusFiles(t *testing.T) []string {
	t.Helper()
	var paths []string
	require.NoError(t, filepath.WalkDir(corpus, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".wss") {
			paths = append(paths, p)
		}
		return err
	}))
	require.NotEmpty(t, paths)
	return paths
}

// recordRuns runs the files as wsssim run --trace-out does and returns the recording.
func recordRuns(t *testing.T, streamed bool, paths ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	rec := NewRecorder(&buf)
	for _, p := range paths {
		f, err := os.Open(p)
		require.NoError(t, err)
		sum, _, err := Hash(f)
		f.Close()
		require.NoError(t, err)
		rec.Begin(Source{File: p, SHA256: sum, Backend: "sim", Streamed: streamed})
		open := func() (io.ReadCloser, error) { return os.Open(p) }
		_, res, err := RunFile(p, open, streamed, rec.Backend(scenario.SimBackend()), scenario.Options{OnStep: rec.Step})
		rec.End(res, err)
	}
	require.NoError(t, rec.Err())
	return buf.Bytes()
}

// TestCorpusReplaysByteForByte: every corpus scenario, run twice, gives the same recording byte
// for byte (calls, simulator events, outcome), and replaying the recording finds no difference,
// parsed whole or streamed.
func TestCorpusReplaysByteForByte(t *testing.T) {
	paths := corpusFiles(t)
	for _, streamed := range []bool{false, true} {
		first := recordRuns(t, streamed, paths...)
		second := recordRuns(t, streamed, paths...)
		require.Equal(t, string(first), string(second), "two runs of the corpus gave different recordings (streamed %v)", streamed)
		rep, err := Replay(bytes.NewReader(first), "corpus.jsonl", Options{})
		require.NoError(t, err)
		assert.Len(t, rep.Scenarios, len(paths))
		for _, o := range rep.Scenarios {
			for _, d := range o.Divergences {
				t.Errorf("streamed %v: %s", streamed, d)
			}
			assert.Empty(t, o.Skipped)
		}
		assert.True(t, rep.Identical())
		calls := 0
		for _, o := range rep.Scenarios {
			calls += o.Calls
		}
		assert.Equal(t, strings.Count(string(first), `"type":"call"`), calls, "every recorded call was compared")
	}
}

// TestReplayPointsAtTheFirstDifference edits one call of a recording: the divergence names that
// record's line and statement, with both texts.
func TestReplayPointsAtTheFirstDifference(t *testing.T) {
	paths := corpusFiles(t)[:3]
	rec := strings.Split(string(recordRuns(t, false, paths...)), "\n")
	target := -1
	for i, l := range rec {
		if strings.Contains(l, `"type":"call"`) && strings.Contains(l, " = ok") && i > 5 {
			target = i
			break
		}
	}
	require.NotEqual(t, -1, target)
	orig := rec[target]
	rec[target] = strings.Replace(orig, " = ok", " = WSAEINVAL", 1)
	rep, err := Replay(strings.NewReader(strings.Join(rec, "\n")), "edited.jsonl", Options{})
	require.NoError(t, err)
	require.False(t, rep.Identical())
	var ds []Divergence
	for _, o := range rep.Scenarios {
		ds = append(ds, o.Divergences...)
	}
	require.Len(t, ds, 1)
	d := ds[0]
	assert.Equal(t, "edited.jsonl:"+strconv.Itoa(target+1), d.At)
	assert.Equal(t, "the call's result differs", d.What)
	assert.Contains(t, d.Expected, "= WSAEINVAL")
	assert.Contains(t, d.Got, "= ok")
	assert.True(t, strings.HasPrefix(d.Got, d.Stmt+": "), "the statement %q starts the trace line %q", d.Stmt, d.Got)
	assert.Contains(t, rep.Summary(), "1 diverged")
}

func TestReplayRefusesUnusableRecordings(t *testing.T) {
	for _, c := range []struct{ rec, want string }{
		{"", "r.jsonl: no scenario in the recording"},
		{"not json\n", "r.jsonl:1: not a recording record"},
		{`{"type":"call","line":1}` + "\n", "r.jsonl:1: a call record outside a scenario"},
		{`{"type":"frob"}` + "\n", `r.jsonl:1: unknown record type "frob"`},
		{`{"type":"scenario","format":"wsssim-replay/1","file":"x.wss","backend":"native"}` + "\n", `r.jsonl:1: x.wss was recorded on the "native" back end`},
	} {
		_, err := Replay(strings.NewReader(c.rec), "r.jsonl", Options{})
		require.Error(t, err, c.rec)
		assert.Contains(t, err.Error(), c.want)
	}
}

// TestReplayOfAnUnreadableScenario: a scenario that is gone is a divergence of its outcome, and
// a scenario skipped when recorded is not replayed.
func TestReplayOfAnUnreadableScenario(t *testing.T) {
	var buf bytes.Buffer
	rec := NewRecorder(&buf)
	rec.Begin(Source{File: "gone.wss", SHA256: "00", Backend: "sim"})
	rec.End(&scenario.Result{Steps: nil}, nil)
	rec.Begin(Source{File: "skipped.wss", SHA256: "00", Backend: "sim"})
	rec.End(&scenario.Result{Skipped: "known difference: crashes Wine"}, nil)
	rep, err := Replay(&buf, "r.jsonl", Options{Open: func(string) (io.ReadCloser, error) { return nil, os.ErrNotExist }})
	require.NoError(t, err)
	require.Len(t, rep.Scenarios, 2)
	require.Len(t, rep.Scenarios[0].Divergences, 1)
	d := rep.Scenarios[0].Divergences[0]
	assert.Equal(t, "r.jsonl:2", d.At)
	assert.Equal(t, "passed", d.Expected)
	assert.Contains(t, d.Got, "error: file does not exist")
	assert.Equal(t, "known difference: crashes Wine", rep.Scenarios[1].Skipped)
	assert.Contains(t, rep.Summary(), "(1 skipped when recorded): 1 diverged")
}

// TestSameSeedSameTrace: fuzz programs (the calls a seed draws, every function of the
// simulator among them) give byte-identical recordings, simulator events included, run after
// run.
func TestSameSeedSameTrace(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		text := fuzz.Generate(seed, 300).Text()
		var runs [2]string
		for i := range runs {
			var buf bytes.Buffer
			rec := NewRecorder(&buf)
			rec.Begin(Source{File: "fuzz.wss", Backend: "sim"})
			script, err := scenario.Parse("fuzz.wss", []byte(text))
			require.NoError(t, err)
			res := scenario.Run(script, rec.Backend(scenario.SimBackend()), scenario.Options{OnStep: rec.Step})
			rec.End(res, nil)
			runs[i] = buf.String()
		}
		require.Equal(t, runs[0], runs[1], "seed %d", seed)
		require.Contains(t, runs[0], `"events":["`, "the recording holds the simulator's trace")
	}
}
