package sim

// SetLookupHook makes every call of the network run f when it has found its socket and before it
// locks it (nil removes it), so that a test can let another thread's closesocket overtake a call
// at exactly that point.
func SetLookupHook(n *Network, f func(fn string, h Handle)) {
	if f == nil {
		n.lookupHook.Store(nil)
		return
	}
	n.lookupHook.Store(&f)
}
