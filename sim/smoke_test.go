package sim_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sockaddr"
)

func TestSmoke(t *testing.T) {
	n := sim.NewNetwork()
	log := &sim.TraceLog{}
	n.SetTracer(log)
	h := n.MustAddHost("server", "10.0.0.2")
	th := h.App().Main()
	s, err := th.WSASocket(sim.AF_INET, sim.SOCK_STREAM, sim.IPPROTO_TCP, sim.WSA_FLAG_OVERLAPPED)
	require.NoError(t, err)
	require.NoError(t, th.WSASetSocketSecurity(s, nil, 0, nil, nil))
	require.NoError(t, th.BindAddr(s, sockaddr.Inet4(0, 0, 0, 0, 27015)))
	require.NoError(t, th.Listen(s, 10))
	c, err := th.Socket(sim.AF_INET, sim.SOCK_STREAM, 0)
	require.NoError(t, err)
	require.NoError(t, th.ConnectAddr(c, sockaddr.Inet4(10, 0, 0, 2, 27015)))
	a, err := th.Accept(s, nil, nil)
	require.NoError(t, err)
	require.NoError(t, th.Closesocket(a))
	t.Log(log.String())
}
