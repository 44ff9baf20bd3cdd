package fuzz

// Shrink removes statements from a program that breaks an invariant for as long as the smaller
// program still breaks the same invariant, and returns the smallest it found (delta debugging:
// chunks of halving size, then single lines, until nothing more can go).
func Shrink(p Program, v *Violation) (Program, *Violation) {
	lines := p.Lines
	if v.Line > headerLines {
		// Statements after the violating one cannot matter.
		if n := v.Line - headerLines; n > 0 && n < len(lines) {
			lines = lines[:n]
		}
	}
	best := v
	for chunk := len(lines) / 2; chunk >= 1; {
		removed := false
		for start := 0; start+chunk <= len(lines); {
			cand := append(append([]string(nil), lines[:start]...), lines[start+chunk:]...)
			if cv, _ := Check(Program{Lines: cand}); cv != nil && cv.Invariant == v.Invariant {
				lines, best, removed = cand, cv, true
				continue
			}
			start += chunk
		}
		if !removed {
			chunk /= 2
		}
	}
	return Program{Lines: lines}, best
}

// headerLines is the number of lines header takes, so statement i is on line headerLines+i+1.
var headerLines = func() int {
	n := 0
	for _, c := range header {
		if c == '\n' {
			n++
		}
	}
	return n
}()
