package policy

import (
	"encoding/binary"
	"net/netip"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sockaddr"
)

func genGUID(t *rapid.T, label string) GUID {
	b := rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, label)
	return GUIDFromBytes([16]byte(b))
}

// genAddr draws an address in the form DecodeStorage returns: unset, AF_INET (no flow/scope),
// or AF_INET6 with any flow and scope.
func genAddr(t *rapid.T) sockaddr.Addr {
	switch rapid.IntRange(0, 2).Draw(t, "family") {
	case 1:
		ip := rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, "ip4")
		return sockaddr.Addr{Family: sockaddr.AF_INET, IP: netip.AddrFrom4([4]byte(ip)), Port: rapid.Uint16().Draw(t, "port")}
	case 2:
		ip := rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "ip6")
		return sockaddr.Addr{
			Family: sockaddr.AF_INET6, IP: netip.AddrFrom16([16]byte(ip)), Port: rapid.Uint16().Draw(t, "port"),
			FlowInfo: rapid.Uint32().Draw(t, "flow"), ScopeID: rapid.Uint32().Draw(t, "scope"),
		}
	}
	return sockaddr.Addr{}
}

func genProtocol(t *rapid.T) Protocol {
	return Protocol(rapid.IntRange(0, 2).Draw(t, "protocol"))
}

// genText mixes ASCII, BMP and astral characters (the last need surrogate pairs).
func genText(t *rapid.T, label string) string {
	return rapid.StringOfN(rapid.SampledFrom([]rune{'a', 'Z', '/', '.', '\\', 'é', 'ß', '中', '\uFFFD', '😀', '𝄞'}), 0, 12, -1).Draw(t, label)
}

func TestSettingsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := Settings{
			Protocol: genProtocol(t),
			Flags:    SecurityFlags(rapid.Uint32Range(0, uint32(SecurityFlagsMask)).Draw(t, "flags")),
		}
		if s.Protocol.UsesIPsecLayout() {
			s.IPsec = &IPsecSettings{
				Flags:       IPsecFlags(rapid.Uint32Range(0, uint32(IPsecFlagsMask)).Draw(t, "ipsecFlags")),
				MMPolicyKey: genGUID(t, "mm"),
				QMPolicyKey: genGUID(t, "qm"),
				Reserved:    genGUID(t, "reserved"),
				Reserved2:   rapid.Uint64().Draw(t, "reserved2"),
				UserName:    genText(t, "user"),
				DomainName:  genText(t, "domain"),
				Password:    NewSecret(genText(t, "password")),
			}
		}
		b := s.Encode()
		require.Len(t, b, s.Size())
		got, c := DecodeSettings(b)
		require.Nil(t, c)
		require.Equal(t, s.Protocol, got.Protocol)
		require.Equal(t, s.Flags, got.Flags)
		if s.IPsec == nil {
			require.Nil(t, got.IPsec)
			return
		}
		require.NotNil(t, got.IPsec)
		require.True(t, s.IPsec.Password.Equal(got.IPsec.Password))
		require.Equal(t, s.IPsec.Password.Reveal(), got.IPsec.Password.Reveal())
		want, have := *s.IPsec, *got.IPsec
		want.Password, have.Password = Secret{}, Secret{}
		require.Equal(t, want, have)
		require.Equal(t, b, got.Encode(), "re-encoding gives the same bytes")
	})
}

func TestPeerTargetNameRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := PeerTargetName{Protocol: genProtocol(t), PeerAddress: genAddr(t), Name: genText(t, "name")}
		b := p.Encode()
		require.Len(t, b, p.Size())
		got, c := DecodePeerTargetName(b)
		require.Nil(t, c)
		require.Equal(t, p, got)
	})
}

func TestQueryTemplateRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		q := QueryTemplate{Protocol: genProtocol(t), PeerAddress: genAddr(t), PeerTokenAccessMask: rapid.Uint32().Draw(t, "mask")}
		if q.Protocol == ProtocolIPsec2 {
			q.IPsec2 = true
			q.Flags = QueryIPsec2Flags(rapid.Uint32().Draw(t, "flags"))
			q.FieldMask = FieldMask(rapid.Uint32().Draw(t, "fieldMask"))
		}
		got, c := DecodeQueryTemplate(q.Encode())
		require.Nil(t, c)
		require.Equal(t, q, got)
	})
}

func TestQueryInfoRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		q := QueryInfo{
			Protocol:                         Protocol(rapid.Int32().Draw(t, "protocol")),
			Flags:                            InfoFlags(rapid.Uint32().Draw(t, "flags")),
			PeerApplicationAccessTokenHandle: rapid.Uint64().Draw(t, "app"),
			PeerMachineAccessTokenHandle:     rapid.Uint64().Draw(t, "machine"),
			IPsec2:                           rapid.Bool().Draw(t, "ipsec2"),
		}
		if q.IPsec2 {
			q.MmSaID = rapid.Uint64().Draw(t, "mm")
			q.QmSaID = rapid.Uint64().Draw(t, "qm")
			q.NegotiationWinerr = rapid.Uint32().Draw(t, "winerr")
			q.SaLookupContext = genGUID(t, "ctx")
		}
		b := q.Encode()
		require.Len(t, b, q.Size())
		got, e := DecodeQueryInfo(b)
		require.Equal(t, errors.ERROR_SUCCESS, e)
		require.Equal(t, q, got)

		// PutTo fills what fits and always reports the full size.
		n := rapid.IntRange(0, 80).Draw(t, "bufLen")
		dst := make([]byte, n)
		require.Equal(t, q.Size(), q.PutTo(dst))
		k := min(n, q.Size())
		require.Equal(t, b[:k], dst[:k])
		require.Equal(t, make([]byte, n-k), dst[k:], "nothing written past the structure")
	})
}

func TestDecodeQueryInfoSizes(t *testing.T) {
	_, e := DecodeQueryInfo(make([]byte, 23))
	assert.Equal(t, errors.WSAEMSGSIZE, e)
	q, e := DecodeQueryInfo(make([]byte, 63))
	assert.Equal(t, errors.ERROR_SUCCESS, e)
	assert.False(t, q.IPsec2, "63 bytes is the short form")
	q, _ = DecodeQueryInfo(QueryInfo{Protocol: ProtocolIPsec2, Flags: InfoConnectionSecured, IPsec2: true, MmSaID: 7}.Encode())
	assert.True(t, q.IPsec2)
	assert.Equal(t, uint64(7), q.MmSaID)
}

func TestDecodeSettingsDetails(t *testing.T) {
	// DEFAULT reads only 8 bytes, whatever follows.
	b := append(settings8(ProtocolDefault, SettingsAllowInsecure), 0xFF, 0xFF, 0xFF)
	s, c := DecodeSettings(b)
	require.Nil(t, c)
	assert.Equal(t, Settings{Protocol: ProtocolDefault, Flags: SettingsAllowInsecure}, s)

	// Strings end where their lengths say; slack bytes after them are ignored.
	enc := Settings{Protocol: ProtocolIPsec2, IPsec: &IPsecSettings{UserName: "u", DomainName: "dom", Password: NewSecret("p")}}.Encode()
	s, c = DecodeSettings(append(enc, 'x', 0, 'y', 0))
	require.Nil(t, c)
	assert.Equal(t, "u", s.IPsec.UserName)
	assert.Equal(t, "dom", s.IPsec.DomainName)
	assert.Equal(t, "p", s.IPsec.Password.Reveal())

	// An unpaired surrogate in a name decodes as U+FFFD; the password keeps its raw units.
	raw := Settings{Protocol: ProtocolIPsec, IPsec: &IPsecSettings{Password: SecretFromUTF16([]uint16{0xD800, 'a'})}}.Encode()
	copy(raw[OffsetSettingsIPsecStrings:], raw[OffsetSettingsIPsecStrings:OffsetSettingsIPsecStrings+4])
	binary.LittleEndian.PutUint32(raw[offIPsecUserNameLen:], 4)
	binary.LittleEndian.PutUint32(raw[offIPsecPasswordLen:], 0)
	s, c = DecodeSettings(raw)
	require.Nil(t, c)
	assert.Equal(t, "\uFFFDa", s.IPsec.UserName)

	s, c = DecodeSettings(raw[:3])
	assert.Equal(t, Settings{}, s)
	require.NotNil(t, c)
	assert.Equal(t, errors.WSAEMSGSIZE, c.Code)
}

// Decoders and every check accept any bytes without panicking.
func TestDecodersNeverPanic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOfN(rapid.Byte(), 0, 400).Draw(t, "buf")
		// Steer some draws at the interesting headers: a small protocol and, often, lengths.
		if len(b) >= 4 && rapid.Bool().Draw(t, "smallProtocol") {
			binary.LittleEndian.PutUint32(b, uint32(rapid.IntRange(-1, 3).Draw(t, "protocol")))
		}
		_, _ = DecodeSettings(b)
		_, _ = DecodePeerTargetName(b)
		_, _ = DecodeQueryTemplate(b)
		_, _ = DecodeQueryInfo(b)
		for _, set := range CheckSets() {
			for _, c := range set.Checks {
				c.Fails(b)
			}
		}
	})
}

// Structured mutation: start from valid encodings and corrupt header fields with extreme values.
func TestDecodersSurviveCorruptHeaders(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var b []byte
		switch rapid.IntRange(0, 2).Draw(t, "kind") {
		case 0:
			b = Settings{Protocol: ProtocolIPsec, IPsec: &IPsecSettings{UserName: "user", Password: NewSecret("pw")}}.Encode()
		case 1:
			b = PeerTargetName{Protocol: genProtocol(t), Name: "host/x"}.Encode()
		default:
			b = QueryTemplate{Protocol: ProtocolIPsec2, IPsec2: true}.Encode()
		}
		for range rapid.IntRange(0, 4).Draw(t, "edits") {
			off := rapid.IntRange(0, len(b)-4).Draw(t, "off") &^ 3
			v := rapid.SampledFrom([]uint32{0, 1, 2, 3, 5, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF}).Draw(t, "v")
			binary.LittleEndian.PutUint32(b[off:], v)
		}
		b = b[:rapid.IntRange(0, len(b)).Draw(t, "cut")]
		if s, c := DecodeSettings(b); c == nil && s.IPsec != nil {
			n := 2*utf16Len(s.IPsec.UserName) + 2*utf16Len(s.IPsec.DomainName) + s.IPsec.Password.Len()
			require.LessOrEqual(t, n, len(b), "strings come from inside the buffer")
		}
		_, _ = DecodePeerTargetName(b)
		_, _ = DecodeQueryTemplate(b)
	})
}

// bytesPerOp measures the average heap bytes one call allocates.
func bytesPerOp(f func()) float64 {
	const runs = 200
	f()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-before.TotalAlloc) / runs
}

// Decoding never allocates by the lengths a buffer declares, only by what it holds: a rejected
// buffer costs nothing, an accepted one a few objects within a small multiple of its size.
func TestDecodeAllocations(t *testing.T) {
	// Declared lengths far beyond the buffer: rejected with no allocation at all.
	huge := put32(put32(settingsIPsec(ProtocolIPsec, IPsecSettings{}), offIPsecUserNameLen, 0xFFFFFFF0), offIPsecPasswordLen, 0xFFFFFFF0)
	assert.Zero(t, testing.AllocsPerRun(50, func() { DecodeSettings(huge) }))
	hugeName := put32(ptn(ProtocolIPsec, sockaddr.Addr{}, ""), offPTNStringLen, 0xFFFFFFFF)
	assert.Zero(t, testing.AllocsPerRun(50, func() { DecodePeerTargetName(hugeName) }))

	// Fixed-size structures without text decode without allocating.
	qt := qtmpl(ProtocolIPsec2, patAddr, true)
	assert.Zero(t, testing.AllocsPerRun(50, func() { DecodeQueryTemplate(qt) }))
	qi := QueryInfo{IPsec2: true}.Encode()
	assert.Zero(t, testing.AllocsPerRun(50, func() { DecodeQueryInfo(qi) }))
	def := settings8(ProtocolDefault, 0)
	assert.Zero(t, testing.AllocsPerRun(50, func() { DecodeSettings(def) }))

	// IPSEC settings: the IPsecSettings itself, one allocation per name, and for the password
	// its units, its handle and the runtime's cleanup record (the registry map grows rarely).
	empty := settingsIPsec(ProtocolIPsec, IPsecSettings{})
	assert.LessOrEqual(t, testing.AllocsPerRun(50, func() { DecodeSettings(empty) }), 1.0)
	long := strings.Repeat("中", 200)
	full := Settings{Protocol: ProtocolIPsec, IPsec: &IPsecSettings{UserName: long, DomainName: long, Password: NewSecret(long)}}.Encode()
	assert.LessOrEqual(t, testing.AllocsPerRun(50, func() { DecodeSettings(full) }), 8.0)
	// Three CJK characters take 6 bytes in UTF-16 and 9 in UTF-8, so text can grow by half;
	// the whole decode stays under twice the input.
	assert.Less(t, bytesPerOp(func() { DecodeSettings(full) }), 2.0*float64(len(full)))

	name := ptn(ProtocolIPsec2, patAddr, long)
	assert.LessOrEqual(t, testing.AllocsPerRun(50, func() { DecodePeerTargetName(name) }), 1.0)
	assert.Less(t, bytesPerOp(func() { DecodePeerTargetName(name) }), 2.0*float64(len(name)))
}
