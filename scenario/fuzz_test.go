package scenario

// The Go native fuzz target of the parser, and the checks it shares with the property tests in
// roundtrip_test.go. This file depends only on the package's own (non-test) code:
// ClusterFuzzLite's compile_native_go_fuzzer builds it as an ordinary source file, without the
// package's other _test.go files. Seeds live in testdata/fuzz/FuzzParse/ at the module root
// (see internal/fuzzseed).

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/internal/fuzzseed"
)

// normalize drops what Format does not keep (positions, source text), so that a script and its
// Format round trip compare equal.
func normalize(s *Script) *Script {
	out := &Script{Name: s.Name}
	for _, h := range s.Hosts {
		h.Pos = Pos{}
		h.Options = normArgs(h.Options)
		out.Hosts = append(out.Hosts, h)
	}
	for _, a := range s.Apps {
		a.Pos = Pos{}
		a.Options = normArgs(a.Options)
		out.Apps = append(out.Apps, a)
	}
	for _, st := range s.Stmts {
		if st == nil {
			continue
		}
		c := *st
		c.Pos, c.CallPos, c.Text, c.broken = Pos{}, Pos{}, "", false
		c.Args = normArgs(c.Args)
		c.Expect.Pos = Pos{}
		var checks []ValueCheck
		for _, vc := range c.Expect.Checks {
			vc.Pos = Pos{}
			checks = append(checks, vc)
		}
		c.Expect.Checks = checks
		out.Stmts = append(out.Stmts, &c)
	}
	return out
}

func normArgs(args []Arg) []Arg {
	var out []Arg
	for _, a := range args {
		a.Pos = Pos{}
		out = append(out, a)
	}
	return out
}

// checkParse parses src. A rejected file must give errors of the documented shape, positioned
// inside the file. An accepted one must format as text that parses back to the same script and
// formats the same again (Format is canonical), and must run, twice with the same trace (runs
// are deterministic), without panicking.
func checkParse(t require.TestingT, src string) {
	s, err := Parse("soup.wss", []byte(src))
	if err != nil {
		list, ok := err.(ErrorList)
		require.True(t, ok, "Parse returned %T", err)
		require.NotEmpty(t, list)
		require.LessOrEqual(t, len(list), maxErrors+1)
		lines := strings.Count(src, "\n") + 1
		for _, e := range list {
			require.True(t, strings.HasPrefix(e.Error(), "soup.wss:"), e.Error())
			require.GreaterOrEqual(t, e.Pos.Line, 1)
			require.LessOrEqual(t, e.Pos.Line, lines, e.Error())
			require.GreaterOrEqual(t, e.Pos.Col, 1)
		}
		return
	}
	text := s.Format()
	back, err := Parse("soup.wss", []byte(text))
	require.NoError(t, err, "%q formats as %q", src, text)
	require.Equal(t, normalize(s), normalize(back))
	require.Equal(t, text, back.Format(), "Format is not canonical")

	var one, two strings.Builder
	r := Run(s, SimBackend(), Options{Trace: &one})
	require.NoError(t, r.Err, "a script Parse accepts does not run")
	require.Len(t, r.Steps, len(s.Stmts))
	Run(s, SimBackend(), Options{Trace: &two})
	require.Equal(t, one.String(), two.String(), "the same script traced differently")
}

func FuzzParse(f *testing.F) {
	seeds, err := fuzzseed.Load(f.Name())
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkParse(t, string(src))
	})
}
