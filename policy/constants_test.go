package policy

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/wsssim/wsssim/internal/oracle"
)

var oracleGroups = []string{
	"secsock-protocol", "secsock-settings-flag", "secsock-ipsec-flag", "secsock-info-flag",
	"secsock-query-flag", "secsock-misc", "ioctl",
}

func loadOracle(t *testing.T) *oracle.Oracle {
	t.Helper()
	o, err := oracle.Load()
	require.NoError(t, err)
	return o
}

func TestConstantsMatchOracle(t *testing.T) {
	o := loadOracle(t)
	ours := map[string]NamedValue{}
	for _, c := range Constants() {
		_, dup := ours[c.Name]
		require.False(t, dup, "constant %s listed twice", c.Name)
		ours[c.Name] = c
	}
	theirs := map[string]bool{}
	for _, g := range oracleGroups {
		group := o.Group(g)
		require.NotEmpty(t, group, "oracle group %s", g)
		for _, oc := range group {
			theirs[oc.Name] = true
			want, err := strconv.ParseInt(oc.Value.String(), 10, 64)
			require.NoError(t, err)
			got, ok := ours[oc.Name]
			if assert.True(t, ok, "oracle constant %s (group %s) missing from Constants()", oc.Name, g) {
				assert.Equal(t, want, got.Value, oc.Name)
				assert.Equal(t, g, got.Group, oc.Name)
			}
		}
	}
	for name := range ours {
		assert.True(t, theirs[name], "Constants() lists %s, which the oracle groups lack", name)
	}
}

// The typed constants are the ones the rest of the code uses; make sure Constants() reports
// those very values (it is built from tables that could drift from the const blocks).
func TestConstantsTableMatchesTypedConstants(t *testing.T) {
	byName := map[string]int64{}
	for _, c := range Constants() {
		byName[c.Name] = c.Value
	}
	typed := map[string]int64{
		"SOCKET_SECURITY_PROTOCOL_DEFAULT":                          int64(ProtocolDefault),
		"SOCKET_SECURITY_PROTOCOL_IPSEC":                            int64(ProtocolIPsec),
		"SOCKET_SECURITY_PROTOCOL_IPSEC2":                           int64(ProtocolIPsec2),
		"SOCKET_SECURITY_PROTOCOL_INVALID":                          int64(ProtocolInvalid),
		"SOCKET_SETTINGS_GUARANTEE_ENCRYPTION":                      int64(SettingsGuaranteeEncryption),
		"SOCKET_SETTINGS_ALLOW_INSECURE":                            int64(SettingsAllowInsecure),
		"SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION":           int64(IPsecSkipFilterInstantiation),
		"SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION":     int64(IPsecOptionalPeerNameVerification),
		"SOCKET_SETTINGS_IPSEC_ALLOW_FIRST_INBOUND_PKT_UNENCRYPTED": int64(IPsecAllowFirstInboundPktUnencrypted),
		"SOCKET_SETTINGS_IPSEC_PEER_NAME_IS_RAW_FORMAT":             int64(IPsecPeerNameIsRawFormat),
		"SOCKET_INFO_CONNECTION_SECURED":                            int64(InfoConnectionSecured),
		"SOCKET_INFO_CONNECTION_ENCRYPTED":                          int64(InfoConnectionEncrypted),
		"SOCKET_INFO_CONNECTION_IMPERSONATED":                       int64(InfoConnectionImpersonated),
		"SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE":      int64(QueryIPsec2AbortConnectionOnFieldChange),
		"SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID":                   int64(FieldMaskMMSAID),
		"SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID":                   int64(FieldMaskQMSAID),
		"SYSTEM_CRITICAL_SOCKET":                                    SystemCriticalSocket,
		"SIO_SET_SECURITY":                                          int64(SIO_SET_SECURITY),
		"SIO_QUERY_SECURITY":                                        int64(SIO_QUERY_SECURITY),
		"SIO_SET_PEER_TARGET_NAME":                                  int64(SIO_SET_PEER_TARGET_NAME),
		"SIO_DELETE_PEER_TARGET_NAME":                               int64(SIO_DELETE_PEER_TARGET_NAME),
		"SIO_SOCKET_USAGE_NOTIFICATION":                             int64(SIO_SOCKET_USAGE_NOTIFICATION),
		"SIO_QUERY_WFP_ALE_ENDPOINT_HANDLE":                         int64(SIO_QUERY_WFP_ALE_ENDPOINT_HANDLE),
		"IOC_VOID":                                                  IOC_VOID,
		"IOC_OUT":                                                   IOC_OUT,
		"IOC_IN":                                                    IOC_IN,
		"IOC_INOUT":                                                 IOC_INOUT,
		"IOC_WS2":                                                   IOC_WS2,
		"IOC_PROTOCOL":                                              IOC_PROTOCOL,
		"IOC_VENDOR":                                                IOC_VENDOR,
	}
	assert.Equal(t, typed, byName)
}

// The header macros, written out as the SDK writes them, to document how the codes are built.
func wsaIOW(x, y uint32) IoctlCode  { return IoctlCode(IOC_IN | x | y) }
func wsaIOR(x, y uint32) IoctlCode  { return IoctlCode(IOC_OUT | x | y) }
func wsaIORW(x, y uint32) IoctlCode { return IoctlCode(IOC_INOUT | x | y) }

func TestIoctlCodes(t *testing.T) {
	assert.Equal(t, wsaIOW(IOC_VENDOR, 200), SIO_SET_SECURITY)
	assert.Equal(t, wsaIORW(IOC_VENDOR, 201), SIO_QUERY_SECURITY)
	assert.Equal(t, wsaIOW(IOC_VENDOR, 202), SIO_SET_PEER_TARGET_NAME)
	assert.Equal(t, wsaIOW(IOC_VENDOR, 203), SIO_DELETE_PEER_TARGET_NAME)
	assert.Equal(t, wsaIOW(IOC_VENDOR, 204), SIO_SOCKET_USAGE_NOTIFICATION)
	assert.Equal(t, wsaIOR(IOC_VENDOR, 205), SIO_QUERY_WFP_ALE_ENDPOINT_HANDLE)
	assert.Equal(t, IoctlCode(0x980000C8), SIO_SET_SECURITY)
	assert.Equal(t, IoctlCode(0xD80000C9), SIO_QUERY_SECURITY)

	assert.Equal(t, "SIO_QUERY_SECURITY", SIO_QUERY_SECURITY.String())
	assert.Equal(t, "0x98000001", IoctlCode(0x98000001).String())
	assert.True(t, SIO_QUERY_SECURITY.In())
	assert.True(t, SIO_QUERY_SECURITY.Out())
	assert.True(t, SIO_SET_SECURITY.In())
	assert.False(t, SIO_SET_SECURITY.Out())
	assert.False(t, SIO_QUERY_WFP_ALE_ENDPOINT_HANDLE.In())
}

func TestProtocolString(t *testing.T) {
	assert.Equal(t, "SOCKET_SECURITY_PROTOCOL_DEFAULT", ProtocolDefault.String())
	assert.Equal(t, "SOCKET_SECURITY_PROTOCOL_IPSEC", ProtocolIPsec.String())
	assert.Equal(t, "SOCKET_SECURITY_PROTOCOL_IPSEC2", ProtocolIPsec2.String())
	assert.Equal(t, "SOCKET_SECURITY_PROTOCOL_INVALID", ProtocolInvalid.String())
	assert.Equal(t, "SOCKET_SECURITY_PROTOCOL(7)", Protocol(7).String())
	assert.Equal(t, "SOCKET_SECURITY_PROTOCOL(-1)", Protocol(-1).String())

	assert.True(t, ProtocolIPsec2.Valid())
	assert.False(t, ProtocolInvalid.Valid())
	assert.False(t, Protocol(-1).Valid())
	assert.True(t, ProtocolIPsec.UsesIPsecLayout())
	assert.False(t, ProtocolDefault.UsesIPsecLayout())
	assert.Equal(t, 64, ProtocolIPsec2.QueryInfoSize())
	assert.Equal(t, 24, ProtocolIPsec.QueryInfoSize())
}

func TestParseProtocol(t *testing.T) {
	for in, want := range map[string]Protocol{
		"DEFAULT":                          ProtocolDefault,
		"ipsec":                            ProtocolIPsec,
		" IPsec2 ":                         ProtocolIPsec2,
		"invalid":                          ProtocolInvalid,
		"SOCKET_SECURITY_PROTOCOL_IPSEC2":  ProtocolIPsec2,
		"socket_security_protocol_default": ProtocolDefault,
		"SOCKET_SECURITY_PROTOCOL(7)":      7,
		"1":                                ProtocolIPsec,
		"0x10":                             16,
		"-1":                               -1,
		"0xFFFFFFFF":                       -1,
	} {
		got, err := ParseProtocol(in)
		if assert.NoError(t, err, in) {
			assert.Equal(t, want, got, in)
		}
	}
	for _, bad := range []string{"", "IPSEC3", "SOCKET_SECURITY_PROTOCOL_", "0x1FFFFFFFF", "SOCKET_SECURITY_PROTOCOL(x)"} {
		_, err := ParseProtocol(bad)
		assert.Error(t, err, bad)
	}
	rapid.Check(t, func(t *rapid.T) {
		p := Protocol(rapid.Int32().Draw(t, "p"))
		got, err := ParseProtocol(p.String())
		require.NoError(t, err)
		require.Equal(t, p, got)
	})
}

func TestFlagStrings(t *testing.T) {
	assert.Equal(t, "SOCKET_SETTINGS_GUARANTEE_ENCRYPTION|SOCKET_SETTINGS_ALLOW_INSECURE",
		(SettingsGuaranteeEncryption | SettingsAllowInsecure).String())
	assert.Equal(t, "0", SecurityFlags(0).String())
	assert.Equal(t, "SOCKET_SETTINGS_ALLOW_INSECURE|0x30", (SettingsAllowInsecure | 0x30).String())
	assert.Equal(t, "0x80000000", SecurityFlags(0x80000000).String())
	assert.Equal(t, "SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION|SOCKET_SETTINGS_IPSEC_PEER_NAME_IS_RAW_FORMAT",
		(IPsecSkipFilterInstantiation | IPsecPeerNameIsRawFormat).String())
	assert.Equal(t, "SOCKET_INFO_CONNECTION_SECURED|SOCKET_INFO_CONNECTION_ENCRYPTED",
		(InfoConnectionSecured | InfoConnectionEncrypted).String())
	assert.Equal(t, "SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE", QueryIPsec2AbortConnectionOnFieldChange.String())
	assert.Equal(t, "SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID|SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID", FieldMaskAll.String())
	assert.Equal(t, SecurityFlags(0x30), (SettingsAllowInsecure | 0x30).Unknown())
	assert.Equal(t, IPsecFlags(0), IPsecFlagsMask.Unknown())
}

func TestParseFlags(t *testing.T) {
	sf, err := ParseSecurityFlags("GUARANTEE_ENCRYPTION | socket_settings_allow_insecure")
	require.NoError(t, err)
	assert.Equal(t, SecurityFlagsMask, sf)
	sf, err = ParseSecurityFlags("0x10|1|0")
	require.NoError(t, err)
	assert.Equal(t, SecurityFlags(0x11), sf)

	ipf, err := ParseIPsecFlags("skip_filter_instantiation|SOCKET_SETTINGS_IPSEC_ALLOW_FIRST_INBOUND_PKT_UNENCRYPTED")
	require.NoError(t, err)
	assert.Equal(t, IPsecSkipFilterInstantiation|IPsecAllowFirstInboundPktUnencrypted, ipf)

	inf, err := ParseInfoFlags("SECURED|Encrypted|impersonated")
	require.NoError(t, err)
	assert.Equal(t, InfoFlagsMask, inf)

	qf, err := ParseQueryIPsec2Flags("ABORT_CONNECTION_ON_FIELD_CHANGE")
	require.NoError(t, err)
	assert.Equal(t, QueryIPsec2AbortConnectionOnFieldChange, qf)

	fm, err := ParseFieldMask("MM_SA_ID|SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID")
	require.NoError(t, err)
	assert.Equal(t, FieldMaskAll, fm)

	for _, bad := range []string{"", "|", "GUARANTEE_ENCRYPTION|", "ENCRYPTION", "SKIP_FILTER_INSTANTIATION", "0x100000000", "-1"} {
		_, err := ParseSecurityFlags(bad)
		assert.Error(t, err, bad)
	}
	_, err = ParseInfoFlags("GUARANTEE_ENCRYPTION")
	assert.Error(t, err, "a name from another table is not accepted")
}

func TestFlagsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.Uint32().Draw(t, "v")
		sf, err := ParseSecurityFlags(SecurityFlags(v).String())
		require.NoError(t, err)
		require.Equal(t, SecurityFlags(v), sf)
		ipf, err := ParseIPsecFlags(IPsecFlags(v).String())
		require.NoError(t, err)
		require.Equal(t, IPsecFlags(v), ipf)
		inf, err := ParseInfoFlags(InfoFlags(v).String())
		require.NoError(t, err)
		require.Equal(t, InfoFlags(v), inf)
		qf, err := ParseQueryIPsec2Flags(QueryIPsec2Flags(v).String())
		require.NoError(t, err)
		require.Equal(t, QueryIPsec2Flags(v), qf)
		fm, err := ParseFieldMask(FieldMask(v).String())
		require.NoError(t, err)
		require.Equal(t, FieldMask(v), fm)
	})
}
