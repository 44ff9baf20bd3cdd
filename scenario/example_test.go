package scenario_test

import (
	"fmt"
	"os"

	"github.com/wsssim/wsssim/scenario"
)

func ExampleRun() {
	src := `host server 10.0.0.2
host client 10.0.0.1
server: s = socket AF_INET SOCK_STREAM 0
server: bind s 10.0.0.2:27015
server: listen s 10
client: c = socket AF_INET SOCK_STREAM 0
client: connect c 10.0.0.2:27015
client: WSASetSocketSecurity c   => ok   # wrong: it is too late
server: a = accept s             => ok peer=10.0.0.1:*
`
	s, err := scenario.Parse("example.wss", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := scenario.Run(s, scenario.SimBackend(), scenario.Options{Trace: os.Stdout})
	for _, f := range r.Failures() {
		fmt.Println(f.Message())
	}
	fmt.Println("passed:", r.Passed())
	// Output:
	// example.wss:3: server: socket AF_INET SOCK_STREAM 0 = ok s=0x100
	// example.wss:4: server: bind s 10.0.0.2:27015 = ok
	// example.wss:5: server: listen s 10 = ok
	// example.wss:6: client: socket AF_INET SOCK_STREAM 0 = ok c=0x100
	// example.wss:7: client: connect c 10.0.0.2:27015 = ok
	// example.wss:8: client: WSASetSocketSecurity c = WSAEISCONN [SETSEC-ISCONN] FAIL: got WSAEISCONN, want ok
	// example.wss:9: server: accept s = ok a=0x104 len=16 peer=10.0.0.1:49152
	// example.wss:8: client: WSASetSocketSecurity c: got WSAEISCONN, want ok [rule SETSEC-ISCONN: the socket is connected: a TCP connection (made or accepted) or a UDP socket with a default peer]
	// passed: false
}

func ExampleParse() {
	_, err := scenario.Parse("typo.wss", []byte("s = socket AF_INET SOCK_STREAM 0\nWSASetSocketSecurty s\nbind s 127.0.0.1:80 lne=16\n"))
	fmt.Println(err)
	// Output:
	// typo.wss:2:1: unknown function "WSASetSocketSecurty"; did you mean WSASetSocketSecurity?
	// typo.wss:3:21: bind takes no key lne; did you mean len?
}
