package ports_test

import (
	"fmt"

	"github.com/wsssim/wsssim/sim/ports"
	"github.com/wsssim/wsssim/sockaddr"
)

func ExampleTable_Bind() {
	t := ports.NewTable(ports.Options{})
	addr := func(s string) sockaddr.Addr {
		a, _ := sockaddr.Parse(s)
		return a
	}

	// A web server binds the wildcard without options.
	web, _ := t.Bind(ports.Request{Proto: ports.TCP, Addr: addr("0.0.0.0:8080"), User: "svc", Owner: "web"})
	t.SetListening(web, true)

	// Another user may not take loopback traffic from it (Table C), the same user may (Table B).
	_, code := t.Bind(ports.Request{Proto: ports.TCP, Addr: addr("127.0.0.1:8080"), User: "mallory"})
	fmt.Println("other user, 127.0.0.1:", code.Name())
	dev, code := t.Bind(ports.Request{Proto: ports.TCP, Addr: addr("127.0.0.1:8080"), User: "svc", Owner: "dev"})
	fmt.Println("same user, 127.0.0.1:", code.Name())
	t.SetListening(dev, true)

	// The most specific listener receives the connection.
	fmt.Println(t.Lookup(ports.TCP, addr("127.0.0.1:8080"), true).Owner())
	fmt.Println(t.Lookup(ports.TCP, addr("10.0.0.5:8080"), true).Owner())

	// UDP has its own ports; port 0 picks the next ephemeral port.
	e, _ := t.Bind(ports.Request{Proto: ports.UDP, Addr: addr("0.0.0.0:0")})
	fmt.Println(e.Port())
	// Output:
	// other user, 127.0.0.1: WSAEACCES
	// same user, 127.0.0.1: ERROR_SUCCESS
	// dev
	// web
	// 49152
}
