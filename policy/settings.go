package policy

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// Sizes and offsets of the settings structures (Windows x64; x86 is identical).
const (
	// SizeofSettings is sizeof(SOCKET_SECURITY_SETTINGS).
	SizeofSettings = 8
	// SizeofSettingsIPsec is sizeof(SOCKET_SECURITY_SETTINGS_IPSEC): AllStrings starts at 84
	// and the UINT64 Reserved2 rounds the size up to 88.
	SizeofSettingsIPsec = 88
	// OffsetSettingsIPsecStrings is offsetof(SOCKET_SECURITY_SETTINGS_IPSEC, AllStrings).
	OffsetSettingsIPsecStrings = 84
)

// Field offsets inside SOCKET_SECURITY_SETTINGS_IPSEC.
const (
	offSettingsProtocol   = 0
	offSettingsFlags      = 4
	offIPsecFlags         = 8
	offIPsecMMPolicyKey   = 12
	offIPsecQMPolicyKey   = 28
	offIPsecReserved      = 44
	offIPsecReserved2     = 64
	offIPsecUserNameLen   = 72
	offIPsecDomainNameLen = 76
	offIPsecPasswordLen   = 80
)

// Settings is what WSASetSocketSecurity receives. With IPsec nil it is the 8-byte
// SOCKET_SECURITY_SETTINGS; with IPsec set it is a SOCKET_SECURITY_SETTINGS_IPSEC whose first
// two fields are Protocol and Flags.
//
// Encode writes the fields as given, even combinations Windows rejects (a DEFAULT protocol on
// the IPSEC layout, unknown flag bits): tests and scenarios need such buffers, and the checks,
// not the encoder, decide what is acceptable.
type Settings struct {
	Protocol Protocol
	Flags    SecurityFlags
	IPsec    *IPsecSettings
}

// IPsecSettings is the tail of SOCKET_SECURITY_SETTINGS_IPSEC.
type IPsecSettings struct {
	Flags IPsecFlags
	// MMPolicyKey and QMPolicyKey are WFP provider-context keys (AuthipMMPolicyKey,
	// AuthipQMPolicyKey); the zero GUID means "none".
	MMPolicyKey GUID
	QMPolicyKey GUID
	// Reserved and Reserved2 are "reserved for future use"; Windows ignores them (ruling R5).
	Reserved  GUID
	Reserved2 uint64
	// UserName, DomainName and Password are the explicit credentials, carried as UTF-16 with
	// their lengths in bytes.
	UserName   string
	DomainName string
	Password   Secret
	// PasswordVerifier is what Seal keeps of Password once the settings are applied; Encode
	// ignores it.
	PasswordVerifier Verifier
}

// Size is the number of bytes Encode produces: 8, or 88 plus the bytes of the three strings.
func (s Settings) Size() int {
	if s.IPsec == nil {
		return SizeofSettings
	}
	return SizeofSettingsIPsec + 2*utf16Len(s.IPsec.UserName) + 2*utf16Len(s.IPsec.DomainName) + s.IPsec.Password.Len()
}

// Encode returns the structure as WSASetSocketSecurity reads it.
//
// The IPSEC form follows NtApiDotNet, the one real-world user of the strings: a buffer of
// sizeof(SOCKET_SECURITY_SETTINGS_IPSEC) + the string bytes, with user name, domain name and
// password back to back from offset 84 (AllStrings), no terminators, lengths in bytes. Because
// AllStrings starts inside the 4 bytes of tail padding, the buffer ends with 4 zero bytes after
// the last string. The total is therefore 88 + strings, the size R4 measures against.
func (s Settings) Encode() []byte {
	b := make([]byte, s.Size())
	binary.LittleEndian.PutUint32(b[offSettingsProtocol:], uint32(s.Protocol))
	binary.LittleEndian.PutUint32(b[offSettingsFlags:], uint32(s.Flags))
	ip := s.IPsec
	if ip == nil {
		return b
	}
	binary.LittleEndian.PutUint32(b[offIPsecFlags:], uint32(ip.Flags))
	ip.MMPolicyKey.put(b[offIPsecMMPolicyKey:])
	ip.QMPolicyKey.put(b[offIPsecQMPolicyKey:])
	ip.Reserved.put(b[offIPsecReserved:])
	binary.LittleEndian.PutUint64(b[offIPsecReserved2:], ip.Reserved2)
	off := OffsetSettingsIPsecStrings
	n := putUTF16String(b[off:], ip.UserName)
	binary.LittleEndian.PutUint32(b[offIPsecUserNameLen:], uint32(n))
	off += n
	n = putUTF16String(b[off:], ip.DomainName)
	binary.LittleEndian.PutUint32(b[offIPsecDomainNameLen:], uint32(n))
	off += n
	n = ip.Password.putTo(b[off:])
	binary.LittleEndian.PutUint32(b[offIPsecPasswordLen:], uint32(n))
	return b
}

// DecodeSettings applies SettingsChecks to buf (exactly SecuritySettingsLen bytes) and, when
// none fails, reads the settings. A failure returns the first failing check, whose Code is
// the error WSASetSocketSecurity reports. Bytes beyond what the protocol's layout uses are
// ignored. Unpaired surrogates in the names decode as U+FFFD; the password keeps its raw units.
func DecodeSettings(buf []byte) (Settings, *Check) {
	if c, bad := FirstFailure(SettingsChecks, buf); bad {
		return Settings{}, c
	}
	s := Settings{
		Protocol: Protocol(le32(buf, offSettingsProtocol)),
		Flags:    SecurityFlags(le32(buf, offSettingsFlags)),
	}
	if !s.Protocol.UsesIPsecLayout() || len(buf) < SizeofSettingsIPsec {
		return s, nil
	}
	u := uint64(le32(buf, offIPsecUserNameLen))
	d := uint64(le32(buf, offIPsecDomainNameLen))
	p := uint64(le32(buf, offIPsecPasswordLen))
	off := OffsetSettingsIPsecStrings
	user := window(buf, off, u)
	domain := window(buf, off+len(user), d)
	pass := window(buf, off+len(user)+len(domain), p)
	s.IPsec = &IPsecSettings{
		Flags:       IPsecFlags(le32(buf, offIPsecFlags)),
		MMPolicyKey: getGUID(buf[offIPsecMMPolicyKey:]),
		QMPolicyKey: getGUID(buf[offIPsecQMPolicyKey:]),
		Reserved:    getGUID(buf[offIPsecReserved:]),
		Reserved2:   le64(buf, offIPsecReserved2),
		UserName:    decodeUTF16LE(user),
		DomainName:  decodeUTF16LE(domain),
		Password:    secretFromLE(pass),
	}
	return s, nil
}

// String is a one-line summary for traces; the password shows only as [redacted].
func (s Settings) String() string {
	var sb strings.Builder
	sb.WriteString(s.Protocol.String())
	sb.WriteString(" flags=")
	sb.WriteString(s.Flags.String())
	if ip := s.IPsec; ip != nil {
		sb.WriteString(" ipsecFlags=")
		sb.WriteString(ip.Flags.String())
		if !ip.MMPolicyKey.IsZero() {
			sb.WriteString(" mmPolicy=" + ip.MMPolicyKey.String())
		}
		if !ip.QMPolicyKey.IsZero() {
			sb.WriteString(" qmPolicy=" + ip.QMPolicyKey.String())
		}
		if ip.ExplicitCredentials() {
			sb.WriteString(" user=" + strconv.Quote(ip.UserName))
			sb.WriteString(" domain=" + strconv.Quote(ip.DomainName))
			sb.WriteString(" password=" + Redacted)
		}
	}
	return sb.String()
}
