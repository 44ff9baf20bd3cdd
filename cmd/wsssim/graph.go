package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/wsssim/wsssim/sim"
)

func init() {
	register(&command{
		name:    "graph",
		summary: "draw the socket state machine, probed from the model (dot or mermaid)",
		usage:   "graph [--format mermaid|dot]",
		run:     runGraph,
	})
}

func runGraph(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("graph", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "mermaid", "output format: mermaid or dot")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	g := sim.BuildGraph()
	switch *format {
	case "mermaid":
		fmt.Fprint(stdout, g.Mermaid())
	case "dot":
		fmt.Fprint(stdout, g.DOT())
	default:
		fmt.Fprintf(stderr, "wsssim graph: unknown format %q (mermaid or dot)\n", *format)
		return exitUsage
	}
	return exitOK
}
