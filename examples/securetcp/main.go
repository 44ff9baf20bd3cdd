// Command securetcp runs the call sequence of Microsoft's secure TCP sample (the SDK's
// stcpserver and stcpclient, and "Using Secure Socket Extensions") on the platform's default
// Winsock: the real one on Windows, wsssim's embedded simulated host elsewhere. It prints every
// call and its result, then shows three calls Windows rejects and why.
//
//	go run ./examples/securetcp
package main

import (
	stderrors "errors"
	"fmt"
	"os"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sockaddr"
	"github.com/wsssim/wsssim/socket"
)

func main() {
	api := socket.Default()
	var data socket.WSAData
	step("WSAStartup(2.2)", api.WSAStartup(0x0202, &data))
	defer api.WSACleanup()

	listen, err := api.WSASocket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, 0)
	step("server: WSASocket", err)
	step("server: WSASetSocketSecurity(NULL) before bind", api.WSASetSocketSecurity(listen, nil, 0, nil, nil))
	addr := sockaddr.Inet4(127, 0, 0, 1, 27015).Encode()
	step("server: bind 127.0.0.1:27015", api.Bind(listen, addr, int32(len(addr))))
	step("server: listen", api.Listen(listen, 10))

	client, err := api.WSASocket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, 0)
	step("client: WSASocket", err)
	settings := policy.Settings{Protocol: policy.ProtocolDefault, Flags: policy.SettingsGuaranteeEncryption}.Encode()
	step("client: WSASetSocketSecurity(DEFAULT, GUARANTEE_ENCRYPTION)", api.WSASetSocketSecurity(client, settings, uint32(len(settings)), nil, nil))
	step("client: WSAConnect 127.0.0.1:27015", api.WSAConnect(client, addr, int32(len(addr))))
	accepted, err := api.Accept(listen, nil, nil)
	step("server: accept", err)

	fmt.Println("\nCalls Windows rejects:")
	step("client: WSASetSocketSecurity after connect", api.WSASetSocketSecurity(client, nil, 0, nil, nil))
	late, _ := api.Socket(socket.AF_INET, socket.SOCK_STREAM, 0)
	any := sockaddr.Inet4(127, 0, 0, 1, 0).Encode()
	_ = api.Bind(late, any, int32(len(any)))
	step("WSASetSocketSecurity after bind", api.WSASetSocketSecurity(late, nil, 0, nil, nil))
	rival, _ := api.Socket(socket.AF_INET, socket.SOCK_STREAM, 0)
	step("another socket binds 127.0.0.1:27015", api.Bind(rival, addr, int32(len(addr))))

	for _, s := range []socket.Handle{accepted, client, listen, late, rival} {
		_ = api.Closesocket(s)
	}
}

// step prints one call's outcome; a rule-decided failure also says which rule.
func step(what string, err error) {
	if err == nil {
		fmt.Printf("  %-60s ok\n", what)
		return
	}
	var code errors.Errno
	stderrors.As(err, &code)
	fmt.Printf("  %-60s %s\n", what, code.Name())
	var re *sim.RuleError
	if stderrors.As(err, &re) {
		fmt.Printf("  %-60s   rule %s: %s\n", "", re.Rule.ID, re.Rule.Condition)
	}
	if !code.Known() {
		fmt.Fprintln(os.Stderr, err)
	}
}
