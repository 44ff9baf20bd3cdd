package sim_test

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim"
)

// The rule cases of the other secure-socket functions and WSAIoctl join ruleCases, so that
// TestRules runs them and TestEveryRuleIsExercised counts them.
func init() {
	for id, run := range secureRuleCases {
		if _, dup := ruleCases[id]; dup {
			panic("duplicate rule case " + id)
		}
		ruleCases[id] = run
	}
}

// query calls WSAQuerySocketSecurity with a template (nil: NULL, length 0) and an output
// buffer of infoLen bytes.
func (f *fixture) query(s sim.Handle, tmpl []byte, infoLen uint32) (policy.QueryInfo, uint32, error) {
	n := infoLen
	info := make([]byte, infoLen)
	err := f.th.WSAQuerySocketSecurity(s, tmpl, uint32(len(tmpl)), info, &n, nil, nil)
	if err != nil {
		return policy.QueryInfo{}, n, err
	}
	q, bad := policy.DecodeQueryInfo(info[:n])
	require.Zero(f.t, bad)
	return q, n, nil
}

func udpTemplate(peer string) []byte {
	return policy.QueryTemplate{PeerAddress: v4(peer)}.Encode()
}

func ptn(peer, name string) []byte {
	p := policy.PeerTargetName{Name: name}
	if peer != "" {
		p.PeerAddress = v4(peer)
	}
	return p.Encode()
}

func (f *fixture) setName(s sim.Handle, b []byte) error {
	return f.th.WSASetSocketPeerTargetName(s, b, uint32(len(b)), nil, nil)
}

func (f *fixture) ioctl(s sim.Handle, code uint32, in []byte) error {
	var n uint32
	return f.th.WSAIoctl(s, code, in, uint32(len(in)), nil, 0, &n, nil, nil)
}

var secureRuleCases = map[string]func(f *fixture) error{
	// WSAQuerySocketSecurity
	"QUERYSEC-INFOLEN-NULL": func(f *fixture) error {
		c, _ := f.connected()
		return f.th.WSAQuerySocketSecurity(c, nil, 0, make([]byte, 24), nil, nil, nil)
	},
	"QUERYSEC-FAULT": func(f *fixture) error {
		c, _ := f.connected()
		n := uint32(24)
		return f.th.WSAQuerySocketSecurity(c, udpTemplate("127.0.0.1:5000"), 200, make([]byte, 24), &n, nil, nil)
	},
	"QUERYSEC-NOTCONN": func(f *fixture) error {
		_, _, err := f.query(f.listener(f.th, "127.0.0.1:80"), nil, 24)
		return err
	},
	"QUERYSEC-NO-TEMPLATE": func(f *fixture) error {
		_, _, err := f.query(f.udp(), nil, 24)
		return err
	},
	"QTMPL-LEN-MIN": func(f *fixture) error {
		n := uint32(24)
		return f.th.WSAQuerySocketSecurity(f.udp(), udpTemplate("10.0.0.3:53"), 136, make([]byte, 24), &n, nil, nil)
	},
	"QTMPL-IPSEC2-LEN-MIN": func(f *fixture) error {
		b := policy.QueryTemplate{Protocol: policy.ProtocolIPsec2, IPsec2: true, PeerAddress: v4("10.0.0.3:53")}.Encode()
		n := uint32(64)
		return f.th.WSAQuerySocketSecurity(f.udp(), b, 144, make([]byte, 64), &n, nil, nil)
	},
	"QTMPL-PROTOCOL": func(f *fixture) error {
		_, _, err := f.query(f.udp(), policy.QueryTemplate{Protocol: policy.ProtocolInvalid, PeerAddress: v4("10.0.0.3:53")}.Encode(), 24)
		return err
	},
	"QTMPL-FAMILY": func(f *fixture) error {
		b := udpTemplate("10.0.0.3:53")
		binary.LittleEndian.PutUint16(b[8:], 0xdead)
		_, _, err := f.query(f.udp(), b, 24)
		return err
	},
	"QUERYSEC-PEER-FAMILY": func(f *fixture) error {
		_, _, err := f.query(f.udp(), udpTemplate("[fd00::3]:53"), 24)
		return err
	},
	"QUERYSEC-PEER-UNSET": func(f *fixture) error {
		_, _, err := f.query(f.udp(), udpTemplate("10.0.0.3:0"), 24)
		return err
	},
	"QUERYSEC-INFO-SMALL-NULL-TEMPLATE": func(f *fixture) error {
		c, _ := f.connected()
		n := uint32(0)
		err := f.th.WSAQuerySocketSecurity(c, nil, 0, nil, &n, nil, nil) // Microsoft's size probe
		assert.Equal(f.t, uint32(24), n, "the size required is written back")
		return err
	},
	"QUERYSEC-INFO-SMALL": func(f *fixture) error {
		b := policy.QueryTemplate{Protocol: policy.ProtocolIPsec2, IPsec2: true, PeerAddress: v4("10.0.0.3:53")}.Encode()
		_, n, err := f.query(f.udp(), b, 24)
		assert.Equal(f.t, uint32(64), n, "an IPSEC2 query needs the 64-byte structure")
		return err
	},

	// WSASetSocketPeerTargetName
	"SETPTN-NULL": func(f *fixture) error { return f.th.WSASetSocketPeerTargetName(f.tcp(), nil, 144, nil, nil) },
	"SETPTN-FAULT": func(f *fixture) error {
		b := ptn("", "host/server")
		return f.th.WSASetSocketPeerTargetName(f.tcp(), b, uint32(len(b)+2), nil, nil)
	},
	"SETPTN-ISCONN": func(f *fixture) error {
		c, _ := f.connected()
		return f.setName(c, ptn("", "host/server"))
	},
	"SETPTN-CONNECTING": func(f *fixture) error {
		s := f.tcp()
		f.ok(f.th.Ioctlsocket(s, sim.FIONBIO, 1))
		requireRule(f.t, "CONNECT-WOULDBLOCK", f.th.ConnectAddr(s, v4("127.0.0.1:9")))
		return f.setName(s, ptn("", "host/server"))
	},
	"PTN-LEN-MIN": func(f *fixture) error {
		return f.th.WSASetSocketPeerTargetName(f.tcp(), ptn("", "x"), 139, nil, nil)
	},
	"PTN-PROTOCOL": func(f *fixture) error {
		return f.setName(f.tcp(), policy.PeerTargetName{Protocol: policy.ProtocolInvalid, Name: "x"}.Encode())
	},
	"PTN-NAME-LEN": func(f *fixture) error {
		return f.th.WSASetSocketPeerTargetName(f.tcp(), ptn("", "host/server"), 140+4, nil, nil) // 11 characters are 22 bytes
	},
	"PTN-NAME-ODD": func(f *fixture) error {
		b := policy.PeerTargetName{Protocol: policy.ProtocolIPsec2, Name: "ab"}.Encode()
		binary.LittleEndian.PutUint32(b[136:], 3)
		return f.setName(f.tcp(), b)
	},
	"PTN-FAMILY": func(f *fixture) error {
		b := ptn("", "x")
		binary.LittleEndian.PutUint16(b[8:], 0xdead)
		return f.setName(f.tcp(), b)
	},
	"SETPTN-PEER-FAMILY": func(f *fixture) error { return f.setName(f.udp(), ptn("[fd00::3]:53", "host/dns")) },
	"SETPTN-ZERO-PEER":   func(f *fixture) error { return f.setName(f.udp(), ptn("0.0.0.0:0", "host/dns")) },

	// WSADeleteSocketPeerTargetName
	"DELPTN-NULL": func(f *fixture) error { return f.th.WSADeleteSocketPeerTargetName(f.udp(), nil, 16, nil, nil) },
	"DELPTN-FAULT": func(f *fixture) error {
		return f.th.WSADeleteSocketPeerTargetName(f.udp(), v4("10.0.0.3:53").Encode(), 28, nil, nil)
	},
	"DELPTN-LEN": func(f *fixture) error {
		return f.th.WSADeleteSocketPeerTargetName(f.sock(f.th, sim.AF_INET6, sim.SOCK_DGRAM), v4("[fd00::3]:53").Encode(), 16, nil, nil)
	},
	"DELPTN-FAMILY": func(f *fixture) error {
		return f.th.WSADeleteSocketPeerTargetName(f.udp(), v4("[fd00::3]:53").Encode(), 28, nil, nil)
	},

	// WSAImpersonateSocketPeer
	"IMPERSONATE-NULL": func(f *fixture) error { return f.th.WSAImpersonateSocketPeer(f.udp(), nil, 0) },
	"IMPERSONATE-FAULT": func(f *fixture) error {
		return f.th.WSAImpersonateSocketPeer(f.udp(), v4("10.0.0.3:53").Encode(), 28)
	},
	"IMPERSONATE-NOTCONN": func(f *fixture) error { return f.th.WSAImpersonateSocketPeer(f.tcp(), nil, 0) },
	"IMPERSONATE-LEN": func(f *fixture) error {
		return f.th.WSAImpersonateSocketPeer(f.udp(), v4("10.0.0.3:53").Encode(), 8)
	},
	"IMPERSONATE-FAMILY": func(f *fixture) error {
		return f.th.WSAImpersonateSocketPeer(f.udp(), v4("[fd00::3]:53").Encode(), 28)
	},
	"IMPERSONATE-NOT-SECURED": func(f *fixture) error {
		_, a := f.connected()
		return f.th.WSAImpersonateSocketPeer(a, nil, 0) // the SDK server sample's call
	},

	// WSAIoctl
	"IOCTL-BYTES-NULL": func(f *fixture) error {
		return f.th.WSAIoctl(f.tcp(), sim.SIO_SET_SECURITY, nil, 0, nil, 0, nil, nil, nil)
	},
	"IOCTL-FAULT": func(f *fixture) error {
		var n uint32
		return f.th.WSAIoctl(f.tcp(), sim.SIO_SET_SECURITY, make([]byte, 8), 88, nil, 0, &n, nil, nil)
	},
	"IOCTL-CODE":       func(f *fixture) error { return f.ioctl(f.tcp(), sim.FIONBIO, []byte{1, 0, 0, 0}) },
	"IOCTL-USAGE-IN":   func(f *fixture) error { return f.ioctl(f.tcp(), sim.SIO_SOCKET_USAGE_NOTIFICATION, []byte{1, 0}) },
	"IOCTL-USAGE-TYPE": func(f *fixture) error { return f.ioctl(f.tcp(), sim.SIO_SOCKET_USAGE_NOTIFICATION, []byte{2, 0, 0, 0}) },
}

func TestQueryReportsTheConnectionInTheClear(t *testing.T) {
	f := newFixture(t)
	c, a := f.connected()
	for _, s := range []sim.Handle{c, a} {
		q, n, err := f.query(s, nil, 24)
		require.NoError(t, err)
		assert.Equal(t, uint32(24), n)
		assert.Equal(t, policy.QueryInfo{Protocol: policy.ProtocolDefault}, q, "no negotiation yet: Flags 0, no tokens")
	}
	// A larger buffer: *SecurityQueryInfoLen becomes the bytes written.
	_, n, err := f.query(c, nil, 100)
	require.NoError(t, err)
	assert.Equal(t, uint32(24), n)
	// A template on TCP: its PeerAddress is ignored; the token mask asks for handles that do
	// not exist without a secured connection.
	q, _, err := f.query(c, policy.QueryTemplate{Protocol: policy.ProtocolIPsec, PeerTokenAccessMask: 0x8}.Encode(), 24)
	require.NoError(t, err)
	assert.Equal(t, policy.ProtocolIPsec, q.Protocol)
	assert.Zero(t, q.PeerApplicationAccessTokenHandle)
	assert.Zero(t, q.PeerMachineAccessTokenHandle)
	// Even secured sockets are in the clear today.
	l := f.tcp()
	f.ok(f.th.WSASetSocketSecurity(l, nil, 0, nil, nil))
	f.ok(f.th.BindAddr(l, v4("127.0.0.1:6000")))
	f.ok(f.th.Listen(l, 1))
	s := f.tcp()
	f.ok(f.th.WSASetSocketSecurity(s, policy.Settings{Flags: policy.SettingsGuaranteeEncryption}.Encode(), 8, nil, nil))
	f.ok(f.th.ConnectAddr(s, v4("127.0.0.1:6000")))
	q, _, err = f.query(s, nil, 24)
	require.NoError(t, err)
	assert.Zero(t, q.Flags)
}

func TestQueryOnUDPNeedsAPeerAndTheIPsec2FormIs64Bytes(t *testing.T) {
	f := newFixture(t)
	u := f.udp() // not even bound: a UDP query needs no state, only a peer
	b := policy.QueryTemplate{Protocol: policy.ProtocolIPsec2, IPsec2: true, PeerAddress: v4("10.0.0.3:53"),
		FieldMask: policy.FieldMaskMMSAID | policy.FieldMaskQMSAID}.Encode()
	q, n, err := f.query(u, b, 64)
	require.NoError(t, err)
	assert.Equal(t, uint32(64), n)
	assert.True(t, q.IPsec2)
	assert.Equal(t, policy.ProtocolIPsec2, q.Protocol)
	assert.Zero(t, q.Flags)
	assert.Zero(t, q.MmSaID)

	// A NULL output with a template is a size probe answered by WSAEMSGSIZE (ruling R9).
	n = 0
	requireRule(t, "QUERYSEC-INFO-SMALL", f.th.WSAQuerySocketSecurity(u, b, uint32(len(b)), nil, &n, nil, nil))
	assert.Equal(t, uint32(64), n)
	// TCP: a non-NULL template of length 0 is no template.
	c, _ := f.connected()
	n = 0
	requireRule(t, "QUERYSEC-INFO-SMALL-NULL-TEMPLATE", f.th.WSAQuerySocketSecurity(c, b, 0, make([]byte, 24), &n, nil, nil))
	assert.Equal(t, uint32(24), n)
	// A v4-mapped peer is an AF_INET6 address: right for a dual-stack socket.
	u6 := f.sock(f.th, sim.AF_INET6, sim.SOCK_DGRAM)
	_, _, err = f.query(u6, udpTemplate("[::ffff:10.0.0.3]:53"), 24)
	require.NoError(t, err)
}

func TestQueryCompletesTheOverlappedWithTheBytesWritten(t *testing.T) {
	f := newFixture(t)
	c, _ := f.connected() // socket() sockets are overlapped
	var ov sim.Overlapped
	n := uint32(24)
	f.ok(f.th.WSAQuerySocketSecurity(c, nil, 0, make([]byte, 24), &n, &ov, nil))
	bytes, err := f.th.WSAGetOverlappedResult(c, &ov, false)
	require.NoError(t, err)
	assert.Equal(t, uint32(24), bytes)
}

func TestPeerTargetNames(t *testing.T) {
	f := newFixture(t)
	app := f.h.App()

	// TCP: the last name wins; PeerAddress is ignored; delete is a no-op (R11, R12).
	s := f.tcp()
	f.ok(f.setName(s, ptn("", "host/first")))
	f.ok(f.setName(s, ptn("10.0.0.3:80", "host/second")))
	f.ok(f.th.WSADeleteSocketPeerTargetName(s, v4("10.0.0.3:80").Encode(), 16, nil, nil))
	names, ok := app.PeerTargetNames(s)
	require.True(t, ok)
	require.Len(t, names, 1)
	assert.Equal(t, "host/second", names[0].Name)
	f.ok(f.th.BindAddr(s, v4("0.0.0.0:0"))) // still settable when bound (R11: until connected)
	f.ok(f.setName(s, ptn("", "host/third")))

	// UDP: one name per peer address; deleting a name never set succeeds.
	u := f.udp()
	f.ok(f.setName(u, ptn("10.0.0.3:53", "host/a")))
	f.ok(f.setName(u, ptn("10.0.0.3:54", "host/b")))
	f.ok(f.setName(u, ptn("10.0.0.3:53", "host/c"))) // replaces host/a
	f.ok(f.setName(u, ptn("10.0.0.4:0", "host/d")))  // an IP alone is a peer
	f.ok(f.th.WSADeleteSocketPeerTargetName(u, v4("10.0.0.3:54").Encode(), 16, nil, nil))
	f.ok(f.th.WSADeleteSocketPeerTargetName(u, v4("10.9.9.9:1").Encode(), 16, nil, nil))
	names, _ = app.PeerTargetNames(u)
	var got []string
	for _, n := range names {
		got = append(got, n.PeerAddress.String()+"="+n.Name)
	}
	assert.Equal(t, []string{"10.0.0.3:53=host/c", "10.0.0.4:0=host/d"}, got)

	// IPSEC2 counts the name in bytes (ruling R10).
	w := f.udp()
	f.ok(f.setName(w, policy.PeerTargetName{Protocol: policy.ProtocolIPsec2, PeerAddress: v4("10.0.0.3:53"), Name: "host/é"}.Encode()))
	names, _ = app.PeerTargetNames(w)
	assert.Equal(t, "host/é", names[0].Name)

	// A connected UDP socket takes no more names.
	f.ok(f.th.ConnectAddr(u, v4("10.0.0.3:53")))
	requireRule(t, "SETPTN-ISCONN", f.setName(u, ptn("10.0.0.3:55", "host/e")))
}

func TestPeerTargetNameCallsCompleteOverlappedOnOverlappedSocketsOnly(t *testing.T) {
	f := newFixture(t)
	ovSock, err := f.th.WSASocket(sim.AF_INET, sim.SOCK_DGRAM, 0, sim.WSA_FLAG_OVERLAPPED)
	require.NoError(t, err)
	plain, err := f.th.WSASocket(sim.AF_INET, sim.SOCK_DGRAM, 0, 0)
	require.NoError(t, err)
	b := ptn("10.0.0.3:53", "host/dns")
	for _, tc := range []struct {
		s    sim.Handle
		want bool
	}{{ovSock, true}, {plain, false}} {
		var set, del sim.Overlapped
		f.ok(f.th.WSASetSocketPeerTargetName(tc.s, b, uint32(len(b)), &set, nil))
		f.ok(f.th.WSADeleteSocketPeerTargetName(tc.s, v4("10.0.0.3:53").Encode(), 16, &del, nil))
		for _, ov := range []*sim.Overlapped{&set, &del} {
			done, res := ov.Completed()
			assert.Equal(t, tc.want, done)
			assert.NoError(t, res)
		}
	}
}

func TestImpersonationAlwaysFailsWithoutNegotiation(t *testing.T) {
	f := newFixture(t)
	c, a := f.connected()
	addr := v4("127.0.0.1:5000").Encode()
	requireRule(t, "IMPERSONATE-NOT-SECURED", f.th.WSAImpersonateSocketPeer(c, addr, 1)) // TCP ignores PeerAddr
	requireRule(t, "IMPERSONATE-NOT-SECURED", f.th.WSAImpersonateSocketPeer(a, nil, 0))
	u := f.udp()
	requireRule(t, "IMPERSONATE-NOT-SECURED", f.th.WSAImpersonateSocketPeer(u, addr, 16))
	u6 := f.sock(f.th, sim.AF_INET6, sim.SOCK_DGRAM)
	requireRule(t, "IMPERSONATE-NOT-SECURED", f.th.WSAImpersonateSocketPeer(u6, v4("[::ffff:127.0.0.1]:5000").Encode(), 28))
	ov, err := f.th.WSASocket(sim.AF_INET, sim.SOCK_STREAM, 0, sim.WSA_FLAG_OVERLAPPED)
	require.NoError(t, err)
	requireRule(t, "IMPERSONATE-NOTCONN", f.th.WSAImpersonateSocketPeer(ov, nil, 0)) // overlapped sockets are not refused (R13)
}

func TestRevertImpersonationAlwaysSucceeds(t *testing.T) {
	f := newFixture(t)
	log := &sim.TraceLog{}
	f.net.SetTracer(log)
	f.ok(f.th.WSARevertImpersonation())
	f.ok(f.alice.WSARevertImpersonation())
	f.ok(f.th.WSACleanup())
	f.ok(f.th.WSARevertImpersonation()) // it names no socket: Winsock's initialisation does not matter
	assert.Contains(t, log.String(), "h: WSARevertImpersonation() = ok")
}

func TestSecureSocketFunctionsShareTheFamilyTypeRule(t *testing.T) {
	f := newFixture(t)
	unix := f.sock(f.th, sim.AF_UNIX, sim.SOCK_STREAM)
	raw := f.sock(f.th, sim.AF_INET, sim.SOCK_RAW)
	for _, s := range []sim.Handle{unix, raw} {
		n := uint32(24)
		requireRule(t, "SEC-FAMILY-TYPE", f.th.WSAQuerySocketSecurity(s, nil, 0, make([]byte, 24), &n, nil, nil))
		requireRule(t, "SEC-FAMILY-TYPE", f.setName(s, ptn("", "x")))
		requireRule(t, "SEC-FAMILY-TYPE", f.th.WSADeleteSocketPeerTargetName(s, v4("10.0.0.3:53").Encode(), 16, nil, nil))
		requireRule(t, "SEC-FAMILY-TYPE", f.th.WSAImpersonateSocketPeer(s, nil, 0))
		requireRule(t, "SEC-FAMILY-TYPE", f.ioctl(s, sim.SIO_SET_SECURITY, nil))
	}
	r, _ := sim.RuleByID("SEC-FAMILY-TYPE")
	for _, fn := range []string{"WSASetSocketSecurity", "WSAQuerySocketSecurity", "WSASetSocketPeerTargetName",
		"WSADeleteSocketPeerTargetName", "WSAImpersonateSocketPeer", "WSAIoctl"} {
		assert.True(t, slices.Contains(sim.RulesFor(fn), r), fn)
	}
}

// The WSAIoctl codes run the named functions' own checks and effects.
func TestIoctlIsTheSameImplementation(t *testing.T) {
	f := newFixture(t)
	var n uint32

	// SIO_SET_SECURITY is WSASetSocketSecurity: once only, and SO_EXCLUSIVEADDRUSE follows.
	s := f.tcp()
	st := policy.Settings{Flags: policy.SettingsGuaranteeEncryption}.Encode()
	f.ok(f.th.WSAIoctl(s, sim.SIO_SET_SECURITY, st, 8, nil, 0, &n, nil, nil))
	assert.Zero(t, n)
	requireRule(t, "SETSEC-ONCE", f.th.WSASetSocketSecurity(s, nil, 0, nil, nil))
	v, err := f.th.GetsockoptInt(s, sim.SOL_SOCKET, sim.SO_EXCLUSIVEADDRUSE)
	require.NoError(t, err)
	assert.Equal(t, int32(1), v)
	requireRule(t, "SETTINGS-LEN-MIN", f.ioctl(f.tcp(), sim.SIO_SET_SECURITY, []byte{0, 0, 0, 0}))

	// SIO_QUERY_SECURITY: out/cbOutBuffer are the info and its length; *lpcbBytesReturned gets
	// the bytes written, or the size required.
	c, _ := f.connected()
	out := make([]byte, 64)
	n = 0xdead
	f.ok(f.th.WSAIoctl(c, sim.SIO_QUERY_SECURITY, nil, 0, out, 64, &n, nil, nil))
	assert.Equal(t, uint32(24), n)
	n = 0xdead
	requireRule(t, "QUERYSEC-INFO-SMALL-NULL-TEMPLATE", f.th.WSAIoctl(c, sim.SIO_QUERY_SECURITY, nil, 0, nil, 0, &n, nil, nil))
	assert.Equal(t, uint32(24), n)
	tmpl := policy.QueryTemplate{Protocol: policy.ProtocolIPsec2, IPsec2: true}.Encode()
	requireRule(t, "QUERYSEC-INFO-SMALL", f.th.WSAIoctl(c, sim.SIO_QUERY_SECURITY, tmpl, uint32(len(tmpl)), out, 24, &n, nil, nil))
	assert.Equal(t, uint32(64), n)
	requireRule(t, "QUERYSEC-NOTCONN", f.th.WSAIoctl(f.tcp(), sim.SIO_QUERY_SECURITY, nil, 0, out, 64, &n, nil, nil))

	// SIO_SET_PEER_TARGET_NAME and SIO_DELETE_PEER_TARGET_NAME.
	u := f.udp()
	f.ok(f.ioctl(u, sim.SIO_SET_PEER_TARGET_NAME, ptn("10.0.0.3:53", "host/dns")))
	requireRule(t, "SETPTN-ZERO-PEER", f.ioctl(u, sim.SIO_SET_PEER_TARGET_NAME, ptn("", "host/dns")))
	names, _ := f.h.App().PeerTargetNames(u)
	require.Len(t, names, 1)
	f.ok(f.ioctl(u, sim.SIO_DELETE_PEER_TARGET_NAME, v4("10.0.0.3:53").Encode()))
	names, _ = f.h.App().PeerTargetNames(u)
	assert.Empty(t, names)
	requireRule(t, "DELPTN-NULL", f.ioctl(u, sim.SIO_DELETE_PEER_TARGET_NAME, nil))

	// SIO_SOCKET_USAGE_NOTIFICATION accepts SYSTEM_CRITICAL_SOCKET.
	f.ok(f.ioctl(u, sim.SIO_SOCKET_USAGE_NOTIFICATION, []byte{1, 0, 0, 0}))

	// An overlapped call may leave lpcbBytesReturned NULL, and completes at once.
	var ov sim.Overlapped
	f.ok(f.th.WSAIoctl(c, sim.SIO_QUERY_SECURITY, nil, 0, out, 64, nil, &ov, nil))
	bytes, err := f.th.WSAGetOverlappedResult(c, &ov, false)
	require.NoError(t, err)
	assert.Equal(t, uint32(24), bytes)
	// A non-overlapped socket ignores the OVERLAPPED, so the count has nowhere to go.
	plain, _ := f.th.WSASocket(sim.AF_INET, sim.SOCK_STREAM, 0, 0)
	requireRule(t, "IOCTL-BYTES-NULL", f.th.WSAIoctl(plain, sim.SIO_SET_SECURITY, nil, 0, nil, 0, nil, &ov, nil))

	// The table lists every rule a WSAIoctl call can fail with.
	for _, id := range []string{"IOCTL-CODE", "SETSEC-ONCE", "QTMPL-PROTOCOL", "PTN-NAME-LEN", "DELPTN-LEN", "IOCTL-USAGE-TYPE", "QUERYSEC-INFO-SMALL"} {
		r, ok := sim.RuleByID(id)
		require.True(t, ok, id)
		assert.True(t, slices.Contains(sim.RulesFor("WSAIoctl"), r), id)
	}
}

func TestSecureSocketTraces(t *testing.T) {
	f := newFixture(t)
	log := &sim.TraceLog{}
	f.net.SetTracer(log)
	u := f.udp()
	_, _, _ = f.query(u, udpTemplate("10.0.0.3:53"), 24)
	_ = f.setName(u, ptn("10.0.0.3:53", "host/dns"))
	_ = f.th.WSADeleteSocketPeerTargetName(u, v4("10.0.0.3:53").Encode(), 16, nil, nil)
	_ = f.th.WSAImpersonateSocketPeer(u, nil, 0)
	_ = f.ioctl(u, sim.SIO_SET_SECURITY, policy.Settings{}.Encode())
	var n uint32
	_ = f.th.WSAIoctl(u, 0x1234, nil, 0, nil, 0, &n, nil, nil)
	got := log.String()
	for _, want := range []string{
		"WSAQuerySocketSecurity(0x100, {SOCKET_SECURITY_PROTOCOL_DEFAULT peer=10.0.0.3:53 access=0x0}, 144, <24 bytes>, &24) = ok -> 24 bytes, SOCKET_SECURITY_PROTOCOL_DEFAULT, Flags 0",
		`WSASetSocketPeerTargetName(0x100, {SOCKET_SECURITY_PROTOCOL_DEFAULT peer=10.0.0.3:53 name="host/dns"}, 160) = ok`,
		"WSADeleteSocketPeerTargetName(0x100, 10.0.0.3:53, 16) = ok",
		"WSAImpersonateSocketPeer(0x100, NULL, 0) = WSAEFAULT [IMPERSONATE-NULL]",
		"WSAIoctl(0x100, SIO_SET_SECURITY, SOCKET_SECURITY_PROTOCOL_DEFAULT flags=0, 8, NULL, 0, &n) = ok",
		"WSAIoctl(0x100, 0x00001234, NULL, 0, NULL, 0, &n) = WSAEOPNOTSUPP [IOCTL-CODE]",
	} {
		assert.Contains(t, got, want)
	}
}
