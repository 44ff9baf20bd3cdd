package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wsssim/wsssim/fuzz"
	"github.com/wsssim/wsssim/scenario"
)

func init() {
	register(&command{
		name:    "fuzz",
		summary: "run random call orderings, check the invariants, write a minimal .wss on a violation",
		usage:   "fuzz [--seed N] [--calls N] [--duration D] [--length N] [--out DIR]",
		run:     runFuzz,
	})
}

func runFuzz(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "first seed; program i uses seed+i, so the same seed gives the same run")
	calls := fs.Int("calls", 100000, "stop after about this many Winsock calls (0: no limit)")
	duration := fs.Duration("duration", 0, "stop after this long (0: no limit)")
	length := fs.Int("length", 200, "statements per generated program")
	out := fs.String("out", ".", "directory for the reproducer of a violation")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 || *length < 1 || *calls < 0 || (*calls == 0 && *duration <= 0) {
		fmt.Fprintln(stderr, "usage: wsssim fuzz [--seed N] [--calls N] [--duration D] [--length N] [--out DIR]")
		fmt.Fprintln(stderr, "  (one of --calls and --duration must bound the run)")
		return exitUsage
	}
	tty := isTerminal(stdout)
	start := time.Now()
	lastShow := start
	total, programs := 0, 0
	var gen fuzz.Generator // programs that pass are not kept: each reuses the last one's memory
	for i := uint64(0); ; i++ {
		if *calls > 0 && total >= *calls {
			break
		}
		if *duration > 0 && time.Since(start) >= *duration {
			break
		}
		s := *seed + i
		p := gen.Generate(s, *length)
		v, n := fuzz.Check(p)
		total += n
		programs++
		if v != nil {
			if tty {
				fmt.Fprintln(stdout)
			}
			fmt.Fprintf(stdout, "seed %d: %v\n", s, v)
			small, sv := fuzz.Shrink(p, v)
			path := filepath.Join(*out, fmt.Sprintf("fuzz-%d.wss", s))
			text := reproducer(s, *length, small, sv, path)
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				fmt.Fprintln(stderr, "wsssim fuzz:", err)
				return exitUsage
			}
			fmt.Fprintf(stdout, "wrote %s (%d statements)\n", path, len(small.Lines))
			return exitFail
		}
		if tty && time.Since(lastShow) > 200*time.Millisecond {
			lastShow = time.Now()
			fmt.Fprintf(stdout, "\r%d calls, %d programs, %.0f calls/s ", total, programs, float64(total)/time.Since(start).Seconds())
		}
	}
	if tty {
		fmt.Fprintln(stdout)
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "no violation: %d calls in %d programs (seeds %d..%d), %.0f calls/s\n",
		total, programs, *seed, *seed+uint64(programs)-1, float64(total)/max(elapsed.Seconds(), 1e-9))
	return exitOK
}

// isTerminal reports whether w is a character device, where progress lines make sense.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// reproducer is the .wss file written for a violation: what was found, how to replay it, and
// the shrunk program with its passwords masked (same lengths, so it decides the same rules).
func reproducer(seed uint64, length int, small fuzz.Program, v *fuzz.Violation, path string) string {
	return fmt.Sprintf("# wsssim fuzz --seed %d --length %d found a violation, shrunk to %d statements:\n# %s\n"+
		"# Passwords are masked with as many '*' as they have characters.\n# Replay: wsssim run --trace %s\n",
		seed, length, len(small.Lines), strings.ReplaceAll(v.Error(), "\n", "\n# "), path) + scenario.RedactPasswords(small.Text())
}
