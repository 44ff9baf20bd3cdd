package bench

import "github.com/wsssim/wsssim/sim"

// query asks what the accepted connection negotiated. Until the simulator has
// WSAQuerySocketSecurity the lifecycle reads SO_TYPE in its place.
func query(th *sim.Thread, s sim.Handle, info []byte) error {
	_, err := th.GetsockoptInt(s, sim.SOL_SOCKET, sim.SO_TYPE)
	return err
}
