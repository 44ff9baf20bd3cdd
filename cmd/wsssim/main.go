// Command wsssim runs, traces, replays, explains, fuzzes and draws Winsock call sequences against
// wsssim's simulated Windows hosts (and, on Windows, the real Winsock).
//
// Usage:
//
//	wsssim <command> [arguments]
//
// Run "wsssim help" for the commands.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/wsssim/wsssim/scenario"
)

// Exit codes, as the scenario runner documents them.
const (
	exitOK    = 0 // every expectation held
	exitFail  = 1 // an expectation failed (or the fuzzer found a violation)
	exitUsage = 2 // unusable input: bad flags, unreadable or malformed files
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	usage   string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

func main() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr)) }

// Main runs the command line args and returns the exit code; tests call it directly.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				fmt.Fprintf(stdout, "usage: wsssim %s\n\n%s\n", c.usage, c.summary)
				return exitOK
			}
			fmt.Fprintf(stderr, "wsssim help %s: unknown command\n", args[1])
			return exitUsage
		}
		usage(stdout)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "wsssim %s: unknown command\n", args[0])
		if s := nearest(args[0], commandNames()); s != "" {
			fmt.Fprintf(stderr, "did you mean wsssim %s?\n", s)
		}
		fmt.Fprintln(stderr, "Run 'wsssim help' for usage.")
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func usage(w io.Writer) {
	fmt.Fprint(w, `wsssim simulates Windows sockets and the Winsock Secure Socket Extensions.
It runs Winsock call sequences (.wss scenario files) against simulated Windows hosts,
checks each call's result, and explains every answer with the rule that decided it.

Usage:

	wsssim <command> [arguments]

The commands are:

`)
	for _, n := range commandNames() {
		fmt.Fprintf(w, "\t%-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, `
Use "wsssim help <command>" for more information about a command.
`)
}

// nearest returns the candidate closest to s, if it is close enough to be a plausible typo.
func nearest(s string, candidates []string) string { return scenario.Suggest(s, candidates) }
