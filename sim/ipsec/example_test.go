package ipsec_test

import (
	"fmt"

	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim/ipsec"
)

// A client in domain CORP negotiates with a server that has no credentials: main mode
// (anonymous) succeeds, extended mode finds nothing both sides can use, and the failure says so.
func ExampleNegotiate() {
	client := ipsec.Peer{Host: "pc1", Role: "client", Credentials: ipsec.Credentials{Domain: "CORP"},
		User: "SYSTEM", Policy: policy.DefaultPolicy.Clone()}
	server := ipsec.Peer{Host: "web1", Role: "server", User: "SYSTEM", Policy: policy.DefaultPolicy.Clone()}
	if _, f := ipsec.Negotiate(client, server); f != nil {
		fmt.Println(f.Code.Name())
		fmt.Println(f)
	}
	server.Credentials.Domain = "CORP"
	o, _ := ipsec.Negotiate(client, server)
	fmt.Println(o)
	// Output:
	// ERROR_IPSEC_IKE_KERBEROS_ERROR
	// extended mode failed: no common authentication method; client offers Kerberos(CORP), server has no credentials
	// MM AES_128/SHA1/ECP_256, auth IKE_ANONYMOUS+IKE_KERBEROS, QM ESP HMAC_SHA_1_96
}
