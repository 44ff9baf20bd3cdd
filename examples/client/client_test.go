package client_test

import (
	"errors"
	"net/netip"
	"testing"

	wsserr "github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/examples/client"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sim/ipsec"
	"github.com/wsssim/wsssim/sockaddr"
	"github.com/wsssim/wsssim/socket"
)

func TestDialSecure(t *testing.T) {
	net := sim.NewNetwork()
	// Two members of one domain: the default secure-socket policy authenticates them with
	// Kerberos (without credentials the negotiation fails and the connect times out).
	corp := ipsec.Credentials{Domain: "CORP"}
	server, _ := net.AddHost(sim.HostConfig{Name: "server", Addresses: []netip.Addr{netip.MustParseAddr("10.0.0.2")}, Credentials: corp})
	clientHost, _ := net.AddHost(sim.HostConfig{Name: "client", Addresses: []netip.Addr{netip.MustParseAddr("10.0.0.1")}, Credentials: corp})

	srv := server.App().Main() // the host's default application (SYSTEM), Winsock initialised
	l, _ := srv.Socket(sim.AF_INET, sim.SOCK_STREAM, 0)
	if err := srv.WSASetSocketSecurity(l, nil, 0, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.BindAddr(l, sockaddr.Inet4(0, 0, 0, 0, 27015)); err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(l, 10); err != nil {
		t.Fatal(err)
	}

	api := socket.Simulated(clientHost.App().Main())
	s, err := client.DialSecure(api, sockaddr.Inet4(10, 0, 0, 2, 27015))
	if err != nil {
		t.Fatal(err) // a *sim.RuleError: its Rule says which precondition failed
	}
	// Setting security again is a bug Windows reports as WSAEISCONN.
	if err := api.WSASetSocketSecurity(s, nil, 0, nil, nil); !errors.Is(err, wsserr.WSAEISCONN) {
		t.Fatalf("got %v", err)
	}
	if _, err := srv.Accept(l, nil, nil); err != nil {
		t.Fatal(err)
	}
}
