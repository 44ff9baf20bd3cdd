// Package sockettest checks that an implementation of socket.API behaves as Windows does, in
// the spirit of testing/fstest.TestFS: one exported check that runs against any back end — the
// simulator on every OS, and the real Winsock on Windows (or under Wine) — so that the two can
// be compared with the same code.
//
// Every check uses only the loopback interface and ports the system assigns, so it is safe to
// run on a real machine.
package sockettest

import (
	stderrors "errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sockaddr"
	"github.com/wsssim/wsssim/socket"
)

// Options tunes TestAPI.
type Options struct {
	// SkipSecure leaves out the secure-socket functions, for Winsock implementations that do not
	// have them (Wine's fwpuclnt.dll aborts the process on any of the six).
	SkipSecure bool
	// SkipRefused leaves out the connection-refused check, which takes about two seconds on a
	// real Windows loopback (the SYN is retried before the RST is believed).
	SkipRefused bool
	// Known lists differences the caller has investigated and accepts, keyed by the check's
	// description of the case (for example "IPv4 EXCL W then Def W"), with the reason. They are
	// logged instead of failing, so a run shows them without going red.
	Known map[string]string
}

// TestAPI runs the conformance checks against api as subtests of t.
func TestAPI(t *testing.T, api socket.API, opts Options) {
	c := &checker{api: api, known: opts.Known}
	for _, ch := range checks {
		if ch.secure && opts.SkipSecure || ch.name == "connect-refused" && opts.SkipRefused {
			continue
		}
		t.Run(ch.name, func(t *testing.T) {
			c.t = t
			defer c.closeAll()
			ch.run(c)
		})
	}
}

// Check describes one conformance check, for listings.
type Check struct {
	Name   string
	Secure bool
}

// Checks lists the checks TestAPI runs, in order.
func Checks() []Check {
	out := make([]Check, len(checks))
	for i, ch := range checks {
		out[i] = Check{ch.name, ch.secure}
	}
	return out
}

type checker struct {
	t     *testing.T
	api   socket.API
	open  []socket.Handle
	known map[string]string
	// lastBind is the error of dualBind's bind.
	lastBind error
}

type check struct {
	name   string
	secure bool
	run    func(c *checker)
}

func (c *checker) fatalf(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf(format, args...)
}

func (c *checker) sock(af, typ int32) socket.Handle {
	c.t.Helper()
	s, err := c.api.Socket(af, typ, 0)
	if err != nil {
		c.fatalf("socket(%d, %d, 0): %v", af, typ, err)
	}
	c.open = append(c.open, s)
	return s
}

func (c *checker) closeAll() {
	for _, s := range c.open {
		_ = c.api.Closesocket(s)
	}
	c.open = nil
}

func (c *checker) ok(what string, err error) {
	c.t.Helper()
	if err != nil {
		c.fatalf("%s: %v, want success", what, err)
	}
}

// expect checks a result against a code (0 for success) without stopping the check, so that a
// table reports every cell that differs. A difference listed in Options.Known is logged instead.
func (c *checker) expect(what string, err error, want errors.Errno) {
	c.t.Helper()
	var got errors.Errno
	if err != nil && !stderrors.As(err, &got) {
		c.t.Errorf("%s: %v is not a Winsock code", what, err)
		return
	}
	if got == want {
		return
	}
	msg := fmt.Sprintf("%s: got %s, want %s", what, codeName(got), codeName(want))
	if reason, known := c.known[what]; known {
		c.t.Logf("known difference: %s (%s)", msg, reason)
		return
	}
	c.t.Error(msg)
}

func codeName(e errors.Errno) string {
	if e == 0 {
		return "success"
	}
	return e.Name()
}

func familyLabel(af int32) string {
	if af == socket.AF_INET6 {
		return "IPv6"
	}
	return "IPv4"
}

// want checks that err carries the code.
func (c *checker) want(what string, err error, code errors.Errno) {
	c.t.Helper()
	if err == nil {
		c.fatalf("%s succeeded, want %s", what, code.Name())
	}
	if !stderrors.Is(err, code) {
		c.fatalf("%s: %v, want %s", what, err, code.Name())
	}
}

func (c *checker) bind(s socket.Handle, a sockaddr.Addr) error {
	b := a.Encode()
	return c.api.Bind(s, b, int32(len(b)))
}

func (c *checker) connect(s socket.Handle, a sockaddr.Addr) error {
	b := a.Encode()
	return c.api.Connect(s, b, int32(len(b)))
}

func (c *checker) name(s socket.Handle) sockaddr.Addr {
	c.t.Helper()
	b := make([]byte, sockaddr.SizeofSockaddrInet6)
	n := int32(len(b))
	c.ok("getsockname", c.api.Getsockname(s, b, &n))
	a, code := sockaddr.Decode(b[:n])
	if code != 0 {
		c.fatalf("getsockname returned an undecodable address: %v", code)
	}
	return a
}

func (c *checker) setInt(s socket.Handle, level, opt, v int32) error {
	b := []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
	return c.api.Setsockopt(s, level, opt, b, 4)
}

func (c *checker) getInt(s socket.Handle, level, opt int32) int32 {
	c.t.Helper()
	b := make([]byte, 4)
	n := int32(4)
	c.ok(fmt.Sprintf("getsockopt(%d, %d)", level, opt), c.api.Getsockopt(s, level, opt, b, &n))
	return int32(b[0]) | int32(b[1])<<8 | int32(b[2])<<16 | int32(b[3])<<24
}

var loopback = sockaddr.Inet4(127, 0, 0, 1, 0)

// listener returns a socket listening on 127.0.0.1 at a port the system picked, and that address.
func (c *checker) listener() (socket.Handle, sockaddr.Addr) {
	c.t.Helper()
	l := c.sock(socket.AF_INET, socket.SOCK_STREAM)
	c.ok("bind listener", c.bind(l, loopback))
	c.ok("listen", c.api.Listen(l, 5))
	return l, c.name(l)
}

var checks = []check{
	{name: "socket-matrix", run: func(c *checker) {
		c.sock(socket.AF_INET, socket.SOCK_STREAM)
		c.sock(socket.AF_INET6, socket.SOCK_DGRAM)
		_, err := c.api.Socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_UDP)
		c.want("socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)", err, errors.WSAEPROTONOSUPPORT)
		_, err = c.api.Socket(0xdead, socket.SOCK_STREAM, 0)
		c.want("socket(0xdead, SOCK_STREAM, 0)", err, errors.WSAEAFNOSUPPORT)
		_, err = c.api.Socket(socket.AF_INET, 0xdead, 0)
		c.want("socket(AF_INET, 0xdead, 0)", err, errors.WSAESOCKTNOSUPPORT)
		_, err = c.api.Socket(socket.AF_UNSPEC, 0, 0)
		c.want("socket(AF_UNSPEC, 0, 0)", err, errors.WSAEINVAL)
	}},
	{name: "reuseaddr-exclusive", run: func(c *checker) {
		s := c.sock(socket.AF_INET, socket.SOCK_STREAM)
		if v := c.getInt(s, socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE); v != 0 {
			c.fatalf("SO_EXCLUSIVEADDRUSE starts at %d, want 0", v)
		}
		c.ok("set SO_EXCLUSIVEADDRUSE", c.setInt(s, socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1))
		c.want("set SO_REUSEADDR while exclusive", c.setInt(s, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1), errors.WSAEINVAL)
		c.ok("clear SO_EXCLUSIVEADDRUSE", c.setInt(s, socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 0))
		c.ok("set SO_REUSEADDR", c.setInt(s, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1))
		c.want("set SO_EXCLUSIVEADDRUSE while reusing", c.setInt(s, socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1), errors.WSAEINVAL)
	}},
	{name: "v6only-default", run: func(c *checker) {
		s := c.sock(socket.AF_INET6, socket.SOCK_STREAM)
		if v := c.getInt(s, socket.IPPROTO_IPV6, socket.IPV6_V6ONLY); v != 1 {
			c.fatalf("IPV6_V6ONLY starts at %d, want 1", v)
		}
	}},
	{name: "bind", run: func(c *checker) {
		s := c.sock(socket.AF_INET, socket.SOCK_STREAM)
		b := loopback.Encode()
		c.want("bind with namelen 15", c.api.Bind(s, b, 15), errors.WSAEFAULT)
		c.ok("bind", c.bind(s, loopback))
		c.want("bind again", c.bind(s, loopback), errors.WSAEINVAL)
		u := c.sock(socket.AF_INET, socket.SOCK_STREAM)
		c.want("bind to the same address and port", c.bind(u, c.name(s)), errors.WSAEADDRINUSE)
	}},
	{name: "listen", run: func(c *checker) {
		s := c.sock(socket.AF_INET, socket.SOCK_STREAM)
		c.want("listen unbound", c.api.Listen(s, 5), errors.WSAEINVAL)
		u := c.sock(socket.AF_INET, socket.SOCK_DGRAM)
		c.ok("bind udp", c.bind(u, loopback))
		c.want("listen udp", c.api.Listen(u, 5), errors.WSAEOPNOTSUPP)
		l, _ := c.listener()
		if v := c.getInt(l, socket.SOL_SOCKET, socket.SO_ACCEPTCONN); v != 1 {
			c.fatalf("SO_ACCEPTCONN of a listener reads %d, want 1", v)
		}
	}},
	{name: "connect-accept", run: func(c *checker) {
		l, addr := c.listener()
		cl := c.sock(socket.AF_INET, socket.SOCK_STREAM)
		c.ok("connect", c.connect(cl, addr))
		a, err := c.api.Accept(l, nil, nil)
		c.ok("accept", err)
		c.open = append(c.open, a)
		c.want("connect again", c.connect(cl, addr), errors.WSAEISCONN)
		c.want("connect a listener", c.connect(l, addr), errors.WSAEINVAL)
		b := make([]byte, 16)
		n := int32(len(b))
		c.ok("getpeername", c.api.Getpeername(a, b, &n))
		peer, _ := sockaddr.Decode(b[:n])
		if peer != c.name(cl) {
			c.fatalf("accepted socket's peer is %v, client's name is %v", peer, c.name(cl))
		}
	}},
	{name: "connect-refused", run: func(c *checker) {
		s := c.sock(socket.AF_INET, socket.SOCK_STREAM)
		c.ok("bind", c.bind(s, loopback))
		addr := c.name(s)
		c.ok("close", c.api.Closesocket(s))
		cl := c.sock(socket.AF_INET, socket.SOCK_STREAM)
		c.want("connect to a closed port", c.connect(cl, addr), errors.WSAECONNREFUSED)
	}},
	{name: "connectex-unbound", run: func(c *checker) {
		_, addr := c.listener()
		s := c.sock(socket.AF_INET, socket.SOCK_STREAM)
		var ov socket.Overlapped
		b := addr.Encode()
		c.want("ConnectEx on an unbound socket", c.api.ConnectEx(s, b, int32(len(b)), &ov), errors.WSAEINVAL)
	}},
	{name: "names", run: func(c *checker) {
		s := c.sock(socket.AF_INET, socket.SOCK_STREAM)
		b := make([]byte, 16)
		n := int32(len(b))
		c.want("getsockname unbound", c.api.Getsockname(s, b, &n), errors.WSAEINVAL)
		c.want("getpeername unconnected", c.api.Getpeername(s, b, &n), errors.WSAENOTCONN)
		c.want("shutdown unconnected", c.api.Shutdown(s, socket.SD_BOTH), errors.WSAENOTCONN)
	}},
	{name: "closesocket", run: func(c *checker) {
		s, err := c.api.Socket(socket.AF_INET, socket.SOCK_STREAM, 0)
		c.ok("socket", err)
		c.ok("close", c.api.Closesocket(s))
		c.want("close again", c.api.Closesocket(s), errors.WSAENOTSOCK)
		c.want("close INVALID_SOCKET", c.api.Closesocket(socket.INVALID_SOCKET), errors.WSAENOTSOCK)
	}},
	{name: "secure-before-bind", secure: true, run: func(c *checker) {
		s := c.sock(socket.AF_INET, socket.SOCK_STREAM)
		c.ok("WSASetSocketSecurity(NULL)", c.api.WSASetSocketSecurity(s, nil, 0, nil, nil))
		if v := c.getInt(s, socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE); v != 1 {
			c.fatalf("SO_EXCLUSIVEADDRUSE after WSASetSocketSecurity reads %d, want 1", v)
		}
		c.want("WSASetSocketSecurity twice", c.api.WSASetSocketSecurity(s, nil, 0, nil, nil), errors.WSAEINVAL)
		u := c.sock(socket.AF_INET, socket.SOCK_STREAM)
		c.ok("bind", c.bind(u, loopback))
		c.want("WSASetSocketSecurity after bind", c.api.WSASetSocketSecurity(u, nil, 0, nil, nil), errors.WSAEINVAL)
	}},
	{name: "secure-connected", secure: true, run: func(c *checker) {
		l, addr := c.listener()
		cl := c.sock(socket.AF_INET, socket.SOCK_STREAM)
		c.ok("connect", c.connect(cl, addr))
		a, err := c.api.Accept(l, nil, nil)
		c.ok("accept", err)
		c.open = append(c.open, a)
		c.want("WSASetSocketSecurity on a connected socket", c.api.WSASetSocketSecurity(cl, nil, 0, nil, nil), errors.WSAEISCONN)
		u := c.sock(socket.AF_UNIX, socket.SOCK_STREAM)
		c.want("WSASetSocketSecurity on AF_UNIX", c.api.WSASetSocketSecurity(u, nil, 0, nil, nil), errors.WSAEINVAL)
		short := []byte{0, 0, 0, 0}
		s := c.sock(socket.AF_INET, socket.SOCK_STREAM)
		c.want("WSASetSocketSecurity with 4 bytes", c.api.WSASetSocketSecurity(s, short, 4, nil, nil), errors.WSAEMSGSIZE)
	}},
}

// BindTable is one of Microsoft's tables in "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE"
// (Windows Server 2003 and later): rows are the first bind, columns the second, in the order
// of BindKinds; each cell is the second bind's result (0 for success).
type BindTable [6][6]errors.Errno

// TableB is Microsoft's Table B: both binds by the same user.
var TableB = BindTable{
	//          Def W                 Def S                 REUSE W            REUSE S            EXCL W                EXCL S
	/* Def W */ {errors.WSAEADDRINUSE, 0, errors.WSAEACCES, 0, errors.WSAEADDRINUSE, 0},
	/* Def S */ {0, errors.WSAEADDRINUSE, 0, errors.WSAEACCES, errors.WSAEADDRINUSE, errors.WSAEADDRINUSE},
	/* REUSE W */ {errors.WSAEADDRINUSE, 0, 0, 0, errors.WSAEADDRINUSE, 0},
	/* REUSE S */ {0, errors.WSAEADDRINUSE, 0, 0, errors.WSAEADDRINUSE, errors.WSAEADDRINUSE},
	/* EXCL W */ {errors.WSAEADDRINUSE, errors.WSAEACCES, errors.WSAEACCES, errors.WSAEACCES, errors.WSAEADDRINUSE, errors.WSAEACCES},
	/* EXCL S */ {0, errors.WSAEADDRINUSE, 0, errors.WSAEACCES, errors.WSAEADDRINUSE, errors.WSAEADDRINUSE},
}

// TableC is Microsoft's Table C: the two binds by different users.
var TableC = BindTable{
	/* Def W */ {errors.WSAEADDRINUSE, errors.WSAEACCES, errors.WSAEACCES, errors.WSAEACCES, errors.WSAEADDRINUSE, errors.WSAEACCES},
	/* Def S */ {0, errors.WSAEADDRINUSE, 0, errors.WSAEACCES, errors.WSAEADDRINUSE, errors.WSAEADDRINUSE},
	/* REUSE W */ {errors.WSAEADDRINUSE, errors.WSAEACCES, 0, 0, errors.WSAEADDRINUSE, errors.WSAEACCES},
	/* REUSE S */ {0, errors.WSAEADDRINUSE, 0, 0, errors.WSAEADDRINUSE, errors.WSAEADDRINUSE},
	/* EXCL W */ {errors.WSAEADDRINUSE, errors.WSAEACCES, errors.WSAEACCES, errors.WSAEACCES, errors.WSAEADDRINUSE, errors.WSAEACCES},
	/* EXCL S */ {0, errors.WSAEADDRINUSE, 0, errors.WSAEACCES, errors.WSAEADDRINUSE, errors.WSAEADDRINUSE},
}

// BindKind is a row or column of a BindTable: an option and a wildcard or specific address.
type BindKind struct {
	Name     string
	Option   int32 // 0, SO_REUSEADDR or SO_EXCLUSIVEADDRUSE
	Wildcard bool
}

// BindKinds are the rows and columns of the tables, in order.
var BindKinds = [6]BindKind{
	{"Def W", 0, true}, {"Def S", 0, false},
	{"REUSE W", socket.SO_REUSEADDR, true}, {"REUSE S", socket.SO_REUSEADDR, false},
	{"EXCL W", socket.SO_EXCLUSIVEADDRUSE, true}, {"EXCL S", socket.SO_EXCLUSIVEADDRUSE, false},
}

// ReplayBindTable replays every cell of a table for one family (AF_INET: 0.0.0.0 and 127.0.0.1;
// AF_INET6: :: and ::1): first makes and binds the first socket (the first bind picks a free
// port), second the second, on the same port, and the second's result must match the cell.
// Pass the same API twice for Table B, and APIs of two users' applications for Table C.
func ReplayBindTable(t *testing.T, first, second socket.API, af int32, table BindTable, opts Options) {
	t.Helper()
	c1 := &checker{t: t, api: first, known: opts.Known}
	c2 := &checker{t: t, api: second, known: opts.Known}
	defer c1.closeAll()
	defer c2.closeAll()
	c1.bindTable(c2, af, table)
}

func init() {
	checks = append(checks,
		check{name: "bind-table-same-user-ipv4", run: func(c *checker) { c.bindTable(c, socket.AF_INET, TableB) }},
		check{name: "bind-table-same-user-ipv6", run: func(c *checker) { c.bindTable(c, socket.AF_INET6, TableB) }},
		check{name: "bool-options-accept-short-lengths", run: func(c *checker) {
			s := c.sock(socket.AF_INET, socket.SOCK_STREAM)
			c.ok("setsockopt(SO_REUSEADDR) with optlen 1", c.api.Setsockopt(s, socket.SOL_SOCKET, socket.SO_REUSEADDR, []byte{1, 0, 0, 0}, 1))
			b := []byte{0xee, 0xee, 0xee, 0xee}
			n := int32(1)
			c.ok("getsockopt(SO_REUSEADDR) with optlen 1", c.api.Getsockopt(s, socket.SOL_SOCKET, socket.SO_REUSEADDR, b, &n))
			if n != 1 || b[0] != 1 || b[1] != 0xee {
				c.fatalf("getsockopt(SO_REUSEADDR, optlen 1) gave optlen %d bytes % x, want 1 and 01 ee", n, b)
			}
			n = 2
			c.want("getsockopt(SO_ERROR) with optlen 2", c.api.Getsockopt(s, socket.SOL_SOCKET, socket.SO_ERROR, b, &n), errors.WSAEFAULT)
			c.want("setsockopt(SO_ACCEPTCONN)", c.setInt(s, socket.SOL_SOCKET, socket.SO_ACCEPTCONN, 1), errors.WSAENOPROTOOPT)
		}},
	)
}

// bindTable replays every cell: c makes the first socket of each pair, other the second.
func (c *checker) bindTable(other *checker, af int32, table BindTable) {
	c.t.Helper()
	wild, spec := sockaddr.Any(sockaddr.AF_INET, 0), loopback
	if af == socket.AF_INET6 {
		wild, spec = sockaddr.Any(sockaddr.AF_INET6, 0), sockaddr.Addr{Family: sockaddr.AF_INET6, IP: netipLoopback6}
	}
	addrOf := func(k int) sockaddr.Addr {
		if BindKinds[k].Wildcard {
			return wild
		}
		return spec
	}
	for row := range BindKinds {
		for col := range BindKinds {
			first := c.sock(af, socket.SOCK_STREAM)
			if o := BindKinds[row].Option; o != 0 {
				c.ok("first setsockopt", c.setInt(first, socket.SOL_SOCKET, o, 1))
			}
			c.ok("first bind "+BindKinds[row].Name, c.bind(first, addrOf(row)))
			port := c.name(first).Port
			second := other.sock(af, socket.SOCK_STREAM)
			if o := BindKinds[col].Option; o != 0 {
				other.ok("second setsockopt", other.setInt(second, socket.SOL_SOCKET, o, 1))
			}
			err := other.bind(second, addrOf(col).WithPort(port))
			c.expect(fmt.Sprintf("%s %s then %s", familyLabel(af), BindKinds[row].Name, BindKinds[col].Name), err, table[row][col])
			_ = other.api.Closesocket(second)
			_ = c.api.Closesocket(first)
		}
	}
}

var netipLoopback6 = netip.IPv6Loopback()

// dualStackCases are the cross-family binds of Wine's test_reuseaddr (tests_exclusive), whose
// ok() lines pass on real Windows: every IPv6 socket there has IPV6_V6ONLY = 0. Each binds a
// first socket (a port the system picks), then a second on the same port.
var dualStackCases = []struct {
	first      string
	firstExcl  bool
	second     string
	secondExcl bool
	want       errors.Errno
}{
	{"0.0.0.0", true, "127.0.0.1", false, errors.WSAEACCES},
	{"::", true, "127.0.0.1", false, errors.WSAEACCES},
	{"0.0.0.0", false, "127.0.0.1", true, 0},
	{"0.0.0.0", true, "127.0.0.1", true, errors.WSAEACCES},
	{"127.0.0.1", true, "0.0.0.0", false, 0},
	{"127.0.0.1", false, "0.0.0.0", true, errors.WSAEADDRINUSE},
	{"127.0.0.1", false, "::", true, errors.WSAEADDRINUSE},
	{"::1", false, "0.0.0.0", true, 0},
	{"::1", true, "127.0.0.1", true, 0},
	{"::ffff:127.0.0.1", false, "0.0.0.0", true, errors.WSAEADDRINUSE},
	{"::", true, "0.0.0.0", false, errors.WSAEACCES},
	{"::", false, "0.0.0.0", true, 0},
	{"0.0.0.0", false, "0.0.0.0", true, errors.WSAEADDRINUSE},
	{"0.0.0.0", false, "0.0.0.0", false, errors.WSAEADDRINUSE},
	{"::", false, "0.0.0.0", false, 0},
	{"::ffff:0.0.0.0", false, "0.0.0.0", false, errors.WSAEADDRINUSE},
	{"::ffff:127.0.0.1", false, "127.0.0.1", false, errors.WSAEADDRINUSE},
	{"127.0.0.1", false, "::ffff:127.0.0.1", false, errors.WSAEADDRINUSE},
	{"127.0.0.1", true, "127.0.0.1", false, errors.WSAEADDRINUSE},
	{"127.0.0.1", false, "127.0.0.1", true, errors.WSAEADDRINUSE},
}

func init() {
	checks = append(checks, check{name: "dual-stack-exclusive", run: func(c *checker) {
		for _, dc := range dualStackCases {
			_, port := c.dualBind(dc.first, dc.firstExcl, 0)
			if c.lastBind != nil {
				c.fatalf("first bind %s: %v", dc.first, c.lastBind)
			}
			c.dualBind(dc.second, dc.secondExcl, port)
			c.expect(fmt.Sprintf("%s%s then %s%s", dc.first, exclMark(dc.firstExcl), dc.second, exclMark(dc.secondExcl)), c.lastBind, dc.want)
			c.closeAll()
		}
	}})
}

func exclMark(excl bool) string {
	if excl {
		return " (exclusive)"
	}
	return ""
}

// dualBind makes a TCP socket for ip (an IPv6 one with IPV6_V6ONLY = 0 for IPv6 addresses),
// optionally exclusive, and binds it to ip:port; port 0 lets the system pick. The bind's error is
// kept in c.lastBind and the bound port returned.
func (c *checker) dualBind(ip string, exclusive bool, port uint16) (socket.Handle, uint16) {
	c.t.Helper()
	a, err := sockaddr.Parse(ip)
	if err != nil {
		c.fatalf("bad address %q", ip)
	}
	af := int32(socket.AF_INET)
	if a.Family == sockaddr.AF_INET6 {
		af = socket.AF_INET6
	}
	s := c.sock(af, socket.SOCK_STREAM)
	if af == socket.AF_INET6 {
		c.ok("IPV6_V6ONLY=0", c.setInt(s, socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0))
	}
	if exclusive {
		c.ok("SO_EXCLUSIVEADDRUSE", c.setInt(s, socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1))
	}
	c.lastBind = c.bind(s, a.WithPort(port))
	if c.lastBind != nil {
		return s, 0
	}
	return s, c.name(s).Port
}

func init() {
	checks = append(checks,
		check{name: "bind-arguments", run: func(c *checker) {
			s := c.sock(socket.AF_INET, socket.SOCK_STREAM)
			six := sockaddr.Addr{Family: sockaddr.AF_INET6, IP: netipLoopback6}.Encode()
			c.expect("bind an IPv6 address on an IPv4 socket", c.api.Bind(s, six, int32(len(six))), errors.WSAEFAULT)
			bogus := make([]byte, 16)
			bogus[0], bogus[1] = 0xad, 0xde
			c.expect("bind family 0xdead", c.api.Bind(s, bogus, 16), errors.WSAEAFNOSUPPORT)
			c.expect("bind NULL", c.api.Bind(s, nil, 16), errors.WSAEFAULT)
			c.expect("bind an address of no interface", c.bind(s, sockaddr.Inet4(10, 255, 255, 1, 0)), errors.WSAEADDRNOTAVAIL)
			v6 := c.sock(socket.AF_INET6, socket.SOCK_STREAM)
			mapped := sockaddr.Addr{Family: sockaddr.AF_INET6, IP: netip.MustParseAddr("::ffff:127.0.0.1")}
			c.expect("bind a v4-mapped address with IPV6_V6ONLY on", c.bind(v6, mapped), errors.WSAEADDRNOTAVAIL)
		}},
		check{name: "accept-and-sendto-states", run: func(c *checker) {
			s := c.sock(socket.AF_INET, socket.SOCK_STREAM)
			_, err := c.api.Accept(s, nil, nil)
			c.expect("accept without listen", err, errors.WSAEINVAL)
			u := c.sock(socket.AF_INET, socket.SOCK_DGRAM)
			_, err = c.api.Accept(u, nil, nil)
			c.expect("accept on UDP", err, errors.WSAEOPNOTSUPP)
			to := sockaddr.Inet4(127, 0, 0, 1, 9).Encode()
			_, err = c.api.Sendto(s, []byte("x"), 0, to, int32(len(to)))
			c.expect("sendto on unconnected TCP", err, errors.WSAENOTCONN)
			any := sockaddr.Inet4(0, 0, 0, 0, 9).Encode()
			_, err = c.api.Sendto(u, []byte("x"), 0, any, int32(len(any)))
			c.expect("sendto 0.0.0.0", err, errors.WSAEADDRNOTAVAIL)
			_, err = c.api.Sendto(u, []byte("x"), 0, to, int32(len(to)))
			c.expect("sendto binds implicitly", err, 0)
			if a := c.name(u); !a.IsWildcard() || a.Port == 0 {
				c.t.Errorf("after sendto, getsockname = %v, want 0.0.0.0 and a port", a)
			}
			b := make([]byte, 16)
			n := int32(16)
			c.expect("getpeername after sendto", c.api.Getpeername(u, b, &n), errors.WSAENOTCONN)
			c.expect("connect to 0.0.0.0", c.connect(s, sockaddr.Inet4(0, 0, 0, 0, 80)), errors.WSAEADDRNOTAVAIL)
		}},
		check{name: "udp-connect-and-disconnect", run: func(c *checker) {
			u := c.sock(socket.AF_INET, socket.SOCK_DGRAM)
			c.expect("connect UDP", c.connect(u, sockaddr.Inet4(127, 0, 0, 1, 9)), 0)
			c.expect("connect UDP again", c.connect(u, sockaddr.Inet4(127, 0, 0, 1, 10)), 0)
			b := make([]byte, 16)
			n := int32(16)
			c.expect("getpeername of connected UDP", c.api.Getpeername(u, b, &n), 0)
			unspec := make([]byte, 16)
			c.expect("connect AF_UNSPEC", c.api.Connect(u, unspec, 16), 0)
			n = 16
			c.expect("getpeername after AF_UNSPEC", c.api.Getpeername(u, b, &n), errors.WSAENOTCONN)
			c.expect("SO_TYPE set on UDP", c.setInt(u, socket.SOL_SOCKET, socket.SO_TYPE, 1), errors.WSAEINVAL)
			c.expect("shutdown unconnected UDP", c.api.Shutdown(u, socket.SD_SEND), 0)
		}},
		check{name: "names-and-shutdown-arguments", run: func(c *checker) {
			l, addr := c.listener()
			cl := c.sock(socket.AF_INET, socket.SOCK_STREAM)
			c.ok("connect", c.connect(cl, addr))
			a, err := c.api.Accept(l, nil, nil)
			c.ok("accept", err)
			c.open = append(c.open, a)
			b := make([]byte, 16)
			n := int32(8)
			c.expect("getsockname with namelen 8", c.api.Getsockname(cl, b, &n), errors.WSAEFAULT)
			n = 0
			c.expect("getpeername with namelen 0", c.api.Getpeername(cl, b, &n), errors.WSAEFAULT)
			c.expect("shutdown how=3", c.api.Shutdown(cl, 3), errors.WSAEINVAL)
			c.expect("shutdown a listener", c.api.Shutdown(l, socket.SD_BOTH), errors.WSAENOTCONN)
			c.expect("shutdown SD_SEND twice", c.api.Shutdown(cl, socket.SD_SEND), 0)
			c.expect("shutdown SD_SEND twice", c.api.Shutdown(cl, socket.SD_SEND), 0)
			c.expect("listen on a connected socket", c.api.Listen(cl, 1), errors.WSAEISCONN)
			// A connection waits, so a Winsock that checked addrlen late would not block here.
			other := c.sock(socket.AF_INET, socket.SOCK_STREAM)
			c.ok("connect", c.connect(other, addr))
			nn := int32(0)
			_, err = c.api.Accept(l, make([]byte, 16), &nn)
			c.expect("accept with addrlen 0", err, errors.WSAEFAULT)
		}},
		check{name: "v6only-after-bind", run: func(c *checker) {
			s := c.sock(socket.AF_INET6, socket.SOCK_STREAM)
			c.ok("bind ::1", c.bind(s, sockaddr.Addr{Family: sockaddr.AF_INET6, IP: netipLoopback6}))
			c.expect("IPV6_V6ONLY after bind", c.setInt(s, socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0), errors.WSAEINVAL)
		}},
		check{name: "startup-version", run: func(c *checker) {
			var d socket.WSAData
			c.expect("WSAStartup(0.9)", c.api.WSAStartup(0x0900, &d), errors.WSAVERNOTSUPPORTED)
		}},
		check{name: "connectex", run: func(c *checker) {
			_, addr := c.listener()
			b := addr.Encode()
			s := c.sock(socket.AF_INET, socket.SOCK_STREAM)
			c.ok("bind", c.bind(s, sockaddr.Inet4(0, 0, 0, 0, 0)))
			c.expect("ConnectEx with a NULL OVERLAPPED", c.api.ConnectEx(s, b, int32(len(b)), nil), errors.ERROR_INVALID_PARAMETER)
			var ov socket.Overlapped
			err := c.api.ConnectEx(s, b, int32(len(b)), &ov)
			if err != nil && !stderrors.Is(err, errors.ERROR_IO_PENDING) {
				c.fatalf("ConnectEx: %v, want success or ERROR_IO_PENDING", err)
			}
			_, err = c.api.WSAGetOverlappedResult(s, &ov, true)
			c.expect("ConnectEx completes", err, 0)
			nb := make([]byte, 16)
			n := int32(16)
			c.expect("getpeername before SO_UPDATE_CONNECT_CONTEXT", c.api.Getpeername(s, nb, &n), errors.WSAENOTCONN)
			c.expect("connect after ConnectEx", c.connect(s, addr), errors.WSAEINVAL)
			c.ok("SO_UPDATE_CONNECT_CONTEXT", c.api.Setsockopt(s, socket.SOL_SOCKET, socket.SO_UPDATE_CONNECT_CONTEXT, nil, 0))
			n = 16
			c.expect("getpeername after SO_UPDATE_CONNECT_CONTEXT", c.api.Getpeername(s, nb, &n), 0)
		}},
	)
}
