package socket_test

import (
	stderrors "errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sockaddr"
	"github.com/wsssim/wsssim/socket"
	"github.com/wsssim/wsssim/socket/sockettest"
)

func TestSimulatedConformance(t *testing.T) {
	api, _ := socket.SimulatedHost("conformance")
	sockettest.TestAPI(t, api, sockettest.Options{})
}

func TestDefaultIsUsable(t *testing.T) {
	api := socket.Default()
	s, err := api.Socket(socket.AF_INET, socket.SOCK_STREAM, 0)
	require.NoError(t, err)
	require.NoError(t, api.Closesocket(s))
}

func TestErrorsCarryCodeAndRule(t *testing.T) {
	api, _ := socket.SimulatedHost("errs")
	s, err := api.Socket(socket.AF_INET, socket.SOCK_STREAM, 0)
	require.NoError(t, err)
	b := sockaddr.Inet4(127, 0, 0, 1, 0).Encode()
	require.NoError(t, api.Bind(s, b, int32(len(b))))
	err = api.WSASetSocketSecurity(s, nil, 0, nil, nil)
	assert.True(t, stderrors.Is(err, errors.WSAEINVAL))
	var re *sim.RuleError
	require.True(t, stderrors.As(err, &re))
	assert.Equal(t, "SETSEC-BOUND", re.Rule.ID)
}

func TestOverlappedConnectExThroughTheAPI(t *testing.T) {
	api, _ := socket.SimulatedHost("ov")
	l, _ := api.Socket(socket.AF_INET, socket.SOCK_STREAM, 0)
	addr := sockaddr.Inet4(127, 0, 0, 1, 8080).Encode()
	require.NoError(t, api.Bind(l, addr, 16))
	require.NoError(t, api.Listen(l, 1))
	c, _ := api.Socket(socket.AF_INET, socket.SOCK_STREAM, 0)
	any := sockaddr.Inet4(0, 0, 0, 0, 0).Encode()
	require.NoError(t, api.Bind(c, any, 16))
	var ov socket.Overlapped
	err := api.ConnectEx(c, addr, 16, &ov)
	require.True(t, stderrors.Is(err, errors.ERROR_IO_PENDING))
	_, err = api.WSAGetOverlappedResult(c, &ov, true)
	require.NoError(t, err)
	b := make([]byte, 16)
	n := int32(16)
	assert.True(t, stderrors.Is(api.Getpeername(c, b, &n), errors.WSAENOTCONN), "ConnectEx sockets need SO_UPDATE_CONNECT_CONTEXT")
	require.NoError(t, api.Setsockopt(c, socket.SOL_SOCKET, socket.SO_UPDATE_CONNECT_CONTEXT, []byte{0, 0, 0, 0}, 4))
	n = 16
	require.NoError(t, api.Getpeername(c, b, &n))
}

// A secure TCP client, written once against socket.API, tested on any OS against a simulated
// host: the server sets security before bind, as the documentation requires.
func Example() {
	api, _ := socket.SimulatedHost("server", "10.0.0.2")

	srv, _ := api.WSASocket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, 0)
	if err := api.WSASetSocketSecurity(srv, nil, 0, nil, nil); err != nil {
		fmt.Println("secure listener:", err)
	}
	any := sockaddr.Inet4(0, 0, 0, 0, 27015).Encode()
	_ = api.Bind(srv, any, int32(len(any)))
	_ = api.Listen(srv, 10)

	cli, _ := api.WSASocket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, 0)
	settings := policy.Settings{Protocol: policy.ProtocolDefault, Flags: policy.SettingsGuaranteeEncryption}.Encode()
	_ = api.WSASetSocketSecurity(cli, settings, uint32(len(settings)), nil, nil)
	to := sockaddr.Inet4(10, 0, 0, 2, 27015).Encode()
	fmt.Println("connect:", api.Connect(cli, to, int32(len(to))))

	// Too late now: the socket is connected.
	err := api.WSASetSocketSecurity(cli, nil, 0, nil, nil)
	fmt.Println(err)
	// Output:
	// connect: <nil>
	// WSAEISCONN (10056): the socket is already connected [rule SETSEC-ISCONN]
}

func ExampleDefault() {
	api := socket.Default() // the real Winsock on Windows, the embedded simulated host elsewhere
	s, err := api.Socket(socket.AF_INET6, socket.SOCK_DGRAM, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(api.Closesocket(s))
	// Output: <nil>
}

// TestBindTablesThroughTheAPI replays Microsoft's Tables B and C cell by cell through the whole
// simulated call path (setsockopt, bind, the port table), IPv4 and IPv6; Table C's second binds
// come from an application of another user on the same host.
func TestBindTablesThroughTheAPI(t *testing.T) {
	for _, af := range []int32{socket.AF_INET, socket.AF_INET6} {
		api, host := socket.SimulatedHost("tables")
		t.Run(fmt.Sprintf("B/af=%d", af), func(t *testing.T) {
			sockettest.ReplayBindTable(t, api, api, af, sockettest.TableB, sockettest.Options{})
		})
		bob, err := host.NewApp("bob", "bob")
		require.NoError(t, err)
		t.Run(fmt.Sprintf("C/af=%d", af), func(t *testing.T) {
			sockettest.ReplayBindTable(t, api, socket.Simulated(bob.Main()), af, sockettest.TableC, sockettest.Options{})
		})
	}
}
