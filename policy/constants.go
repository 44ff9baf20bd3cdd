package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// Protocol is SOCKET_SECURITY_PROTOCOL: the first field of every secure-socket structure, which
// tells the callee how to read the rest of the buffer (as sa_family does for a sockaddr).
type Protocol int32

// The SOCKET_SECURITY_PROTOCOL values of the Windows 7 and later headers (ruling R0: INVALID is 3;
// the Vista headers had INVALID = 2, which Win7+ reads as IPSEC2).
const (
	// ProtocolDefault lets the system choose; it currently behaves as ProtocolIPsec.
	ProtocolDefault Protocol = 0
	// ProtocolIPsec selects IPsec and the SOCKET_SECURITY_SETTINGS_IPSEC layout.
	ProtocolIPsec Protocol = 1
	// ProtocolIPsec2 is "version 2 of secure socket apis" (Win7+): same settings layout, the
	// IPSEC2 query structures, and peer-name lengths in bytes (ruling R10).
	ProtocolIPsec2 Protocol = 2
	// ProtocolInvalid is the enum's upper bound; it and anything above it is never legal.
	ProtocolInvalid Protocol = 3
)

var protocolNames = [...]string{
	"SOCKET_SECURITY_PROTOCOL_DEFAULT",
	"SOCKET_SECURITY_PROTOCOL_IPSEC",
	"SOCKET_SECURITY_PROTOCOL_IPSEC2",
	"SOCKET_SECURITY_PROTOCOL_INVALID",
}

const protocolPrefix = "SOCKET_SECURITY_PROTOCOL_"

// String returns the SDK name, or SOCKET_SECURITY_PROTOCOL(n) for a value the enum lacks, so a
// trace shows exactly what the caller passed.
func (p Protocol) String() string {
	if p >= 0 && int(p) < len(protocolNames) {
		return protocolNames[p]
	}
	return "SOCKET_SECURITY_PROTOCOL(" + strconv.FormatInt(int64(p), 10) + ")"
}

// Valid reports whether Windows accepts the value at all (DEFAULT, IPSEC or IPSEC2).
func (p Protocol) Valid() bool { return p >= ProtocolDefault && p < ProtocolInvalid }

// UsesIPsecLayout reports whether a settings buffer with this protocol must be a
// SOCKET_SECURITY_SETTINGS_IPSEC (rulings R4, R10: IPSEC and IPSEC2 share that layout).
func (p Protocol) UsesIPsecLayout() bool { return p == ProtocolIPsec || p == ProtocolIPsec2 }

// QueryInfoSize is the output size WSAQuerySocketSecurity requires for a query made with this
// protocol: 64 bytes (SOCKET_SECURITY_QUERY_INFO_IPSEC2) for IPSEC2, else 24 (ruling R9).
func (p Protocol) QueryInfoSize() int {
	if p == ProtocolIPsec2 {
		return SizeofQueryInfoIPsec2
	}
	return SizeofQueryInfo
}

// ParseProtocol reads DEFAULT, IPSEC, IPSEC2 or INVALID, the full SDK name, the
// SOCKET_SECURITY_PROTOCOL(n) form that String prints, or a number (decimal or 0x). Case is
// ignored. Out-of-range numbers are accepted on purpose: scenarios need them to exercise
// the checks.
func ParseProtocol(s string) (Protocol, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	short := strings.TrimPrefix(t, protocolPrefix)
	for i, n := range protocolNames {
		if short == strings.TrimPrefix(n, protocolPrefix) {
			return Protocol(i), nil
		}
	}
	if inner, ok := strings.CutPrefix(t, "SOCKET_SECURITY_PROTOCOL("); ok {
		if num, ok := strings.CutSuffix(inner, ")"); ok {
			t = num
		}
	}
	if n, err := strconv.ParseInt(t, 0, 32); err == nil {
		return Protocol(n), nil
	}
	if n, err := strconv.ParseUint(t, 0, 32); err == nil {
		return Protocol(int32(uint32(n))), nil
	}
	return 0, fmt.Errorf("policy: unknown SOCKET_SECURITY_PROTOCOL %q", s)
}

// SecurityFlags is the SecurityFlags field of SOCKET_SECURITY_SETTINGS (SOCKET_SETTINGS_*).
type SecurityFlags uint32

// SOCKET_SETTINGS_* values.
const (
	// SettingsGuaranteeEncryption demands encryption; without it no packet is sent.
	SettingsGuaranteeEncryption SecurityFlags = 0x1
	// SettingsAllowInsecure permits clear text when negotiation fails.
	SettingsAllowInsecure SecurityFlags = 0x2
	// SecurityFlagsMask holds every bit Windows knows; others are rejected (ruling R5).
	SecurityFlagsMask = SettingsGuaranteeEncryption | SettingsAllowInsecure
)

// IPsecFlags is the IpsecFlags field of SOCKET_SECURITY_SETTINGS_IPSEC (SOCKET_SETTINGS_IPSEC_*).
type IPsecFlags uint32

// SOCKET_SETTINGS_IPSEC_* values; all but the first exist only in Win7+ headers.
const (
	// IPsecSkipFilterInstantiation: filters and policy already exist (e.g. domain policy).
	IPsecSkipFilterInstantiation IPsecFlags = 0x1
	// IPsecOptionalPeerNameVerification is undocumented (header only).
	IPsecOptionalPeerNameVerification IPsecFlags = 0x2
	// IPsecAllowFirstInboundPktUnencrypted is undocumented (header only).
	IPsecAllowFirstInboundPktUnencrypted IPsecFlags = 0x4
	// IPsecPeerNameIsRawFormat is undocumented (header only).
	IPsecPeerNameIsRawFormat IPsecFlags = 0x8
	// IPsecFlagsMask holds every known bit; others are rejected (ruling R5).
	IPsecFlagsMask = IPsecSkipFilterInstantiation | IPsecOptionalPeerNameVerification |
		IPsecAllowFirstInboundPktUnencrypted | IPsecPeerNameIsRawFormat
)

// InfoFlags is the Flags field of SOCKET_SECURITY_QUERY_INFO (SOCKET_INFO_CONNECTION_*).
type InfoFlags uint32

// SOCKET_INFO_CONNECTION_* values.
const (
	// InfoConnectionSecured: the traffic is protected; absent means clear text.
	InfoConnectionSecured InfoFlags = 0x1
	// InfoConnectionEncrypted: the traffic is encrypted; always comes with Secured.
	InfoConnectionEncrypted InfoFlags = 0x2
	// InfoConnectionImpersonated is undocumented (header only).
	InfoConnectionImpersonated InfoFlags = 0x4
	// InfoFlagsMask holds every known bit.
	InfoFlagsMask = InfoConnectionSecured | InfoConnectionEncrypted | InfoConnectionImpersonated
)

// QueryIPsec2Flags is the Flags field of SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2.
type QueryIPsec2Flags uint32

// SOCKET_QUERY_IPSEC2_* flag values (Win7+, undocumented).
const (
	// QueryIPsec2AbortConnectionOnFieldChange is SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE.
	QueryIPsec2AbortConnectionOnFieldChange QueryIPsec2Flags = 0x1
	// QueryIPsec2FlagsMask holds every known bit.
	QueryIPsec2FlagsMask = QueryIPsec2AbortConnectionOnFieldChange
)

// FieldMask is the FieldMask field of SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2: which SA ids the
// caller wants back.
type FieldMask uint32

// SOCKET_QUERY_IPSEC2_FIELD_MASK_* values (Win7+, undocumented).
const (
	// FieldMaskMMSAID asks for the IKE main-mode SA id.
	FieldMaskMMSAID FieldMask = 0x1
	// FieldMaskQMSAID asks for the IPsec quick-mode SA id.
	FieldMaskQMSAID FieldMask = 0x2
	// FieldMaskAll holds every known bit.
	FieldMaskAll = FieldMaskMMSAID | FieldMaskQMSAID
)

// SystemCriticalSocket is SOCKET_USAGE_TYPE's only value, the input of
// SIO_SOCKET_USAGE_NOTIFICATION.
const SystemCriticalSocket = 1

// The WSAIoctl building blocks of winsock2.h. The I/O direction bits say which of
// lpvInBuffer/lpvOutBuffer a code uses; IOC_VENDOR is the "vendor" family (T field = 3).
const (
	IOC_VOID     = 0x20000000
	IOC_OUT      = 0x40000000
	IOC_IN       = 0x80000000
	IOC_INOUT    = IOC_IN | IOC_OUT
	IOC_WS2      = 0x08000000
	IOC_PROTOCOL = 0x10000000
	IOC_VENDOR   = 0x18000000
)

// IoctlCode is a WSAIoctl control code (dwIoControlCode).
type IoctlCode uint32

// The secure-socket control codes of mstcpip.h, built as the _WSAIOW / _WSAIOR / _WSAIORW
// macros build them (IOC_IN|x|y, IOC_OUT|x|y, IOC_INOUT|x|y).
const (
	// SIO_SET_SECURITY is _WSAIOW(IOC_VENDOR, 200), behind WSASetSocketSecurity.
	SIO_SET_SECURITY IoctlCode = IOC_IN | IOC_VENDOR | 200
	// SIO_QUERY_SECURITY is _WSAIORW(IOC_VENDOR, 201), behind WSAQuerySocketSecurity.
	SIO_QUERY_SECURITY IoctlCode = IOC_INOUT | IOC_VENDOR | 201
	// SIO_SET_PEER_TARGET_NAME is _WSAIOW(IOC_VENDOR, 202), behind WSASetSocketPeerTargetName.
	SIO_SET_PEER_TARGET_NAME IoctlCode = IOC_IN | IOC_VENDOR | 202
	// SIO_DELETE_PEER_TARGET_NAME is _WSAIOW(IOC_VENDOR, 203), behind WSADeleteSocketPeerTargetName.
	SIO_DELETE_PEER_TARGET_NAME IoctlCode = IOC_IN | IOC_VENDOR | 203
	// SIO_SOCKET_USAGE_NOTIFICATION is _WSAIOW(IOC_VENDOR, 204); its input is a SOCKET_USAGE_TYPE.
	SIO_SOCKET_USAGE_NOTIFICATION IoctlCode = IOC_IN | IOC_VENDOR | 204
	// SIO_QUERY_WFP_ALE_ENDPOINT_HANDLE is _WSAIOR(IOC_VENDOR, 205); no wrapper uses it.
	SIO_QUERY_WFP_ALE_ENDPOINT_HANDLE IoctlCode = IOC_OUT | IOC_VENDOR | 205
)

var ioctlNames = []struct {
	code IoctlCode
	name string
}{
	{SIO_SET_SECURITY, "SIO_SET_SECURITY"},
	{SIO_QUERY_SECURITY, "SIO_QUERY_SECURITY"},
	{SIO_SET_PEER_TARGET_NAME, "SIO_SET_PEER_TARGET_NAME"},
	{SIO_DELETE_PEER_TARGET_NAME, "SIO_DELETE_PEER_TARGET_NAME"},
	{SIO_SOCKET_USAGE_NOTIFICATION, "SIO_SOCKET_USAGE_NOTIFICATION"},
	{SIO_QUERY_WFP_ALE_ENDPOINT_HANDLE, "SIO_QUERY_WFP_ALE_ENDPOINT_HANDLE"},
}

// String returns the SDK name of a secure-socket code, or the code in hex.
func (c IoctlCode) String() string {
	for _, n := range ioctlNames {
		if n.code == c {
			return n.name
		}
	}
	return fmt.Sprintf("0x%08X", uint32(c))
}

// In reports whether the code carries an input buffer (IOC_IN), as §2.3 of the spec maps
// wrapper parameters to lpvInBuffer.
func (c IoctlCode) In() bool { return c&IOC_IN != 0 }

// Out reports whether the code fills an output buffer (IOC_OUT).
func (c IoctlCode) Out() bool { return c&IOC_OUT != 0 }

// DefaultQM2PolicyKeyName is the SDK name of DefaultQM2PolicyKey.
const DefaultQM2PolicyKeyName = "SOCKET_DEFAULT2_QM_POLICY"

// DefaultQM2PolicyKey is SOCKET_DEFAULT2_QM_POLICY, declared (Win7+) "for use with Secure
// Sockets API"; presumably a value for AuthipQMPolicyKey, which Microsoft does not confirm.
var DefaultQM2PolicyKey = GUID{0xaec2ef9c, 0x3a4d, 0x4d3e, [8]byte{0x88, 0x42, 0x23, 0x99, 0x42, 0xe3, 0x9a, 0x47}}

// NamedValue is one integer constant of this package under its SDK name, with the group the
// project's header oracle files it under, so tests and the CLI can check and print them all.
type NamedValue struct {
	Name  string
	Group string
	Value int64
}

// Constants lists every integer constant of this package with its SDK name. The slice is a
// fresh copy.
func Constants() []NamedValue {
	const (
		gProto = "secsock-protocol"
		gSet   = "secsock-settings-flag"
		gIPsec = "secsock-ipsec-flag"
		gInfo  = "secsock-info-flag"
		gQuery = "secsock-query-flag"
		gMisc  = "secsock-misc"
		gIoctl = "ioctl"
	)
	out := make([]NamedValue, 0, 32)
	for i, n := range protocolNames {
		out = append(out, NamedValue{n, gProto, int64(i)})
	}
	add := func(group string, t *flagTable) {
		for _, f := range t.names {
			out = append(out, NamedValue{f.name, group, int64(f.bit)})
		}
	}
	add(gSet, &securityFlagTable)
	add(gIPsec, &ipsecFlagTable)
	add(gInfo, &infoFlagTable)
	add(gQuery, &queryIPsec2FlagTable)
	add(gQuery, &fieldMaskTable)
	out = append(out, NamedValue{"SYSTEM_CRITICAL_SOCKET", gMisc, SystemCriticalSocket})
	for _, n := range ioctlNames {
		out = append(out, NamedValue{n.name, gIoctl, int64(n.code)})
	}
	out = append(out,
		NamedValue{"IOC_VOID", gIoctl, IOC_VOID},
		NamedValue{"IOC_OUT", gIoctl, IOC_OUT},
		NamedValue{"IOC_IN", gIoctl, IOC_IN},
		NamedValue{"IOC_INOUT", gIoctl, IOC_INOUT},
		NamedValue{"IOC_WS2", gIoctl, IOC_WS2},
		NamedValue{"IOC_PROTOCOL", gIoctl, IOC_PROTOCOL},
		NamedValue{"IOC_VENDOR", gIoctl, IOC_VENDOR},
	)
	return out
}
