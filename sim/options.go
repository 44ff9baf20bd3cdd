package sim

import (
	"encoding/binary"

	"github.com/wsssim/wsssim/errors"
)

// The options wsssim models, and where they live.
func optionKnown(level, opt int32) bool {
	switch level {
	case SOL_SOCKET:
		switch opt {
		case SO_REUSEADDR, SO_EXCLUSIVEADDRUSE, SO_BROADCAST, SO_ACCEPTCONN, SO_TYPE, SO_ERROR, SO_UPDATE_CONNECT_CONTEXT:
			return true
		}
	case IPPROTO_IPV6:
		return opt == IPV6_V6ONLY
	}
	return false
}

func levelKnown(level int32) bool {
	switch level {
	case SOL_SOCKET, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IP:
		return true
	}
	return false
}

// optionReadOnly reports the options setsockopt refuses. SO_ERROR is not one of them: Windows
// accepts a value and keeps it (Wine sock.c test_set_getsockopt).
func optionReadOnly(level, opt int32) bool {
	return level == SOL_SOCKET && (opt == SO_ACCEPTCONN || opt == SO_TYPE)
}

// optionIsBool reports the SOL_SOCKET BOOL options, which Windows reads with any optlen: a
// short value (even optlen 0) is accepted and only its first byte counts (Wine sock.c
// test_set_getsockopt, test_optsize rows with accepts_short_len).
func optionIsBool(level, opt int32) bool {
	return level == SOL_SOCKET && (opt == SO_REUSEADDR || opt == SO_EXCLUSIVEADDRUSE || opt == SO_BROADCAST)
}

// optionIsByte reports the options Windows keeps in one byte: IPV6_V6ONLY is read from the
// first byte of optval whatever optlen is (at least 1), and getsockopt writes one byte and sets
// *optlen to 1 (Wine sock.c test_set_getsockopt, test_optsize row IPV6_V6ONLY: accepts_short_len,
// sizes {1, 1, 1}; after setting 0x100 with optlen 4 the option reads back 0).
func optionIsByte(level, opt int32) bool {
	return level == IPPROTO_IPV6 && opt == IPV6_V6ONLY
}

// optShortLenOK reports whether an optlen shorter than an int is accepted: any length for a
// SOL_SOCKET BOOL (even 0), at least one byte for a one-byte option.
func optShortLenOK(level, opt int32, n int64) bool {
	return optionIsBool(level, opt) || (optionIsByte(level, opt) && n >= 1)
}

// optValue reads the value being set: four bytes, or the first byte for a BOOL option given
// with a short optlen and for a one-byte option. Any non-zero BOOL reads back as 1.
func (c *call) optValue() int32 {
	if c.null || len(c.buf) == 0 {
		return 0
	}
	if (c.n >= 0 && c.n < 4) || len(c.buf) < 4 || optionIsByte(c.level, c.opt) {
		return int32(c.buf[0])
	}
	return int32(binary.LittleEndian.Uint32(c.buf))
}

var (
	ruleOptNull = rule("SOCKOPT-NULL", "setsockopt", errors.WSAEFAULT,
		"optval is NULL (SO_UPDATE_CONNECT_CONTEXT takes no value: the ConnectEx page sets it with NULL, 0)",
		"doc: setsockopt — WSAEFAULT: optval is not in a valid part of the process address space; Wine sock.c test_set_getsockopt",
		func(c *call) bool { return c.null && !(c.level == SOL_SOCKET && c.opt == SO_UPDATE_CONNECT_CONTEXT) })
	ruleOptLevel = rule("SOCKOPT-LEVEL", "setsockopt", errors.WSAEINVAL,
		"level is not a level Windows knows (SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP)",
		"doc: setsockopt — WSAEINVAL: level is not valid; Wine sock.c test_set_getsockopt (level 0xdeadbeef)",
		func(c *call) bool { return !levelKnown(c.level) })
	ruleOptUnknown = rule("SOCKOPT-UNKNOWN", "setsockopt", errors.WSAENOPROTOOPT,
		"the option is unknown or unsupported at that level (wsssim models SO_REUSEADDR, SO_EXCLUSIVEADDRUSE, SO_BROADCAST, SO_ACCEPTCONN, SO_TYPE, SO_ERROR, SO_UPDATE_CONNECT_CONTEXT, IPV6_V6ONLY)",
		"doc: setsockopt — WSAENOPROTOOPT: the option is unknown or unsupported for the specified provider or socket",
		func(c *call) bool { return !optionKnown(c.level, c.opt) })
	ruleOptTypeOnDgram = rule("SOCKOPT-TYPE-DGRAM", "setsockopt", errors.WSAEINVAL,
		"SO_TYPE set on a datagram socket",
		"Wine sock.c test_set_getsockopt: setsockopt(SO_TYPE) on a UDP socket fails with WSAEINVAL",
		func(c *call) bool { return c.level == SOL_SOCKET && c.opt == SO_TYPE && c.s.isDgram() })
	ruleOptReadOnly = rule("SOCKOPT-READONLY", "setsockopt", errors.WSAENOPROTOOPT,
		"SO_ACCEPTCONN and SO_TYPE can only be read",
		"Wine sock.c test_set_getsockopt: setsockopt(SO_ACCEPTCONN) and setsockopt(SO_TYPE) on TCP → WSAENOPROTOOPT",
		func(c *call) bool { return optionReadOnly(c.level, c.opt) })
	ruleOptNegativeLen = rule("SOCKOPT-LEN-NEGATIVE", "setsockopt", errors.WSAENOBUFS,
		"optlen is negative for an option that is not at level SOL_SOCKET (SOL_SOCKET options read an int whatever the length)",
		"Wine sock.c test_set_getsockopt: optlen -1 succeeds for SOL_SOCKET options and fails with WSAENOBUFS for the others",
		func(c *call) bool { return c.n < 0 && c.level != SOL_SOCKET })
	ruleOptLen = rule("SOCKOPT-LEN", "setsockopt", errors.WSAEFAULT,
		"optlen is smaller than an int (4 bytes) for an option that takes an int (a SOL_SOCKET BOOL takes any length, IPV6_V6ONLY at least 1 byte), or larger than the buffer really holds",
		"doc: setsockopt — WSAEFAULT: optlen is too small; Wine sock.c test_set_getsockopt (test_optsize: SOL_SOCKET BOOLs accept optlen 0 to 3, IPV6_V6ONLY 1 to 3, other options WSAEFAULT)",
		func(c *call) bool {
			if c.n > int64(len(c.buf)) && !c.null {
				return true
			}
			if c.level == SOL_SOCKET && c.opt == SO_UPDATE_CONNECT_CONTEXT {
				return false
			}
			return !optShortLenOK(c.level, c.opt, c.n) && c.n >= 0 && c.n < 4
		})
	ruleOptV6OnlyBound = rule("SOCKOPT-V6ONLY-BOUND", "setsockopt", errors.WSAEINVAL,
		"IPV6_V6ONLY changed after the socket has a local address",
		"Wine sock.c test_ipv6only: setting IPV6_V6ONLY after bind fails; doc (Dual-Stack Sockets): set it before bind [INFER: WSAEINVAL]",
		func(c *call) bool { return c.level == IPPROTO_IPV6 && c.s.hasLocal() })
	ruleOptExclusiveConflict = rule("SOCKOPT-REUSE-EXCLUSIVE", "setsockopt", errors.WSAEINVAL,
		"turning SO_REUSEADDR on while SO_EXCLUSIVEADDRUSE is on, or the other way round (they are mutually exclusive)",
		"Wine sock.c test_reuseaddr and Microsoft's SSCLI PAL test reuseaddr_exclusiveaddruse (spec §5.1)",
		func(c *call) bool {
			if c.level != SOL_SOCKET || c.optValue() == 0 {
				return false
			}
			return (c.opt == SO_REUSEADDR && c.s.has(bitExclusive)) || (c.opt == SO_EXCLUSIVEADDRUSE && c.s.has(bitReuseAddr))
		})

	ruleGetOptNull = rule("GETSOCKOPT-NULL", "getsockopt", errors.WSAEFAULT,
		"optval or optlen is NULL",
		"doc: getsockopt — WSAEFAULT: one of optval or optlen is not a valid part of the user address space",
		func(c *call) bool { return c.null || c.lenNull })
	ruleGetOptLevel = rule("GETSOCKOPT-LEVEL", "getsockopt", errors.WSAEINVAL,
		"level is not a level Windows knows",
		"doc: getsockopt — WSAEINVAL: the level parameter is unknown or invalid; Wine sock.c test_set_getsockopt",
		func(c *call) bool { return !levelKnown(c.level) })
	ruleGetOptUnknown = rule("GETSOCKOPT-UNKNOWN", "getsockopt", errors.WSAENOPROTOOPT,
		"the option is unknown or unsupported at that level",
		"doc: getsockopt — WSAENOPROTOOPT; Wine sock.c test_set_getsockopt",
		func(c *call) bool {
			return !optionKnown(c.level, c.opt) || (c.level == SOL_SOCKET && c.opt == SO_UPDATE_CONNECT_CONTEXT)
		})
	ruleGetOptLen = rule("GETSOCKOPT-LEN", "getsockopt", errors.WSAEFAULT,
		"*optlen is 0 or negative, smaller than 4 for an option that is neither a SOL_SOCKET BOOL nor IPV6_V6ONLY, or larger than the buffer really holds",
		"doc: getsockopt — WSAEFAULT: optlen too small; Wine sock.c test_set_getsockopt (optlen 0 and -1 fail; SOL_SOCKET BOOLs and IPV6_V6ONLY accept 1 and 2)",
		func(c *call) bool {
			if c.n <= 0 || c.n > int64(len(c.buf)) {
				return true
			}
			return !optShortLenOK(c.level, c.opt, c.n) && c.n < 4
		})
)

var (
	chainSetsockopt = chain("setsockopt", ruleNotInitialised, ruleNotSocket, ruleOptNull, ruleOptLevel,
		ruleOptUnknown, ruleOptTypeOnDgram, ruleOptReadOnly, ruleOptNegativeLen, ruleOptLen, ruleOptV6OnlyBound, ruleOptExclusiveConflict)
	chainGetsockopt = chain("getsockopt", ruleNotInitialised, ruleNotSocket, ruleGetOptNull, ruleGetOptLevel,
		ruleGetOptUnknown, ruleGetOptLen)
)

// Setsockopt is setsockopt(s, level, optname, optval, optlen). optval nil is a NULL pointer;
// optlen is passed separately so callers can lie about it, as C callers can.
func (t *Thread) Setsockopt(h Handle, level, opt int32, optval []byte, optlen int32) error {
	c := t.begin("setsockopt")
	defer t.end(c)
	c.lookup(h)
	c.level, c.opt = level, opt
	c.setBuf(optval, int64(optlen))
	return t.run(c, chainSetsockopt, setsockoptEffect)
}

func setsockoptEffect(c *call) error {
	on := c.optValue() != 0
	switch {
	case c.level == SOL_SOCKET && c.opt == SO_REUSEADDR:
		c.s.set(bitReuseAddr, on)
	case c.level == SOL_SOCKET && c.opt == SO_EXCLUSIVEADDRUSE:
		c.s.set(bitExclusive, on)
	case c.level == SOL_SOCKET && c.opt == SO_BROADCAST:
		c.s.set(bitBroadcast, on)
	case c.level == IPPROTO_IPV6 && c.opt == IPV6_V6ONLY:
		c.s.set(bitV6Only, on)
	case c.level == SOL_SOCKET && c.opt == SO_UPDATE_CONNECT_CONTEXT:
		c.s.set(bitViaConnectEx, false)
	case c.level == SOL_SOCKET && c.opt == SO_ERROR:
		c.s.soErr = errors.Errno(c.optValue())
	}
	return nil
}

// SetsockoptInt is Setsockopt with a 4-byte integer value, the common case.
func (t *Thread) SetsockoptInt(h Handle, level, opt, value int32) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(value))
	return t.Setsockopt(h, level, opt, b[:], 4)
}

// Getsockopt is getsockopt(s, level, optname, optval, optlen). optval nil is NULL; optlen nil
// is a NULL length pointer. On success the value is written to optval and *optlen is set.
func (t *Thread) Getsockopt(h Handle, level, opt int32, optval []byte, optlen *int32) error {
	c := t.begin("getsockopt")
	defer t.end(c)
	c.lookup(h)
	c.level, c.opt = level, opt
	c.buf, c.null = optval, optval == nil
	c.lenNull = optlen == nil
	if optlen != nil {
		c.n = int64(*optlen)
	}
	err := t.run(c, chainGetsockopt, getsockoptEffect)
	if err == nil {
		// A BOOL read with a short buffer gets its low bytes and an optlen of 1, as on Windows;
		// a one-byte option (IPV6_V6ONLY) writes one byte and an optlen of 1 whatever the buffer.
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(c.outValue))
		size := min(len(optval), int(c.n), 4)
		if optionIsByte(level, opt) {
			size = 1
		}
		n := copy(optval[:size], b[:])
		if n < 4 {
			n = 1
		}
		*optlen = int32(n)
	}
	return err
}

func getsockoptEffect(c *call) error {
	c.outValue = c.s.optionValue(c.level, c.opt)
	return nil
}

// GetsockoptInt is Getsockopt for a 4-byte integer option.
func (t *Thread) GetsockoptInt(h Handle, level, opt int32) (int32, error) {
	var b [4]byte
	n := int32(4)
	if err := t.Getsockopt(h, level, opt, b[:], &n); err != nil {
		return 0, err
	}
	return int32(binary.LittleEndian.Uint32(b[:])), nil
}

func boolInt(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

func (s *Socket) optionValue(level, opt int32) int32 {
	switch {
	case level == IPPROTO_IPV6:
		return boolInt(s.has(bitV6Only))
	case opt == SO_REUSEADDR:
		return boolInt(s.has(bitReuseAddr))
	case opt == SO_EXCLUSIVEADDRUSE:
		return boolInt(s.has(bitExclusive))
	case opt == SO_BROADCAST:
		return boolInt(s.has(bitBroadcast))
	case opt == SO_ACCEPTCONN:
		return boolInt(s.state == StateListening)
	case opt == SO_TYPE:
		return s.typ
	case opt == SO_ERROR:
		e := s.soErr
		s.soErr = 0 // reading SO_ERROR clears it, as on Windows
		return int32(e)
	}
	return 0
}

var ruleIoctlsocketCmd = rule("IOCTLSOCKET-CMD", "ioctlsocket", errors.WSAEOPNOTSUPP,
	"the command is not one the ioctlsocket page defines (FIONBIO, FIONREAD, SIOCATMARK)",
	"Wine sock.c test_unsupported_ioctls: an unknown control code (0xdeadbeef, 0x667e, FIOASYNC, SIO_FLUSH) fails with WSAEOPNOTSUPP, and ioctlsocket is WSAIoctl with a u_long in and out; test_fionread_siocatmark: FIONREAD and SIOCATMARK succeed. The ioctlsocket page lists no WSAEINVAL",
	func(c *call) bool {
		switch uint32(c.opt) {
		case FIONBIO, FIONREAD, SIOCATMARK:
			return false
		}
		return true
	})

var chainIoctlsocket = chain("ioctlsocket", ruleNotInitialised, ruleNotSocket, ruleIoctlsocketCmd)

// Ioctlsocket is ioctlsocket(s, cmd, &arg). FIONBIO with a non-zero argument makes the socket
// non-blocking; FIONREAD and SIOCATMARK only read (the amount of data waiting, the
// out-of-band mark), which the simulator does not model, so they succeed and change nothing.
func (t *Thread) Ioctlsocket(h Handle, cmd uint32, arg uint32) error {
	c := t.begin("ioctlsocket")
	defer t.end(c)
	c.lookup(h)
	c.opt, c.ival = int32(cmd), int32(arg)
	return t.run(c, chainIoctlsocket, ioctlsocketEffect)
}

func ioctlsocketEffect(c *call) error {
	if uint32(c.opt) == FIONBIO {
		c.s.set(bitNonBlocking, c.ival != 0)
	}
	return nil
}
