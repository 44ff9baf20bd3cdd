package scenario

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// Parse keeps the program it compiled with the Script it returns, so that Run, which must
// refuse a script it cannot check, does not check the same text a second time (on a long file
// that second check was a sixth of the run). A Script's fields stay public and a caller may
// change them after Parse, so the program carries a fingerprint of everything the compiler
// reads, and Run compiles afresh when the script no longer matches it.
//
// The fingerprint is of the fields' identities rather than their text. A string counts as its
// data pointer and length: strings are immutable, so new text is always a new string, while
// hashing every byte would cost about as much as compiling again. The program keeps the parsed
// text, and with it every string Parse made, so none of their addresses can be freed and given
// to a new string. A field given equal text at another address only costs a needless compile.
// Statements count by address too, since steps point at them (the program's ops keep them).

// fingerprint identifies a Script's content as the compiler saw it.
type fingerprint uint64

// fingerprintOf reads every field of s that compiling it reads.
func fingerprintOf(s *Script) fingerprint {
	var f fingerprinter
	f.str(s.Name)
	f.int(len(s.Hosts))
	for i := range s.Hosts {
		h := &s.Hosts[i]
		f.pos(h.Pos)
		f.str(h.Name)
		f.int(len(h.Addrs))
		for _, a := range h.Addrs {
			b := a.As16()
			f.word(binary.BigEndian.Uint64(b[:8]))
			f.word(binary.BigEndian.Uint64(b[8:]))
			f.int(a.BitLen())
			f.text(a.Zone())
		}
		f.args(h.Options)
	}
	f.int(len(s.Apps))
	for i := range s.Apps {
		a := &s.Apps[i]
		f.pos(a.Pos)
		f.str(a.Host)
		f.str(a.Name)
		f.str(a.User)
		f.args(a.Options)
	}
	f.int(len(s.Stmts))
	for _, st := range s.Stmts {
		f.word(uint64(uintptr(unsafe.Pointer(st))))
		if st == nil {
			continue
		}
		f.pos(st.Pos)
		f.str(st.Text)
		f.str(st.Who)
		f.str(st.Thread)
		f.str(st.Var)
		f.str(st.Call)
		f.pos(st.CallPos)
		f.args(st.Args)
		e := &st.Expect
		f.pos(e.Pos)
		f.flags(e.Given, e.OK, e.AnyError, st.broken)
		f.int(len(e.Codes))
		for _, c := range e.Codes {
			f.word(uint64(c))
		}
		f.int(len(e.Checks))
		for i := range e.Checks {
			c := &e.Checks[i]
			f.pos(c.Pos)
			f.str(c.Key)
			f.str(c.Value)
		}
	}
	return fingerprint(f.sum)
}

// fingerprinter sums 64-bit words, each mixed with its position by a bijection (splitmix64's
// finalizer). A change to any one word therefore always changes the sum, and since no word's
// mixing waits for the one before, the processor mixes several at once: a script of ten
// thousand lines is fingerprinted in a fraction of a millisecond.
type fingerprinter struct{ sum, at uint64 }

func (f *fingerprinter) word(v uint64) {
	f.at += 0x9e3779b97f4a7c15
	v += f.at
	v = (v ^ v>>30) * 0xbf58476d1ce4e5b9
	v = (v ^ v>>27) * 0x94d049bb133111eb
	f.sum += v ^ v>>31
}

func (f *fingerprinter) int(n int) { f.word(uint64(n)) }

// flags packs up to 64 booleans into one word.
func (f *fingerprinter) flags(bs ...bool) {
	var w uint64
	for i, b := range bs {
		if b {
			w |= 1 << i
		}
	}
	f.word(w)
}

// str mixes in the string's identity, where its bytes are and how many, as one word: user-space
// addresses fit in 48 bits, and the length goes in the top 16 rotated so that none of it is lost.
func (f *fingerprinter) str(s string) {
	f.word(uint64(uintptr(unsafe.Pointer(unsafe.StringData(s)))) ^ bits.RotateLeft64(uint64(len(s)), 48))
}

// text mixes in the string's bytes, for the few strings Parse did not cut from the text.
func (f *fingerprinter) text(s string) {
	f.int(len(s))
	for len(s) >= 8 {
		f.word(binary.LittleEndian.Uint64([]byte(s[:8])))
		s = s[8:]
	}
	var tail [8]byte
	copy(tail[:], s)
	f.word(binary.LittleEndian.Uint64(tail[:]))
}

func (f *fingerprinter) pos(p Pos) {
	f.str(p.File)
	f.word(uint64(p.Line)<<32 ^ uint64(p.Col))
}

func (f *fingerprinter) args(args []Arg) {
	f.int(len(args))
	for i := range args {
		a := &args[i]
		f.pos(a.Pos)
		f.str(a.Key)
		f.str(a.Value)
		f.flags(a.Quoted)
	}
}
