package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerifierChecksThePasswordItWasMadeFrom(t *testing.T) {
	v := NewVerifier(NewSecret(password))
	require.False(t, v.IsZero())
	assert.True(t, v.Verify(NewSecret(password)))
	assert.False(t, v.Verify(NewSecret("hunter3")))
	assert.False(t, v.Verify(Secret{}))
	// The salt is random: the same password gives another verifier, which still verifies it.
	w := NewVerifier(NewSecret(password))
	assert.NotEqual(t, v, w)
	assert.True(t, w.Verify(NewSecret(password)))

	var zero Verifier
	assert.True(t, NewVerifier(Secret{}).IsZero())
	assert.True(t, zero.Verify(Secret{}), "no password matches no password")
	assert.False(t, zero.Verify(NewSecret(password)))
}

func TestVerifierIsRedactedEverywhere(t *testing.T) {
	v := NewVerifier(NewSecret(password))
	ip := IPsecSettings{UserName: "bob", PasswordVerifier: v}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		out := fmt.Sprintf(verb, v)
		assert.Contains(t, out, Redacted, verb)
		requireNoLeak(t, verb, fmt.Sprintf(verb, ip))
	}
	j, err := json.Marshal(ip)
	require.NoError(t, err)
	assert.Contains(t, string(j), `"PasswordVerifier":"[redacted]"`)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("applied", "verifier", v)
	assert.Contains(t, buf.String(), "verifier=[redacted]")
}

func TestSealWipesThePasswordAndKeepsTheCredentials(t *testing.T) {
	s := NewSecret(password)
	copyOfS := s
	ip := &IPsecSettings{UserName: "bob", DomainName: "CORP", Password: s}
	ip.Seal()
	assert.Empty(t, unitsOf(copyOfS), "every copy of the password is wiped")
	assert.Equal(t, 0, ip.Password.Len())
	assert.True(t, ip.ExplicitCredentials())
	assert.Equal(t, "bob", ip.UserName)
	assert.True(t, ip.PasswordVerifier.Verify(NewSecret(password)))
	st := Settings{Protocol: ProtocolIPsec, IPsec: ip}
	assert.Contains(t, st.String(), "password=[redacted]", "sealed credentials still say a password was given")
	assert.Equal(t, SizeofSettingsIPsec+2*len("bob")+2*len("CORP"), len(st.Encode()), "a sealed password encodes as empty")

	first := ip.PasswordVerifier
	ip.Seal()
	assert.Equal(t, first, ip.PasswordVerifier, "sealing again keeps the verifier")

	onlyPassword := &IPsecSettings{Password: NewSecret("x")}
	onlyPassword.Seal()
	assert.True(t, onlyPassword.ExplicitCredentials(), "a password alone is an explicit credential")
	assert.False(t, (&IPsecSettings{}).ExplicitCredentials())
	var none *IPsecSettings
	none.Seal()
	assert.False(t, none.ExplicitCredentials())
}

func TestDecodedPasswordLeavesNoCopyOnceSealed(t *testing.T) {
	b := Settings{Protocol: ProtocolIPsec, IPsec: &IPsecSettings{UserName: "bob", Password: NewSecret(password)}}.Encode()
	st, bad := DecodeSettings(b)
	require.Nil(t, bad)
	decoded := st.IPsec.Password
	require.NotEmpty(t, unitsOf(decoded), "decoding stores the password")
	st.IPsec.Seal()
	assert.Empty(t, unitsOf(decoded), "sealing wipes the stored copy")
}
