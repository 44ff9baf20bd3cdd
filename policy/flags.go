package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// flagTable names the bits of one flag field. Every name starts with prefix, which parsers let
// the user leave out.
type flagTable struct {
	kind   string
	prefix string
	names  []flagName
}

type flagName struct {
	bit  uint32
	name string
}

var (
	securityFlagTable = flagTable{"SecurityFlags", "SOCKET_SETTINGS_", []flagName{
		{uint32(SettingsGuaranteeEncryption), "SOCKET_SETTINGS_GUARANTEE_ENCRYPTION"},
		{uint32(SettingsAllowInsecure), "SOCKET_SETTINGS_ALLOW_INSECURE"},
	}}
	ipsecFlagTable = flagTable{"IpsecFlags", "SOCKET_SETTINGS_IPSEC_", []flagName{
		{uint32(IPsecSkipFilterInstantiation), "SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION"},
		{uint32(IPsecOptionalPeerNameVerification), "SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION"},
		{uint32(IPsecAllowFirstInboundPktUnencrypted), "SOCKET_SETTINGS_IPSEC_ALLOW_FIRST_INBOUND_PKT_UNENCRYPTED"},
		{uint32(IPsecPeerNameIsRawFormat), "SOCKET_SETTINGS_IPSEC_PEER_NAME_IS_RAW_FORMAT"},
	}}
	infoFlagTable = flagTable{"SOCKET_SECURITY_QUERY_INFO Flags", "SOCKET_INFO_CONNECTION_", []flagName{
		{uint32(InfoConnectionSecured), "SOCKET_INFO_CONNECTION_SECURED"},
		{uint32(InfoConnectionEncrypted), "SOCKET_INFO_CONNECTION_ENCRYPTED"},
		{uint32(InfoConnectionImpersonated), "SOCKET_INFO_CONNECTION_IMPERSONATED"},
	}}
	queryIPsec2FlagTable = flagTable{"SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2 Flags", "SOCKET_QUERY_IPSEC2_", []flagName{
		{uint32(QueryIPsec2AbortConnectionOnFieldChange), "SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE"},
	}}
	fieldMaskTable = flagTable{"FieldMask", "SOCKET_QUERY_IPSEC2_FIELD_MASK_", []flagName{
		{uint32(FieldMaskMMSAID), "SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID"},
		{uint32(FieldMaskQMSAID), "SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID"},
	}}
	ipsecPolicyFlagTable = flagTable{"IPsec policy flags", "IPSEC_POLICY_FLAG_", []flagName{
		{0x00000002, "IPSEC_POLICY_FLAG_ND_SECURE"},
		{0x00000004, "IPSEC_POLICY_FLAG_ND_BOUNDARY"},
		{0x00000008, "IPSEC_POLICY_FLAG_CLEAR_DF_ON_TUNNEL"},
		{0x00000010, "IPSEC_POLICY_FLAG_NAT_ENCAP_ALLOW_PEER_BEHIND_NAT"},
		{0x00000020, "IPSEC_POLICY_FLAG_NAT_ENCAP_ALLOW_GENERAL_NAT_TRAVERSAL"},
		{0x00000040, "IPSEC_POLICY_FLAG_DONT_NEGOTIATE_SECOND_LIFETIME"},
		{0x00000080, "IPSEC_POLICY_FLAG_DONT_NEGOTIATE_BYTE_LIFETIME"},
	}}
)

// format joins the names of the set bits with "|" in table order, then any unknown bits as one
// hex number, so the output parses back to the same value. Zero prints as "0".
func (t *flagTable) format(v uint32) string {
	if v == 0 {
		return "0"
	}
	var sb strings.Builder
	for _, f := range t.names {
		if v&f.bit != 0 {
			if sb.Len() > 0 {
				sb.WriteByte('|')
			}
			sb.WriteString(f.name)
			v &^= f.bit
		}
	}
	if v != 0 {
		if sb.Len() > 0 {
			sb.WriteByte('|')
		}
		sb.WriteString("0x")
		sb.WriteString(strings.ToUpper(strconv.FormatUint(uint64(v), 16)))
	}
	return sb.String()
}

// parse reads names and numbers joined by "|", ignoring case and spaces around each part.
func (t *flagTable) parse(s string) (uint32, error) {
	var v uint32
	for part := range strings.SplitSeq(s, "|") {
		p := strings.ToUpper(strings.TrimSpace(part))
		if p == "" {
			return 0, fmt.Errorf("policy: empty element in %s %q", t.kind, s)
		}
		bit, ok := t.lookup(p)
		if !ok {
			n, err := strconv.ParseUint(p, 0, 32)
			if err != nil {
				return 0, fmt.Errorf("policy: unknown %s flag %q in %q", t.kind, strings.TrimSpace(part), s)
			}
			bit = uint32(n)
		}
		v |= bit
	}
	return v, nil
}

func (t *flagTable) lookup(upper string) (uint32, bool) {
	for _, f := range t.names {
		if upper == f.name || t.prefix+upper == f.name {
			return f.bit, true
		}
	}
	return 0, false
}

// String names the set bits, e.g. "SOCKET_SETTINGS_GUARANTEE_ENCRYPTION|SOCKET_SETTINGS_ALLOW_INSECURE".
func (f SecurityFlags) String() string { return securityFlagTable.format(uint32(f)) }

// Unknown returns the bits Windows does not define, which make WSASetSocketSecurity fail.
func (f SecurityFlags) Unknown() SecurityFlags { return f &^ SecurityFlagsMask }

// String names the set bits, e.g. "SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION".
func (f IPsecFlags) String() string { return ipsecFlagTable.format(uint32(f)) }

// Unknown returns the bits Windows does not define, which make WSASetSocketSecurity fail.
func (f IPsecFlags) Unknown() IPsecFlags { return f &^ IPsecFlagsMask }

// String names the set bits, e.g. "SOCKET_INFO_CONNECTION_SECURED|SOCKET_INFO_CONNECTION_ENCRYPTED".
func (f InfoFlags) String() string { return infoFlagTable.format(uint32(f)) }

// String names the set bits.
func (f QueryIPsec2Flags) String() string { return queryIPsec2FlagTable.format(uint32(f)) }

// String names the set bits, e.g. "SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID".
func (f FieldMask) String() string { return fieldMaskTable.format(uint32(f)) }

// ParseSecurityFlags reads what String prints, and more leniently names without the
// SOCKET_SETTINGS_ prefix, any case, and decimal or 0x numbers, joined by "|".
func ParseSecurityFlags(s string) (SecurityFlags, error) {
	v, err := securityFlagTable.parse(s)
	return SecurityFlags(v), err
}

// ParseIPsecFlags reads names (with or without SOCKET_SETTINGS_IPSEC_) and numbers joined by "|".
func ParseIPsecFlags(s string) (IPsecFlags, error) {
	v, err := ipsecFlagTable.parse(s)
	return IPsecFlags(v), err
}

// ParseInfoFlags reads names (with or without SOCKET_INFO_CONNECTION_) and numbers joined by "|".
func ParseInfoFlags(s string) (InfoFlags, error) {
	v, err := infoFlagTable.parse(s)
	return InfoFlags(v), err
}

// ParseQueryIPsec2Flags reads names (with or without SOCKET_QUERY_IPSEC2_) and numbers joined by "|".
func ParseQueryIPsec2Flags(s string) (QueryIPsec2Flags, error) {
	v, err := queryIPsec2FlagTable.parse(s)
	return QueryIPsec2Flags(v), err
}

// ParseFieldMask reads names (with or without SOCKET_QUERY_IPSEC2_FIELD_MASK_) and numbers joined by "|".
func ParseFieldMask(s string) (FieldMask, error) {
	v, err := fieldMaskTable.parse(s)
	return FieldMask(v), err
}
