package policy

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sockaddr"
)

// Buffer builders for the check tests. Each starts from a valid encoding and overwrites fields,
// so a test states only what it changes.

func put32(b []byte, off int, v uint32) []byte {
	binary.LittleEndian.PutUint32(b[off:], v)
	return b
}

func settings8(proto Protocol, flags SecurityFlags) []byte {
	return Settings{Protocol: proto, Flags: flags}.Encode()
}

func settingsIPsec(proto Protocol, ip IPsecSettings) []byte {
	return Settings{Protocol: proto, IPsec: &ip}.Encode()
}

func ptn(proto Protocol, addr sockaddr.Addr, name string) []byte {
	return PeerTargetName{Protocol: proto, PeerAddress: addr, Name: name}.Encode()
}

func qtmpl(proto Protocol, addr sockaddr.Addr, ipsec2 bool) []byte {
	return QueryTemplate{Protocol: proto, PeerAddress: addr, IPsec2: ipsec2}.Encode()
}

// setFamily writes a raw sa_family into a structure's PeerAddress at offset 8.
func setFamily(b []byte, f sockaddr.Family) []byte {
	binary.LittleEndian.PutUint16(b[8:], uint16(f))
	return b
}

type checkCase struct {
	name string
	bad  []byte // fails with this check first
	good []byte // one step on the right side: passes every check
}

// checkExpect is what the tests expect of one check: its code and buffers on both sides.
type checkExpect struct {
	code  errors.Errno
	cases []checkCase
}

func settingsCheckCases() map[string]checkExpect {
	withStrings := settingsIPsec(ProtocolIPsec, IPsecSettings{UserName: "ab", DomainName: "d", Password: NewSecret("pw")})
	empty := func(p Protocol) []byte { return settingsIPsec(p, IPsecSettings{}) }
	return map[string]checkExpect{
		"SETTINGS-LEN-MIN": {errors.WSAEMSGSIZE, []checkCase{
			{"7 vs 8 bytes", make([]byte, 7), make([]byte, 8)},
			{"empty buffer", []byte{}, make([]byte, 8)},
		}},
		"SETTINGS-PROTOCOL": {errors.WSAEINVAL, []checkCase{
			{"INVALID vs IPSEC2", empty(ProtocolInvalid), empty(ProtocolIPsec2)},
			{"-1 vs DEFAULT", settings8(-1, 0), settings8(ProtocolDefault, 0)},
			{"0x7fffffff, 8 bytes", settings8(0x7fffffff, 0), settings8(ProtocolDefault, 0)},
		}},
		"SETTINGS-IPSEC-LEN-MIN": {errors.WSAEMSGSIZE, []checkCase{
			{"IPSEC 87 vs 88", empty(ProtocolIPsec)[:87], empty(ProtocolIPsec)},
			{"IPSEC2 8 vs 88", settings8(ProtocolIPsec2, 0), empty(ProtocolIPsec2)},
			{"IPSEC 84 (the AllStrings offset) is not enough", empty(ProtocolIPsec)[:84], empty(ProtocolIPsec)},
		}},
		"SETTINGS-IPSEC-STRINGS-LEN": {errors.WSAEMSGSIZE, []checkCase{
			{"one byte short", withStrings[:len(withStrings)-1], withStrings},
			{"lengths whose 32-bit sum wraps",
				put32(put32(put32(empty(ProtocolIPsec), offIPsecUserNameLen, 0xFFFFFFFE), offIPsecDomainNameLen, 0xFFFFFFFE), offIPsecPasswordLen, 4),
				empty(ProtocolIPsec)},
			{"IPSEC2 password too long",
				put32(empty(ProtocolIPsec2), offIPsecPasswordLen, 2),
				append(put32(empty(ProtocolIPsec2), offIPsecPasswordLen, 2), 0, 0)},
		}},
		"SETTINGS-IPSEC-STRINGS-ODD": {errors.WSAEINVAL, []checkCase{
			{"user name 3 vs 4 bytes", put32(append([]byte(nil), withStrings...), offIPsecUserNameLen, 3), withStrings},
			{"password 1 vs 2 bytes",
				put32(append(empty(ProtocolIPsec2), 0, 0), offIPsecPasswordLen, 1),
				put32(append(empty(ProtocolIPsec2), 0, 0), offIPsecPasswordLen, 2)},
		}},
		"SETTINGS-DEFAULT-WITH-IPSEC-LAYOUT": {errors.WSAEINVAL, []checkCase{
			{"DEFAULT 88 vs 87", empty(ProtocolDefault), empty(ProtocolDefault)[:87]},
			{"DEFAULT 88 vs IPSEC 88", empty(ProtocolDefault), empty(ProtocolIPsec)},
		}},
		"SETTINGS-FLAGS-UNKNOWN": {errors.WSAEINVAL, []checkCase{
			{"0x4 vs both known flags (accepted together, R5)", settings8(ProtocolDefault, 0x4), settings8(ProtocolDefault, SecurityFlagsMask)},
			{"IPSEC with high bit", put32(empty(ProtocolIPsec), offSettingsFlags, 0x80000000), empty(ProtocolIPsec)},
		}},
		"SETTINGS-IPSEC-FLAGS-UNKNOWN": {errors.WSAEINVAL, []checkCase{
			{"0x10 vs all four", settingsIPsec(ProtocolIPsec, IPsecSettings{Flags: 0x10}), settingsIPsec(ProtocolIPsec, IPsecSettings{Flags: IPsecFlagsMask})},
			{"IPSEC2 0x1F vs 0xF", settingsIPsec(ProtocolIPsec2, IPsecSettings{Flags: 0x1F}), settingsIPsec(ProtocolIPsec2, IPsecSettings{Flags: 0xF})},
		}},
	}
}

func peerTargetNameCheckCases() map[string]checkExpect {
	v4 := sockaddr.Inet4(10, 0, 0, 2, 0)
	abc := ptn(ProtocolIPsec, v4, "abc")      // StringLen 3 characters
	abc2 := ptn(ProtocolIPsec2, v4, "abc")    // StringLen 6 bytes
	abcDef := ptn(ProtocolDefault, v4, "abc") // characters too
	return map[string]checkExpect{
		"PTN-LEN-MIN": {errors.WSAEMSGSIZE, []checkCase{
			{"139 vs 140", make([]byte, 139), make([]byte, 140)},
		}},
		"PTN-PROTOCOL": {errors.WSAEINVAL, []checkCase{
			{"INVALID vs IPSEC2", ptn(ProtocolInvalid, v4, "h"), ptn(ProtocolIPsec2, v4, "h")},
			{"-1 vs DEFAULT", ptn(-1, v4, ""), ptn(ProtocolDefault, v4, "")},
		}},
		"PTN-NAME-LEN": {errors.WSAEMSGSIZE, []checkCase{
			{"IPSEC 3 chars: 145 vs 146", abc[:145], abc[:146]},
			{"DEFAULT 3 chars: 145 vs 146", abcDef[:145], abcDef[:146]},
			{"IPSEC2 6 bytes: 145 vs 146", abc2[:145], abc2[:146]},
			{"IPSEC counts characters, not bytes", put32(append([]byte(nil), abc[:146]...), offPTNStringLen, 4), abc[:146]},
			{"huge character count doubles past 32 bits", put32(append([]byte(nil), abc...), offPTNStringLen, 0x80000001), abc},
		}},
		"PTN-NAME-ODD": {errors.WSAEINVAL, []checkCase{
			{"IPSEC2 5 vs 6 bytes", put32(append([]byte(nil), abc2...), offPTNStringLen, 5), abc2},
			{"IPSEC2 5 bytes vs IPSEC 5 characters",
				put32(put32(ptn(ProtocolIPsec2, v4, "abcde"), offPTNStringLen, 5), offPTNProtocol, 2),
				ptn(ProtocolIPsec, v4, "abcde")},
		}},
		"PTN-FAMILY": {errors.WSAEAFNOSUPPORT, []checkCase{
			{"AF_UNIX vs AF_INET", setFamily(ptn(ProtocolIPsec, v4, "h"), sockaddr.AF_UNIX), ptn(ProtocolIPsec, v4, "h")},
			{"24 vs AF_INET6", setFamily(ptn(ProtocolIPsec, patAddr, ""), 24), ptn(ProtocolIPsec, patAddr, "")},
			{"family 3 vs unset", setFamily(ptn(ProtocolIPsec, sockaddr.Addr{}, ""), 3), ptn(ProtocolIPsec, sockaddr.Addr{}, "")},
		}},
	}
}

func queryTemplateCheckCases() map[string]checkExpect {
	v4 := sockaddr.Inet4(10, 0, 0, 2, 443)
	return map[string]checkExpect{
		"QTMPL-LEN-MIN": {errors.WSAEMSGSIZE, []checkCase{
			{"143 vs 144", qtmpl(ProtocolIPsec, v4, false)[:143], qtmpl(ProtocolIPsec, v4, false)},
			{"empty vs all-zero 144", []byte{}, make([]byte, 144)},
		}},
		"QTMPL-IPSEC2-LEN-MIN": {errors.WSAEMSGSIZE, []checkCase{
			{"IPSEC2 151 vs 152", qtmpl(ProtocolIPsec2, v4, true)[:151], qtmpl(ProtocolIPsec2, v4, true)},
			{"IPSEC2 144 vs IPSEC 144", qtmpl(ProtocolIPsec2, v4, false), qtmpl(ProtocolIPsec, v4, false)},
		}},
		"QTMPL-PROTOCOL": {errors.WSAEINVAL, []checkCase{
			{"INVALID vs IPSEC2", qtmpl(ProtocolInvalid, v4, true), qtmpl(ProtocolIPsec2, v4, true)},
			{"-1 vs DEFAULT", qtmpl(-1, v4, false), qtmpl(ProtocolDefault, v4, false)},
		}},
		"QTMPL-FAMILY": {errors.WSAEAFNOSUPPORT, []checkCase{
			{"AF_UNIX vs AF_INET", setFamily(qtmpl(ProtocolIPsec, v4, false), sockaddr.AF_UNIX), qtmpl(ProtocolIPsec, v4, false)},
			{"0xFFFF vs AF_INET6", setFamily(qtmpl(ProtocolIPsec2, patAddr, true), 0xFFFF), qtmpl(ProtocolIPsec2, patAddr, true)},
		}},
	}
}

// runChecks walks the live table, so a check added without test cases fails, as does a case
// for a check that no longer exists.
func runChecks(t *testing.T, checks []Check, expect map[string]checkExpect) {
	seen := map[string]bool{}
	for i := range checks {
		c := &checks[i]
		seen[c.ID] = true
		t.Run(c.ID, func(t *testing.T) {
			exp, ok := expect[c.ID]
			require.True(t, ok, "no test cases for check %s", c.ID)
			require.NotEmpty(t, exp.cases)
			assert.Equal(t, exp.code, c.Code)
			assert.NotEmpty(t, c.Condition)
			assert.Contains(t, c.Source, "ruling")
			for _, tc := range exp.cases {
				got, bad := FirstFailure(checks, tc.bad)
				if assert.True(t, bad, "%s: bad buffer passed", tc.name) {
					assert.Equal(t, c.ID, got.ID, tc.name)
					assert.Equal(t, exp.code, got.Code, tc.name)
				}
				assert.True(t, c.Fails(tc.bad), tc.name)
				assert.False(t, c.Fails(tc.good), "%s: good buffer fails %s", tc.name, c.ID)
				got, bad = FirstFailure(checks, tc.good)
				assert.False(t, bad, "%s: good buffer fails %v", tc.name, got)
			}
		})
	}
	for id := range expect {
		assert.True(t, seen[id], "test cases for unknown check %s", id)
	}
}

func TestSettingsChecks(t *testing.T) {
	runChecks(t, SettingsChecks, settingsCheckCases())
	// Reserved fields are ignored (R5): a buffer full of them is valid.
	_, bad := FirstFailure(SettingsChecks, settingsIPsec(ProtocolIPsec, IPsecSettings{Reserved: patGUID, Reserved2: pat64}))
	assert.False(t, bad)
}

func TestPeerTargetNameChecks(t *testing.T) {
	runChecks(t, PeerTargetNameChecks, peerTargetNameCheckCases())
	// An odd count is fine where the unit is characters.
	_, bad := FirstFailure(PeerTargetNameChecks, ptn(ProtocolIPsec, sockaddr.Addr{}, "abc"))
	assert.False(t, bad)
}

func TestQueryTemplateChecks(t *testing.T) {
	runChecks(t, QueryTemplateChecks, queryTemplateCheckCases())
}

func TestCheckIDsAreUnique(t *testing.T) {
	ids := map[string]bool{}
	for _, set := range CheckSets() {
		for _, c := range set.Checks {
			assert.False(t, ids[c.ID], "duplicate check ID %s", c.ID)
			ids[c.ID] = true
		}
	}
}

// The order of the lists is the order of rulings R4/R5 (settings) and R1/R10 (others).
func TestCheckOrder(t *testing.T) {
	ids := func(cs []Check) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	assert.Equal(t, []string{
		"SETTINGS-LEN-MIN", "SETTINGS-PROTOCOL", "SETTINGS-IPSEC-LEN-MIN", "SETTINGS-IPSEC-STRINGS-LEN",
		"SETTINGS-IPSEC-STRINGS-ODD", "SETTINGS-DEFAULT-WITH-IPSEC-LAYOUT", "SETTINGS-FLAGS-UNKNOWN",
		"SETTINGS-IPSEC-FLAGS-UNKNOWN",
	}, ids(SettingsChecks))
	assert.Equal(t, []string{"PTN-LEN-MIN", "PTN-PROTOCOL", "PTN-NAME-LEN", "PTN-NAME-ODD", "PTN-FAMILY"}, ids(PeerTargetNameChecks))
	assert.Equal(t, []string{"QTMPL-LEN-MIN", "QTMPL-IPSEC2-LEN-MIN", "QTMPL-PROTOCOL", "QTMPL-FAMILY"}, ids(QueryTemplateChecks))

	// Buffers that break two or more checks report the earliest.
	for _, tc := range []struct {
		name   string
		checks []Check
		buf    []byte
		want   string
	}{
		{"protocol before unknown flags", SettingsChecks, settings8(ProtocolInvalid, 0x80), "SETTINGS-PROTOCOL"},
		{"IPSEC length before unknown flags", SettingsChecks, settings8(ProtocolIPsec, 0x80), "SETTINGS-IPSEC-LEN-MIN"},
		{"string length before odd lengths and flags", SettingsChecks,
			put32(settingsIPsec(ProtocolIPsec, IPsecSettings{Flags: 0x100}), offIPsecUserNameLen, 3), "SETTINGS-IPSEC-STRINGS-LEN"},
		{"odd length before unknown flags", SettingsChecks,
			put32(put32(append(settingsIPsec(ProtocolIPsec, IPsecSettings{Flags: 0x100}), 0, 0, 0), offIPsecUserNameLen, 3), offSettingsFlags, 0x8),
			"SETTINGS-IPSEC-STRINGS-ODD"},
		{"DEFAULT layout before unknown flags", SettingsChecks, put32(settingsIPsec(ProtocolDefault, IPsecSettings{}), offSettingsFlags, 0x8), "SETTINGS-DEFAULT-WITH-IPSEC-LAYOUT"},
		{"security flags before IPsec flags", SettingsChecks, put32(settingsIPsec(ProtocolIPsec, IPsecSettings{Flags: 0x100}), offSettingsFlags, 0x8), "SETTINGS-FLAGS-UNKNOWN"},
		{"name length before family", PeerTargetNameChecks, setFamily(ptn(ProtocolIPsec, sockaddr.Addr{}, "abc"), 1)[:145], "PTN-NAME-LEN"},
		{"protocol before name length", PeerTargetNameChecks, put32(ptn(ProtocolInvalid, sockaddr.Addr{}, ""), offPTNStringLen, 100), "PTN-PROTOCOL"},
		{"odd before family", PeerTargetNameChecks, setFamily(put32(ptn(ProtocolIPsec2, sockaddr.Addr{}, "abc"), offPTNStringLen, 5), 1), "PTN-NAME-ODD"},
		{"IPSEC2 length before family", QueryTemplateChecks, setFamily(qtmpl(ProtocolIPsec2, sockaddr.Addr{}, false), 1), "QTMPL-IPSEC2-LEN-MIN"},
		{"protocol before family", QueryTemplateChecks, setFamily(qtmpl(ProtocolInvalid, sockaddr.Addr{}, false), 1), "QTMPL-PROTOCOL"},
	} {
		c, bad := FirstFailure(tc.checks, tc.buf)
		if assert.True(t, bad, tc.name) {
			assert.Equal(t, tc.want, c.ID, tc.name)
		}
	}
}

func TestCheckSetsAndLookup(t *testing.T) {
	sets := CheckSets()
	require.Len(t, sets, 3)
	assert.Equal(t, "WSASetSocketSecurity", sets[0].Function)
	c, ok := CheckByID("PTN-FAMILY")
	require.True(t, ok)
	assert.Equal(t, errors.WSAEAFNOSUPPORT, c.Code)
	assert.Same(t, &PeerTargetNameChecks[len(PeerTargetNameChecks)-1], c, "CheckByID points into the live table")
	_, ok = CheckByID("NOPE")
	assert.False(t, ok)
	for _, s := range sets {
		for _, c := range s.Checks {
			assert.Regexp(t, `^[A-Z0-9]+(-[A-Z0-9]+)+$`, c.ID)
			assert.NotNil(t, c.Fails, c.ID)
		}
	}
	_, bad := FirstFailure([]Check{{ID: "NIL-FAILS"}}, nil)
	assert.False(t, bad, "a check without Fails never fires")
}

func TestFirstFailureDoesNotAllocate(t *testing.T) {
	bufs := [][]byte{
		nil, make([]byte, 8), settingsIPsec(ProtocolIPsec, IPsecSettings{Flags: 0x100}),
		ptn(ProtocolIPsec2, patAddr, "host"), qtmpl(ProtocolIPsec2, patAddr, true), make([]byte, 200),
	}
	for _, set := range CheckSets() {
		for _, b := range bufs {
			allocs := testing.AllocsPerRun(100, func() { FirstFailure(set.Checks, b) })
			assert.Zero(t, allocs, set.Function)
		}
	}
}
