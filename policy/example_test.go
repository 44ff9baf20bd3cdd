package policy_test

import (
	"fmt"

	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sockaddr"
)

func ExampleSettings_Encode() {
	s := policy.Settings{
		Protocol: policy.ProtocolIPsec,
		Flags:    policy.SettingsGuaranteeEncryption,
		IPsec: &policy.IPsecSettings{
			UserName:   "bob",
			DomainName: "CORP",
			Password:   policy.NewSecret("pw"),
		},
	}
	b := s.Encode()
	fmt.Println(len(b), "bytes: 88 + 6 + 8 + 4 of strings")
	fmt.Printf("protocol, flags: % x\n", b[0:8])
	fmt.Printf("string lengths:  % x\n", b[72:84])
	fmt.Printf("user name:       % x\n", b[84:90])
	fmt.Println(s)
	// Output:
	// 106 bytes: 88 + 6 + 8 + 4 of strings
	// protocol, flags: 01 00 00 00 01 00 00 00
	// string lengths:  06 00 00 00 08 00 00 00 04 00 00 00
	// user name:       62 00 6f 00 62 00
	// SOCKET_SECURITY_PROTOCOL_IPSEC flags=SOCKET_SETTINGS_GUARANTEE_ENCRYPTION ipsecFlags=0 user="bob" domain="CORP" password=[redacted]
}

func ExampleDecodeSettings() {
	// Too short for SOCKET_SECURITY_SETTINGS.
	_, c := policy.DecodeSettings(make([]byte, 4))
	fmt.Println(c.ID, c.Code.Name())

	// An 88-byte SOCKET_SECURITY_SETTINGS_IPSEC labelled DEFAULT.
	_, c = policy.DecodeSettings(policy.Settings{IPsec: &policy.IPsecSettings{}}.Encode())
	fmt.Println(c.ID, c.Code.Name())

	s, c := policy.DecodeSettings(policy.Settings{Flags: policy.SettingsAllowInsecure}.Encode())
	fmt.Println(c == nil, s)
	// Output:
	// SETTINGS-LEN-MIN WSAEMSGSIZE
	// SETTINGS-DEFAULT-WITH-IPSEC-LAYOUT WSAEINVAL
	// true SOCKET_SECURITY_PROTOCOL_DEFAULT flags=SOCKET_SETTINGS_ALLOW_INSECURE
}

func ExamplePeerTargetName_Encode() {
	// As Microsoft's sample does for TCP: no address, a character count for IPSEC.
	v1 := policy.PeerTargetName{Protocol: policy.ProtocolIPsec, Name: "host/srv"}.Encode()
	// IPSEC2 counts bytes.
	v2 := policy.PeerTargetName{Protocol: policy.ProtocolIPsec2, PeerAddress: sockaddr.Inet4(10, 0, 0, 2, 0), Name: "host/srv"}.Encode()
	fmt.Println(len(v1), v1[136], len(v2), v2[136])
	// Output:
	// 160 8 160 16
}

func ExampleFirstFailure() {
	buf := policy.QueryTemplate{Protocol: policy.ProtocolIPsec2}.Encode() // 144 bytes, IPSEC2 needs 152
	if c, bad := policy.FirstFailure(policy.QueryTemplateChecks, buf); bad {
		fmt.Printf("%s: %s\n  -> %s\n", c.ID, c.Condition, c.Code.Name())
	}
	// Output:
	// QTMPL-IPSEC2-LEN-MIN: SecurityProtocol is IPSEC2 and SecurityQueryTemplateLen is less than sizeof(SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2) (152)
	//   -> WSAEMSGSIZE
}

func ExampleParseSecurityFlags() {
	f, err := policy.ParseSecurityFlags("guarantee_encryption|SOCKET_SETTINGS_ALLOW_INSECURE|0x10")
	fmt.Println(f, err)
	// Output:
	// SOCKET_SETTINGS_GUARANTEE_ENCRYPTION|SOCKET_SETTINGS_ALLOW_INSECURE|0x10 <nil>
}

func ExampleSecret() {
	pw := policy.NewSecret("correct horse")
	fmt.Printf("%v %q %#v %d\n", pw, pw, pw, pw.Len())
	pw.Wipe()
	fmt.Println(pw.Len())
	// Output:
	// [redacted] "[redacted]" [redacted] 26
	// 0
}

func ExampleDefaultPolicy() {
	for _, p := range policy.DefaultPolicy.QuickMode.Proposals {
		fmt.Println(p.Transform, p.Encrypts())
	}
	// Output:
	// IPSEC_TRANSFORM_ESP_AUTH false
	// IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER true
	// IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER true
	// IPSEC_TRANSFORM_AH false
}

func ExampleQueryInfo_PutTo() {
	info := policy.QueryInfo{Protocol: policy.ProtocolIPsec, Flags: policy.InfoConnectionSecured | policy.InfoConnectionEncrypted}
	small := make([]byte, 8)
	need := info.PutTo(small)
	fmt.Println(need, need > len(small), info.Flags)
	// Output:
	// 24 true SOCKET_INFO_CONNECTION_SECURED|SOCKET_INFO_CONNECTION_ENCRYPTED
}
