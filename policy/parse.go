package policy

import "strings"

// Parsers for the names of the AuthIP vocabulary, for scenario files and command lines. Each
// accepts the SDK name, the documentation's, or the name without its common prefix, in any
// case: IKEEXT_CIPHER_AES_128, IKE_CIPHER_AES_128, AES_128 and aes_128 are one cipher.

func lookupEnum(names []string, s string, prefixes ...string) (uint32, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	for _, p := range []string{ikeNamePrefixSDK, ikeNamePrefixDoc} {
		s = strings.TrimPrefix(s, p)
	}
	for i, n := range names {
		if n == s {
			return uint32(i), true
		}
		for _, p := range prefixes {
			if strings.TrimPrefix(n, p) == s {
				return uint32(i), true
			}
		}
	}
	return 0, false
}

// ParseIKECipher reads an IKEEXT_CIPHER_TYPE name: AES_128, 3DES, IKEEXT_CIPHER_AES_256 …
func ParseIKECipher(s string) (IKECipher, bool) {
	v, ok := lookupEnum(ikeCipherNames, s, "CIPHER_")
	return IKECipher(v), ok
}

// ParseIKEIntegrity reads an IKEEXT_INTEGRITY_TYPE name: SHA1, SHA_256, MD5 …
func ParseIKEIntegrity(s string) (IKEIntegrity, bool) {
	v, ok := lookupEnum(ikeIntegrityNames, s, "INTEGRITY_")
	return IKEIntegrity(v), ok
}

// ParseDHGroup reads an IKEEXT_DH_GROUP name: GROUP_2, ECP_256, DH_GROUP_14, NONE …
func ParseDHGroup(s string) (DHGroup, bool) {
	v, ok := lookupEnum(dhGroupNames, s, "DH_", "DH_GROUP_")
	return DHGroup(v), ok
}

// ParseAuthMethodType reads an IKEEXT_AUTHENTICATION_METHOD_TYPE name: KERBEROS, SSL,
// ANONYMOUS, IKEEXT_CERTIFICATE …
func ParseAuthMethodType(s string) (AuthMethodType, bool) {
	v, ok := lookupEnum(authMethodNames, s)
	return AuthMethodType(v), ok
}

// ParseAuthTransform reads an IPSEC_AUTH_TRANSFORM_ID name: SHA1 (HMAC_SHA_1_96), SHA_256
// (HMAC_SHA_256_128), MD5 (HMAC_MD5_96), or the full name.
func ParseAuthTransform(s string) (AuthTransformID, bool) {
	u := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "IPSEC_AUTH_TRANSFORM_ID_")
	switch u {
	case "SHA1", "SHA_1":
		return AuthTransformHMACSHA196, true
	case "SHA256", "SHA_256":
		return AuthTransformHMACSHA256128, true
	case "MD5":
		return AuthTransformHMACMD596, true
	}
	for _, n := range authTransformNames {
		if strings.TrimPrefix(n.name, "IPSEC_AUTH_TRANSFORM_ID_") == u {
			return n.id, true
		}
	}
	return AuthTransformID{}, false
}

// ParseCipherTransform reads an IPSEC_CIPHER_TRANSFORM_ID name: AES_128, CBC_3DES (or 3DES),
// GCM_AES_256 …
func ParseCipherTransform(s string) (CipherTransformID, bool) {
	u := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "IPSEC_CIPHER_TRANSFORM_ID_")
	switch u {
	case "3DES":
		u = "CBC_3DES"
	case "DES":
		u = "CBC_DES"
	}
	for _, n := range cipherTransformNames {
		if strings.TrimPrefix(n.name, "IPSEC_CIPHER_TRANSFORM_ID_") == u {
			return n.id, true
		}
	}
	return CipherTransformID{}, false
}
