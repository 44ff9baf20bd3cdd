package scenario

import (
	"strconv"
	"strings"

	"github.com/wsssim/wsssim/policy"
)

// token is one whitespace-separated word of a line, already split into KEY=VALUE when it has
// that shape. "=" and "=>" are tokens of their own.
type token struct {
	col    int    // 1-based byte column of the token's first byte
	raw    string // the token as written
	key    string // for KEY=VALUE
	value  string // the word, or the unquoted VALUE
	kv     bool
	quoted bool
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\v' || b == '\f' }

// isIdent reports whether s is a C-style identifier, the shape of keys, variables and names.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// lexStop marks the bytes that end a run of ordinary token bytes: the spaces, '#', '"' and '='
// (which may begin "=>"). The scanner passes every other byte with one table look-up.
var lexStop = func() (t [256]bool) {
	for _, c := range " \t\r\v\f#\"=" {
		t[c] = true
	}
	return t
}()

// lexLine splits one line into tokens, appended to toks (the parser hands back the previous
// line's slice, so that lexing a file does not allocate per line), and returns where the line's
// comment starts (len(line) without one). '#' outside double quotes ends the line; "=>" splits
// from its neighbours even without spaces; a quoted string may only be a whole VALUE. Errors
// are reported through errf and never stop the line from being tokenised.
func lexLine(toks []token, line string, errf func(col int, msg string)) ([]token, int) {
	toks = toks[:0]
	i := 0
	n := len(line)
	for i < n {
		c := line[i]
		if isSpace(c) {
			i++
			continue
		}
		if c == '#' {
			return toks, i
		}
		if c == '=' && i+1 < n && line[i+1] == '>' {
			toks = append(toks, token{col: i + 1, raw: "=>", value: "=>"})
			i += 2
			continue
		}
		start := i
		quoteAt := -1
		comment, unterminated := false, false
	scan:
		for i < n {
			c := line[i]
			if !lexStop[c] {
				i++
				continue
			}
			switch {
			case isSpace(c):
				break scan
			case c == '#':
				comment = true
				break scan
			case c == '=' && i+1 < n && line[i+1] == '>':
				break scan
			case c == '"':
				if quoteAt < 0 {
					quoteAt = i
				}
				j := i + 1
				closed := false
				for j < n {
					if line[j] == '\\' && j+1 < n {
						j += 2
						continue
					}
					if line[j] == '"' {
						closed = true
						break
					}
					j++
				}
				if !closed {
					errf(i+1, "unterminated quoted string")
					i = n
					unterminated = true
					break scan
				}
				i = j + 1
			default:
				i++
			}
		}
		if unterminated {
			// Already reported: keep the token without a second message about its quotes.
			errf = func(int, string) {}
		}
		toks = append(toks, makeToken(line[start:i], start+1, quoteAt-start, errf))
		if comment {
			return toks, i
		}
	}
	return toks, n
}

// makeToken classifies a raw word. quoteOff is the offset of its first '"', or negative.
func makeToken(raw string, col, quoteOff int, errf func(col int, msg string)) token {
	t := token{col: col, raw: raw, value: raw}
	eq := strings.IndexByte(raw, '=')
	if eq > 0 && isIdent(raw[:eq]) && (quoteOff < 0 || quoteOff > eq) {
		t.kv, t.key, t.value = true, raw[:eq], raw[eq+1:]
		if quoteOff < 0 {
			return t
		}
		if quoteOff != eq+1 || !strings.HasSuffix(raw, `"`) || len(raw)-eq-1 < 2 {
			errf(col+quoteOff, "quotes must enclose the whole value: "+t.key+`="text"`)
			return t
		}
		s, err := strconv.Unquote(raw[eq+1:])
		if err != nil {
			shown := raw[eq+1:]
			if t.key == passwordKey {
				shown = policy.Redacted // a message must not quote a password, even a malformed one
			}
			errf(col+eq+1, "malformed quoted string "+shown+` (escapes are Go's: \" \\ \n \x41 \u00e9)`)
			t.value = raw[eq+2 : len(raw)-1]
		} else {
			t.value = s
		}
		t.quoted = true
		return t
	}
	if quoteOff >= 0 {
		errf(col+quoteOff, `a quoted string can only be a KEY="value" value`)
	}
	return t
}

// needsQuotes reports whether a value must be quoted to survive lexing as one token.
func needsQuotes(v string) bool {
	if strings.Contains(v, "=>") {
		return true
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if isSpace(c) || c == '\n' || c == '#' || c == '"' || c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// formatValue writes a KEY=VALUE value so that lexing gives it back unchanged.
func formatValue(v string, quoted bool) string {
	if quoted || needsQuotes(v) {
		return strconv.Quote(v)
	}
	return v
}
