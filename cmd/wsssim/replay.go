package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/wsssim/wsssim/replay"
)

func init() {
	register(&command{
		name:    "replay",
		summary: "run a recording (wsssim run --trace-out) again and report the first call that differs",
		usage:   "replay FILE",
		run:     runReplay,
	})
}

// runReplay replays a recording: exit 0 when every call and outcome is identical, 1 at a
// divergence (each reported with the record's file:line, what was expected and what came), 2
// when the recording cannot be read.
func runReplay(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("replay", flag.ContinueOnError)
	fset.SetOutput(stderr)
	if err := fset.Parse(args); err != nil {
		return exitUsage
	}
	if fset.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: wsssim replay FILE")
		return exitUsage
	}
	path := fset.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(stderr, "wsssim replay:", err)
		return exitUsage
	}
	defer f.Close()
	rep, err := replay.Replay(f, path, replay.Options{Dir: filepath.Dir(path)})
	if err != nil {
		fmt.Fprintln(stderr, "wsssim replay:", err)
		return exitUsage
	}
	for _, o := range rep.Scenarios {
		for _, d := range o.Divergences {
			fmt.Fprintln(stdout, d)
		}
	}
	fmt.Fprintln(stdout, rep.Summary())
	if !rep.Identical() {
		return exitFail
	}
	return exitOK
}
