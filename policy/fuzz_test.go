package policy

// Go native fuzz targets for the structure decoders and the text parsers. This file depends only
// on the package's own (non-test) code: ClusterFuzzLite's compile_native_go_fuzzer builds it as
// an ordinary source file, without the package's other _test.go files. Seeds live in
// testdata/fuzz/<Target>/ at the module root (see internal/fuzzseed).

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/internal/fuzzseed"
	"github.com/wsssim/wsssim/sockaddr"
)

// addFuzzSeeds adds the target's corpus from the top-level testdata/fuzz/<Target>/.
func addFuzzSeeds(f *testing.F) {
	seeds, err := fuzzseed.Load(f.Name())
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		f.Add(s)
	}
}

// requireDecodeFailure holds a rejected buffer to the check list: the check reported is the
// first that fails, it has a code, and nothing was decoded.
func requireDecodeFailure[T any](t *testing.T, checks []Check, buf []byte, got T, c *Check) bool {
	first, bad := FirstFailure(checks, buf)
	if !bad {
		require.Nil(t, c, "no check fails, yet %s was reported", checkID(c))
		return false
	}
	require.Same(t, first, c, "the first failing check is %s, decoding reported %s", first.ID, checkID(c))
	require.NotZero(t, c.Code)
	var zero T
	require.Equal(t, zero, got, "a rejected buffer decodes to nothing")
	return true
}

func checkID(c *Check) string {
	if c == nil {
		return "none"
	}
	return c.ID
}

// validUTF16LE reports whether b is whole UTF-16 code units with every surrogate paired, the
// text that decodes and re-encodes to the same bytes.
func validUTF16LE(b []byte) bool {
	if len(b)%2 != 0 {
		return false
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	for i := 0; i < len(units); i++ {
		switch u := rune(units[i]); {
		case !utf16.IsSurrogate(u):
		case u < 0xDC00 && i+1 < len(units) && utf16.DecodeRune(u, rune(units[i+1])) != 0xFFFD:
			i++
		default:
			return false
		}
	}
	return true
}

// requireText checks a decoded name against the bytes it came from: exactly those bytes when
// they are valid UTF-16, else a text with U+FFFD in place of the unpaired surrogates and the
// same number of code units.
func requireText(t *testing.T, what string, in []byte, name string, out []byte) {
	if validUTF16LE(in) {
		require.Equal(t, in, out, "%s re-encodes to other bytes", what)
		return
	}
	require.Contains(t, name, "\uFFFD", "%s had unpaired surrogates, decoded as %q", what, name)
	require.Len(t, out, len(in), "%s: one U+FFFD per unpaired surrogate keeps the length", what)
}

// requirePasswordHidden: every way of printing the settings gives the same text whatever the
// password is, so none of them shows it. (Whether there is one at all may show: String lists the
// credentials only when some are given.)
func requirePasswordHidden(t *testing.T, s Settings) {
	show := func(s Settings) string {
		var b strings.Builder
		b.WriteString(s.String())
		if ip := s.IPsec; ip != nil {
			fmt.Fprintf(&b, "|%v|%+v|%#v|%s|%q|%x", *ip, *ip, *ip, ip.Password, ip.Password, ip.Password)
			j, err := json.Marshal(ip)
			require.NoError(t, err)
			b.Write(j)
		}
		return b.String()
	}
	got := show(s)
	if s.IPsec != nil {
		other := *s.IPsec
		if other.Password = (Secret{}); s.IPsec.Password.Len() > 0 {
			other.Password = NewSecret("x")
		}
		require.Equal(t, show(Settings{Protocol: s.Protocol, Flags: s.Flags, IPsec: &other}), got, "the password shows in the settings' text")
	}
}

func FuzzDecodeSettings(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, buf []byte) {
		s, c := DecodeSettings(buf)
		if requireDecodeFailure(t, SettingsChecks, buf, s, c) {
			return
		}
		require.True(t, s.Protocol.Valid())
		require.Zero(t, s.Flags.Unknown())
		require.Equal(t, s.Protocol.UsesIPsecLayout(), s.IPsec != nil, "the protocol decides the layout")

		enc := s.Encode()
		require.Len(t, enc, s.Size())
		back, c2 := DecodeSettings(enc)
		require.Nil(t, c2, "an encoded structure fails %s", checkID(c2))
		require.Equal(t, enc, back.Encode(), "encode∘decode is not a fixed point")
		requirePasswordHidden(t, s)

		if s.IPsec == nil {
			require.Equal(t, buf[:SizeofSettings], enc, "the 8-byte header is kept as given")
			require.Equal(t, s, back)
			return
		}
		ip := s.IPsec
		require.Zero(t, ip.Flags.Unknown())
		require.True(t, ip.Password.Equal(back.IPsec.Password))
		a, b := *ip, *back.IPsec
		a.Password, b.Password = Secret{}, Secret{}
		require.Equal(t, a, b)

		// Every fixed field, the lengths included, is kept and the padding before Reserved2 is
		// zero; the strings are the windows the lengths declare, back to back from AllStrings,
		// and the 4 bytes after them are zero.
		off, pad := OffsetSettingsIPsecStrings, offIPsecReserved+SizeofGUID
		require.Equal(t, buf[:pad], enc[:pad], "a fixed field changed")
		require.Equal(t, make([]byte, offIPsecReserved2-pad), enc[pad:offIPsecReserved2], "padding")
		require.Equal(t, buf[offIPsecReserved2:off], enc[offIPsecReserved2:off], "a fixed field changed")
		u := int(le32(buf, offIPsecUserNameLen))
		d := int(le32(buf, offIPsecDomainNameLen))
		p := int(le32(buf, offIPsecPasswordLen))
		require.Len(t, enc, SizeofSettingsIPsec+u+d+p)
		requireText(t, "UserName", buf[off:off+u], ip.UserName, enc[off:off+u])
		off += u
		requireText(t, "DomainName", buf[off:off+d], ip.DomainName, enc[off:off+d])
		off += d
		require.Equal(t, buf[off:off+p], enc[off:off+p], "the password keeps its raw code units")
		require.Equal(t, make([]byte, 4), enc[off+p:])
	})
}

func FuzzDecodePeerTargetName(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, buf []byte) {
		p, c := DecodePeerTargetName(buf)
		if requireDecodeFailure(t, PeerTargetNameChecks, buf, p, c) {
			return
		}
		require.True(t, p.Protocol.Valid())
		switch p.PeerAddress.Family {
		case sockaddr.AF_UNSPEC, sockaddr.AF_INET, sockaddr.AF_INET6:
		default:
			t.Fatalf("PeerAddress has family %d", p.PeerAddress.Family)
		}

		enc := p.Encode()
		require.Len(t, enc, p.Size())
		back, c2 := DecodePeerTargetName(enc)
		require.Nil(t, c2, "an encoded structure fails %s", checkID(c2))
		require.Equal(t, p, back)
		require.Equal(t, enc, back.Encode(), "encode∘decode is not a fixed point")

		require.Equal(t, buf[:4], enc[:4], "the protocol is kept as given")
		n := int(ptnNameBytes(buf))
		require.Equal(t, uint64(n), ptnNameBytes(enc), "PeerTargetNameStringLen changed")
		off := OffsetPeerTargetNameString
		requireText(t, "the name", buf[off:off+n], p.Name, enc[off:off+n])
	})
}

func FuzzDecodeQueryTemplate(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, buf []byte) {
		q, c := DecodeQueryTemplate(buf)
		if requireDecodeFailure(t, QueryTemplateChecks, buf, q, c) {
			return
		}
		require.True(t, q.Protocol.Valid())
		require.Equal(t, q.Protocol == ProtocolIPsec2, q.IPsec2, "the protocol decides the layout")

		enc := q.Encode()
		require.Len(t, enc, q.Size())
		back, c2 := DecodeQueryTemplate(enc)
		require.Nil(t, c2, "an encoded structure fails %s", checkID(c2))
		require.Equal(t, q, back)
		require.Equal(t, enc, back.Encode(), "encode∘decode is not a fixed point")

		require.Equal(t, buf[:4], enc[:4], "the protocol is kept as given")
		end := offQTFlags // the access mask
		if q.IPsec2 {
			end = offQTFieldMask + 4 // and Flags, FieldMask
		}
		require.Equal(t, buf[offQTAccessMask:end], enc[offQTAccessMask:end])
	})
}

func FuzzDecodeQueryInfo(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, buf []byte) {
		q, e := DecodeQueryInfo(buf)
		if len(buf) < SizeofQueryInfo {
			require.Equal(t, errors.WSAEMSGSIZE, e)
			require.Equal(t, QueryInfo{}, q)
			return
		}
		require.Equal(t, errors.ERROR_SUCCESS, e)
		require.Equal(t, len(buf) >= SizeofQueryInfoIPsec2, q.IPsec2, "the size decides the layout")

		enc := q.Encode()
		require.Len(t, enc, q.Size())
		back, e2 := DecodeQueryInfo(enc)
		require.Equal(t, errors.ERROR_SUCCESS, e2)
		require.Equal(t, q, back)
		// Every field is read raw: the encoding is the input, bar the IPSEC2 form's tail padding.
		fields := SizeofQueryInfo
		if q.IPsec2 {
			fields = offQISaLookupContext + SizeofGUID
		}
		require.Equal(t, buf[:fields], enc[:fields])
		require.Equal(t, make([]byte, len(enc)-fields), enc[fields:])

		// PutTo into a caller's buffer of any size: what fits, nothing past it, the full size.
		dst := make([]byte, int(buf[0])%(SizeofQueryInfoIPsec2+8))
		require.Equal(t, q.Size(), q.PutTo(dst))
		k := min(len(dst), len(enc))
		require.Equal(t, enc[:k], dst[:k])
		require.Equal(t, make([]byte, len(dst)-k), dst[k:])
	})
}

// FuzzParseText fuzzes the text forms scenarios and the CLI read: GUIDs, protocols and the five
// flag fields. Whatever parses must print as text that parses back to the same value.
func FuzzParseText(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s := string(data)
		g, err := ParseGUID(s)
		var u GUID
		uerr := u.UnmarshalText(data)
		require.Equal(t, err == nil, uerr == nil, "ParseGUID and UnmarshalText disagree on %q", s)
		if err == nil {
			require.Equal(t, g, u)
			back, err := ParseGUID(g.String())
			require.NoError(t, err)
			require.Equal(t, g, back)
			text, _ := g.MarshalText()
			require.Equal(t, g.String(), string(text))
			require.Equal(t, g, GUIDFromBytes(g.Bytes()))
			digits := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "{"), "}")
			require.True(t, strings.EqualFold(digits, g.String()[1:37]), "%q parsed as %v", s, g)
		}

		if p, err := ParseProtocol(s); err == nil {
			back, err := ParseProtocol(p.String())
			require.NoError(t, err, "%v prints as %q", p, p.String())
			require.Equal(t, p, back)
		}
		requireFlagRoundTrip(t, s, ParseSecurityFlags)
		requireFlagRoundTrip(t, s, ParseIPsecFlags)
		requireFlagRoundTrip(t, s, ParseInfoFlags)
		requireFlagRoundTrip(t, s, ParseQueryIPsec2Flags)
		requireFlagRoundTrip(t, s, ParseFieldMask)
	})
}

func requireFlagRoundTrip[F interface {
	~uint32
	String() string
}](t *testing.T, s string, parse func(string) (F, error)) {
	v, err := parse(s)
	if err != nil {
		require.Zero(t, v)
		return
	}
	back, err := parse(v.String())
	require.NoError(t, err, "%#x prints as %q", uint32(v), v.String())
	require.Equal(t, v, back, "%q parses as %#x, which prints as %q", s, uint32(v), v.String())
}
