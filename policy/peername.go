package policy

import (
	"encoding/binary"

	"github.com/wsssim/wsssim/sockaddr"
)

// Sizes and offsets of SOCKET_PEER_TARGET_NAME.
const (
	// SizeofPeerTargetName is sizeof(SOCKET_PEER_TARGET_NAME): AllStrings starts at 140 and the
	// SOCKADDR_STORAGE's 8-byte alignment rounds the size up to 144.
	SizeofPeerTargetName = 144
	// OffsetPeerTargetNameString is offsetof(SOCKET_PEER_TARGET_NAME, AllStrings).
	OffsetPeerTargetNameString = 140
)

const (
	offPTNProtocol  = 0
	offPTNAddress   = 8
	offPTNStringLen = 136
)

// PeerTargetName is what WSASetSocketPeerTargetName receives: the principal (SPN) the peer at
// PeerAddress must authenticate as. A zero PeerAddress (AF_UNSPEC) is what Microsoft's TCP
// samples pass.
type PeerTargetName struct {
	Protocol    Protocol
	PeerAddress sockaddr.Addr
	Name        string
}

// Size is the number of bytes Encode produces: 144 + the name's UTF-16 bytes, the size
// Microsoft's samples allocate (sizeof + wcslen*sizeof(wchar_t), leaving 4 spare bytes).
func (p PeerTargetName) Size() int { return SizeofPeerTargetName + 2*utf16Len(p.Name) }

// stringLen is PeerTargetNameStringLen for the name: UTF-16 characters for DEFAULT and IPSEC,
// bytes for IPSEC2 (ruling R10, after both Microsoft samples and NtApiDotNet).
func (p PeerTargetName) stringLen() uint32 {
	n := uint32(utf16Len(p.Name))
	if p.Protocol == ProtocolIPsec2 {
		return 2 * n
	}
	return n
}

// Encode returns the structure as WSASetSocketPeerTargetName reads it: the name without a
// terminator at offset 140, the PeerAddress as a SOCKADDR_STORAGE at offset 8.
func (p PeerTargetName) Encode() []byte {
	b := make([]byte, p.Size())
	binary.LittleEndian.PutUint32(b[offPTNProtocol:], uint32(p.Protocol))
	p.PeerAddress.PutStorage(b[offPTNAddress:])
	binary.LittleEndian.PutUint32(b[offPTNStringLen:], p.stringLen())
	putUTF16String(b[OffsetPeerTargetNameString:], p.Name)
	return b
}

// ptnNameBytes is how many bytes of name the buffer declares, by the protocol's unit. It is
// computed in 64 bits because a character count of up to 2^32-1 doubles past 32 bits.
func ptnNameBytes(buf []byte) uint64 {
	n := uint64(le32(buf, offPTNStringLen))
	if Protocol(le32(buf, offPTNProtocol)) == ProtocolIPsec2 {
		return n
	}
	return 2 * n
}

// DecodePeerTargetName applies PeerTargetNameChecks to buf (exactly PeerTargetNameLen bytes)
// and, when none fails, reads the structure. Bytes after the name are ignored.
func DecodePeerTargetName(buf []byte) (PeerTargetName, *Check) {
	if c, bad := FirstFailure(PeerTargetNameChecks, buf); bad {
		return PeerTargetName{}, c
	}
	addr, _ := sockaddr.DecodeStorage(window(buf, offPTNAddress, sockaddr.SizeofSockaddrStorage))
	return PeerTargetName{
		Protocol:    Protocol(le32(buf, offPTNProtocol)),
		PeerAddress: addr,
		Name:        decodeUTF16LE(window(buf, OffsetPeerTargetNameString, ptnNameBytes(buf))),
	}, nil
}
