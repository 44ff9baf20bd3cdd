package sockaddr_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/internal/oracle"
	"github.com/wsssim/wsssim/sockaddr"
)

func TestLayoutsMatchTheSDK(t *testing.T) {
	o, err := oracle.Load()
	require.NoError(t, err)
	for name, size := range map[string]int{"SOCKADDR": sockaddr.SizeofSockaddr, "SOCKADDR_IN": sockaddr.SizeofSockaddrInet4, "SOCKADDR_IN6": sockaddr.SizeofSockaddrInet6, "SOCKADDR_STORAGE": sockaddr.SizeofSockaddrStorage} {
		typ, err := o.Type(name)
		require.NoError(t, err)
		assert.Equal(t, typ.Size, size, name)
	}
	for _, f := range o.Group("family") {
		v, _ := f.Value.Int64()
		assert.Equal(t, f.Name, sockaddr.Family(v).String())
	}

	// Each field lands where the compiled header puts it.
	in6, _ := o.Type("SOCKADDR_IN6")
	a := sockaddr.Addr{Family: sockaddr.AF_INET6, IP: netip.MustParseAddr("fd00::1:2"), Port: 0x1234, FlowInfo: 0xa1b2c3d4, ScopeID: 0x05060708}
	b := a.Encode()
	at := func(field string) int { f, err := in6.Field(field); require.NoError(t, err); return f.Offset }
	assert.Equal(t, uint16(23), binary.LittleEndian.Uint16(b[at("sin6_family"):]))
	assert.Equal(t, []byte{0x12, 0x34}, b[at("sin6_port"):at("sin6_port")+2], "the port is in network byte order")
	assert.Equal(t, uint32(0xa1b2c3d4), binary.LittleEndian.Uint32(b[at("sin6_flowinfo"):]))
	ip := a.IP.As16()
	assert.Equal(t, ip[:], b[at("sin6_addr"):at("sin6_addr")+16])
	assert.Equal(t, uint32(0x05060708), binary.LittleEndian.Uint32(b[at("sin6_scope_id"):]))

	in4, _ := o.Type("SOCKADDR_IN")
	b = sockaddr.Inet4(10, 1, 2, 3, 80).Encode()
	addrField, _ := in4.Field("sin_addr")
	assert.Equal(t, []byte{10, 1, 2, 3}, b[addrField.Offset:addrField.Offset+4])
}

func TestParseAndString(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:80":           "127.0.0.1:80",
		"[::1]:80":               "[::1]:80",
		"[::ffff:127.0.0.1]:443": "[::ffff:127.0.0.1]:443",
		"10.0.0.2":               "10.0.0.2:0",
		"[fe80::1%3]:5":          "[fe80::1%3]:5",
	} {
		a, err := sockaddr.Parse(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, a.String())
	}
	_, err := sockaddr.Parse("nonsense")
	assert.Error(t, err)
	m, _ := sockaddr.Parse("[::ffff:0.0.0.0]:1")
	assert.True(t, m.IsWildcard() && m.IsV4Mapped())
}

func TestDecodeErrors(t *testing.T) {
	_, code := sockaddr.Decode(nil)
	assert.Equal(t, errors.WSAEFAULT, code)
	_, code = sockaddr.Decode(sockaddr.Inet4(1, 2, 3, 4, 5).Encode()[:15])
	assert.Equal(t, errors.WSAEFAULT, code)
	bogus := make([]byte, 16)
	bogus[0] = 0x99
	_, code = sockaddr.Decode(bogus)
	assert.Equal(t, errors.WSAEAFNOSUPPORT, code)
	zero, code := sockaddr.DecodeStorage(make([]byte, 128))
	assert.Zero(t, code)
	assert.Equal(t, sockaddr.Addr{}, zero)
}

func TestRoundTripsAndNeverPanics(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOfN(rapid.Byte(), 0, 160).Draw(t, "bytes")
		if a, code := sockaddr.Decode(b); code == 0 {
			again, code := sockaddr.Decode(a.Encode())
			if code != 0 || again != a {
				t.Fatalf("decode∘encode: %v -> %v (%v)", a, again, code)
			}
		}
		if a, code := sockaddr.DecodeStorage(b); code == 0 {
			again, _ := sockaddr.DecodeStorage(a.EncodeStorage())
			if again != a {
				t.Fatalf("storage round trip: %v -> %v", a, again)
			}
		}
	})
}

func ExampleParse() {
	a, _ := sockaddr.Parse("[::1]:27015")
	fmt.Println(a.Family, a.Port, len(a.Encode()))
	// Output: AF_INET6 27015 28
}
