package errors_test

import (
	stderrors "errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/internal/oracle"
)

func TestCodesMatchTheSDKHeaders(t *testing.T) {
	o, err := oracle.Load()
	require.NoError(t, err)
	checked := 0
	for _, group := range []string{"error", "win32-error"} {
		for _, c := range o.Group(group) {
			want, err := c.Value.Int64()
			require.NoError(t, err, c.Name)
			got, ok := errors.ByName(c.Name)
			if assert.True(t, ok, "%s is missing from the errors package", c.Name) {
				assert.EqualValues(t, want, got, c.Name)
			}
			checked++
		}
	}
	assert.Greater(t, checked, 100)
}

func TestEveryCodeHasAMeaningAndAUniqueName(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range errors.Codes() {
		assert.NotEmpty(t, c.Meaning, c.Name)
		assert.False(t, seen[c.Name], "duplicate name %s", c.Name)
		seen[c.Name] = true
	}
}

func TestErrorText(t *testing.T) {
	assert.Equal(t, "WSAEINVAL (10022): an invalid argument was supplied", errors.WSAEINVAL.Error())
	assert.Equal(t, "WSA_IO_PENDING", errors.ERROR_IO_PENDING.Name(), "the Winsock spelling is canonical for shared numbers")
	assert.Equal(t, "error 4242 (4242): unknown error code", errors.Errno(4242).Error())
	assert.False(t, errors.Errno(4242).Known())
}

func TestLookups(t *testing.T) {
	e, ok := errors.ByName("wsaeisconn")
	require.True(t, ok)
	assert.Equal(t, errors.WSAEISCONN, e)

	c, ok := errors.ByNumber(1225)
	require.True(t, ok)
	assert.Equal(t, "ERROR_CONNECTION_REFUSED", c.Name)

	for in, want := range map[string]errors.Errno{"WSAEACCES": 10013, "10061": errors.WSAECONNREFUSED, "0x3e5": errors.WSA_IO_PENDING, "ERROR_INVALID_PARAMETER": 87} {
		got, ok := errors.Parse(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	_, ok = errors.Parse("WSAENOPE")
	assert.False(t, ok)
}

func TestIsMatchesEqualCodes(t *testing.T) {
	wrapped := fmt.Errorf("bind: %w", errors.WSAEADDRINUSE)
	assert.True(t, stderrors.Is(wrapped, errors.WSAEADDRINUSE))
	assert.False(t, stderrors.Is(wrapped, errors.WSAEACCES))
	assert.True(t, stderrors.Is(errors.ERROR_IO_PENDING, errors.WSA_IO_PENDING), "aliases are the same number")
	var target errors.Errno
	require.True(t, stderrors.As(wrapped, &target))
	assert.Equal(t, errors.WSAEADDRINUSE, target)
}

func ExampleErrno_Error() {
	fmt.Println(errors.WSAENOTSOCK.Name())
	fmt.Println(errors.WSAENOTSOCK.Error())
	// Output:
	// WSAENOTSOCK
	// WSAENOTSOCK (10038): an operation was attempted on something that is not a socket
}

// The IKE codes are not in the oracle (mingw-w64's winerror.h has them, the oracle's probe did
// not ask); Microsoft's "System Error Codes (12000-15999)" page lists these numbers.
func TestIKECodesMatchMicrosoftsList(t *testing.T) {
	for name, want := range map[string]int{
		"ERROR_IPSEC_IKE_AUTH_FAIL": 13801, "ERROR_IPSEC_IKE_ATTRIB_FAIL": 13802,
		"ERROR_IPSEC_IKE_TIMED_OUT": 13805, "ERROR_IPSEC_IKE_NO_CERT": 13806,
		"ERROR_IPSEC_IKE_DROP_NO_RESPONSE": 13813, "ERROR_IPSEC_IKE_NO_POLICY": 13825,
		"ERROR_IPSEC_IKE_KERBEROS_ERROR": 13827, "ERROR_IPSEC_IKE_NO_PEER_CERT": 13847,
		"ERROR_IPSEC_IKE_NO_MM_POLICY": 13850,
	} {
		got, ok := errors.ByName(name)
		if assert.True(t, ok, name) {
			assert.EqualValues(t, want, got, name)
		}
	}
}
