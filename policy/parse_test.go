package policy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wsssim/wsssim/policy"
)

func TestParseAuthIPNames(t *testing.T) {
	parsed := func(v any, ok bool) any {
		if !ok {
			return nil
		}
		return v
	}
	for _, tt := range []struct {
		got, want any
	}{
		{parsed(policy.ParseIKECipher("aes_128")), policy.IKECipherAES128},
		{parsed(policy.ParseIKECipher("IKEEXT_CIPHER_3DES")), policy.IKECipher3DES},
		{parsed(policy.ParseIKEIntegrity("SHA1")), policy.IKEIntegritySHA1},
		{parsed(policy.ParseDHGroup("ECP_256")), policy.DHECP256},
		{parsed(policy.ParseDHGroup("GROUP_2")), policy.DHGroup2},
		{parsed(policy.ParseAuthMethodType("kerberos")), policy.AuthKerberos},
		{parsed(policy.ParseAuthTransform("SHA1")), policy.AuthTransformHMACSHA196},
		{parsed(policy.ParseCipherTransform("3DES")), policy.CipherTransformCBC3DES},
	} {
		assert.Equal(t, tt.want, tt.got)
	}
	for _, bad := range []string{"", "AES_129", "SHA1/"} {
		_, ok := policy.ParseIKECipher(bad)
		assert.False(t, ok, bad)
		_, ok = policy.ParseCipherTransform(bad)
		assert.False(t, ok, bad)
	}
}
