package policy

import (
	"encoding/binary"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sockaddr"
)

// Sizes of the query structures (Windows x64; x86 is identical).
const (
	// SizeofQueryTemplate is sizeof(SOCKET_SECURITY_QUERY_TEMPLATE).
	SizeofQueryTemplate = 144
	// SizeofQueryTemplateIPsec2 is sizeof(SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2).
	SizeofQueryTemplateIPsec2 = 152
	// SizeofQueryInfo is sizeof(SOCKET_SECURITY_QUERY_INFO).
	SizeofQueryInfo = 24
	// SizeofQueryInfoIPsec2 is sizeof(SOCKET_SECURITY_QUERY_INFO_IPSEC2).
	SizeofQueryInfoIPsec2 = 64
)

const (
	offQTProtocol   = 0
	offQTAddress    = 8
	offQTAccessMask = 136
	offQTFlags      = 140
	offQTFieldMask  = 144

	offQIProtocol          = 0
	offQIFlags             = 4
	offQIAppToken          = 8
	offQIMachineToken      = 16
	offQIMmSaID            = 24
	offQIQmSaID            = 32
	offQINegotiationWinerr = 40
	offQISaLookupContext   = 44
)

// QueryTemplate is the input of WSAQuerySocketSecurity. IPsec2 selects the 152-byte
// SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2 (which adds Flags and FieldMask) instead of the
// 144-byte SOCKET_SECURITY_QUERY_TEMPLATE; Flags and FieldMask are not encoded otherwise.
type QueryTemplate struct {
	Protocol Protocol
	// PeerAddress identifies the peer of a connectionless socket; TCP ignores it.
	PeerAddress sockaddr.Addr
	// PeerTokenAccessMask is the ACCESS_MASK for the returned token handles; 0 asks for none.
	PeerTokenAccessMask uint32
	IPsec2              bool
	Flags               QueryIPsec2Flags
	FieldMask           FieldMask
}

// Size is 152 for the IPSEC2 form, else 144.
func (q QueryTemplate) Size() int {
	if q.IPsec2 {
		return SizeofQueryTemplateIPsec2
	}
	return SizeofQueryTemplate
}

// Encode returns the template as WSAQuerySocketSecurity reads it.
func (q QueryTemplate) Encode() []byte {
	b := make([]byte, q.Size())
	binary.LittleEndian.PutUint32(b[offQTProtocol:], uint32(q.Protocol))
	q.PeerAddress.PutStorage(b[offQTAddress:])
	binary.LittleEndian.PutUint32(b[offQTAccessMask:], q.PeerTokenAccessMask)
	if q.IPsec2 {
		binary.LittleEndian.PutUint32(b[offQTFlags:], uint32(q.Flags))
		binary.LittleEndian.PutUint32(b[offQTFieldMask:], uint32(q.FieldMask))
	}
	return b
}

// DecodeQueryTemplate applies QueryTemplateChecks to buf (exactly SecurityQueryTemplateLen
// bytes) and, when none fails, reads the template. As for the settings, the protocol field
// selects the layout: an IPSEC2 template is read as the 152-byte form (IPsec2 true), any other
// as the 144-byte form, whatever the buffer's length.
func DecodeQueryTemplate(buf []byte) (QueryTemplate, *Check) {
	if c, bad := FirstFailure(QueryTemplateChecks, buf); bad {
		return QueryTemplate{}, c
	}
	addr, _ := sockaddr.DecodeStorage(window(buf, offQTAddress, sockaddr.SizeofSockaddrStorage))
	q := QueryTemplate{
		Protocol:            Protocol(le32(buf, offQTProtocol)),
		PeerAddress:         addr,
		PeerTokenAccessMask: le32(buf, offQTAccessMask),
	}
	if q.Protocol == ProtocolIPsec2 {
		q.IPsec2 = true
		q.Flags = QueryIPsec2Flags(le32(buf, offQTFlags))
		q.FieldMask = FieldMask(le32(buf, offQTFieldMask))
	}
	return q, nil
}

// QueryInfo is the output of WSAQuerySocketSecurity: SOCKET_SECURITY_QUERY_INFO (24 bytes) or,
// with IPsec2, SOCKET_SECURITY_QUERY_INFO_IPSEC2 (64 bytes). The token handles are UINT64 on
// every architecture; zero means "not returned".
type QueryInfo struct {
	Protocol                         Protocol
	Flags                            InfoFlags
	PeerApplicationAccessTokenHandle uint64
	PeerMachineAccessTokenHandle     uint64
	IPsec2                           bool
	// MmSaID, QmSaID, NegotiationWinerr and SaLookupContext exist only in the IPSEC2 form;
	// their meanings are undocumented and the names are the header's.
	MmSaID            uint64
	QmSaID            uint64
	NegotiationWinerr uint32
	SaLookupContext   GUID
}

// Size is 64 for the IPSEC2 form, else 24: the size WSAQuerySocketSecurity requires.
func (q QueryInfo) Size() int {
	if q.IPsec2 {
		return SizeofQueryInfoIPsec2
	}
	return SizeofQueryInfo
}

// Encode returns the structure as WSAQuerySocketSecurity writes it.
func (q QueryInfo) Encode() []byte {
	b := make([]byte, q.Size())
	q.PutTo(b)
	return b
}

// PutTo writes the structure into the caller's buffer b, as much of it as fits, and returns the
// size the structure needs. A caller that sees a result larger than len(b) has a truncated copy
// and reports the required size, as WSAQuerySocketSecurity does; it need not allocate.
func (q QueryInfo) PutTo(b []byte) int {
	var tmp [SizeofQueryInfoIPsec2]byte
	binary.LittleEndian.PutUint32(tmp[offQIProtocol:], uint32(q.Protocol))
	binary.LittleEndian.PutUint32(tmp[offQIFlags:], uint32(q.Flags))
	binary.LittleEndian.PutUint64(tmp[offQIAppToken:], q.PeerApplicationAccessTokenHandle)
	binary.LittleEndian.PutUint64(tmp[offQIMachineToken:], q.PeerMachineAccessTokenHandle)
	if q.IPsec2 {
		binary.LittleEndian.PutUint64(tmp[offQIMmSaID:], q.MmSaID)
		binary.LittleEndian.PutUint64(tmp[offQIQmSaID:], q.QmSaID)
		binary.LittleEndian.PutUint32(tmp[offQINegotiationWinerr:], q.NegotiationWinerr)
		q.SaLookupContext.put(tmp[offQISaLookupContext:])
	}
	size := q.Size()
	copy(b, tmp[:size])
	return size
}

// DecodeQueryInfo reads what WSAQuerySocketSecurity wrote, given exactly the bytes it reported
// (*SecurityQueryInfoLen). Fewer than 24 bytes is WSAEMSGSIZE. As in NtApiDotNet, the size
// tells the form: 64 bytes or more is the IPSEC2 structure, whatever its protocol field says;
// the output's fields are not validated (it is Windows' answer, not the caller's input).
func DecodeQueryInfo(buf []byte) (QueryInfo, errors.Errno) {
	if len(buf) < SizeofQueryInfo {
		return QueryInfo{}, errors.WSAEMSGSIZE
	}
	q := QueryInfo{
		Protocol:                         Protocol(le32(buf, offQIProtocol)),
		Flags:                            InfoFlags(le32(buf, offQIFlags)),
		PeerApplicationAccessTokenHandle: le64(buf, offQIAppToken),
		PeerMachineAccessTokenHandle:     le64(buf, offQIMachineToken),
	}
	if len(buf) >= SizeofQueryInfoIPsec2 {
		q.IPsec2 = true
		q.MmSaID = le64(buf, offQIMmSaID)
		q.QmSaID = le64(buf, offQIQmSaID)
		q.NegotiationWinerr = le32(buf, offQINegotiationWinerr)
		q.SaLookupContext = getGUID(buf[offQISaLookupContext:])
	}
	return q, errors.ERROR_SUCCESS
}
