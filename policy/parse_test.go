package policy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wsssim/wsssim/policy"
)

func TestParseAuthIPNames(t *testing.T) {
	c, ok := policy.ParseIKECipher("aes_128")
	assert.True(t, ok)
	assert.Equal(t, policy.IKECipherAES128, c)
	c, ok = policy.ParseIKECipher("IKEEXT_CIPHER_3DES")
	assert.True(t, ok)
	assert.Equal(t, policy.IKECipher3DES, c)
	i, ok := policy.ParseIKEIntegrity("SHA1")
	assert.True(t, ok)
	assert.Equal(t, policy.IKEIntegritySHA1, i)
	g, ok := policy.ParseDHGroup("ECP_256")
	assert.True(t, ok)
	assert.Equal(t, policy.DHECP256, g)
	g, ok = policy.ParseDHGroup("GROUP_2")
	assert.True(t, ok)
	assert.Equal(t, policy.DHGroup2, g)
	m, ok := policy.ParseAuthMethodType("kerberos")
	assert.True(t, ok)
	assert.Equal(t, policy.AuthKerberos, m)
	a, ok := policy.ParseAuthTransform("SHA1")
	assert.True(t, ok)
	assert.Equal(t, policy.AuthTransformHMACSHA196, a)
	x, ok := policy.ParseCipherTransform("3DES")
	assert.True(t, ok)
	assert.Equal(t, policy.CipherTransformCBC3DES, x)
	for _, bad := range []string{"", "AES_129", "SHA1/"} {
		_, ok := policy.ParseIKECipher(bad)
		assert.False(t, ok, bad)
		_, ok = policy.ParseCipherTransform(bad)
		assert.False(t, ok, bad)
	}
}
