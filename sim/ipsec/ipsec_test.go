package ipsec_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim/ipsec"
)

func peer(role, host string, creds ipsec.Credentials) ipsec.Peer {
	return ipsec.Peer{Host: host, Role: role, Credentials: creds, User: "SYSTEM", Policy: policy.DefaultPolicy.Clone()}
}

var corp = ipsec.Credentials{Domain: "CORP"}

func TestDefaultPolicyBetweenDomainMembers(t *testing.T) {
	o, f := ipsec.Negotiate(peer("client", "client", corp), peer("server", "web1", corp))
	require.Nil(t, f)
	assert.Equal(t, policy.IKECipherAES128, o.MainMode.Cipher, "MM proposal 1")
	assert.Equal(t, policy.AuthAnonymous, o.MainModeAuth.Type)
	assert.True(t, o.ExtendedMode)
	assert.Equal(t, policy.AuthKerberos, o.ExtendedModeAuth.Type, "the SSL entry needs certificates; Kerberos is next")
	assert.Equal(t, policy.TransformESPAuth, o.QuickMode.Transform, "QM proposal 1 authenticates only")
	assert.False(t, o.Encrypted())
	assert.Equal(t, `CORP\WEB1$`, o.ResponderMachine.String())
	assert.Equal(t, `CORP\CLIENT$`, o.InitiatorMachine.String())
	assert.Nil(t, o.InitiatorUser, "no impersonation in the default EM policy: machine only")
}

func TestGuaranteeEncryptionSkipsAuthOnlyProposals(t *testing.T) {
	c := peer("client", "client", corp)
	c.RequireEncryption = true
	o, f := ipsec.Negotiate(c, peer("server", "web1", corp))
	require.Nil(t, f)
	assert.Equal(t, policy.CipherTransformAES128, o.QuickMode.Cipher)
	assert.True(t, o.Encrypted())
}

func TestEachFailureSaysWhy(t *testing.T) {
	none := ipsec.Credentials{}
	tests := []struct {
		name   string
		client func(*ipsec.Peer)
		server func(*ipsec.Peer)
		phase  ipsec.Phase
		code   errors.Errno
		reason string
	}{
		{"server has no credentials", func(p *ipsec.Peer) {}, func(p *ipsec.Peer) { p.Credentials = none },
			ipsec.PhaseExtendedMode, errors.ERROR_IPSEC_IKE_KERBEROS_ERROR,
			"no common authentication method; client offers Kerberos(CORP), server has no credentials"},
		{"different domains", func(p *ipsec.Peer) {}, func(p *ipsec.Peer) { p.Credentials.Domain = "EAST" },
			ipsec.PhaseExtendedMode, errors.ERROR_IPSEC_IKE_KERBEROS_ERROR,
			"no common authentication method; client offers Kerberos(CORP), server offers Kerberos(EAST)"},
		{"no MM proposal in common", func(p *ipsec.Peer) {
			p.Policy.MainMode.Proposals = p.Policy.MainMode.Proposals[1:]
		}, func(p *ipsec.Peer) { p.Policy.MainMode.Proposals = p.Policy.MainMode.Proposals[:1] },
			ipsec.PhaseMainMode, errors.ERROR_IPSEC_IKE_ATTRIB_FAIL,
			"no common proposal; client offers 3DES/SHA1/GROUP_2, server accepts AES_128/SHA1/ECP_256"},
		{"encryption required, server authenticates only", func(p *ipsec.Peer) { p.RequireEncryption = true },
			func(p *ipsec.Peer) { p.Policy.QuickMode.Proposals = p.Policy.QuickMode.Proposals[:1] },
			ipsec.PhaseQuickMode, errors.ERROR_IPSEC_IKE_ATTRIB_FAIL,
			"no common proposal; client offers ESP HMAC_SHA_1_96+AES_128, ESP HMAC_SHA_1_96+CBC_3DES (it requires encryption), server accepts ESP HMAC_SHA_1_96"},
		{"peer name mismatch", func(p *ipsec.Peer) { p.TargetName = "host/db1" }, func(p *ipsec.Peer) {},
			ipsec.PhaseExtendedMode, errors.ERROR_IPSEC_IKE_AUTH_FAIL,
			`peer name mismatch; client expects host/db1, server authenticated as host/web1 or host/web1.corp or CORP\WEB1$`},
		{"certificates on one side only", func(p *ipsec.Peer) { p.Credentials = ipsec.Credentials{Certificate: "CN=client"} },
			func(p *ipsec.Peer) { p.Credentials = none },
			ipsec.PhaseExtendedMode, errors.ERROR_IPSEC_IKE_AUTH_FAIL,
			"no common authentication method; client offers certificate(CN=client), server has no credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := peer("client", "client", corp), peer("server", "web1", corp)
			tt.client(&c)
			tt.server(&s)
			_, f := ipsec.Negotiate(c, s)
			require.NotNil(t, f)
			assert.Equal(t, tt.phase, f.Phase)
			assert.Equal(t, tt.code, f.Code)
			assert.Equal(t, tt.reason, f.Reason)
			assert.Equal(t, tt.phase.String()+" failed: "+tt.reason, f.Error())
		})
	}
}

func TestPeerNameMatchesSPNsAndCertificates(t *testing.T) {
	for _, name := range []string{"host/web1", "HOST/web1.corp", `corp\web1$`} {
		c := peer("client", "client", corp)
		c.TargetName = name
		_, f := ipsec.Negotiate(c, peer("server", "web1", corp))
		assert.Nil(t, f, name)
	}
	cert := ipsec.Credentials{Certificate: "CN=web1.example"}
	c := peer("client", "client", ipsec.Credentials{Certificate: "CN=client"})
	c.TargetName = "web1.example"
	o, f := ipsec.Negotiate(c, peer("server", "web1", cert))
	require.Nil(t, f)
	assert.Equal(t, policy.AuthSSL, o.ExtendedModeAuth.Type)
	assert.Equal(t, "CN=web1.example", o.ResponderMachine.String())

	c.TargetName = "other"
	c.OptionalNameVerification = true
	_, f = ipsec.Negotiate(c, peer("server", "web1", cert))
	assert.Nil(t, f, "OPTIONAL_PEER_NAME_VERIFICATION accepts a mismatch")
}

func TestUserIdentities(t *testing.T) {
	c := peer("client", "client", corp)
	c.User = "alice"
	c.Policy.QuickMode.EMPolicy.Impersonation = policy.ImpersonationSocketPrincipal
	o, f := ipsec.Negotiate(c, peer("server", "web1", corp))
	require.Nil(t, f)
	require.NotNil(t, o.InitiatorUser)
	assert.Equal(t, `CORP\alice`, o.InitiatorUser.String())

	c = peer("client", "client", ipsec.Credentials{})
	c.Explicit = &ipsec.Explicit{User: "bob", Domain: "CORP"}
	o, f = ipsec.Negotiate(c, peer("server", "web1", corp))
	require.Nil(t, f, "explicit credentials make Kerberos possible from a workgroup machine")
	assert.Equal(t, `CORP\bob`, o.InitiatorUser.String())
}

func TestEmptyExtendedModeLeavesAnonymousMachines(t *testing.T) {
	c, s := peer("client", "client", ipsec.Credentials{}), peer("server", "web1", ipsec.Credentials{})
	c.Policy.QuickMode.EMPolicy.AuthMethods = nil
	o, f := ipsec.Negotiate(c, s)
	require.Nil(t, f)
	assert.False(t, o.ExtendedMode)
	assert.Equal(t, ipsec.Anonymous, o.ResponderMachine)
	c.TargetName = "host/web1"
	_, f = ipsec.Negotiate(c, s)
	require.NotNil(t, f)
	assert.Contains(t, f.Reason, "authenticated anonymously")
}
