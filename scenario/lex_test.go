package scenario

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// commentFree is the statement text by its definition: the line up to the first '#' outside
// double quotes (a backslash in quotes escapes the next byte), without surrounding space.
// The lexer finds the same place while it tokenises; this scans for it on its own.
func commentFree(line string) string {
	inQuote := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == '#' && !inQuote:
			return strings.TrimSpace(line[:i])
		}
	}
	return strings.TrimSpace(line)
}

// A statement's Text is its line without the comment, whatever mix of quotes, escapes, '#',
// '=' and "=>" the line holds, and the tokens end where the comment starts.
func TestStmtTextIsLineWithoutComment(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		line := rapid.StringOfN(rapid.SampledFrom([]rune(`ab_1 =>#"\`+"\t")), 0, 24, -1).Draw(t, "line")
		s, _ := Parse("t.wss", []byte("closesocket "+line))
		require.Len(t, s.Stmts, 1)
		require.Equal(t, commentFree("closesocket "+line), s.Stmts[0].Text)
		toks, end := lexLine(nil, line, func(int, string) {})
		require.Equal(t, strings.TrimSpace(line[:end]), commentFree(line))
		for _, tok := range toks {
			require.LessOrEqual(t, tok.col-1+len(tok.raw), end, "token %q past the comment", tok.raw)
		}
	})
}
