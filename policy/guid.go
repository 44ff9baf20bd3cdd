package policy

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// SizeofGUID is the size of a Windows GUID.
const SizeofGUID = 16

// GUID is a Windows GUID. The three integer parts are little-endian in memory, as on Windows,
// which is why the byte form differs from the RFC 4122 byte order of the same text.
type GUID struct {
	Data1 uint32
	Data2 uint16
	Data3 uint16
	Data4 [8]byte
}

// IsZero reports whether the GUID is all zero, which the WFP policy-key fields treat as "not
// given".
func (g GUID) IsZero() bool { return g == GUID{} }

// Bytes returns the 16-byte memory form of the GUID.
func (g GUID) Bytes() [SizeofGUID]byte {
	var b [SizeofGUID]byte
	g.put(b[:])
	return b
}

// GUIDFromBytes reads the 16-byte memory form of a GUID.
func GUIDFromBytes(b [SizeofGUID]byte) GUID { return getGUID(b[:]) }

func (g GUID) put(b []byte) {
	if len(b) < SizeofGUID {
		return
	}
	binary.LittleEndian.PutUint32(b[0:], g.Data1)
	binary.LittleEndian.PutUint16(b[4:], g.Data2)
	binary.LittleEndian.PutUint16(b[6:], g.Data3)
	copy(b[8:16], g.Data4[:])
}

// getGUID reads b[:16]; a shorter b gives the zero GUID rather than a panic.
func getGUID(b []byte) GUID {
	if len(b) < SizeofGUID {
		return GUID{}
	}
	return GUID{
		Data1: binary.LittleEndian.Uint32(b[0:]),
		Data2: binary.LittleEndian.Uint16(b[4:]),
		Data3: binary.LittleEndian.Uint16(b[6:]),
		Data4: [8]byte(b[8:16]),
	}
}

// String gives the registry form, lower case in braces: {aec2ef9c-3a4d-4d3e-8842-239942e39a47}.
func (g GUID) String() string {
	return fmt.Sprintf("{%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}",
		g.Data1, g.Data2, g.Data3, g.Data4[0], g.Data4[1],
		g.Data4[2], g.Data4[3], g.Data4[4], g.Data4[5], g.Data4[6], g.Data4[7])
}

// ParseGUID reads xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, with or without surrounding braces, in
// any case.
func ParseGUID(s string) (GUID, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "{") != strings.HasSuffix(t, "}") {
		return GUID{}, fmt.Errorf("policy: unbalanced braces in GUID %q", s)
	}
	t = strings.TrimSuffix(strings.TrimPrefix(t, "{"), "}")
	if len(t) != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-' {
		return GUID{}, fmt.Errorf("policy: malformed GUID %q", s)
	}
	var raw [16]byte
	digits := t[0:8] + t[9:13] + t[14:18] + t[19:23] + t[24:36]
	if _, err := hex.Decode(raw[:], []byte(digits)); err != nil {
		return GUID{}, fmt.Errorf("policy: malformed GUID %q", s)
	}
	return GUID{
		Data1: binary.BigEndian.Uint32(raw[0:]),
		Data2: binary.BigEndian.Uint16(raw[4:]),
		Data3: binary.BigEndian.Uint16(raw[6:]),
		Data4: [8]byte(raw[8:16]),
	}, nil
}

// MarshalText writes the registry form, so GUIDs read naturally in JSON and scenario files.
func (g GUID) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// UnmarshalText accepts what ParseGUID accepts.
func (g *GUID) UnmarshalText(b []byte) error {
	v, err := ParseGUID(string(b))
	if err != nil {
		return err
	}
	*g = v
	return nil
}
