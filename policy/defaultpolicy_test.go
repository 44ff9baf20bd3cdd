package policy

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestDefaultPolicyGolden(t *testing.T) {
	path := filepath.Join("testdata", "default-policy.golden")
	got := DefaultPolicy.String()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./policy -run Golden -update to create it")
	assert.Equal(t, string(want), got)
}

// The values the documentation states, checked as data rather than through the printout.
func TestDefaultPolicyValues(t *testing.T) {
	mm := DefaultPolicy.MainMode
	assert.Equal(t, []AuthMethod{{Type: AuthAnonymous}}, mm.AuthMethods)
	assert.Equal(t, ImpersonationNone, mm.Impersonation)
	assert.Equal(t, []MMProposal{
		{Cipher: IKECipherAES128, Integrity: IKEIntegritySHA1, DHGroup: DHECP256, LifetimeSeconds: 7200, QuickModeLimit: 0},
		{Cipher: IKECipher3DES, Integrity: IKEIntegritySHA1, DHGroup: DHGroup2, LifetimeSeconds: 7200, QuickModeLimit: 0},
	}, mm.Proposals)

	qm := DefaultPolicy.QuickMode
	require.Len(t, qm.Proposals, 4)
	wantTransforms := []TransformType{TransformESPAuth, TransformESPAuthAndCipher, TransformESPAuthAndCipher, TransformAH}
	wantCiphers := []CipherTransformID{{}, CipherTransformAES128, CipherTransformCBC3DES, {}}
	wantEncrypts := []bool{false, true, true, false}
	for i, p := range qm.Proposals {
		assert.Equal(t, wantTransforms[i], p.Transform, "proposal %d", i+1)
		assert.Equal(t, AuthTransformHMACSHA196, p.Auth, "proposal %d", i+1)
		assert.Equal(t, wantCiphers[i], p.Cipher, "proposal %d", i+1)
		assert.Equal(t, uint32(3600), p.LifetimeSeconds, "proposal %d", i+1)
		assert.Equal(t, uint32(55*1024*1024), p.LifetimeKilobytes, "proposal %d: 55 GB in KB", i+1)
		assert.Equal(t, PFSNone, p.PFS, "proposal %d", i+1)
		assert.Equal(t, wantEncrypts[i], p.Encrypts(), "proposal %d", i+1)
	}
	assert.Equal(t, PolicyFlagNDBoundary, qm.Flags)
	assert.Equal(t, uint32(10), qm.NDAllowClearTimeoutSeconds)
	assert.Equal(t, SAIdleTimeout{300, 60}, qm.SAIdleTimeout)
	assert.Equal(t, EMPolicy{
		AuthMethods:   []AuthMethod{{AuthSSL, true}, {AuthKerberos, false}, {AuthSSL, true}},
		Impersonation: ImpersonationNone,
	}, qm.EMPolicy)
}

func TestPolicyClone(t *testing.T) {
	c := DefaultPolicy.Clone()
	require.Equal(t, DefaultPolicy, c)
	c.MainMode.Proposals[0].Cipher = IKECipherAES256
	c.MainMode.AuthMethods[0].Type = AuthKerberos
	c.QuickMode.Proposals[0].PFS = PFS2048
	c.QuickMode.EMPolicy.AuthMethods[0].NullRootConfig = false
	assert.Equal(t, IKECipherAES128, DefaultPolicy.MainMode.Proposals[0].Cipher)
	assert.Equal(t, AuthAnonymous, DefaultPolicy.MainMode.AuthMethods[0].Type)
	assert.Equal(t, PFSNone, DefaultPolicy.QuickMode.Proposals[0].PFS)
	assert.True(t, DefaultPolicy.QuickMode.EMPolicy.AuthMethods[0].NullRootConfig)
}

func TestPolicyEnumNames(t *testing.T) {
	assert.Equal(t, "IKE_CIPHER_AES_128", IKECipherAES128.String())
	assert.Equal(t, "IKEEXT_CIPHER_AES_128", IKECipherAES128.SDKName())
	assert.Equal(t, "IKEEXT_CIPHER_TYPE(99)", IKECipher(99).String())
	assert.Equal(t, "IKE_INTEGRITY_SHA1", IKEIntegritySHA1.String())
	assert.Equal(t, "IKEEXT_INTEGRITY_SHA_256", IKEIntegritySHA256.SDKName())
	assert.Equal(t, "IKE_DH_ECP_256", DHECP256.String())
	assert.Equal(t, "IKEEXT_DH_GROUP_14", DHGroup14.SDKName())
	assert.Equal(t, "IKE_ANONYMOUS", AuthAnonymous.String())
	assert.Equal(t, "IKEEXT_SSL", AuthSSL.SDKName())
	assert.Equal(t, "IKEEXT_AUTHENTICATION_METHOD_TYPE(13)", AuthMethodType(13).String())
	assert.Equal(t, "IKEEXT_IMPERSONATION_SOCKET_PRINCIPAL", ImpersonationSocketPrincipal.String())
	assert.Equal(t, "IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER", TransformESPAuthAndCipher.String())
	assert.Equal(t, "IPSEC_TRANSFORM_TYPE(0)", TransformType(0).String())
	assert.Equal(t, "IPSEC_AUTH_TRANSFORM_ID_HMAC_SHA_1_96", AuthTransformHMACSHA196.String())
	assert.Equal(t, "IPSEC_AUTH_TRANSFORM_ID0{1, 9}", AuthTransformID{IPsecAuthSHA1, 9}.String())
	assert.Equal(t, "IPSEC_CIPHER_TRANSFORM_ID_CBC_3DES", CipherTransformCBC3DES.String())
	assert.Equal(t, "IPSEC_CIPHER_TRANSFORM_ID_GCM_AES_128", CipherTransformGCMAES128.String())
	assert.Equal(t, "IPSEC_CIPHER_TRANSFORM_ID0{0, 0}", CipherTransformID{}.String())
	assert.Equal(t, "IPSEC_PFS_NONE", PFSNone.String())
	assert.Equal(t, "IPSEC_POLICY_FLAG_ND_SECURE|IPSEC_POLICY_FLAG_ND_BOUNDARY", (PolicyFlagNDSecure | PolicyFlagNDBoundary).String())
	assert.Equal(t, "{IKE_SSL, Null-Root-Config}", AuthMethod{AuthSSL, true}.String())

	assert.True(t, TransformESPCipher.HasCipher())
	assert.False(t, TransformESPCipher.HasAuth())
	assert.True(t, TransformESPAuthFW.HasAuth())
	assert.Equal(t, "IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER+IPSEC_AUTH_TRANSFORM_ID_HMAC_SHA_1_96+IPSEC_CIPHER_TRANSFORM_ID_AES_128 lifetime=3600s/57671680KB pfs=IPSEC_PFS_NONE",
		DefaultPolicy.QuickMode.Proposals[1].String())
	assert.Equal(t, "IKE_CIPHER_3DES/IKE_INTEGRITY_SHA1/IKE_DH_GROUP_2 lifetime=7200s qmLimit=0", DefaultPolicy.MainMode.Proposals[1].String())
}

func TestPolicyPrinterUnits(t *testing.T) {
	assert.Equal(t, "2 hrs", duration(7200, " "))
	assert.Equal(t, "1 hr", duration(3600, " "))
	assert.Equal(t, "5mins", duration(300, ""))
	assert.Equal(t, "1min", duration(60, ""))
	assert.Equal(t, "90 secs", duration(90, " "))
	assert.Equal(t, "0 secs", duration(0, " "))
	assert.Equal(t, "55GB", kilobytes(55*1024*1024))
	assert.Equal(t, "55MB", kilobytes(55*1024))
	assert.Equal(t, "100KB", kilobytes(100))

	p := DefaultPolicy.Clone()
	p.MainMode.Proposals[0].QuickModeLimit = 4
	p.QuickMode.Proposals[0].PFS = PFSMM
	p.QuickMode.Flags = 0
	p.MainMode.Impersonation = ImpersonationSocketPrincipal
	out := p.String()
	assert.Contains(t, out, "     QM = 4\n")
	assert.Contains(t, out, "   PFS = IPSEC_PFS_MM\n")
	assert.NotContains(t, out, "IPSEC_POLICY_FLAG")
	assert.Contains(t, out, " Socket principal impersonation\n")
}
