package bench

import "github.com/wsssim/wsssim/sim"

// query asks what the accepted connection negotiated, as the SDK server does after accept.
func query(th *sim.Thread, s sim.Handle, info []byte) error {
	n := uint32(len(info))
	return th.WSAQuerySocketSecurity(s, nil, 0, info, &n, nil, nil)
}
