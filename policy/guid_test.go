package policy

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestGUIDString(t *testing.T) {
	assert.Equal(t, "{aec2ef9c-3a4d-4d3e-8842-239942e39a47}", DefaultQM2PolicyKey.String())
	assert.Equal(t, "{00000000-0000-0000-0000-000000000000}", GUID{}.String())
	assert.True(t, GUID{}.IsZero())
	assert.False(t, DefaultQM2PolicyKey.IsZero())
	b := DefaultQM2PolicyKey.Bytes()
	assert.Equal(t, []byte{0x9c, 0xef, 0xc2, 0xae, 0x4d, 0x3a, 0x3e, 0x4d, 0x88, 0x42, 0x23, 0x99, 0x42, 0xe3, 0x9a, 0x47}, b[:])
	assert.Equal(t, DefaultQM2PolicyKey, GUIDFromBytes(b))
}

func TestParseGUID(t *testing.T) {
	for _, s := range []string{
		"{aec2ef9c-3a4d-4d3e-8842-239942e39a47}",
		"aec2ef9c-3a4d-4d3e-8842-239942e39a47",
		"{AEC2EF9C-3A4D-4D3E-8842-239942E39A47}",
		"  aec2ef9c-3a4d-4d3e-8842-239942e39a47 ",
	} {
		g, err := ParseGUID(s)
		if assert.NoError(t, err, s) {
			assert.Equal(t, DefaultQM2PolicyKey, g, s)
		}
	}
	for _, s := range []string{
		"", "{}", "{aec2ef9c-3a4d-4d3e-8842-239942e39a47", "aec2ef9c-3a4d-4d3e-8842-239942e39a47}",
		"aec2ef9c3a4d4d3e8842239942e39a47", "aec2ef9c-3a4d-4d3e-8842-239942e39a4g",
		"aec2ef9c-3a4d-4d3e-8842_239942e39a47", "aec2ef9c-3a4d-4d3e-8842-239942e39a477",
		"+ec2ef9c-3a4d-4d3e-8842-239942e39a47",
	} {
		_, err := ParseGUID(s)
		assert.Error(t, err, s)
	}
	rapid.Check(t, func(t *rapid.T) {
		g := genGUID(t, "g")
		got, err := ParseGUID(g.String())
		require.NoError(t, err)
		require.Equal(t, g, got)
	})
}

func TestGUIDText(t *testing.T) {
	b, err := json.Marshal(struct{ Key GUID }{DefaultQM2PolicyKey})
	require.NoError(t, err)
	assert.JSONEq(t, `{"Key":"{aec2ef9c-3a4d-4d3e-8842-239942e39a47}"}`, string(b))
	var back struct{ Key GUID }
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, DefaultQM2PolicyKey, back.Key)
	assert.Error(t, json.Unmarshal([]byte(`{"Key":"nope"}`), &back))
}
