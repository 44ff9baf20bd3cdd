package scenario

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunReaderMatchesRun: a streamed run of every corpus file gives the trace a parsed run
// gives, byte for byte, and the same verdict.
func TestRunReaderMatchesRun(t *testing.T) {
	var paths []string
	require.NoError(t, filepath.WalkDir("../testdata/scenarios", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".wss") {
			paths = append(paths, p)
		}
		return err
	}))
	paths = append(paths, "testdata/calls.wss", "testdata/issue3.wss")
	require.NotEmpty(t, paths)
	for _, p := range paths {
		src, err := os.ReadFile(p)
		require.NoError(t, err)
		s, err := Parse(p, src)
		require.NoError(t, err, p)
		var parsed, streamed bytes.Buffer
		want := Run(s, SimBackend(), Options{Trace: &parsed})
		got := RunReader(p, bytes.NewReader(src), SimBackend(), Options{Trace: &streamed})
		require.NoError(t, got.Err, p)
		assert.Equal(t, parsed.String(), streamed.String(), p)
		assert.Equal(t, want.Passed(), got.Passed(), p)
		assert.True(t, got.Streamed)
		assert.Equal(t, len(want.Steps), got.StepCount, p)
		assert.Equal(t, len(want.Failures()), got.FailureCount, p)
	}
}

func TestRunReaderKeepsFailuresAndStops(t *testing.T) {
	src := "s = socket AF_INET SOCK_STREAM 0\nlisten s 1\nlisten s 1 => ok\nclosesocket s\n"
	r := RunReader("f.wss", strings.NewReader(src), SimBackend(), Options{})
	require.NoError(t, r.Err)
	assert.Equal(t, 4, r.StepCount)
	assert.Equal(t, 2, r.FailureCount)
	require.Len(t, r.Steps, 2, "only the failures are kept")
	assert.Equal(t, 2, r.Steps[0].Stmt.Pos.Line)
	assert.False(t, r.Passed())

	r = RunReader("f.wss", strings.NewReader(src), SimBackend(), Options{StopAtFirstFailure: true})
	assert.Equal(t, 2, r.StepCount)
	assert.Len(t, r.Failures(), 1)
}

func TestRunReaderProblems(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"late host", "s = socket AF_INET SOCK_STREAM 0\nhost h 10.0.0.1\n",
			"l.wss:2:1: host and app lines must come before the first statement in a streamed run"},
		{"mistake stops the run", "s = socket AF_INET SOCK_STREAM 0\nbind s 127.0.0.1:80 lne=16\nclosesocket s\n",
			"l.wss:2:21: bind takes no key lne; did you mean len?"},
		{"bad declaration", "host h maxsockets=0\ns = socket AF_INET SOCK_STREAM 0\n",
			"l.wss:1:19: host h: maxsockets= takes a number"},
		{"long line", "s = socket AF_INET SOCK_STREAM 0\n# " + strings.Repeat("x", MaxLineLength) + "\n",
			"l.wss:2:1: line longer than 1048576 bytes"},
	} {
		r := RunReader("l.wss", strings.NewReader(c.src), SimBackend(), Options{})
		require.Error(t, r.Err, c.name)
		assert.Contains(t, r.Err.Error(), c.want, c.name)
	}
	// The statements before a mistake have run.
	r := RunReader("l.wss", strings.NewReader("s = socket AF_INET SOCK_STREAM 0\nbogus\n"), SimBackend(), Options{})
	assert.Equal(t, 1, r.StepCount)

	r = RunReader("n.wss", strings.NewReader("socket AF_INET SOCK_STREAM 0\n"), NativeBackend(nil), Options{})
	assert.ErrorContains(t, r.Err, "the native back end cannot run a streamed script")

	r = RunReader("d.wss", strings.NewReader("\xef\xbb\xbfhost h 10.0.0.1 maxsockets=3 # declarations only\n"), SimBackend(), Options{})
	require.NoError(t, r.Err)
	assert.True(t, r.Passed())
	assert.Equal(t, 0, r.StepCount)
	require.Len(t, r.Script.Hosts, 1)
}

// lineReader produces a scenario of n statements as it is read, so that the test's own input
// takes no memory: on host a a datagram socket bound and closed, on host b a non-blocking
// connect and a ConnectEx left in flight and their sockets closed (the network never settles),
// round and round.
type lineReader struct {
	n, i int
	buf  []byte
}

const millionHeader = "host a 10.0.0.1\nhost b 10.0.0.2\n"

var millionCycle = []string{
	"a: s = socket AF_INET SOCK_DGRAM 0\n",
	"", // bind s 127.0.0.1:PORT
	"a: closesocket s\n",
	"b: t = socket AF_INET SOCK_STREAM 0\n",
	"b: ioctlsocket t FIONBIO 1\n",
	"b: connect t 10.0.0.1:9 => WSAEWOULDBLOCK\n",
	"b: closesocket t\n",
	"b: u = socket AF_INET SOCK_STREAM 0\n",
	"b: bind u 0.0.0.0:0\n",
	"b: ConnectEx u 10.0.0.1:9 => WSA_IO_PENDING\n",
	"b: closesocket u\n",
}

func (r *lineReader) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) && r.i < r.n {
		if r.i == 0 {
			r.buf = append(r.buf, millionHeader...)
		}
		if line := millionCycle[r.i%len(millionCycle)]; line != "" {
			r.buf = append(r.buf, line...)
		} else {
			r.buf = append(r.buf, "a: bind s 127.0.0.1:"+strconv.Itoa(1000+r.i%50000)+"\n"...)
		}
		r.i++
	}
	if len(r.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.buf)
	r.buf = r.buf[:copy(r.buf, r.buf[n:])]
	return n, nil
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestRunReaderMillionLinesInBoundedMemory runs a generated million-line scenario streamed and
// samples the live heap along the way: it stays within a few MiB of where it started, where
// parsing the same file whole would hold every statement at once (hundreds of MiB).
func TestRunReaderMillionLinesInBoundedMemory(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 200_000
	}
	base := heapInUse()
	var peak uint64
	steps := 0
	res := RunReader("million.wss", &lineReader{n: n}, SimBackend(), Options{OnStep: func(Step) {
		steps++
		if steps%100_000 == 0 {
			peak = max(peak, heapInUse())
		}
	}})
	require.NoError(t, res.Err)
	require.True(t, res.Passed(), "%v", failureMessages(res))
	assert.Equal(t, n, res.StepCount)
	require.NotZero(t, peak)
	growth := int64(peak) - int64(base)
	t.Logf("live heap: %d KiB before, %d KiB at the peak sample (%d statements)", base>>10, peak>>10, n)
	assert.Less(t, growth, int64(4<<20), "the live heap grew by %d KiB over a streamed run", growth>>10)
}

func BenchmarkRunReader(b *testing.B) {
	const n = 10_000
	b.ReportAllocs()
	for b.Loop() {
		res := RunReader("bench.wss", &lineReader{n: n}, SimBackend(), Options{})
		if res.Err != nil || !res.Passed() {
			b.Fatal(res.Err, failureMessages(res))
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "stmts/s")
}
