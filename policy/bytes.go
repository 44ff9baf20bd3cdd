package policy

import "encoding/binary"

// Bounds-checked little-endian readers: a field that lies outside b reads as zero. Checks use
// them so that each one is safe alone, whatever buffer it is handed.

func le32(b []byte, off int) uint32 {
	if off < 0 || off+4 > len(b) {
		return 0
	}
	return binary.LittleEndian.Uint32(b[off:])
}

func le64(b []byte, off int) uint64 {
	if off < 0 || off+8 > len(b) {
		return 0
	}
	return binary.LittleEndian.Uint64(b[off:])
}

func le16(b []byte, off int) uint16 {
	if off < 0 || off+2 > len(b) {
		return 0
	}
	return binary.LittleEndian.Uint16(b[off:])
}

// window returns b[off:off+n], cut short at the end of b.
func window(b []byte, off int, n uint64) []byte {
	if off < 0 || off > len(b) {
		return nil
	}
	rest := b[off:]
	if n < uint64(len(rest)) {
		return rest[:n]
	}
	return rest
}
