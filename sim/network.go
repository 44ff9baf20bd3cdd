package sim

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sim/ipsec"
	"github.com/wsssim/wsssim/sim/ports"
)

// Network is a set of simulated Windows hosts that can reach each other by their addresses.
// Everything the simulator does happens inside one Network: it owns the hosts, the pending
// connection attempts and the trace, so two Networks never share state and tests can make as
// many as they like.
type Network struct {
	mu     sync.RWMutex
	hosts  []*Host
	byName map[string]*Host
	byAddr map[netip.Addr]*Host

	clock clock

	linkMu    sync.Mutex
	links     []*Disturbance // network faults between hosts (netfault.go)
	linkCount atomic.Int32   // len(links), read without linkMu so that calls skip the lock when there are none

	// IPsec main-mode SAs by host pair, and the counter SA ids come from.
	saMu   sync.Mutex
	saSeq  uint64
	mmSAs  map[string]*mainModeSA
	udpSec map[udpKey]udpSecurity

	faultMu sync.Mutex
	faults  faultList

	// tracer is read on every call; an atomic pointer keeps the untraced path free of locks.
	tracer atomic.Pointer[Tracer]
	// lookupHook, set by tests only, runs when a call has found its socket and before it
	// locks it (call.reach): the moment another thread's closesocket can overtake it.
	lookupHook atomic.Pointer[func(fn string, h Handle)]
	seq        uint64
	traceMu    sync.Mutex
}

// NewNetwork returns an empty network.
func NewNetwork() *Network {
	return &Network{byName: map[string]*Host{}, byAddr: map[netip.Addr]*Host{}}
}

// HostConfig describes a host. Every host also has the loopback addresses 127.0.0.1 and ::1.
type HostConfig struct {
	Name      string
	Addresses []netip.Addr
	// Ports tunes the port table (for example the MSDN variant of ruling R16).
	Ports ports.Options
	// MaxSockets bounds the sockets open on the host at once (WSAEMFILE beyond). 0 means the
	// default of 65536.
	MaxSockets int
	// Credentials are what the machine authenticates with in IPsec negotiations: domain
	// membership (Kerberos) and a machine certificate. The zero value is a workgroup machine
	// without a certificate, with which every negotiation needing authentication fails.
	Credentials ipsec.Credentials
	// Rules are the administrator's connection-security rules: ports whose traffic must (or
	// should) be protected by IPsec even for sockets that never call WSASetSocketSecurity.
	Rules []ConnectionRule
	// FailOver marks a host of a fail-over cluster: its idle SAs expire after the policy's
	// fail-over idle time-out (1 minute by default) instead of the normal one (5 minutes).
	FailOver bool
	// Buffers is the host's buffer budget in bytes, the model of its nonpaged pool: each socket
	// holds SocketBufferCost of it, each peer target name its structure's size, and a call
	// that needs more than is left fails with WSAENOBUFS. 0 means DefaultBuffers(MaxSockets).
	Buffers int64
}

// DefaultMaxSockets is the per-host socket limit when HostConfig.MaxSockets is 0.
const DefaultMaxSockets = 1 << 16

// AddHost adds a host. Its name must be unique in the network and its non-loopback addresses
// must not belong to another host.
func (n *Network) AddHost(cfg HostConfig) (*Host, error) {
	name := strings.TrimSpace(cfg.Name)
	if name == "" || strings.ContainsAny(name, "/: \t") {
		return nil, fmt.Errorf("sim: host name %q must be non-empty without '/', ':' or spaces", cfg.Name)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, dup := n.byName[name]; dup {
		return nil, fmt.Errorf("sim: host %q already exists", name)
	}
	for _, r := range cfg.Rules {
		if r.Proto != ports.TCP && r.Proto != ports.UDP {
			return nil, fmt.Errorf("sim: host %s: connection rule %v: protocol must be TCP or UDP", name, r)
		}
	}
	h := &Host{
		net:        n,
		name:       name,
		ports:      ports.NewTable(cfg.Ports),
		maxSockets: int64(cfg.MaxSockets),
		apps:       map[string]*App{},
		creds:      cfg.Credentials,
		rules:      append([]ConnectionRule(nil), cfg.Rules...),
		failOver:   cfg.FailOver,
		contexts:   map[policy.GUID]providerContext{},
	}
	if h.maxSockets <= 0 {
		h.maxSockets = DefaultMaxSockets
	}
	h.buffers = cfg.Buffers
	if h.buffers <= 0 {
		h.buffers = DefaultBuffers(h.maxSockets)
	}
	h.addrs = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}
	for _, a := range cfg.Addresses {
		a = a.Unmap().WithZone("")
		if !a.IsValid() || a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() {
			return nil, fmt.Errorf("sim: host %s: %v cannot be a host address", name, a)
		}
		if other, taken := n.byAddr[a]; taken {
			return nil, fmt.Errorf("sim: host %s: address %v already belongs to host %s", name, a, other.name)
		}
		for _, mine := range h.addrs {
			if mine == a {
				return nil, fmt.Errorf("sim: host %s: address %v listed twice", name, a)
			}
		}
		h.addrs = append(h.addrs, a)
	}
	for _, a := range h.addrs[2:] {
		n.byAddr[a] = h
	}
	n.hosts = append(n.hosts, h)
	n.byName[name] = h
	h.defaultApp = h.newApp("", "SYSTEM", true)
	return h, nil
}

// MustAddHost is AddHost for tests and examples with literal configurations.
func (n *Network) MustAddHost(name string, addrs ...string) *Host {
	cfg := HostConfig{Name: name}
	for _, a := range addrs {
		cfg.Addresses = append(cfg.Addresses, netip.MustParseAddr(a))
	}
	h, err := n.AddHost(cfg)
	if err != nil {
		panic(err)
	}
	return h
}

// Host returns the host with that name.
func (n *Network) Host(name string) (*Host, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	h, ok := n.byName[name]
	return h, ok
}

// Hosts returns the hosts in the order they were added.
func (n *Network) Hosts() []*Host {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return append([]*Host(nil), n.hosts...)
}

// route finds the host that owns a destination address as seen from host from: loopback and
// from's own addresses stay on from.
func (n *Network) route(from *Host, dst netip.Addr) *Host {
	dst = dst.Unmap()
	if dst.IsLoopback() || from.owns(dst) {
		return from
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.byAddr[dst]
}

// SetTracer installs a tracer that receives every call made in the network (nil turns tracing
// off, which is the default and the fast path).
func (n *Network) SetTracer(t Tracer) {
	if t == nil {
		n.tracer.Store(nil)
		return
	}
	n.tracer.Store(&t)
}

// Host is one simulated Windows machine: its addresses, its port table and the applications
// (processes) that run on it, each under a user account.
type Host struct {
	net        *Network
	name       string
	addrs      []netip.Addr
	ports      *ports.Table
	maxSockets int64
	buffers    int64 // the buffer budget (limits.go)

	creds    ipsec.Credentials
	rules    []ConnectionRule
	failOver bool

	mu         sync.Mutex
	apps       map[string]*App
	appOrder   []*App
	defaultApp *App
	contexts   map[policy.GUID]providerContext // AuthIP policies by provider-context key
	open       atomic.Int64                    // sockets open on the host
	bufExtra   atomic.Int64                    // budget bytes held by state other than sockets (peer target names)
}

// Credentials returns what the host authenticates with in IPsec negotiations.
func (h *Host) Credentials() ipsec.Credentials { return h.creds }

// Name returns the host's name.
func (h *Host) Name() string { return h.name }

// Network returns the network the host belongs to.
func (h *Host) Network() *Network { return h.net }

// Addresses returns the host's addresses, loopback first.
func (h *Host) Addresses() []netip.Addr { return append([]netip.Addr(nil), h.addrs...) }

// owns reports whether ip is one of the host's addresses (IPv4-mapped forms count).
func (h *Host) owns(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	if ip.IsLoopback() {
		return true
	}
	for _, a := range h.addrs {
		if a == ip {
			return true
		}
	}
	return false
}

// interfaceOf is the index of the interface that holds ip: 1 for loopback, 2 for the host's
// other addresses (one simulated adapter), 0 for an address the host does not have.
func (h *Host) interfaceOf(ip netip.Addr) uint32 {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		return 1
	case h.owns(ip):
		return 2
	}
	return 0
}

// App returns the host's default application, which runs as the SYSTEM account with
// administrator rights, as a service would.
func (h *Host) App() *App { return h.defaultApp }

// NewApp starts another application on the host under a user account. Applications of the same
// user share ports as Microsoft's "same user" table says; others are "different users".
func (h *Host) NewApp(name, user string) (*App, error) {
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, "/: \t") {
		return nil, fmt.Errorf("sim: application name %q must be non-empty without '/', ':' or spaces", name)
	}
	if strings.TrimSpace(user) == "" {
		return nil, fmt.Errorf("sim: application %s needs a user account", name)
	}
	h.mu.Lock()
	_, dup := h.apps[name]
	h.mu.Unlock()
	if dup {
		return nil, fmt.Errorf("sim: host %s already runs an application %q", h.name, name)
	}
	return h.newApp(name, user, false), nil
}

// Apps returns the applications in the order they started, the default one first.
func (h *Host) Apps() []*App {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*App(nil), h.appOrder...)
}

// AppByName returns an application by name ("" is the default application).
func (h *Host) AppByName(name string) (*App, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a, ok := h.apps[name]
	return a, ok
}

func (h *Host) newApp(name, user string, admin bool) *App {
	label := h.name
	if name != "" {
		label += "/" + name
	}
	a := &App{host: h, name: name, label: label, user: user, admin: admin}
	a.handles.init()
	a.main = a.NewThread()
	// Every application starts with Winsock initialised once, as if it had called WSAStartup.
	a.startups.Store(1)
	h.mu.Lock()
	h.apps[name] = a
	h.appOrder = append(h.appOrder, a)
	h.mu.Unlock()
	return a
}

// OpenSockets counts the sockets open on the host.
func (h *Host) OpenSockets() int64 { return h.open.Load() }
