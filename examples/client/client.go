// Package client is the README's example of code under test: a secure TCP dial written against
// socket.API, so that it runs on the real Winsock and on a simulated host alike.
package client

import (
	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sockaddr"
	"github.com/wsssim/wsssim/socket"
)

// DialSecure opens a TCP socket that must be encrypted and connects it: security must be
// applied before connect, as WSASetSocketSecurity's documentation requires.
func DialSecure(api socket.API, to sockaddr.Addr) (socket.Handle, error) {
	s, err := api.WSASocket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, 0)
	if err != nil {
		return socket.INVALID_SOCKET, err
	}
	settings := policy.Settings{Protocol: policy.ProtocolDefault, Flags: policy.SettingsGuaranteeEncryption}.Encode()
	if err := api.WSASetSocketSecurity(s, settings, uint32(len(settings)), nil, nil); err != nil {
		return socket.INVALID_SOCKET, err
	}
	b := to.Encode()
	return s, api.Connect(s, b, int32(len(b)))
}
