// Package sockaddr is the Winsock socket address: SOCKADDR_IN (16 bytes), SOCKADDR_IN6 (28
// bytes) and SOCKADDR_STORAGE (128 bytes) in the Windows x64 byte layout, and their Go form.
//
// Ports and IPv4 addresses are in network byte order inside the structures, as on Windows;
// the family field is little-endian. Decoding never panics and never allocates.
package sockaddr

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"

	"github.com/wsssim/wsssim/errors"
)

// Family is an address family (AF_*), as stored in sa_family.
type Family uint16

// Address families, with the Windows SDK values.
const (
	AF_UNSPEC Family = 0
	AF_UNIX   Family = 1
	AF_INET   Family = 2
	AF_INET6  Family = 23
)

// Structure sizes of the Windows SDK (x64 and x86 alike).
const (
	SizeofSockaddr        = 16
	SizeofSockaddrInet4   = 16
	SizeofSockaddrInet6   = 28
	SizeofSockaddrStorage = 128
)

// String returns the SDK name of the family, or its number.
func (f Family) String() string {
	switch f {
	case AF_UNSPEC:
		return "AF_UNSPEC"
	case AF_UNIX:
		return "AF_UNIX"
	case AF_INET:
		return "AF_INET"
	case AF_INET6:
		return "AF_INET6"
	}
	return "AF_" + strconv.Itoa(int(f))
}

// Size returns the size of the family's sockaddr structure, or 0 for a family without one here.
func (f Family) Size() int {
	switch f {
	case AF_INET:
		return SizeofSockaddrInet4
	case AF_INET6:
		return SizeofSockaddrInet6
	}
	return 0
}

// Addr is an IPv4 or IPv6 socket address. For AF_INET, IP is a 4-byte address; for AF_INET6
// it is a 16-byte address, which may be an IPv4-mapped one (::ffff:a.b.c.d). The zero Addr has
// family AF_UNSPEC and stands for "no address".
//
// The port sits next to the family so that the struct packs into 40 bytes rather than 48: a
// simulated socket holds two of them and a port reservation one.
type Addr struct {
	Family   Family
	Port     uint16
	IP       netip.Addr
	FlowInfo uint32
	ScopeID  uint32
}

// From builds an Addr from an IP and port, choosing AF_INET for a 4-byte IP and AF_INET6 for a
// 16-byte one (keeping an IPv4-mapped address as IPv6).
func From(ip netip.Addr, port uint16) Addr {
	if ip.Is4() {
		return Addr{Family: AF_INET, IP: ip, Port: port}
	}
	return Addr{Family: AF_INET6, IP: ip, Port: port}
}

// Inet4 returns the AF_INET address a.b.c.d:port.
func Inet4(a, b, c, d byte, port uint16) Addr {
	return Addr{Family: AF_INET, IP: netip.AddrFrom4([4]byte{a, b, c, d}), Port: port}
}

// Any returns the wildcard address (0.0.0.0 or ::) of the family with the given port.
func Any(f Family, port uint16) Addr {
	if f == AF_INET6 {
		return Addr{Family: AF_INET6, IP: netip.IPv6Unspecified(), Port: port}
	}
	return Addr{Family: AF_INET, IP: netip.IPv4Unspecified(), Port: port}
}

// IsValid reports whether the address has a family with an IP of the matching width.
func (a Addr) IsValid() bool {
	switch a.Family {
	case AF_INET:
		return a.IP.Is4()
	case AF_INET6:
		return a.IP.Is6()
	}
	return false
}

// IsWildcard reports whether the IP is 0.0.0.0, :: or the IPv4-mapped ::ffff:0.0.0.0 (which
// Windows treats as the IPv4 wildcard, Wine sock.c test_reuseaddr).
func (a Addr) IsWildcard() bool { return a.IP.IsValid() && a.IP.Unmap().IsUnspecified() }

// IsV4Mapped reports whether the address is an AF_INET6 address of the form ::ffff:a.b.c.d.
func (a Addr) IsV4Mapped() bool { return a.Family == AF_INET6 && a.IP.Is4In6() }

// IsLoopback reports whether the IP is in 127.0.0.0/8, is ::1, or maps a 127.x address.
func (a Addr) IsLoopback() bool { return a.IP.IsValid() && a.IP.Unmap().IsLoopback() }

// WithScope returns a copy with the IPv6 scope id replaced.
func (a Addr) WithScope(id uint32) Addr { a.ScopeID = id; return a }

// WithPort returns a copy with the port replaced.
func (a Addr) WithPort(port uint16) Addr { a.Port = port; return a }

// AddrPort returns the IP and port as a netip.AddrPort.
func (a Addr) AddrPort() netip.AddrPort { return netip.AddrPortFrom(a.IP, a.Port) }

// String formats like Windows tools do: "10.0.0.2:80", "[fd00::2]:80", "[fe80::1%3]:80".
func (a Addr) String() string {
	switch a.Family {
	case AF_INET:
		return a.IP.String() + ":" + strconv.Itoa(int(a.Port))
	case AF_INET6:
		ip := a.IP.String()
		if a.ScopeID != 0 {
			ip += "%" + strconv.FormatUint(uint64(a.ScopeID), 10)
		}
		return "[" + ip + "]:" + strconv.Itoa(int(a.Port))
	case AF_UNSPEC:
		return "<none>"
	}
	return a.Family.String() + ":?"
}

// Parse reads "a.b.c.d:port", "[v6]:port" or "[v6%scope]:port". A bare IP means port 0.
func Parse(s string) (Addr, error) {
	s = strings.TrimSpace(s)
	if ip, err := netip.ParseAddr(s); err == nil {
		return fromParsed(ip, 0), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return Addr{}, err
	}
	return fromParsed(ap.Addr(), ap.Port()), nil
}

func fromParsed(ip netip.Addr, port uint16) Addr {
	a := From(ip.WithZone(""), port)
	if z := ip.Zone(); z != "" {
		if n, err := strconv.ParseUint(z, 10, 32); err == nil {
			a.ScopeID = uint32(n)
		}
	}
	return a
}

// Encode returns the SOCKADDR_IN (16 bytes) or SOCKADDR_IN6 (28 bytes) of the address. An
// address of another family encodes as a 16-byte SOCKADDR carrying only the family.
func (a Addr) Encode() []byte {
	size := a.Family.Size()
	if size == 0 {
		size = SizeofSockaddr
	}
	b := make([]byte, size)
	a.put(b)
	return b
}

// EncodeStorage returns the 128-byte SOCKADDR_STORAGE holding the address (all zero for the
// zero Addr).
func (a Addr) EncodeStorage() []byte {
	b := make([]byte, SizeofSockaddrStorage)
	a.put(b)
	return b
}

// PutStorage writes the address into b[:128] as a SOCKADDR_STORAGE, zeroing the rest of it.
// b must be at least 128 bytes.
func (a Addr) PutStorage(b []byte) {
	clear(b[:SizeofSockaddrStorage])
	a.put(b)
}

func (a Addr) put(b []byte) {
	binary.LittleEndian.PutUint16(b[0:], uint16(a.Family))
	switch a.Family {
	case AF_INET:
		binary.BigEndian.PutUint16(b[2:], a.Port)
		if a.IP.Is4() {
			ip := a.IP.As4()
			copy(b[4:8], ip[:])
		}
	case AF_INET6:
		binary.BigEndian.PutUint16(b[2:], a.Port)
		binary.LittleEndian.PutUint32(b[4:], a.FlowInfo)
		if a.IP.IsValid() {
			ip := a.IP.As16()
			copy(b[8:24], ip[:])
		}
		binary.LittleEndian.PutUint32(b[24:], a.ScopeID)
	}
}

// FamilyOf returns the sa_family of a sockaddr buffer, and false when b is shorter than the
// family field.
func FamilyOf(b []byte) (Family, bool) {
	if len(b) < 2 {
		return 0, false
	}
	return Family(binary.LittleEndian.Uint16(b)), true
}

// Decode reads a sockaddr of len(b) bytes, the way Winsock reads a (name, namelen) pair:
// fewer bytes than the family's structure → WSAEFAULT; a family other than AF_INET or AF_INET6
// → WSAEAFNOSUPPORT.
func Decode(b []byte) (Addr, errors.Errno) {
	f, ok := FamilyOf(b)
	if !ok {
		return Addr{}, errors.WSAEFAULT
	}
	switch f {
	case AF_INET:
		if len(b) < SizeofSockaddrInet4 {
			return Addr{}, errors.WSAEFAULT
		}
		return Addr{
			Family: AF_INET,
			IP:     netip.AddrFrom4([4]byte(b[4:8])),
			Port:   binary.BigEndian.Uint16(b[2:]),
		}, 0
	case AF_INET6:
		if len(b) < SizeofSockaddrInet6 {
			return Addr{}, errors.WSAEFAULT
		}
		return Addr{
			Family:   AF_INET6,
			IP:       netip.AddrFrom16([16]byte(b[8:24])),
			Port:     binary.BigEndian.Uint16(b[2:]),
			FlowInfo: binary.LittleEndian.Uint32(b[4:]),
			ScopeID:  binary.LittleEndian.Uint32(b[24:]),
		}, 0
	}
	return Addr{Family: f}, errors.WSAEAFNOSUPPORT
}

// DecodeStorage reads the SOCKADDR_STORAGE at b[:128]. An all-zero family gives the zero Addr
// and no error; another unknown family gives WSAEAFNOSUPPORT; fewer than 128 bytes WSAEFAULT.
func DecodeStorage(b []byte) (Addr, errors.Errno) {
	if len(b) < SizeofSockaddrStorage {
		return Addr{}, errors.WSAEFAULT
	}
	if f, _ := FamilyOf(b); f == AF_UNSPEC {
		return Addr{}, 0
	}
	return Decode(b[:SizeofSockaddrStorage])
}

// PutInto writes the address's SOCKADDR_IN or SOCKADDR_IN6 into b and returns the structure's
// size. A b shorter than that gets the structure's first len(b) bytes, as a C caller's short
// buffer would.
func (a Addr) PutInto(b []byte) int {
	size := a.Family.Size()
	if size == 0 {
		size = SizeofSockaddr
	}
	var full [SizeofSockaddrStorage]byte
	a.put(full[:])
	copy(b, full[:size])
	return size
}
