package policy

import (
	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sockaddr"
)

// Check is one structure-content precondition, in the order Windows applies it.
//
// Checks are data so that the simulator's rule table can list them, the CLI can print them and
// traces can cite them by ID. Each Fails is safe on any buffer: a field the buffer is too short
// to hold reads as zero, and an earlier check of the list is the one that reports it.
type Check struct {
	// ID is stable, upper-case and dash-separated, e.g. "SETTINGS-LEN-MIN".
	ID string
	// Condition says, in words, what makes the call fail.
	Condition string
	// Code is the error the call reports when the check fails.
	Code errors.Errno
	// Source names the ruling and the spec item or document the check rests on.
	Source string
	// Fails reports whether buf violates the check. buf is exactly the length the caller
	// passed (SecuritySettingsLen, PeerTargetNameLen, SecurityQueryTemplateLen), already
	// checked by the caller against the memory really readable.
	Fails func(buf []byte) bool
}

// FirstFailure runs the checks in order and returns the first that fails. It does not allocate,
// so the simulator can call it on every request.
func FirstFailure(checks []Check, buf []byte) (*Check, bool) {
	for i := range checks {
		if checks[i].Fails != nil && checks[i].Fails(buf) {
			return &checks[i], true
		}
	}
	return nil, false
}

// CheckSet is the ordered checks of one function's structure argument.
type CheckSet struct {
	// Function is the Winsock function, e.g. "WSASetSocketSecurity".
	Function string
	// Argument is the parameter the checks read, e.g. "SecuritySettings".
	Argument string
	Checks   []Check
}

// CheckSets lists every check of the package, grouped by function, for rule tables and
// documentation.
func CheckSets() []CheckSet {
	return []CheckSet{
		{"WSASetSocketSecurity", "SecuritySettings", SettingsChecks},
		{"WSASetSocketPeerTargetName", "PeerTargetName", PeerTargetNameChecks},
		{"WSAQuerySocketSecurity", "SecurityQueryTemplate", QueryTemplateChecks},
	}
}

// CheckByID finds a check by its ID in any of the sets.
func CheckByID(id string) (*Check, bool) {
	for _, set := range CheckSets() {
		for i := range set.Checks {
			if set.Checks[i].ID == id {
				return &set.Checks[i], true
			}
		}
	}
	return nil, false
}

func protocolAt(buf []byte) Protocol { return Protocol(le32(buf, 0)) }

// ipsecSettingsBuf reports whether buf is long enough to be, and labelled as, the IPSEC layout.
func ipsecSettingsBuf(buf []byte) bool {
	return len(buf) >= SizeofSettingsIPsec && protocolAt(buf).UsesIPsecLayout()
}

// knownFamily is the family rule for address fields inside the structures: unset, AF_INET or
// AF_INET6 (ruling R2).
func knownFamily(buf []byte, off int) bool {
	switch sockaddr.Family(le16(buf, off)) {
	case sockaddr.AF_UNSPEC, sockaddr.AF_INET, sockaddr.AF_INET6:
		return true
	}
	return false
}

// SettingsChecks are WSASetSocketSecurity's checks of a non-NULL SecuritySettings buffer, in
// the order of rulings R4 and R5 (a NULL buffer means default settings and is not checked).
var SettingsChecks = []Check{
	{
		ID:        "SETTINGS-LEN-MIN",
		Condition: "SecuritySettingsLen is less than sizeof(SOCKET_SECURITY_SETTINGS) (8)",
		Code:      errors.WSAEMSGSIZE,
		Source:    "ruling R4 (spec A4, A5); doc: WSASetSocketSecurity, WSAEMSGSIZE \"a buffer passed was too small\" [D1]",
		Fails:     func(buf []byte) bool { return len(buf) < SizeofSettings },
	},
	{
		ID:        "SETTINGS-PROTOCOL",
		Condition: "SecurityProtocol is negative or SOCKET_SECURITY_PROTOCOL_INVALID (3) or above",
		Code:      errors.WSAEINVAL,
		Source:    "rulings R0, R4 (spec A9, §3.13 item 3); doc: SOCKET_SECURITY_PROTOCOL_INVALID \"is not a legal value\" [D9], an incorrect value gives WSAEINVAL [D1]",
		Fails: func(buf []byte) bool {
			return len(buf) >= SizeofSettings && !protocolAt(buf).Valid()
		},
	},
	{
		ID:        "SETTINGS-IPSEC-LEN-MIN",
		Condition: "SecurityProtocol is IPSEC or IPSEC2 and SecuritySettingsLen is less than sizeof(SOCKET_SECURITY_SETTINGS_IPSEC) (88)",
		Code:      errors.WSAEMSGSIZE,
		Source:    "ruling R4 (spec A4, A10); doc: SOCKET_SECURITY_SETTINGS_IPSEC [D8]",
		Fails: func(buf []byte) bool {
			return len(buf) >= SizeofSettings && protocolAt(buf).UsesIPsecLayout() && len(buf) < SizeofSettingsIPsec
		},
	},
	{
		ID:        "SETTINGS-IPSEC-STRINGS-LEN",
		Condition: "SecurityProtocol is IPSEC or IPSEC2 and 88 + UserNameStringLen + DomainNameStringLen + PasswordStringLen exceeds SecuritySettingsLen",
		Code:      errors.WSAEMSGSIZE,
		Source:    "ruling R4 (spec A4, A8); doc: the three lengths are in bytes, strings concatenated in AllStrings [D8]; NtApiDotNet sizes the buffer 88 + string bytes [E1]",
		Fails: func(buf []byte) bool {
			if !ipsecSettingsBuf(buf) {
				return false
			}
			// 64-bit sum: three 32-bit lengths can wrap a 32-bit total back under len(buf).
			total := uint64(SizeofSettingsIPsec) + uint64(le32(buf, offIPsecUserNameLen)) +
				uint64(le32(buf, offIPsecDomainNameLen)) + uint64(le32(buf, offIPsecPasswordLen))
			return total > uint64(len(buf))
		},
	},
	{
		ID:        "SETTINGS-IPSEC-STRINGS-ODD",
		Condition: "SecurityProtocol is IPSEC or IPSEC2 and UserNameStringLen, DomainNameStringLen or PasswordStringLen is odd (not whole UTF-16 characters)",
		Code:      errors.WSAEINVAL,
		Source:    "ruling R4 (spec A8); doc: AllStrings is wchar_t and the lengths are in bytes [D8]",
		Fails: func(buf []byte) bool {
			if !ipsecSettingsBuf(buf) {
				return false
			}
			odd := le32(buf, offIPsecUserNameLen) | le32(buf, offIPsecDomainNameLen) | le32(buf, offIPsecPasswordLen)
			return odd&1 != 0
		},
	},
	{
		ID:        "SETTINGS-DEFAULT-WITH-IPSEC-LAYOUT",
		Condition: "SecurityProtocol is DEFAULT and SecuritySettingsLen is 88 or more (a SOCKET_SECURITY_SETTINGS_IPSEC labelled DEFAULT)",
		Code:      errors.WSAEINVAL,
		Source:    "ruling R4 (spec A10); doc: with SOCKET_SECURITY_SETTINGS_IPSEC the protocol \"must be\" IPSEC, not DEFAULT [D1], [D8]",
		Fails: func(buf []byte) bool {
			return len(buf) >= SizeofSettingsIPsec && protocolAt(buf) == ProtocolDefault
		},
	},
	{
		ID:        "SETTINGS-FLAGS-UNKNOWN",
		Condition: "SecurityFlags has a bit other than SOCKET_SETTINGS_GUARANTEE_ENCRYPTION and SOCKET_SETTINGS_ALLOW_INSECURE",
		Code:      errors.WSAEINVAL,
		Source:    "ruling R5 (spec A11); doc: SecurityFlags values [D7], an incorrect value gives WSAEINVAL [D1]",
		Fails: func(buf []byte) bool {
			return len(buf) >= SizeofSettings && SecurityFlags(le32(buf, offSettingsFlags)).Unknown() != 0
		},
	},
	{
		ID:        "SETTINGS-IPSEC-FLAGS-UNKNOWN",
		Condition: "SecurityProtocol is IPSEC or IPSEC2 and IpsecFlags has a bit other than the four SOCKET_SETTINGS_IPSEC_* flags",
		Code:      errors.WSAEINVAL,
		Source:    "ruling R5 (spec A11); doc: IpsecFlags values [D8], Win7 flags in the header [H7], an incorrect value gives WSAEINVAL [D1]",
		Fails: func(buf []byte) bool {
			return ipsecSettingsBuf(buf) && IPsecFlags(le32(buf, offIPsecFlags)).Unknown() != 0
		},
	},
}

// PeerTargetNameChecks are WSASetSocketPeerTargetName's checks of its PeerTargetName buffer.
// Following ruling R1, lengths come before content; the protocol comes before the name length
// because it decides the length's unit (ruling R10). The rule that a connectionless socket may
// not name a peer whose IP and port are both zero depends on the socket and belongs to the
// simulator.
var PeerTargetNameChecks = []Check{
	{
		ID:        "PTN-LEN-MIN",
		Condition: "PeerTargetNameLen is less than 140, the offset of the name (AllStrings) in SOCKET_PEER_TARGET_NAME",
		Code:      errors.WSAEMSGSIZE,
		Source:    "ruling R10 (spec A7, A4); doc: WSASetSocketPeerTargetName, WSAEMSGSIZE \"buffer too small\" [D3], layout [D10]",
		Fails:     func(buf []byte) bool { return len(buf) < OffsetPeerTargetNameString },
	},
	{
		ID:        "PTN-PROTOCOL",
		Condition: "SecurityProtocol is negative or SOCKET_SECURITY_PROTOCOL_INVALID (3) or above",
		Code:      errors.WSAEINVAL,
		Source:    "rulings R0, R10 (spec A9); doc: SOCKET_SECURITY_PROTOCOL_INVALID \"is not a legal value\" [D9]",
		Fails: func(buf []byte) bool {
			return len(buf) >= OffsetPeerTargetNameString && !protocolAt(buf).Valid()
		},
	},
	{
		ID:        "PTN-NAME-LEN",
		Condition: "140 + the name's bytes exceeds PeerTargetNameLen (PeerTargetNameStringLen counts UTF-16 characters for DEFAULT and IPSEC, bytes for IPSEC2)",
		Code:      errors.WSAEMSGSIZE,
		Source:    "ruling R10 (spec A7); Microsoft samples pass wcslen with DEFAULT/IPSEC [W2], [S1]; NtApiDotNet passes bytes with IPSEC2 [E1]",
		Fails: func(buf []byte) bool {
			if len(buf) < OffsetPeerTargetNameString || !protocolAt(buf).Valid() {
				return false
			}
			return uint64(OffsetPeerTargetNameString)+ptnNameBytes(buf) > uint64(len(buf))
		},
	},
	{
		ID:        "PTN-NAME-ODD",
		Condition: "SecurityProtocol is IPSEC2 and PeerTargetNameStringLen (bytes) is odd",
		Code:      errors.WSAEINVAL,
		Source:    "ruling R10 (spec A7): IPSEC2 counts the bytes of UTF-16 text [E1], [E2]",
		Fails: func(buf []byte) bool {
			return len(buf) >= OffsetPeerTargetNameString && protocolAt(buf) == ProtocolIPsec2 &&
				le32(buf, offPTNStringLen)&1 != 0
		},
	},
	{
		ID:        "PTN-FAMILY",
		Condition: "PeerAddress has a family other than 0 (unset), AF_INET or AF_INET6",
		Code:      errors.WSAEAFNOSUPPORT,
		Source:    "rulings R1, R2 (spec A1); doc: WSASetSocketPeerTargetName lists WSAEAFNOSUPPORT [D3]",
		Fails: func(buf []byte) bool {
			return len(buf) >= OffsetPeerTargetNameString && !knownFamily(buf, offPTNAddress)
		},
	},
}

// QueryTemplateChecks are WSAQuerySocketSecurity's checks of a non-NULL SecurityQueryTemplate,
// lengths first (ruling R1). Whether a template is required at all, and whether its address
// must be set, depends on the socket and belongs to the simulator.
var QueryTemplateChecks = []Check{
	{
		ID:        "QTMPL-LEN-MIN",
		Condition: "SecurityQueryTemplateLen is less than sizeof(SOCKET_SECURITY_QUERY_TEMPLATE) (144)",
		Code:      errors.WSAEMSGSIZE,
		Source:    "ruling R9 (spec A4, A10); doc: the length \"must be the size of a SOCKET_SECURITY_QUERY_TEMPLATE\", WSAEMSGSIZE when smaller [D2]",
		Fails:     func(buf []byte) bool { return len(buf) < SizeofQueryTemplate },
	},
	{
		ID:        "QTMPL-IPSEC2-LEN-MIN",
		Condition: "SecurityProtocol is IPSEC2 and SecurityQueryTemplateLen is less than sizeof(SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2) (152)",
		Code:      errors.WSAEMSGSIZE,
		Source:    "ruling R9 (spec A10); header: SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2 [H5], [H7]; NtCoreLib passes its full length [E2]",
		Fails: func(buf []byte) bool {
			return len(buf) >= SizeofQueryTemplate && protocolAt(buf) == ProtocolIPsec2 && len(buf) < SizeofQueryTemplateIPsec2
		},
	},
	{
		ID:        "QTMPL-PROTOCOL",
		Condition: "SecurityProtocol is negative or SOCKET_SECURITY_PROTOCOL_INVALID (3) or above",
		Code:      errors.WSAEINVAL,
		Source:    "ruling R0 (spec A9, A10); doc: SOCKET_SECURITY_PROTOCOL_INVALID \"is not a legal value\" [D9]",
		Fails: func(buf []byte) bool {
			return len(buf) >= SizeofQueryTemplate && !protocolAt(buf).Valid()
		},
	},
	{
		ID:        "QTMPL-FAMILY",
		Condition: "PeerAddress has a family other than 0 (unset), AF_INET or AF_INET6",
		Code:      errors.WSAEAFNOSUPPORT,
		Source:    "rulings R1, R2 (spec A1); doc: WSAQuerySocketSecurity lists WSAEAFNOSUPPORT [D2]",
		Fails: func(buf []byte) bool {
			return len(buf) >= SizeofQueryTemplate && !knownFamily(buf, offQTAddress)
		},
	},
}
