package sim

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/policy"
	"github.com/wsssim/wsssim/sockaddr"
)

// Graph is the socket state machine as the model itself behaves: for each socket kind and
// state, what each call does — the state it moves to, or the code and rule it fails with. It is
// not written by hand: BuildGraph puts a fresh socket in each state and makes each call on it.
type Graph struct {
	Kinds []GraphKind
}

// GraphKind is the state machine of one kind of socket (TCP or UDP).
type GraphKind struct {
	Name  string // "TCP" or "UDP"
	Edges []GraphEdge
}

// GraphEdge is one call made in one state.
type GraphEdge struct {
	From State
	Call string
	To   State        // the state after the call (From when it failed)
	Code errors.Errno // 0 when the call succeeded
	Rule string       // the rule that decided a failure
}

// probe is a call the graph makes, with the arguments a typical program would pass.
type probe struct {
	name string
	run  func(p *prober, s Handle) error
}

// prober owns the small network a probe runs in: one host with a listener to connect to.
type prober struct {
	th       *Thread
	listener sockaddr.Addr
}

func newProber() *prober {
	n := NewNetwork()
	th := n.MustAddHost("graph").App().Main()
	l, _ := th.Socket(AF_INET, SOCK_STREAM, 0)
	_ = th.BindAddr(l, sockaddr.Inet4(127, 0, 0, 1, 7))
	_ = th.Listen(l, SOMAXCONN)
	u, _ := th.Socket(AF_INET, SOCK_DGRAM, 0)
	_ = th.BindAddr(u, sockaddr.Inet4(127, 0, 0, 1, 7))
	return &prober{th: th, listener: sockaddr.Inet4(127, 0, 0, 1, 7)}
}

var probes = []probe{
	{"setsockopt(SO_REUSEADDR)", func(p *prober, s Handle) error { return p.th.SetsockoptInt(s, SOL_SOCKET, SO_REUSEADDR, 1) }},
	{"WSASetSocketSecurity", func(p *prober, s Handle) error { return p.th.WSASetSocketSecurity(s, nil, 0, nil, nil) }},
	{"bind", func(p *prober, s Handle) error { return p.th.BindAddr(s, sockaddr.Inet4(127, 0, 0, 1, 0)) }},
	{"listen", func(p *prober, s Handle) error { return p.th.Listen(s, 5) }},
	{"connect", func(p *prober, s Handle) error { return p.th.ConnectAddr(s, p.listener) }},
	{"ConnectEx", func(p *prober, s Handle) error {
		var ov Overlapped
		b := p.listener.Encode()
		return p.th.ConnectEx(s, b, int32(len(b)), &ov)
	}},
	{"accept", func(p *prober, s Handle) error { _, err := p.th.Accept(s, nil, nil); return err }},
	{"sendto", func(p *prober, s Handle) error { _, err := p.th.SendtoAddr(s, []byte("x"), p.listener); return err }},
	{"getsockname", func(p *prober, s Handle) error { _, err := p.th.SocketName(s); return err }},
	{"getpeername", func(p *prober, s Handle) error { _, err := p.th.PeerName(s); return err }},
	{"shutdown", func(p *prober, s Handle) error { return p.th.Shutdown(s, SD_BOTH) }},
	{"WSASetSocketPeerTargetName", func(p *prober, s Handle) error {
		b := policy.PeerTargetName{Name: "host/graph"}.Encode()
		return p.th.WSASetSocketPeerTargetName(s, b, uint32(len(b)), nil, nil)
	}},
	{"WSAQuerySocketSecurity", func(p *prober, s Handle) error {
		var info [policy.SizeofQueryInfo]byte
		n := uint32(len(info))
		t := policy.QueryTemplate{PeerAddress: p.listener}.Encode()
		return p.th.WSAQuerySocketSecurity(s, t, uint32(len(t)), info[:], &n, nil, nil)
	}},
	{"closesocket", func(p *prober, s Handle) error { return p.th.Closesocket(s) }},
}

// recipe reaches a state from a fresh socket; the states are the model's, the way there is the
// one a program takes.
type recipe struct {
	state State
	steps func(p *prober, s Handle)
}

func tcpRecipes() []recipe {
	return []recipe{
		{StateOpen, func(*prober, Handle) {}},
		{StateBound, func(p *prober, s Handle) { _ = p.th.BindAddr(s, sockaddr.Inet4(127, 0, 0, 1, 0)) }},
		{StateListening, func(p *prober, s Handle) {
			_ = p.th.BindAddr(s, sockaddr.Inet4(127, 0, 0, 1, 0))
			_ = p.th.Listen(s, 5)
		}},
		{StateConnecting, func(p *prober, s Handle) {
			_ = p.th.Ioctlsocket(s, FIONBIO, 1)
			_ = p.th.ConnectAddr(s, p.listener)
		}},
		{StateConnected, func(p *prober, s Handle) { _ = p.th.ConnectAddr(s, p.listener) }},
		{StateClosed, func(p *prober, s Handle) { _ = p.th.Closesocket(s) }},
	}
}

func udpRecipes() []recipe {
	return []recipe{
		{StateOpen, func(*prober, Handle) {}},
		{StateBound, func(p *prober, s Handle) { _ = p.th.BindAddr(s, sockaddr.Inet4(127, 0, 0, 1, 0)) }},
		{StateConnected, func(p *prober, s Handle) { _ = p.th.ConnectAddr(s, p.listener) }},
		{StateClosed, func(p *prober, s Handle) { _ = p.th.Closesocket(s) }},
	}
}

// BuildGraph probes the model: for each socket kind, state and call it makes the call on a
// fresh socket in that state and records what happened.
func BuildGraph() *Graph {
	g := &Graph{}
	for _, kind := range []struct {
		name    string
		typ     int32
		recipes []recipe
	}{{"TCP", SOCK_STREAM, tcpRecipes()}, {"UDP", SOCK_DGRAM, udpRecipes()}} {
		k := GraphKind{Name: kind.name}
		for _, r := range kind.recipes {
			for _, pr := range probes {
				p := newProber()
				s, _ := p.th.Socket(AF_INET, kind.typ, 0)
				r.steps(p, s)
				if got := p.state(s); got != r.state {
					panic(fmt.Sprintf("sim: graph recipe for %s %v reached %v", kind.name, r.state, got))
				}
				err := pr.run(p, s)
				e := GraphEdge{From: r.state, Call: pr.name, To: p.state(s)}
				if re, ok := err.(*RuleError); ok {
					e.Code, e.Rule = re.Rule.Code, re.Rule.ID
				}
				k.Edges = append(k.Edges, e)
			}
		}
		g.Kinds = append(g.Kinds, k)
	}
	return g
}

func (p *prober) state(s Handle) State {
	if info, ok := p.th.app.Inspect(s); ok {
		return info.State
	}
	return StateClosed
}

// transitions groups successful calls by (from, to) so each arrow lists its calls once.
func (k GraphKind) transitions() []struct {
	From, To State
	Calls    []string
} {
	type key struct{ from, to State }
	calls := map[key][]string{}
	var order []key
	for _, e := range k.Edges {
		if e.Code != 0 && e.Code != errors.WSAEWOULDBLOCK && e.Code != errors.WSA_IO_PENDING {
			continue
		}
		name := e.Call
		if e.Code != 0 {
			name += " (" + e.Code.Name() + ")"
		}
		kk := key{e.From, e.To}
		if _, seen := calls[kk]; !seen {
			order = append(order, kk)
		}
		calls[kk] = append(calls[kk], name)
	}
	out := make([]struct {
		From, To State
		Calls    []string
	}, len(order))
	for i, kk := range order {
		out[i].From, out[i].To, out[i].Calls = kk.from, kk.to, calls[kk]
	}
	return out
}

// failures lists, per state, the calls that fail there with their codes and rules.
func (k GraphKind) failures() map[State][]string {
	out := map[State][]string{}
	for _, e := range k.Edges {
		if e.Code == 0 || e.Code == errors.WSAEWOULDBLOCK || e.Code == errors.WSA_IO_PENDING {
			continue
		}
		out[e.From] = append(out[e.From], fmt.Sprintf("%s ✗ %s (%s)", e.Call, e.Code.Name(), e.Rule))
	}
	return out
}

func (k GraphKind) states() []State {
	seen := map[State]bool{}
	for _, e := range k.Edges {
		seen[e.From], seen[e.To] = true, true
	}
	var out []State
	for _, s := range States() {
		if seen[s] {
			out = append(out, s)
		}
	}
	return out
}

// Mermaid renders the graph as Mermaid state diagrams, one per socket kind, with each state's
// failing calls in a note.
func (g *Graph) Mermaid() string {
	var b strings.Builder
	for _, k := range g.Kinds {
		fmt.Fprintf(&b, "```mermaid\n---\ntitle: %s socket\n---\nstateDiagram-v2\n", k.Name)
		fmt.Fprintf(&b, "    [*] --> open: socket / WSASocket\n")
		for _, t := range k.transitions() {
			fmt.Fprintf(&b, "    %s --> %s: %s\n", t.From, t.To, strings.Join(t.Calls, ", "))
		}
		fails := k.failures()
		for _, s := range k.states() {
			if f := fails[s]; len(f) > 0 {
				sort.Strings(f)
				fmt.Fprintf(&b, "    note right of %s\n", s)
				for _, line := range f {
					fmt.Fprintf(&b, "        %s\n", line)
				}
				fmt.Fprintf(&b, "    end note\n")
			}
		}
		b.WriteString("```\n")
	}
	return b.String()
}

// DOT renders the graph in Graphviz's language: transitions as arrows, failures as dashed
// self-loops labelled with the code and rule.
func (g *Graph) DOT() string {
	var b strings.Builder
	b.WriteString("digraph wsssim {\n    rankdir=LR;\n    node [shape=box, style=rounded];\n")
	for _, k := range g.Kinds {
		p := strings.ToLower(k.Name)
		fmt.Fprintf(&b, "    subgraph cluster_%s {\n        label=\"%s socket\";\n", p, k.Name)
		fmt.Fprintf(&b, "        %s_start [shape=point];\n        %s_start -> %s_open [label=\"socket / WSASocket\"];\n", p, p, p)
		for _, s := range k.states() {
			fmt.Fprintf(&b, "        %s_%s [label=\"%s\"];\n", p, s, s)
		}
		for _, t := range k.transitions() {
			fmt.Fprintf(&b, "        %s_%s -> %s_%s [label=%q];\n", p, t.From, p, t.To, strings.Join(t.Calls, "\\n"))
		}
		fails := k.failures()
		for _, s := range k.states() {
			if f := fails[s]; len(f) > 0 {
				sort.Strings(f)
				fmt.Fprintf(&b, "        %s_%s -> %s_%s [style=dashed, color=gray40, label=%q];\n", p, s, p, s, strings.Join(f, "\\n"))
			}
		}
		b.WriteString("    }\n")
	}
	b.WriteString("}\n")
	return b.String()
}
