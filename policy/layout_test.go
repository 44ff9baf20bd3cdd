package policy

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/internal/oracle"
	"github.com/wsssim/wsssim/sockaddr"
)

// The layout tests prove where the encoders put each field: for every field the oracle lists,
// they encode a value that differs from a base value only in that field, with a byte pattern
// of no zero bytes, and require that the pattern sits at the oracle's offset, fills exactly the
// oracle's size, and that no other byte changed.

// Distinct patterns, all bytes non-zero, so a misplaced or truncated write shows.
const (
	pat32 = 0x11223344
	pat64 = 0x8877665544332211
)

var patGUID = GUID{0xA1A2A3A4, 0xB1B2, 0xC1C2, [8]byte{0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8}}

// The GUID pattern as Windows lays it out: Data1..3 little-endian, Data4 as is. Written by hand,
// not by GUID.put, so the GUID encoder is under test too.
var patGUIDBytes = []byte{0xA4, 0xA3, 0xA2, 0xA1, 0xB2, 0xB1, 0xC2, 0xC1, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8}

func le32Bytes(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64Bytes(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// patAddr is an AF_INET6 address whose SOCKADDR_IN6 bytes are all non-zero.
var patAddr = sockaddr.Addr{
	Family:   sockaddr.AF_INET6,
	IP:       netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}),
	Port:     0x1234,
	FlowInfo: 0x0A0B0C0D,
	ScopeID:  0x01020304,
}

func patAddrStorage() []byte {
	b := make([]byte, 128)
	binary.LittleEndian.PutUint16(b[0:], uint16(sockaddr.AF_INET6))
	binary.BigEndian.PutUint16(b[2:], 0x1234)
	binary.LittleEndian.PutUint32(b[4:], 0x0A0B0C0D)
	ip := patAddr.IP.As16()
	copy(b[8:24], ip[:])
	binary.LittleEndian.PutUint32(b[24:], 0x01020304)
	return b
}

type fieldProbe struct {
	field string
	enc   []byte // encoding with only this field changed from base
	want  []byte // the field's expected bytes; len must equal the oracle size
}

type layoutCase struct {
	typeName string
	base     []byte
	probes   []fieldProbe
}

func checkLayout(t *testing.T, o *oracle.Oracle, lc layoutCase) {
	t.Helper()
	typ, err := o.Type(lc.typeName)
	require.NoError(t, err)
	require.Len(t, lc.base, typ.Size, "%s: encoded size", lc.typeName)
	require.Len(t, lc.probes, len(typ.Fields), "%s: every oracle field needs a probe", lc.typeName)
	for _, p := range lc.probes {
		f, err := typ.Field(p.field)
		require.NoError(t, err)
		require.Len(t, p.enc, len(lc.base), "%s.%s: probe changed the size", lc.typeName, p.field)
		require.Len(t, p.want, f.Size, "%s.%s: pattern size vs oracle size", lc.typeName, p.field)
		assert.Equal(t, p.want, p.enc[f.Offset:f.Offset+f.Size], "%s.%s at offset %d", lc.typeName, p.field, f.Offset)
		for i := range p.enc {
			if p.enc[i] != lc.base[i] {
				assert.True(t, i >= f.Offset && i < f.Offset+f.Size,
					"%s.%s: byte %d changed outside the field [%d,%d)", lc.typeName, p.field, i, f.Offset, f.Offset+f.Size)
			}
		}
	}
}

func TestLayoutSettings(t *testing.T) {
	o := loadOracle(t)
	enc := func(s Settings) []byte { return s.Encode() }
	checkLayout(t, o, layoutCase{"SOCKET_SECURITY_SETTINGS", enc(Settings{}), []fieldProbe{
		{"SecurityProtocol", enc(Settings{Protocol: pat32}), le32Bytes(pat32)},
		{"SecurityFlags", enc(Settings{Flags: pat32}), le32Bytes(pat32)},
	}})
	ip := func(f func(*IPsecSettings), proto Protocol, flags SecurityFlags) []byte {
		s := &IPsecSettings{}
		f(s)
		return Settings{Protocol: proto, Flags: flags, IPsec: s}.Encode()
	}
	none := func(*IPsecSettings) {}
	checkLayout(t, o, layoutCase{"SOCKET_SECURITY_SETTINGS_IPSEC", ip(none, 0, 0), []fieldProbe{
		{"SecurityProtocol", ip(none, pat32, 0), le32Bytes(pat32)},
		{"SecurityFlags", ip(none, 0, pat32), le32Bytes(pat32)},
		{"IpsecFlags", ip(func(s *IPsecSettings) { s.Flags = pat32 }, 0, 0), le32Bytes(pat32)},
		{"AuthipMMPolicyKey", ip(func(s *IPsecSettings) { s.MMPolicyKey = patGUID }, 0, 0), patGUIDBytes},
		{"AuthipQMPolicyKey", ip(func(s *IPsecSettings) { s.QMPolicyKey = patGUID }, 0, 0), patGUIDBytes},
		{"Reserved", ip(func(s *IPsecSettings) { s.Reserved = patGUID }, 0, 0), patGUIDBytes},
		{"Reserved2", ip(func(s *IPsecSettings) { s.Reserved2 = pat64 }, 0, 0), le64Bytes(pat64)},
		// The string lengths cannot change without strings; their own probes are below.
		{"UserNameStringLen", ip(none, 0, 0), le32Bytes(0)},
		{"DomainNameStringLen", ip(none, 0, 0), le32Bytes(0)},
		{"PasswordStringLen", ip(none, 0, 0), le32Bytes(0)},
		{"AllStrings", ip(none, 0, 0), []byte{}},
	}})

	// Strings: lengths in bytes at their oracle offsets, text back to back from AllStrings.
	typ, err := o.Type("SOCKET_SECURITY_SETTINGS_IPSEC")
	require.NoError(t, err)
	b := Settings{Protocol: ProtocolIPsec, IPsec: &IPsecSettings{UserName: "A", DomainName: "BC", Password: NewSecret("DEF")}}.Encode()
	require.Len(t, b, typ.Size+2+4+6, "sizeof + string bytes")
	for name, want := range map[string]uint32{"UserNameStringLen": 2, "DomainNameStringLen": 4, "PasswordStringLen": 6} {
		f, err := typ.Field(name)
		require.NoError(t, err)
		require.Equal(t, 4, f.Size)
		assert.Equal(t, want, binary.LittleEndian.Uint32(b[f.Offset:]), name)
	}
	all, err := typ.Field("AllStrings")
	require.NoError(t, err)
	assert.Equal(t, OffsetSettingsIPsecStrings, all.Offset)
	assert.Equal(t, []byte{'A', 0, 'B', 0, 'C', 0, 'D', 0, 'E', 0, 'F', 0}, b[all.Offset:all.Offset+12])
	assert.Equal(t, []byte{0, 0, 0, 0}, b[all.Offset+12:], "tail padding after the strings")

	assert.Equal(t, typ.Size, SizeofSettingsIPsec)
	st, err := o.Type("SOCKET_SECURITY_SETTINGS")
	require.NoError(t, err)
	assert.Equal(t, st.Size, SizeofSettings)
	pt, err := o.Type("SOCKET_SECURITY_PROTOCOL")
	require.NoError(t, err)
	assert.Equal(t, pt.Size, int(unsafe.Sizeof(Protocol(0))))
}

func TestLayoutPeerTargetName(t *testing.T) {
	o := loadOracle(t)
	typ, err := o.Type("SOCKET_PEER_TARGET_NAME")
	require.NoError(t, err)
	enc := func(p PeerTargetName) []byte { return p.Encode() }
	// With a 1-character name the base is 146 bytes; a zero name would leave StringLen 0.
	base := PeerTargetName{Name: "N"}
	withLen := base
	withLen.Protocol = ProtocolIPsec2 // byte count: 2
	probeProto := base
	probeProto.Protocol = pat32
	probeAddr := base
	probeAddr.PeerAddress = patAddr
	lc := layoutCase{"SOCKET_PEER_TARGET_NAME", enc(base)[:typ.Size], []fieldProbe{
		{"SecurityProtocol", enc(probeProto)[:typ.Size], le32Bytes(pat32)},
		{"PeerAddress", enc(probeAddr)[:typ.Size], patAddrStorage()},
		{"PeerTargetNameStringLen", enc(base)[:typ.Size], le32Bytes(1)},
		{"AllStrings", enc(base)[:typ.Size], []byte{}},
	}}
	checkLayout(t, o, lc)
	assert.Equal(t, typ.Size, SizeofPeerTargetName)
	assert.Len(t, enc(PeerTargetName{}), typ.Size, "an empty name encodes as sizeof")

	// Name text at AllStrings, no terminator, 144 + 2n bytes as Microsoft's samples allocate.
	all, err := typ.Field("AllStrings")
	require.NoError(t, err)
	assert.Equal(t, OffsetPeerTargetNameString, all.Offset)
	b := enc(PeerTargetName{Protocol: ProtocolIPsec, Name: "host/ab"})
	require.Len(t, b, typ.Size+14)
	assert.Equal(t, []byte{'h', 0, 'o', 0, 's', 0, 't', 0, '/', 0, 'a', 0, 'b', 0}, b[all.Offset:all.Offset+14])
	assert.Equal(t, []byte{0, 0, 0, 0}, b[all.Offset+14:])
	// StringLen: characters for IPSEC, bytes for IPSEC2 (ruling R10).
	lenField, err := typ.Field("PeerTargetNameStringLen")
	require.NoError(t, err)
	assert.Equal(t, uint32(7), binary.LittleEndian.Uint32(b[lenField.Offset:]))
	b2 := enc(withLen)
	assert.Equal(t, uint32(2), binary.LittleEndian.Uint32(b2[lenField.Offset:]))
}

func TestLayoutQueryTemplate(t *testing.T) {
	o := loadOracle(t)
	enc := func(q QueryTemplate) []byte { return q.Encode() }
	checkLayout(t, o, layoutCase{"SOCKET_SECURITY_QUERY_TEMPLATE", enc(QueryTemplate{}), []fieldProbe{
		{"SecurityProtocol", enc(QueryTemplate{Protocol: pat32}), le32Bytes(pat32)},
		{"PeerAddress", enc(QueryTemplate{PeerAddress: patAddr}), patAddrStorage()},
		{"PeerTokenAccessMask", enc(QueryTemplate{PeerTokenAccessMask: pat32}), le32Bytes(pat32)},
	}})
	checkLayout(t, o, layoutCase{"SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2", enc(QueryTemplate{IPsec2: true}), []fieldProbe{
		{"SecurityProtocol", enc(QueryTemplate{IPsec2: true, Protocol: pat32}), le32Bytes(pat32)},
		{"PeerAddress", enc(QueryTemplate{IPsec2: true, PeerAddress: patAddr}), patAddrStorage()},
		{"PeerTokenAccessMask", enc(QueryTemplate{IPsec2: true, PeerTokenAccessMask: pat32}), le32Bytes(pat32)},
		{"Flags", enc(QueryTemplate{IPsec2: true, Flags: pat32}), le32Bytes(pat32)},
		{"FieldMask", enc(QueryTemplate{IPsec2: true, FieldMask: pat32}), le32Bytes(pat32)},
	}})
	t1, _ := o.Type("SOCKET_SECURITY_QUERY_TEMPLATE")
	t2, _ := o.Type("SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2")
	assert.Equal(t, t1.Size, SizeofQueryTemplate)
	assert.Equal(t, t2.Size, SizeofQueryTemplateIPsec2)
	// Flags and FieldMask exist only in the IPSEC2 form.
	assert.Equal(t, enc(QueryTemplate{}), enc(QueryTemplate{Flags: pat32, FieldMask: pat32}))
}

func TestLayoutQueryInfo(t *testing.T) {
	o := loadOracle(t)
	enc := func(q QueryInfo) []byte { return q.Encode() }
	checkLayout(t, o, layoutCase{"SOCKET_SECURITY_QUERY_INFO", enc(QueryInfo{}), []fieldProbe{
		{"SecurityProtocol", enc(QueryInfo{Protocol: pat32}), le32Bytes(pat32)},
		{"Flags", enc(QueryInfo{Flags: pat32}), le32Bytes(pat32)},
		{"PeerApplicationAccessTokenHandle", enc(QueryInfo{PeerApplicationAccessTokenHandle: pat64}), le64Bytes(pat64)},
		{"PeerMachineAccessTokenHandle", enc(QueryInfo{PeerMachineAccessTokenHandle: pat64}), le64Bytes(pat64)},
	}})
	v2 := func(q QueryInfo) []byte { q.IPsec2 = true; return q.Encode() }
	checkLayout(t, o, layoutCase{"SOCKET_SECURITY_QUERY_INFO_IPSEC2", v2(QueryInfo{}), []fieldProbe{
		{"SecurityProtocol", v2(QueryInfo{Protocol: pat32}), le32Bytes(pat32)},
		{"Flags", v2(QueryInfo{Flags: pat32}), le32Bytes(pat32)},
		{"PeerApplicationAccessTokenHandle", v2(QueryInfo{PeerApplicationAccessTokenHandle: pat64}), le64Bytes(pat64)},
		{"PeerMachineAccessTokenHandle", v2(QueryInfo{PeerMachineAccessTokenHandle: pat64}), le64Bytes(pat64)},
		{"MmSaId", v2(QueryInfo{MmSaID: pat64}), le64Bytes(pat64)},
		{"QmSaId", v2(QueryInfo{QmSaID: pat64}), le64Bytes(pat64)},
		{"NegotiationWinerr", v2(QueryInfo{NegotiationWinerr: pat32}), le32Bytes(pat32)},
		{"SaLookupContext", v2(QueryInfo{SaLookupContext: patGUID}), patGUIDBytes},
	}})
	t1, _ := o.Type("SOCKET_SECURITY_QUERY_INFO")
	t2, _ := o.Type("SOCKET_SECURITY_QUERY_INFO_IPSEC2")
	assert.Equal(t, t1.Size, SizeofQueryInfo)
	assert.Equal(t, t2.Size, SizeofQueryInfoIPsec2)
}

func TestLayoutGUID(t *testing.T) {
	o := loadOracle(t)
	enc := func(g GUID) []byte { b := g.Bytes(); return b[:] }
	checkLayout(t, o, layoutCase{"GUID", enc(GUID{}), []fieldProbe{
		{"Data1", enc(GUID{Data1: patGUID.Data1}), patGUIDBytes[0:4]},
		{"Data2", enc(GUID{Data2: patGUID.Data2}), patGUIDBytes[4:6]},
		{"Data3", enc(GUID{Data3: patGUID.Data3}), patGUIDBytes[6:8]},
		{"Data4", enc(GUID{Data4: patGUID.Data4}), patGUIDBytes[8:16]},
	}})
	typ, _ := o.Type("GUID")
	assert.Equal(t, typ.Size, SizeofGUID)
}

// Bytes that belong to no field (alignment padding) stay zero even when every field is full.
func TestLayoutPaddingIsZero(t *testing.T) {
	o := loadOracle(t)
	full := map[string][]byte{
		"SOCKET_SECURITY_SETTINGS_IPSEC": Settings{Protocol: pat32, Flags: pat32, IPsec: &IPsecSettings{
			Flags: pat32, MMPolicyKey: patGUID, QMPolicyKey: patGUID, Reserved: patGUID, Reserved2: pat64,
		}}.Encode(),
		"SOCKET_PEER_TARGET_NAME":               PeerTargetName{Protocol: pat32, PeerAddress: patAddr}.Encode(),
		"SOCKET_SECURITY_QUERY_TEMPLATE":        QueryTemplate{Protocol: pat32, PeerAddress: patAddr, PeerTokenAccessMask: pat32}.Encode(),
		"SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2": QueryTemplate{Protocol: pat32, PeerAddress: patAddr, PeerTokenAccessMask: pat32, IPsec2: true, Flags: pat32, FieldMask: pat32}.Encode(),
		"SOCKET_SECURITY_QUERY_INFO_IPSEC2": QueryInfo{Protocol: pat32, Flags: pat32, PeerApplicationAccessTokenHandle: pat64,
			PeerMachineAccessTokenHandle: pat64, IPsec2: true, MmSaID: pat64, QmSaID: pat64, NegotiationWinerr: pat32, SaLookupContext: patGUID}.Encode(),
	}
	for name, b := range full {
		typ, err := o.Type(name)
		require.NoError(t, err)
		require.Len(t, b, typ.Size, name)
		covered := make([]bool, typ.Size)
		for _, f := range typ.Fields {
			for i := f.Offset; i < f.Offset+f.Size; i++ {
				covered[i] = true
			}
		}
		for i, c := range covered {
			if !c {
				assert.Zero(t, b[i], "%s: padding byte %d", name, i)
			}
		}
	}
}
