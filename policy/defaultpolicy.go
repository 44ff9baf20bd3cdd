package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// The WFP (iketypes.h / ipsectypes.h) vocabulary of an AuthIP policy, enough to hold the
// default secure-socket policy and to let a negotiator compare proposals. Values are the SDK's.
//
// Microsoft's page for WSASetSocketSecurity writes the IKE names with an "IKE_" prefix where the
// header has "IKEEXT_" (IKE_CIPHER_AES_128 for IKEEXT_CIPHER_AES_128); String keeps the page's
// spelling, so the policy prints as documented, and SDKName gives the header's.

const (
	ikeNamePrefixDoc         = "IKE_"
	ikeNamePrefixSDK         = "IKEEXT_"
	ikeCipherTypeName        = "IKEEXT_CIPHER_TYPE"
	ikeIntegrityTypeName     = "IKEEXT_INTEGRITY_TYPE"
	ikeDHGroupTypeName       = "IKEEXT_DH_GROUP"
	ikeImpersonationTypeName = "IKEEXT_AUTHENTICATION_IMPERSONATION_TYPE"
	ipsecTransformTypeName   = "IPSEC_TRANSFORM_TYPE"
	ipsecPFSGroupTypeName    = "IPSEC_PFS_GROUP"
)

// enumName looks v up in names (indexed by value) and prints unknown values as Type(n).
func enumName(names []string, v uint32, prefix, typeName string) string {
	if int64(v) < int64(len(names)) && names[v] != "" {
		return prefix + names[v]
	}
	return typeName + "(" + strconv.FormatUint(uint64(v), 10) + ")"
}

// AuthMethodType is IKEEXT_AUTHENTICATION_METHOD_TYPE.
type AuthMethodType uint32

// IKEEXT_AUTHENTICATION_METHOD_TYPE values.
const (
	AuthPresharedKey         AuthMethodType = 0
	AuthCertificate          AuthMethodType = 1
	AuthKerberos             AuthMethodType = 2
	AuthAnonymous            AuthMethodType = 3
	AuthSSL                  AuthMethodType = 4
	AuthNTLMv2               AuthMethodType = 5
	AuthIPv6CGA              AuthMethodType = 6
	AuthCertificateECDSAP256 AuthMethodType = 7
	AuthCertificateECDSAP384 AuthMethodType = 8
	AuthSSLECDSAP256         AuthMethodType = 9
	AuthSSLECDSAP384         AuthMethodType = 10
	AuthEAP                  AuthMethodType = 11
	AuthReservedMethod       AuthMethodType = 12
)

var authMethodNames = []string{
	"PRESHARED_KEY", "CERTIFICATE", "KERBEROS", "ANONYMOUS", "SSL", "NTLM_V2", "IPV6_CGA",
	"CERTIFICATE_ECDSA_P256", "CERTIFICATE_ECDSA_P384", "SSL_ECDSA_P256", "SSL_ECDSA_P384",
	"EAP", "RESERVED",
}

// String gives the documentation's spelling, e.g. IKE_ANONYMOUS.
func (a AuthMethodType) String() string {
	return enumName(authMethodNames, uint32(a), ikeNamePrefixDoc, "IKEEXT_AUTHENTICATION_METHOD_TYPE")
}

// SDKName gives the header's spelling, e.g. IKEEXT_ANONYMOUS.
func (a AuthMethodType) SDKName() string {
	return enumName(authMethodNames, uint32(a), ikeNamePrefixSDK, "IKEEXT_AUTHENTICATION_METHOD_TYPE")
}

// IKECipher is IKEEXT_CIPHER_TYPE, the main-mode encryption algorithm.
type IKECipher uint32

// IKEEXT_CIPHER_TYPE values.
const (
	IKECipherDES            IKECipher = 0
	IKECipher3DES           IKECipher = 1
	IKECipherAES128         IKECipher = 2
	IKECipherAES192         IKECipher = 3
	IKECipherAES256         IKECipher = 4
	IKECipherAESGCM128ICV16 IKECipher = 5
	IKECipherAESGCM256ICV16 IKECipher = 6
)

var ikeCipherNames = []string{
	"CIPHER_DES", "CIPHER_3DES", "CIPHER_AES_128", "CIPHER_AES_192", "CIPHER_AES_256",
	"CIPHER_AES_GCM_128_16ICV", "CIPHER_AES_GCM_256_16ICV",
}

// String gives the documentation's spelling, e.g. IKE_CIPHER_AES_128.
func (c IKECipher) String() string {
	return enumName(ikeCipherNames, uint32(c), ikeNamePrefixDoc, ikeCipherTypeName)
}

// SDKName gives the header's spelling, e.g. IKEEXT_CIPHER_AES_128.
func (c IKECipher) SDKName() string {
	return enumName(ikeCipherNames, uint32(c), ikeNamePrefixSDK, ikeCipherTypeName)
}

// IKEIntegrity is IKEEXT_INTEGRITY_TYPE, the main-mode hash.
type IKEIntegrity uint32

// IKEEXT_INTEGRITY_TYPE values.
const (
	IKEIntegrityMD5    IKEIntegrity = 0
	IKEIntegritySHA1   IKEIntegrity = 1
	IKEIntegritySHA256 IKEIntegrity = 2
	IKEIntegritySHA384 IKEIntegrity = 3
)

var ikeIntegrityNames = []string{"INTEGRITY_MD5", "INTEGRITY_SHA1", "INTEGRITY_SHA_256", "INTEGRITY_SHA_384"}

// String gives the documentation's spelling, e.g. IKE_INTEGRITY_SHA1.
func (i IKEIntegrity) String() string {
	return enumName(ikeIntegrityNames, uint32(i), ikeNamePrefixDoc, ikeIntegrityTypeName)
}

// SDKName gives the header's spelling, e.g. IKEEXT_INTEGRITY_SHA1.
func (i IKEIntegrity) SDKName() string {
	return enumName(ikeIntegrityNames, uint32(i), ikeNamePrefixSDK, ikeIntegrityTypeName)
}

// DHGroup is IKEEXT_DH_GROUP, the main-mode Diffie-Hellman group.
type DHGroup uint32

// IKEEXT_DH_GROUP values (IKEEXT_DH_GROUP_2048 is the SDK's alias of group 14).
const (
	DHGroupNone DHGroup = 0
	DHGroup1    DHGroup = 1
	DHGroup2    DHGroup = 2
	DHGroup14   DHGroup = 3
	DHECP256    DHGroup = 4
	DHECP384    DHGroup = 5
	DHGroup24   DHGroup = 6
)

var dhGroupNames = []string{"DH_GROUP_NONE", "DH_GROUP_1", "DH_GROUP_2", "DH_GROUP_14", "DH_ECP_256", "DH_ECP_384", "DH_GROUP_24"}

// String gives the documentation's spelling, e.g. IKE_DH_ECP_256.
func (g DHGroup) String() string {
	return enumName(dhGroupNames, uint32(g), ikeNamePrefixDoc, ikeDHGroupTypeName)
}

// SDKName gives the header's spelling, e.g. IKEEXT_DH_ECP_256.
func (g DHGroup) SDKName() string {
	return enumName(dhGroupNames, uint32(g), ikeNamePrefixSDK, ikeDHGroupTypeName)
}

// Impersonation is IKEEXT_AUTHENTICATION_IMPERSONATION_TYPE: whether the initiator
// authenticates as the socket's principal.
type Impersonation uint32

// IKEEXT_AUTHENTICATION_IMPERSONATION_TYPE values.
const (
	ImpersonationNone            Impersonation = 0
	ImpersonationSocketPrincipal Impersonation = 1
)

var impersonationNames = []string{"IKEEXT_IMPERSONATION_NONE", "IKEEXT_IMPERSONATION_SOCKET_PRINCIPAL"}

// String gives the SDK name.
func (i Impersonation) String() string {
	return enumName(impersonationNames, uint32(i), "", ikeImpersonationTypeName)
}

// phrase is how the documented policy says it.
func (i Impersonation) phrase() string {
	switch i {
	case ImpersonationNone:
		return "No impersonation"
	case ImpersonationSocketPrincipal:
		return "Socket principal impersonation"
	}
	return i.String()
}

// TransformType is IPSEC_TRANSFORM_TYPE: which IPsec protocol a quick-mode proposal uses and
// whether it authenticates, encrypts or both.
type TransformType uint32

// IPSEC_TRANSFORM_TYPE values.
const (
	TransformAH               TransformType = 1
	TransformESPAuth          TransformType = 2
	TransformESPCipher        TransformType = 3
	TransformESPAuthAndCipher TransformType = 4
	TransformESPAuthFW        TransformType = 5
)

var transformNames = []string{"", "IPSEC_TRANSFORM_AH", "IPSEC_TRANSFORM_ESP_AUTH", "IPSEC_TRANSFORM_ESP_CIPHER",
	"IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER", "IPSEC_TRANSFORM_ESP_AUTH_FW"}

// String gives the SDK name, e.g. IPSEC_TRANSFORM_ESP_AUTH.
func (t TransformType) String() string {
	return enumName(transformNames, uint32(t), "", ipsecTransformTypeName)
}

// HasAuth reports whether the transform carries an authentication (integrity) transform.
func (t TransformType) HasAuth() bool {
	return t == TransformAH || t == TransformESPAuth || t == TransformESPAuthAndCipher || t == TransformESPAuthFW
}

// HasCipher reports whether the transform carries a cipher transform.
func (t TransformType) HasCipher() bool {
	return t == TransformESPCipher || t == TransformESPAuthAndCipher
}

// IPsecAuthType is IPSEC_AUTH_TYPE, the hash of an IPsec authentication transform.
type IPsecAuthType uint32

// IPSEC_AUTH_TYPE values.
const (
	IPsecAuthMD5    IPsecAuthType = 0
	IPsecAuthSHA1   IPsecAuthType = 1
	IPsecAuthSHA256 IPsecAuthType = 2
	IPsecAuthAES128 IPsecAuthType = 3
	IPsecAuthAES192 IPsecAuthType = 4
	IPsecAuthAES256 IPsecAuthType = 5
)

// AuthTransformID is IPSEC_AUTH_TRANSFORM_ID0: an authentication type and its configuration
// (IPSEC_AUTH_CONFIG_*). The SDK names the valid pairs; see the AuthTransform* values.
type AuthTransformID struct {
	Type   IPsecAuthType
	Config uint8
}

// The SDK's IPSEC_AUTH_TRANSFORM_ID_* constants.
var (
	AuthTransformHMACMD596     = AuthTransformID{IPsecAuthMD5, 0}
	AuthTransformHMACSHA196    = AuthTransformID{IPsecAuthSHA1, 1}
	AuthTransformHMACSHA256128 = AuthTransformID{IPsecAuthSHA256, 2}
	AuthTransformGCMAES128     = AuthTransformID{IPsecAuthAES128, 3}
	AuthTransformGCMAES192     = AuthTransformID{IPsecAuthAES192, 4}
	AuthTransformGCMAES256     = AuthTransformID{IPsecAuthAES256, 5}
)

var authTransformNames = []struct {
	id   AuthTransformID
	name string
}{
	{AuthTransformHMACMD596, "IPSEC_AUTH_TRANSFORM_ID_HMAC_MD5_96"},
	{AuthTransformHMACSHA196, "IPSEC_AUTH_TRANSFORM_ID_HMAC_SHA_1_96"},
	{AuthTransformHMACSHA256128, "IPSEC_AUTH_TRANSFORM_ID_HMAC_SHA_256_128"},
	{AuthTransformGCMAES128, "IPSEC_AUTH_TRANSFORM_ID_GCM_AES_128"},
	{AuthTransformGCMAES192, "IPSEC_AUTH_TRANSFORM_ID_GCM_AES_192"},
	{AuthTransformGCMAES256, "IPSEC_AUTH_TRANSFORM_ID_GCM_AES_256"},
}

// String gives the SDK constant's name, e.g. IPSEC_AUTH_TRANSFORM_ID_HMAC_SHA_1_96.
func (a AuthTransformID) String() string {
	for _, n := range authTransformNames {
		if n.id == a {
			return n.name
		}
	}
	return fmt.Sprintf("IPSEC_AUTH_TRANSFORM_ID0{%d, %d}", a.Type, a.Config)
}

// IPsecCipherType is IPSEC_CIPHER_TYPE.
type IPsecCipherType uint32

// IPSEC_CIPHER_TYPE values (the enum starts at 1).
const (
	IPsecCipherDES    IPsecCipherType = 1
	IPsecCipher3DES   IPsecCipherType = 2
	IPsecCipherAES128 IPsecCipherType = 3
	IPsecCipherAES192 IPsecCipherType = 4
	IPsecCipherAES256 IPsecCipherType = 5
)

// CipherTransformID is IPSEC_CIPHER_TRANSFORM_ID0: a cipher type and its configuration
// (IPSEC_CIPHER_CONFIG_*). The SDK names the valid pairs; see the CipherTransform* values.
type CipherTransformID struct {
	Type   IPsecCipherType
	Config uint8
}

// The SDK's IPSEC_CIPHER_TRANSFORM_ID_* constants.
var (
	CipherTransformCBCDES    = CipherTransformID{IPsecCipherDES, 1}
	CipherTransformCBC3DES   = CipherTransformID{IPsecCipher3DES, 2}
	CipherTransformAES128    = CipherTransformID{IPsecCipherAES128, 3}
	CipherTransformAES192    = CipherTransformID{IPsecCipherAES192, 4}
	CipherTransformAES256    = CipherTransformID{IPsecCipherAES256, 5}
	CipherTransformGCMAES128 = CipherTransformID{IPsecCipherAES128, 6}
	CipherTransformGCMAES192 = CipherTransformID{IPsecCipherAES192, 7}
	CipherTransformGCMAES256 = CipherTransformID{IPsecCipherAES256, 8}
)

var cipherTransformNames = []struct {
	id   CipherTransformID
	name string
}{
	{CipherTransformCBCDES, "IPSEC_CIPHER_TRANSFORM_ID_CBC_DES"},
	{CipherTransformCBC3DES, "IPSEC_CIPHER_TRANSFORM_ID_CBC_3DES"},
	{CipherTransformAES128, "IPSEC_CIPHER_TRANSFORM_ID_AES_128"},
	{CipherTransformAES192, "IPSEC_CIPHER_TRANSFORM_ID_AES_192"},
	{CipherTransformAES256, "IPSEC_CIPHER_TRANSFORM_ID_AES_256"},
	{CipherTransformGCMAES128, "IPSEC_CIPHER_TRANSFORM_ID_GCM_AES_128"},
	{CipherTransformGCMAES192, "IPSEC_CIPHER_TRANSFORM_ID_GCM_AES_192"},
	{CipherTransformGCMAES256, "IPSEC_CIPHER_TRANSFORM_ID_GCM_AES_256"},
}

// String gives the SDK constant's name, e.g. IPSEC_CIPHER_TRANSFORM_ID_CBC_3DES.
func (c CipherTransformID) String() string {
	for _, n := range cipherTransformNames {
		if n.id == c {
			return n.name
		}
	}
	return fmt.Sprintf("IPSEC_CIPHER_TRANSFORM_ID0{%d, %d}", c.Type, c.Config)
}

// PFSGroup is IPSEC_PFS_GROUP, the quick-mode perfect-forward-secrecy group.
type PFSGroup uint32

// IPSEC_PFS_GROUP values (IPSEC_PFS_14 is the SDK's alias of IPSEC_PFS_2048).
const (
	PFSNone   PFSGroup = 0
	PFS1      PFSGroup = 1
	PFS2      PFSGroup = 2
	PFS2048   PFSGroup = 3
	PFSECP256 PFSGroup = 4
	PFSECP384 PFSGroup = 5
	PFSMM     PFSGroup = 6
	PFS24     PFSGroup = 7
)

var pfsNames = []string{"IPSEC_PFS_NONE", "IPSEC_PFS_1", "IPSEC_PFS_2", "IPSEC_PFS_2048", "IPSEC_PFS_ECP_256",
	"IPSEC_PFS_ECP_384", "IPSEC_PFS_MM", "IPSEC_PFS_24"}

// String gives the SDK name, e.g. IPSEC_PFS_NONE.
func (g PFSGroup) String() string { return enumName(pfsNames, uint32(g), "", ipsecPFSGroupTypeName) }

// IPsecPolicyFlags is the flags field of IPSEC_TRANSPORT_POLICY (IPSEC_POLICY_FLAG_*).
type IPsecPolicyFlags uint32

// IPSEC_POLICY_FLAG_* values that apply to transport-mode policies.
const (
	PolicyFlagNDSecure                         IPsecPolicyFlags = 0x02
	PolicyFlagNDBoundary                       IPsecPolicyFlags = 0x04
	PolicyFlagClearDFOnTunnel                  IPsecPolicyFlags = 0x08
	PolicyFlagNATEncapAllowPeerBehindNAT       IPsecPolicyFlags = 0x10
	PolicyFlagNATEncapAllowGeneralNATTraversal IPsecPolicyFlags = 0x20
	PolicyFlagDontNegotiateSecondLifetime      IPsecPolicyFlags = 0x40
	PolicyFlagDontNegotiateByteLifetime        IPsecPolicyFlags = 0x80
)

// String names the set bits, e.g. IPSEC_POLICY_FLAG_ND_BOUNDARY.
func (f IPsecPolicyFlags) String() string { return ipsecPolicyFlagTable.format(uint32(f)) }

// AuthMethod is one entry of an authentication-method list. NullRootConfig marks a certificate
// (SSL) method configured without a root (the documentation's "Null-Root-Config").
type AuthMethod struct {
	Type           AuthMethodType
	NullRootConfig bool
}

// String prints the entry as the documentation does: {IKE_SSL, Null-Root-Config} or {IKE_KERBEROS}.
func (a AuthMethod) String() string {
	if a.NullRootConfig {
		return "{" + a.Type.String() + ", Null-Root-Config}"
	}
	return "{" + a.Type.String() + "}"
}

// MMProposal is IKEEXT_PROPOSAL0: one main-mode offer.
type MMProposal struct {
	Cipher          IKECipher
	Integrity       IKEIntegrity
	DHGroup         DHGroup
	LifetimeSeconds uint32
	// QuickModeLimit is how many quick-mode SAs one main-mode SA may key; 0 is unlimited.
	QuickModeLimit uint32
}

// String is a one-line form for traces.
func (p MMProposal) String() string {
	return fmt.Sprintf("%s/%s/%s lifetime=%ds qmLimit=%d", p.Cipher, p.Integrity, p.DHGroup, p.LifetimeSeconds, p.QuickModeLimit)
}

// MMPolicy is the AuthIP main-mode policy (IKEEXT_POLICY).
type MMPolicy struct {
	AuthMethods   []AuthMethod
	Impersonation Impersonation
	Proposals     []MMProposal
}

// QMProposal is IPSEC_PROPOSAL0 with its single SA transform: one quick-mode offer. Auth is
// meaningful when Transform.HasAuth, Cipher when Transform.HasCipher.
type QMProposal struct {
	Transform         TransformType
	Auth              AuthTransformID
	Cipher            CipherTransformID
	LifetimeSeconds   uint32
	LifetimeKilobytes uint32
	PFS               PFSGroup
}

// Encrypts reports whether traffic under this proposal is encrypted (it has a cipher
// transform), which decides SOCKET_INFO_CONNECTION_ENCRYPTED and GUARANTEE_ENCRYPTION.
func (p QMProposal) Encrypts() bool { return p.Transform.HasCipher() }

// Algorithms names the transform and its algorithms, e.g. [IPSEC_TRANSFORM_ESP_AUTH HMAC_SHA_1_96].
func (p QMProposal) Algorithms() []string {
	out := []string{p.Transform.String()}
	if p.Transform.HasAuth() {
		out = append(out, p.Auth.String())
	}
	if p.Transform.HasCipher() {
		out = append(out, p.Cipher.String())
	}
	return out
}

// String is a one-line form for traces.
func (p QMProposal) String() string {
	return fmt.Sprintf("%s lifetime=%ds/%dKB pfs=%s", strings.Join(p.Algorithms(), "+"),
		p.LifetimeSeconds, p.LifetimeKilobytes, p.PFS)
}

// SAIdleTimeout is IPSEC_SA_IDLE_TIMEOUT0.
type SAIdleTimeout struct {
	IdleTimeoutSeconds         uint32
	IdleTimeoutSecondsFailOver uint32
}

// EMPolicy is the AuthIP extended-mode policy (IKEEXT_EM_POLICY), which the documentation
// calls the "UM policy": the user-level authentication after main mode.
type EMPolicy struct {
	AuthMethods   []AuthMethod
	Impersonation Impersonation
}

// QMPolicy is the AuthIP quick-mode policy (IPSEC_TRANSPORT_POLICY).
type QMPolicy struct {
	Proposals                  []QMProposal
	Flags                      IPsecPolicyFlags
	NDAllowClearTimeoutSeconds uint32
	SAIdleTimeout              SAIdleTimeout
	EMPolicy                   EMPolicy
}

// Policy is a complete AuthIP policy: main mode, then quick mode.
type Policy struct {
	MainMode  MMPolicy
	QuickMode QMPolicy
}

const (
	hour            = 3600
	kilobytesPerGB  = 1024 * 1024
	defaultQMKB     = 55 * kilobytesPerGB
	defaultQMSecond = 1 * hour
)

func defaultQMProposal(t TransformType, c CipherTransformID) QMProposal {
	return QMProposal{
		Transform:         t,
		Auth:              AuthTransformHMACSHA196,
		Cipher:            c,
		LifetimeSeconds:   defaultQMSecond,
		LifetimeKilobytes: defaultQMKB,
		PFS:               PFSNone,
	}
}

// DefaultPolicy is the default secure-socket IPsec policy of Microsoft's WSASetSocketSecurity
// page, used when SecuritySettings is NULL and no administrative IPsec policy exists. It is
// shared: call Clone before changing it.
var DefaultPolicy = Policy{
	MainMode: MMPolicy{
		AuthMethods:   []AuthMethod{{Type: AuthAnonymous}},
		Impersonation: ImpersonationNone,
		Proposals: []MMProposal{
			{Cipher: IKECipherAES128, Integrity: IKEIntegritySHA1, DHGroup: DHECP256, LifetimeSeconds: 2 * hour},
			{Cipher: IKECipher3DES, Integrity: IKEIntegritySHA1, DHGroup: DHGroup2, LifetimeSeconds: 2 * hour},
		},
	},
	QuickMode: QMPolicy{
		Proposals: []QMProposal{
			defaultQMProposal(TransformESPAuth, CipherTransformID{}),
			defaultQMProposal(TransformESPAuthAndCipher, CipherTransformAES128),
			defaultQMProposal(TransformESPAuthAndCipher, CipherTransformCBC3DES),
			defaultQMProposal(TransformAH, CipherTransformID{}),
		},
		Flags:                      PolicyFlagNDBoundary,
		NDAllowClearTimeoutSeconds: 10,
		SAIdleTimeout:              SAIdleTimeout{IdleTimeoutSeconds: 300, IdleTimeoutSecondsFailOver: 60},
		EMPolicy: EMPolicy{
			// The page lists the SSL entry twice; kept as documented.
			AuthMethods: []AuthMethod{
				{Type: AuthSSL, NullRootConfig: true},
				{Type: AuthKerberos},
				{Type: AuthSSL, NullRootConfig: true},
			},
			Impersonation: ImpersonationNone,
		},
	},
}

// Clone returns a deep copy, so a scenario can vary a policy without touching DefaultPolicy.
func (p Policy) Clone() Policy {
	c := p
	c.MainMode.AuthMethods = append([]AuthMethod(nil), p.MainMode.AuthMethods...)
	c.MainMode.Proposals = append([]MMProposal(nil), p.MainMode.Proposals...)
	c.QuickMode.Proposals = append([]QMProposal(nil), p.QuickMode.Proposals...)
	c.QuickMode.EMPolicy.AuthMethods = append([]AuthMethod(nil), p.QuickMode.EMPolicy.AuthMethods...)
	return c
}

// duration prints seconds the way the documented policy does: "2 hrs", "1 hr", and with an
// empty sep "5mins", "1min".
func duration(sec uint32, sep string) string {
	unit, n := "sec", sec
	switch {
	case sec != 0 && sec%hour == 0:
		unit, n = "hr", sec/hour
	case sec != 0 && sec%60 == 0:
		unit, n = "min", sec/60
	}
	if n != 1 {
		unit += "s"
	}
	return strconv.FormatUint(uint64(n), 10) + sep + unit
}

// kilobytes prints a kilobyte lifetime as "55GB", "10MB" or "100KB".
func kilobytes(kb uint32) string {
	switch {
	case kb != 0 && kb%kilobytesPerGB == 0:
		return strconv.FormatUint(uint64(kb/kilobytesPerGB), 10) + "GB"
	case kb != 0 && kb%1024 == 0:
		return strconv.FormatUint(uint64(kb/1024), 10) + "MB"
	}
	return strconv.FormatUint(uint64(kb), 10) + "KB"
}

func joinAuth(methods []AuthMethod) string {
	parts := make([]string, len(methods))
	for i, m := range methods {
		parts[i] = m.String()
	}
	return strings.Join(parts, ", ")
}

// String prints the policy in the layout of Microsoft's page (without its trailing blanks),
// so the two can be compared line by line.
func (p Policy) String() string {
	var w strings.Builder
	mm := p.MainMode
	w.WriteString("Authip MM policy =\n{\n")
	fmt.Fprintf(&w, " Auth methods = %s\n", joinAuth(mm.AuthMethods))
	fmt.Fprintf(&w, " %s\n", mm.Impersonation.phrase())
	w.WriteString(" Proposals =\n {\n")
	for _, pr := range mm.Proposals {
		w.WriteString("   {\n     Crypto algos =\n")
		fmt.Fprintf(&w, "     %s,\n     %s,\n     %s\n", pr.Cipher, pr.Integrity, pr.DHGroup)
		fmt.Fprintf(&w, "     MM lifetime = %s\n", duration(pr.LifetimeSeconds, " "))
		if pr.QuickModeLimit == 0 {
			w.WriteString("     QM = 0 (infinite)\n")
		} else {
			fmt.Fprintf(&w, "     QM = %d\n", pr.QuickModeLimit)
		}
		w.WriteString("   }\n")
	}
	w.WriteString(" }\n}\n\n")

	qm := p.QuickMode
	w.WriteString("Authip QM policy =\n{\n QM proposals =\n")
	for _, pr := range qm.Proposals {
		w.WriteString(" {\n")
		fmt.Fprintf(&w, "   QM lifetime = %s, %s,\n", duration(pr.LifetimeSeconds, " "), kilobytes(pr.LifetimeKilobytes))
		w.WriteString("   Crypto algos =\n")
		algos := pr.Algorithms()
		for i, a := range algos {
			sep := ","
			if i == len(algos)-1 {
				sep = ""
			}
			fmt.Fprintf(&w, "   %s%s\n", a, sep)
		}
		if pr.PFS == PFSNone {
			w.WriteString("   No PFS\n")
		} else {
			fmt.Fprintf(&w, "   PFS = %s\n", pr.PFS)
		}
		w.WriteString(" }\n")
	}
	if qm.Flags != 0 {
		fmt.Fprintf(&w, " %s\n", qm.Flags)
	}
	fmt.Fprintf(&w, " ndAllowClearTimeoutSeconds = %d\n", qm.NDAllowClearTimeoutSeconds)
	fmt.Fprintf(&w, " saIdleTimeout = {%s, %s}\n", duration(qm.SAIdleTimeout.IdleTimeoutSeconds, ""),
		duration(qm.SAIdleTimeout.IdleTimeoutSecondsFailOver, ""))
	w.WriteString(" UM policy =\n {\n")
	for _, a := range qm.EMPolicy.AuthMethods {
		fmt.Fprintf(&w, "   %s\n", a)
	}
	fmt.Fprintf(&w, "   %s\n", qm.EMPolicy.Impersonation.phrase())
	w.WriteString(" }\n}\n")
	return w.String()
}
