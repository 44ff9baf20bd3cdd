package sockettest

import (
	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sockaddr"
	"github.com/wsssim/wsssim/socket"
)

// The other secure-socket functions: only what their pages document, or Microsoft's samples
// rely on, on a loopback connection (which IPsec never protects, so a query reports Flags 0).
func init() {
	checks = append(checks,
		check{name: "secure-query", secure: true, run: func(c *checker) {
			l, addr := c.listener()
			cl := c.sock(socket.AF_INET, socket.SOCK_STREAM)
			c.ok("connect", c.connect(cl, addr))
			a, err := c.api.Accept(l, nil, nil)
			c.ok("accept", err)
			c.open = append(c.open, a)

			// Microsoft's QueryTcpSocketSecurity: probe the size with a NULL template and a
			// NULL info, expect WSAEFAULT and the size, then query.
			n := uint32(0)
			c.want("WSAQuerySocketSecurity size probe", c.api.WSAQuerySocketSecurity(cl, nil, 0, nil, &n, nil, nil), errors.WSAEFAULT)
			if n != policy.SizeofQueryInfo {
				c.fatalf("size probe wrote %d, want %d", n, policy.SizeofQueryInfo)
			}
			info := make([]byte, n)
			c.ok("WSAQuerySocketSecurity", c.api.WSAQuerySocketSecurity(cl, nil, 0, info, &n, nil, nil))
			q, bad := policy.DecodeQueryInfo(info[:n])
			if bad != 0 || q.Flags != 0 {
				c.fatalf("query of a loopback connection gave %+v (%v), want Flags 0", q, bad)
			}
			c.want("WSAQuerySocketSecurity with a NULL length", c.api.WSAQuerySocketSecurity(a, nil, 0, info, nil, nil, nil), errors.WSAEFAULT)

			u := c.sock(socket.AF_INET, socket.SOCK_DGRAM)
			n = uint32(len(info))
			c.want("WSAQuerySocketSecurity on UDP without a template", c.api.WSAQuerySocketSecurity(u, nil, 0, info, &n, nil, nil), errors.WSAEMSGSIZE)
			x := c.sock(socket.AF_UNIX, socket.SOCK_STREAM)
			c.want("WSAQuerySocketSecurity on AF_UNIX", c.api.WSAQuerySocketSecurity(x, nil, 0, info, &n, nil, nil), errors.WSAEINVAL)
		}},
		check{name: "secure-peer-names", secure: true, run: func(c *checker) {
			s := c.sock(socket.AF_INET, socket.SOCK_STREAM)
			name := policy.PeerTargetName{Name: "host/localhost"}.Encode() // as Microsoft's samples build it
			c.ok("WSASetSocketPeerTargetName", c.api.WSASetSocketPeerTargetName(s, name, uint32(len(name)), nil, nil))
			c.want("WSASetSocketPeerTargetName(NULL)", c.api.WSASetSocketPeerTargetName(s, nil, 144, nil, nil), errors.WSAEFAULT)
			c.want("WSADeleteSocketPeerTargetName(NULL)", c.api.WSADeleteSocketPeerTargetName(s, nil, 16, nil, nil), errors.WSAEFAULT)

			_, addr := c.listener()
			cl := c.sock(socket.AF_INET, socket.SOCK_STREAM)
			c.ok("connect", c.connect(cl, addr))
			c.want("WSASetSocketPeerTargetName on a connected socket", c.api.WSASetSocketPeerTargetName(cl, name, uint32(len(name)), nil, nil), errors.WSAEISCONN)

			u := c.sock(socket.AF_INET, socket.SOCK_DGRAM)
			zero := policy.PeerTargetName{PeerAddress: sockaddr.Inet4(0, 0, 0, 0, 0), Name: "host/localhost"}.Encode()
			c.want("WSASetSocketPeerTargetName on UDP for peer 0.0.0.0:0", c.api.WSASetSocketPeerTargetName(u, zero, uint32(len(zero)), nil, nil), errors.WSAEINVAL)
			c.ok("WSARevertImpersonation without impersonation", c.api.WSARevertImpersonation())
		}},
	)
}
