package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sim"
)

func init() {
	register(&command{
		name:    "rules",
		summary: "print the rule table: every precondition and outcome, its code and source",
		usage:   "rules [--format text|markdown|json] [--func NAME]",
		run:     runRules,
	})
	register(&command{
		name:    "explain",
		summary: "say what an error code means and which rules return it",
		usage:   "explain NAME|NUMBER|RULE-ID...",
		run:     runExplain,
	})
}

// ruleRow is a rule as the CLI prints it.
type ruleRow struct {
	ID        string `json:"id"`
	Function  string `json:"function"`
	Code      string `json:"code"`
	Number    uint32 `json:"number"`
	Kind      string `json:"kind"`
	Condition string `json:"condition"`
	Source    string `json:"source"`
}

func rowOf(r *sim.Rule) ruleRow {
	kind := "check"
	if r.IsOutcome() {
		kind = "outcome"
	}
	return ruleRow{r.ID, r.Func, r.Code.Name(), uint32(r.Code), kind, r.Condition, r.Source}
}

func runRules(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rules", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text, markdown or json")
	fn := fs.String("func", "", "only the rules of this function, in the order its calls check them")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	rules := sim.Rules()
	if *fn != "" {
		rules = sim.RulesFor(*fn)
		if rules == nil {
			fmt.Fprintf(stderr, "wsssim rules: no function %q", *fn)
			if s := nearest(*fn, sim.Functions()); s != "" {
				fmt.Fprintf(stderr, "; did you mean %s?", s)
			}
			fmt.Fprintln(stderr)
			return exitUsage
		}
	}
	rows := make([]ruleRow, len(rules))
	for i, r := range rules {
		rows[i] = rowOf(r)
	}
	switch *format {
	case "text":
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tFUNCTION\tCODE\tCONDITION")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Function, r.Code, r.Condition)
		}
		tw.Flush()
	case "markdown":
		fmt.Fprintln(stdout, "| ID | Function | Code | Kind | Condition | Source |")
		fmt.Fprintln(stdout, "|---|---|---|---|---|---|")
		for _, r := range rows {
			fmt.Fprintf(stdout, "| %s | %s | %s (%d) | %s | %s | %s |\n", r.ID, r.Function, r.Code, r.Number, r.Kind, mdEscape(r.Condition), mdEscape(r.Source))
		}
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			fmt.Fprintln(stderr, "wsssim rules:", err)
			return exitFail
		}
	default:
		fmt.Fprintf(stderr, "wsssim rules: unknown format %q (text, markdown or json)\n", *format)
		return exitUsage
	}
	return exitOK
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func runExplain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: wsssim explain NAME|NUMBER|RULE-ID...")
		return exitUsage
	}
	status := exitOK
	for i, arg := range args {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if r, ok := sim.RuleByID(arg); ok {
			explainRule(stdout, r)
			continue
		}
		code, ok := errors.Parse(arg)
		if !ok {
			fmt.Fprintf(stderr, "wsssim explain: %q is neither an error code nor a rule ID", arg)
			if s := nearest(arg, codeAndRuleNames()); s != "" {
				fmt.Fprintf(stderr, "; did you mean %s?", s)
			}
			fmt.Fprintln(stderr)
			status = exitUsage
			continue
		}
		fmt.Fprintf(stdout, "%s (%d, 0x%x): %s\n", code.Name(), uint32(code), uint32(code), code.Meaning())
		var aliases []string
		for _, c := range errors.Codes() {
			if c.Number == code && c.Name != code.Name() {
				aliases = append(aliases, c.Name)
			}
		}
		if len(aliases) > 0 {
			fmt.Fprintf(stdout, "also named: %s\n", strings.Join(aliases, ", "))
		}
		rules := sim.RulesReturning(code)
		if len(rules) == 0 {
			fmt.Fprintln(stdout, "no rule of the simulator returns it")
			continue
		}
		fmt.Fprintf(stdout, "returned by %d rule(s):\n", len(rules))
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		for _, r := range rules {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.ID, r.Func, r.Condition)
		}
		tw.Flush()
	}
	return status
}

func explainRule(w io.Writer, r *sim.Rule) {
	row := rowOf(r)
	fmt.Fprintf(w, "rule %s (%s, %s)\n", row.ID, row.Function, row.Kind)
	fmt.Fprintf(w, "  returns:   %s (%d): %s\n", row.Code, row.Number, r.Code.Meaning())
	fmt.Fprintf(w, "  condition: %s\n", row.Condition)
	fmt.Fprintf(w, "  source:    %s\n", row.Source)
}

func codeAndRuleNames() []string {
	var out []string
	for _, c := range errors.Codes() {
		out = append(out, c.Name)
	}
	for _, r := range sim.Rules() {
		out = append(out, r.ID)
	}
	return out
}
