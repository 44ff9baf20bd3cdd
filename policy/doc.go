// Package policy is the data side of the Winsock Secure Socket Extensions: the constants of
// mstcpip.h, the structures that WSASetSocketSecurity, WSASetSocketPeerTargetName and
// WSAQuerySocketSecurity exchange, in their exact Windows x64 byte layout, the content checks
// Windows applies to those structures (as data, so the simulator's rule table can list, print
// and cite them), and the default secure-socket IPsec policy of Microsoft's documentation.
//
// Everything here is pure: no sockets, no state, no clock. Encoders write precisely the bytes a
// C program built against the Windows SDK would pass; decoders accept any byte slice, never
// panic, and report why a buffer is unacceptable with the Winsock error code the real call
// would return. Where the documentation is silent the package follows the project's rulings
// (R0–R18 in the spec folder) and each check names the ruling it rests on.
//
// Passwords travel in a Secret, which never prints, marshals or logs its content.
package policy
