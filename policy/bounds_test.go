package policy

import (
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// bytesAllocated is what f allocates on average over runs calls.
func bytesAllocated(runs int, f func()) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-before.TotalAlloc) / float64(runs)
}

// TestDecodersAllocateByTheBufferNotItsLengthFields: every length field a decoder reads is
// checked against the buffer before anything is allocated, so lengths of 4 GiB in small buffers
// cost nothing.
func TestDecodersAllocateByTheBufferNotItsLengthFields(t *testing.T) {
	settings := Settings{Protocol: ProtocolIPsec, IPsec: &IPsecSettings{UserName: "u", Password: NewSecret("p")}}.Encode()
	for _, off := range []int{offIPsecUserNameLen, offIPsecDomainNameLen, offIPsecPasswordLen} {
		binary.LittleEndian.PutUint32(settings[off:], 0xfffffffe)
	}
	name := PeerTargetName{Name: "host/x"}.Encode()
	binary.LittleEndian.PutUint32(name[offPTNStringLen:], 0xffffffff)
	template := QueryTemplate{Protocol: ProtocolIPsec2, IPsec2: true}.Encode()

	cases := map[string]func(){
		"DecodeSettings":       func() { DecodeSettings(settings) },
		"DecodePeerTargetName": func() { DecodePeerTargetName(name) },
		"DecodeQueryTemplate":  func() { DecodeQueryTemplate(template[:len(template)-1]) },
		"DecodeQueryInfo":      func() { DecodeQueryInfo(make([]byte, 3)) },
	}
	for what, f := range cases {
		got := bytesAllocated(100, f)
		assert.Less(t, got, 1024.0, "%s allocates %.0f bytes per call for a buffer of under 200", what, got)
	}
}
