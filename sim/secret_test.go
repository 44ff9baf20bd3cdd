package sim_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim"
)

// settledLiveSecrets is policy.LiveSecrets once the collector has dropped every secret that was
// already unreachable, so that a later count changes only by what the test itself does.
func settledLiveSecrets() int {
	prev := -1
	for {
		runtime.GC()
		n := policy.LiveSecrets()
		if n == prev {
			return n
		}
		prev = n
	}
}

// TestAppliedSettingsKeepAVerifierNotThePassword: once WSASetSocketSecurity (or SIO_SET_SECURITY)
// has applied explicit credentials, the socket keeps the user, the domain and a salted verifier
// of the password; no copy of the password is left in memory the simulator owns, tracing
// included, and no print form of what it keeps shows it.
func TestAppliedSettingsKeepAVerifierNotThePassword(t *testing.T) {
	const password = "Zebra-Kayak-7731"
	f := newFixture(t)
	log := &sim.TraceLog{}
	f.net.SetTracer(log)
	secret := policy.NewSecret(password)
	b := policy.Settings{Protocol: policy.ProtocolIPsec,
		IPsec: &policy.IPsecSettings{UserName: "bob", DomainName: "CORP", Password: secret}}.Encode()

	before := settledLiveSecrets()
	viaCall, viaIoctl := f.tcp(), f.udp()
	f.ok(f.th.WSASetSocketSecurity(viaCall, b, uint32(len(b)), nil, nil))
	var n uint32
	f.ok(f.th.WSAIoctl(viaIoctl, sim.SIO_SET_SECURITY, b, uint32(len(b)), nil, 0, &n, nil, nil))
	assert.Equal(t, before, policy.LiveSecrets(), "the effect and the trace each decoded the password and must have wiped it")

	for _, h := range []sim.Handle{viaCall, viaIoctl} {
		info, ok := f.h.App().Inspect(h)
		require.True(t, ok)
		ip := info.Settings.IPsec
		require.NotNil(t, ip)
		assert.Equal(t, 0, ip.Password.Len(), "the password itself is gone")
		assert.True(t, ip.ExplicitCredentials())
		assert.Equal(t, "bob", ip.UserName)
		assert.Equal(t, "CORP", ip.DomainName)
		assert.True(t, ip.PasswordVerifier.Verify(policy.NewSecret(password)), "a later negotiation can still check the password")
		assert.False(t, ip.PasswordVerifier.Verify(policy.NewSecret("Zebra-Kayak-7732")))

		var outs []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
			outs = append(outs, fmt.Sprintf(verb, info), fmt.Sprintf(verb, *info.Settings), fmt.Sprintf(verb, *ip))
		}
		j, err := json.Marshal(info)
		require.NoError(t, err)
		outs = append(outs, string(j))
		for _, o := range outs {
			assert.NotContains(t, o, password)
			assert.NotContains(t, o, "Zebra")
		}
	}
	text := log.String()
	assert.Contains(t, text, "password=[redacted]", "the trace says credentials were given")
	assert.NotContains(t, text, password)
	for _, e := range log.Events() {
		assert.NotContains(t, fmt.Sprintf("%v %+v %#v", e, e, e), password)
	}
	runtime.KeepAlive(secret)
}

// TestPanicsDoNotCarryThePassword: a tracer that panics with the event it got (the value most
// likely to reach a panic message from inside a call) shows no password.
func TestPanicsDoNotCarryThePassword(t *testing.T) {
	const password = "Quokka-Lantern-4410"
	f := newFixture(t)
	b := policy.Settings{Protocol: policy.ProtocolIPsec,
		IPsec: &policy.IPsecSettings{UserName: "bob", Password: policy.NewSecret(password)}}.Encode()
	s := f.tcp()
	f.net.SetTracer(panicTracer{})
	msg := func() (msg string) {
		defer func() { msg = fmt.Sprint(recover()) }()
		_ = f.th.WSASetSocketSecurity(s, b, uint32(len(b)), nil, nil)
		return ""
	}()
	require.Contains(t, msg, "WSASetSocketSecurity", "the tracer panicked with the event")
	assert.NotContains(t, msg, password)
}

type panicTracer struct{}

func (panicTracer) Event(e sim.Event) { panic(fmt.Sprintf("%v | %+v | %#v", e, e, e)) }
