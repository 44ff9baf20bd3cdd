package sim_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/internal/oracle"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sockaddr"
)

func TestConstantsMatchTheSDK(t *testing.T) {
	o, err := oracle.Load()
	require.NoError(t, err)
	ours := map[string]int64{
		"AF_UNSPEC": int64(sim.AF_UNSPEC), "AF_UNIX": int64(sim.AF_UNIX), "AF_INET": int64(sim.AF_INET), "AF_INET6": int64(sim.AF_INET6),
		"SOCK_STREAM": int64(sim.SOCK_STREAM), "SOCK_DGRAM": int64(sim.SOCK_DGRAM), "SOCK_RAW": int64(sim.SOCK_RAW),
		"SOCK_RDM": int64(sim.SOCK_RDM), "SOCK_SEQPACKET": int64(sim.SOCK_SEQPACKET),
		"IPPROTO_IP": int64(sim.IPPROTO_IP), "IPPROTO_ICMP": int64(sim.IPPROTO_ICMP), "IPPROTO_TCP": int64(sim.IPPROTO_TCP),
		"IPPROTO_UDP": int64(sim.IPPROTO_UDP), "IPPROTO_IPV6": int64(sim.IPPROTO_IPV6), "IPPROTO_ICMPV6": int64(sim.IPPROTO_ICMPV6),
		"IPPROTO_RAW": int64(sim.IPPROTO_RAW),
		"SOL_SOCKET":  int64(sim.SOL_SOCKET), "SO_REUSEADDR": int64(sim.SO_REUSEADDR), "SO_EXCLUSIVEADDRUSE": int64(sim.SO_EXCLUSIVEADDRUSE),
		"SO_TYPE": int64(sim.SO_TYPE), "SO_ERROR": int64(sim.SO_ERROR),
		"WSA_FLAG_OVERLAPPED": int64(sim.WSA_FLAG_OVERLAPPED), "WSA_FLAG_MULTIPOINT_C_ROOT": int64(sim.WSA_FLAG_MULTIPOINT_C_ROOT),
		"WSA_FLAG_MULTIPOINT_C_LEAF": int64(sim.WSA_FLAG_MULTIPOINT_C_LEAF), "WSA_FLAG_MULTIPOINT_D_ROOT": int64(sim.WSA_FLAG_MULTIPOINT_D_ROOT),
		"WSA_FLAG_MULTIPOINT_D_LEAF": int64(sim.WSA_FLAG_MULTIPOINT_D_LEAF), "WSA_FLAG_ACCESS_SYSTEM_SECURITY": int64(sim.WSA_FLAG_ACCESS_SYSTEM_SECURITY),
		"WSA_FLAG_NO_HANDLE_INHERIT": int64(sim.WSA_FLAG_NO_HANDLE_INHERIT), "WSA_FLAG_REGISTERED_IO": int64(sim.WSA_FLAG_REGISTERED_IO),
		"SOCKET_ERROR":     int64(sim.SOCKET_ERROR),
		"WSA_WAIT_EVENT_0": int64(sim.WSA_WAIT_EVENT_0), "WSA_WAIT_IO_COMPLETION": int64(sim.WSA_WAIT_IO_COMPLETION),
		"WSA_WAIT_TIMEOUT": int64(sim.WSA_WAIT_TIMEOUT), "WSA_WAIT_FAILED": int64(sim.WSA_WAIT_FAILED),
		"WSA_INFINITE": int64(sim.WSA_INFINITE), "WSA_MAXIMUM_WAIT_EVENTS": int64(sim.WSA_MAXIMUM_WAIT_EVENTS),
	}
	checked := 0
	for _, group := range []string{"family", "socktype", "proto", "sockopt", "wsa-flag", "misc"} {
		for _, c := range o.Group(group) {
			mine, ok := ours[c.Name]
			if !ok {
				continue
			}
			want, err := c.Value.Int64()
			require.NoError(t, err)
			assert.Equal(t, want, mine, c.Name)
			checked++
		}
	}
	assert.Equal(t, len(ours), checked, "every constant was found in the oracle")
	for _, c := range o.Group("misc") {
		if c.Name == "INVALID_SOCKET" {
			v, err := c.Value.Float64() // 2^64-1 does not fit an int64
			require.NoError(t, err)
			assert.Equal(t, v, float64(sim.INVALID_SOCKET))
		}
	}
	socketType, err := o.Type("SOCKET")
	require.NoError(t, err)
	assert.Equal(t, 8, socketType.Size, "SOCKET is pointer-sized on x64, as Handle is")
}

// A host with two applications under different users: the second cannot take the port the
// first holds exclusively, which is what SO_EXCLUSIVEADDRUSE is for.
func ExampleNetwork() {
	n := sim.NewNetwork()
	host := n.MustAddHost("server", "10.0.0.2")
	service := host.App().Main()
	intruder, _ := host.NewApp("intruder", "mallory")

	s, _ := service.Socket(sim.AF_INET, sim.SOCK_STREAM, 0)
	_ = service.WSASetSocketSecurity(s, nil, 0, nil, nil) // also sets SO_EXCLUSIVEADDRUSE
	_ = service.BindAddr(s, sockaddr.Inet4(0, 0, 0, 0, 27015))
	_ = service.Listen(s, 10)

	t, _ := intruder.Main().Socket(sim.AF_INET, sim.SOCK_STREAM, 0)
	_ = intruder.Main().SetsockoptInt(t, sim.SOL_SOCKET, sim.SO_REUSEADDR, 1)
	err := intruder.Main().BindAddr(t, sockaddr.Inet4(10, 0, 0, 2, 27015))
	fmt.Println(err)
	// Output: WSAEACCES (10013): an attempt was made to access a socket in a way forbidden by its access permissions [rule BIND-ACCESS]
}

func ExampleTraceLog() {
	n := sim.NewNetwork()
	log := &sim.TraceLog{}
	n.SetTracer(log)
	th := n.MustAddHost("h").App().Main()
	s, _ := th.Socket(sim.AF_INET, sim.SOCK_DGRAM, 0)
	_ = th.Listen(s, 1)
	fmt.Print(log)
	// Output:
	// 1 h: socket(AF_INET, SOCK_DGRAM, 0) = ok -> 0x100
	// 2 h: listen(0x100, 1) = WSAEOPNOTSUPP [LISTEN-NOT-STREAM]
}
