package policy

import (
	"encoding/binary"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The structures carry wchar_t text: UTF-16LE code units, no terminator. These helpers convert
// without intermediate []rune copies, so decoding allocates only the result, sized exactly.

// utf16Len counts the UTF-16 code units of s (invalid UTF-8 counts as U+FFFD, one unit).
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// putUTF16String writes s as UTF-16LE at the start of b and returns the bytes written. b must
// hold 2*utf16Len(s) bytes.
func putUTF16String(b []byte, s string) int {
	i := 0
	for _, r := range s {
		if utf16.RuneLen(r) == 2 {
			r1, r2 := utf16.EncodeRune(r)
			binary.LittleEndian.PutUint16(b[i:], uint16(r1))
			binary.LittleEndian.PutUint16(b[i+2:], uint16(r2))
			i += 4
			continue
		}
		if r < 0 || r > 0xFFFF {
			r = utf8.RuneError
		}
		binary.LittleEndian.PutUint16(b[i:], uint16(r))
		i += 2
	}
	return i
}

// putUnits writes code units as UTF-16LE at the start of b and returns the bytes written.
func putUnits(b []byte, units []uint16) int {
	for i, u := range units {
		binary.LittleEndian.PutUint16(b[2*i:], u)
	}
	return 2 * len(units)
}

// nextRune decodes the rune at unit i of a sequence of n units read by at; unpaired surrogates
// become U+FFFD, as Windows' own conversions do.
func nextRune(at func(int) uint16, i, n int) (rune, int) {
	u := rune(at(i))
	if !utf16.IsSurrogate(u) {
		return u, 1
	}
	if u < 0xDC00 && i+1 < n {
		if r := utf16.DecodeRune(u, rune(at(i+1))); r != utf8.RuneError {
			return r, 2
		}
	}
	return utf8.RuneError, 1
}

func decodeWith(at func(int) uint16, n int) string {
	if n == 0 {
		return ""
	}
	size := 0
	for i := 0; i < n; {
		r, w := nextRune(at, i, n)
		size += utf8.RuneLen(r)
		i += w
	}
	var sb strings.Builder
	sb.Grow(size)
	for i := 0; i < n; {
		r, w := nextRune(at, i, n)
		sb.WriteRune(r)
		i += w
	}
	return sb.String()
}

// decodeUTF16LE turns UTF-16LE bytes into a string; an odd trailing byte is ignored.
func decodeUTF16LE(b []byte) string {
	return decodeWith(func(i int) uint16 { return binary.LittleEndian.Uint16(b[2*i:]) }, len(b)/2)
}

// decodeUnits turns UTF-16 code units into a string.
func decodeUnits(u []uint16) string {
	return decodeWith(func(i int) uint16 { return u[i] }, len(u))
}
