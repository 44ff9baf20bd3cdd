package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wsssim/wsssim/scenario"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sim/ports"
)

// The scenario corpus: testdata/scenarios. rules/ holds one file per rule of the table, named by
// its ID; the other folders hold Microsoft's sample flows, the bind tables and lifecycle flows.
const (
	corpusDir = "../../testdata/scenarios"
	rulesDir  = corpusDir + "/rules"
)

// bruteForceRules can be reached from the language only by exhausting a host resource, which
// takes tens of thousands of lines: instead of a file, the test generates the script and runs it
// (TestRulesReachableByBruteForce).
var bruteForceRules = map[string]func() string{
	"BIND-NO-EPHEMERAL": func() string {
		// Take every port of the dynamic range with wildcard binds to port 0; one more fails.
		var b strings.Builder
		b.WriteString("# BIND-NO-EPHEMERAL: the whole dynamic range taken by binds to port 0\n")
		n := int(ports.DefaultEphemeralLast) - int(ports.DefaultEphemeralFirst) + 1
		for range n {
			b.WriteString("s = socket AF_INET SOCK_STREAM 0\nbind s 0.0.0.0:0\n")
		}
		b.WriteString("s = socket AF_INET SOCK_STREAM 0\nbind s 0.0.0.0:0 => WSAENOBUFS\n")
		b.WriteString("bind s 0.0.0.0:40000\n") // a fixed port still binds
		return b.String()
	},
}

// unreachableRules cannot decide any statement of the scenario language; each says why. A rule
// listed here that gains a file, or leaves the table, fails TestEveryRuleHasAScenario.
var unreachableRules = map[string]string{
	"CLOSE-INTERRUPTS-BLOCKING": "it needs two threads, one closing a socket while the other's call is outstanding " +
		"on it, and the language runs one statement at a time (sim's TestCloseOvertakingACall races them)",
	"SETTINGS-IPSEC-STRINGS-ODD": "the language writes user=, domain= and password= as UTF-16 and sets their " +
		"byte lengths itself, so a length is always even",
}

// shown is a corpus path as the repository names it, for messages.
func shown(path string) string { return strings.TrimPrefix(filepath.ToSlash(path), "../../") }

// runScenario parses and runs a scenario on the simulator.
func runScenario(t *testing.T, path string) *scenario.Result {
	t.Helper()
	script, err := scenario.ParseFile(path)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return scenario.Run(script, scenario.SimBackend(), scenario.Options{})
}

// requirePassed fails the test with every failed expectation of the run.
func requirePassed(t *testing.T, res *scenario.Result) {
	t.Helper()
	if res.Err != nil {
		t.Fatalf("%v", res.Err)
	}
	if res.Skipped != "" {
		t.Fatalf("skipped on the simulator: %s", res.Skipped)
	}
	for _, f := range res.Failures() {
		t.Error(f.Message())
	}
}

// decidedBy reports whether a step of the run failed because of the rule.
func decidedBy(res *scenario.Result, id string) bool {
	for _, s := range res.Steps {
		if s.Rule != nil && s.Rule.ID == id {
			return true
		}
	}
	return false
}

func ruleFiles(t *testing.T) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(rulesDir, "*.wss"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, p := range paths {
		files[strings.TrimSuffix(filepath.Base(p), ".wss")] = p
	}
	return files
}

// TestRuleScenarios runs testdata/scenarios/rules/ID.wss for every file: each must pass on the
// simulator, and the rule it is named after must decide at least one of its statements.
func TestRuleScenarios(t *testing.T) {
	files := ruleFiles(t)
	if len(files) == 0 {
		t.Fatalf("no scenarios in %s", rulesDir)
	}
	ids := make([]string, 0, len(files))
	for id := range files {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			if _, ok := sim.RuleByID(id); !ok {
				t.Fatalf("%s names no rule of the table (renamed or removed? see wsssim rules)", shown(files[id]))
			}
			res := runScenario(t, files[id])
			requirePassed(t, res)
			if !decidedBy(res, id) {
				t.Errorf("%s: no statement was decided by rule %s (see wsssim run --trace %s)", shown(files[id]), id, shown(files[id]))
			}
		})
	}
}

// TestEveryRuleHasAScenario fails when a rule of the table has no scenario named after it, so a
// new rule needs one (or, if the language cannot reach it, an entry in unreachableRules saying why).
func TestEveryRuleHasAScenario(t *testing.T) {
	files := ruleFiles(t)
	for _, r := range sim.Rules() {
		_, hasFile := files[r.ID]
		_, brute := bruteForceRules[r.ID]
		_, unreachable := unreachableRules[r.ID]
		switch {
		case hasFile && (brute || unreachable):
			t.Errorf("rule %s has %s: drop it from bruteForceRules/unreachableRules", r.ID, shown(files[r.ID]))
		case !hasFile && !brute && !unreachable:
			t.Errorf("rule %s (%s → %s) has no scenario: add %s/%s.wss", r.ID, r.Func, r.Code.Name(), shown(rulesDir), r.ID)
		}
	}
	for id := range unreachableRules {
		if _, ok := sim.RuleByID(id); !ok {
			t.Errorf("unreachableRules names %s, which is no longer a rule", id)
		}
	}
	for id := range bruteForceRules {
		if _, ok := sim.RuleByID(id); !ok {
			t.Errorf("bruteForceRules names %s, which is no longer a rule", id)
		}
	}
}

// TestRulesReachableByBruteForce shows that the rules without a file are still reachable from the
// language: the generated scripts pass, and the rule decides one of their statements.
func TestRulesReachableByBruteForce(t *testing.T) {
	for id, gen := range bruteForceRules {
		t.Run(id, func(t *testing.T) {
			script, err := scenario.Parse(id+".wss", []byte(gen()))
			if err != nil {
				t.Fatalf("%v", err)
			}
			res := scenario.Run(script, scenario.SimBackend(), scenario.Options{StopAtFirstFailure: true})
			requirePassed(t, res)
			if !decidedBy(res, id) {
				t.Errorf("no statement was decided by rule %s", id)
			}
		})
	}
}

// TestCorpus runs every scenario under testdata/scenarios on the simulator: all must pass, as
// `wsssim run testdata/scenarios` does.
func TestCorpus(t *testing.T) {
	var paths []string
	err := filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".wss") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"rules", "samples", "bind-tables", "lifecycle"} {
		if _, err := os.Stat(filepath.Join(corpusDir, dir)); err != nil {
			t.Errorf("corpus folder %s: %v", dir, err)
		}
	}
	for _, p := range paths {
		name, _ := filepath.Rel(corpusDir, p)
		t.Run(filepath.ToSlash(name), func(t *testing.T) {
			requirePassed(t, runScenario(t, p))
		})
	}
}

// TestBindTablesCoverEveryCell checks that each bind-table file replays all 36 cells and the
// dual-stack file all 20 of Wine's cases, so that a regenerated file cannot silently lose some.
func TestBindTablesCoverEveryCell(t *testing.T) {
	want := map[string]int{
		"table-b-ipv4.wss": 36, "table-b-ipv6.wss": 36,
		"table-c-ipv4.wss": 36, "table-c-ipv6.wss": 36,
		"dual-stack.wss": 20,
	}
	for name, cells := range want {
		path := filepath.Join(corpusDir, "bind-tables", name)
		res := runScenario(t, path)
		requirePassed(t, res)
		// Each cell is decided by the second socket's bind, the one that says "=> RESULT".
		n := 0
		for _, s := range res.Steps {
			if s.Stmt.Call == "bind" && s.Stmt.Expect.Given {
				n++
			}
		}
		if n != cells {
			t.Errorf("%s: %d cells with an expected result, want %d", name, n, cells)
		}
	}
}
