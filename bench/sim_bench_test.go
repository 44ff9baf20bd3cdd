package bench

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wsssim/wsssim/fuzz"
	"github.com/wsssim/wsssim/scenario"
	"github.com/wsssim/wsssim/sim"
	"github.com/wsssim/wsssim/sockaddr"
)

var loopback = sockaddr.Inet4(127, 0, 0, 1, 27015)

// BenchmarkSimSecureLifecycle is the simulator's version of the kernel lifecycle, made secure:
// client WSASocket + WSASetSocketSecurity + connect to a secured listener + accept + the query of
// what was negotiated + closesocket of both ends.
func BenchmarkSimSecureLifecycle(b *testing.B) {
	th := sim.NewNetwork().MustAddHost("server").App().Main()
	l, _ := th.WSASocket(sim.AF_INET, sim.SOCK_STREAM, sim.IPPROTO_TCP, 0)
	must(b, th.WSASetSocketSecurity(l, nil, 0, nil, nil))
	must(b, th.BindAddr(l, loopback))
	must(b, th.Listen(l, sim.SOMAXCONN))
	to := loopback.Encode()
	var info [64]byte
	b.ReportAllocs()
	for b.Loop() {
		c, err := th.WSASocket(sim.AF_INET, sim.SOCK_STREAM, sim.IPPROTO_TCP, 0)
		must(b, err)
		must(b, th.WSASetSocketSecurity(c, nil, 0, nil, nil))
		must(b, th.Connect(c, to, int32(len(to))))
		a, err := th.Accept(l, nil, nil)
		must(b, err)
		must(b, query(th, a, info[:]))
		must(b, th.Closesocket(a))
		must(b, th.Closesocket(c))
	}
}

// BenchmarkSimRejectedCall is one call that a precondition rejects: WSASetSocketSecurity on a
// connected socket.
func BenchmarkSimRejectedCall(b *testing.B) {
	th := sim.NewNetwork().MustAddHost("h").App().Main()
	l, _ := th.Socket(sim.AF_INET, sim.SOCK_STREAM, 0)
	must(b, th.BindAddr(l, loopback))
	must(b, th.Listen(l, 5))
	c, _ := th.Socket(sim.AF_INET, sim.SOCK_STREAM, 0)
	must(b, th.ConnectAddr(c, loopback))
	b.ReportAllocs()
	for b.Loop() {
		if th.WSASetSocketSecurity(c, nil, 0, nil, nil) == nil {
			b.Fatal("the call was accepted")
		}
	}
}

// BenchmarkSimBindClose binds and closes one socket on a host that already has N live bound
// sockets, and reports the heap each live socket costs.
func BenchmarkSimBindClose(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("live=%s", count(n)), func(b *testing.B) {
			host, err := sim.NewNetwork().AddHost(sim.HostConfig{Name: "h", MaxSockets: n + 16})
			must(b, err)
			th := host.App().Main()
			before := heap()
			for i := 0; i < n; i++ {
				s, err := th.Socket(sim.AF_INET, sim.SOCK_DGRAM, 0)
				must(b, err)
				must(b, th.BindAddr(s, sockaddr.Inet4(127, byte(i>>16), byte(i>>8), byte(i), uint16(1+i%60000))))
			}
			perSocket := float64(heap()-before) / float64(n)
			to := sockaddr.Inet4(127, 200, 0, 1, 9).Encode()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				s, err := th.Socket(sim.AF_INET, sim.SOCK_DGRAM, 0)
				must(b, err)
				must(b, th.Bind(s, to, int32(len(to))))
				must(b, th.Closesocket(s))
			}
			b.ReportMetric(perSocket, "B/livesocket")
			runtime.KeepAlive(th)
		})
	}
}

// BenchmarkSimParallel makes bind+closesocket calls from b.RunParallel, each goroutine on its
// own thread and sockets: the throughput with -cpu 1,2 shows whether calls share a lock.
//
// addr=own binds as BenchmarkSimBindClose does, a fixed address, each goroutine its own port:
// the calls share nothing but the host. addr=ephemeral binds port 0, so every goroutine takes
// the next port of the host's one ephemeral sequence (as on Windows, one per protocol): that
// counter, and the port-table shards the consecutive ports fall in, pass from core to core.
func BenchmarkSimParallel(b *testing.B) {
	for _, ephemeral := range []bool{false, true} {
		name := "addr=own"
		if ephemeral {
			name = "addr=ephemeral"
		}
		b.Run(name, func(b *testing.B) {
			host := sim.NewNetwork().MustAddHost("h")
			app := host.App()
			var goroutines atomic.Uint32
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				th := app.NewThread()
				port := uint16(0)
				if !ephemeral {
					port = uint16(10_000 + goroutines.Add(1))
				}
				to := sockaddr.Inet4(127, 0, 0, 1, port).Encode()
				for pb.Next() {
					s, err := th.Socket(sim.AF_INET, sim.SOCK_DGRAM, 0)
					if err != nil {
						b.Error(err)
						return
					}
					if err := th.Bind(s, to, int32(len(to))); err != nil {
						b.Error(err)
						return
					}
					if err := th.Closesocket(s); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkMachineParallel is the machine's own scaling, the baseline for BenchmarkSimParallel:
// goroutines that share nothing, each mixing a number in registers. With -cpu 1,2 it shows
// how much of a second CPU the machine gives at that moment (a shared VM's second vCPU comes
// and goes), so that the report can tell a simulator that stops scaling from a machine that does.
func BenchmarkMachineParallel(b *testing.B) {
	var sink atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		x := uint64(1)
		for pb.Next() {
			for range 100 {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
			}
		}
		sink.Add(x)
	})
}

// scenario10k is a scenario file of 10,000 lines: a listener, then secured connections made,
// accepted, checked and closed, seven lines each.
func scenario10k() (text []byte, lines int) {
	var src strings.Builder
	src.WriteString("l = socket AF_INET SOCK_STREAM 0\nbind l 127.0.0.1:27015\nlisten l SOMAXCONN\n")
	lines = 3
	for lines+7 <= 10_000 {
		src.WriteString("c = socket AF_INET SOCK_STREAM 0\nWSASetSocketSecurity c\nconnect c 127.0.0.1:27015\na = accept l\ngetsockopt a SOL_SOCKET SO_TYPE => ok value=1\nclosesocket a\nclosesocket c\n")
		lines += 7
	}
	return []byte(src.String()), lines
}

// BenchmarkScenario10k runs a scenario file of 10,000 lines through the scenario engine (parse
// and run); it reports simulated calls per second.
func BenchmarkScenario10k(b *testing.B) {
	text, lines := scenario10k()
	b.ReportAllocs()
	for b.Loop() {
		s, err := scenario.Parse("bench.wss", text)
		must(b, err)
		if r := scenario.Run(s, scenario.SimBackend(), scenario.Options{}); !r.Passed() {
			b.Fatalf("the scenario failed: %v %v", r.Err, r.Failures())
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkScenario10kStreamed runs the same file streamed (scenario.RunReader, which wsssim run
// uses for files over 1 MiB): each line checked and run as it is read, none kept.
func BenchmarkScenario10kStreamed(b *testing.B) {
	text, lines := scenario10k()
	b.ReportAllocs()
	for b.Loop() {
		if r := scenario.RunReader("bench.wss", bytes.NewReader(text), scenario.SimBackend(), scenario.Options{}); !r.Passed() {
			b.Fatalf("the scenario failed: %v %v", r.Err, r.Failures())
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkFuzz is the fuzzer: generating programs, running them and checking the invariants;
// it reports simulated calls per second.
func BenchmarkFuzz(b *testing.B) {
	calls := 0
	seed := uint64(1)
	var gen fuzz.Generator // as wsssim fuzz makes its programs
	for b.Loop() {
		v, n := fuzz.Check(gen.Generate(seed, 200))
		if v != nil {
			b.Fatal(v)
		}
		calls += n
		seed++
	}
	b.ReportMetric(float64(calls)/b.Elapsed().Seconds(), "calls/s")
}

// must fails the benchmark on an error. It marks itself a helper only on the failure path:
// b.Helper walks the call stack, which in a loop of seven calls cost more than the simulated
// calls themselves and made the harness, not the simulator, the bulk of the figure.
func must(b *testing.B, err error) {
	if err != nil {
		b.Helper()
		b.Fatal(err)
	}
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func count(n int) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1_000:
		return fmt.Sprintf("%dk", n/1_000)
	}
	return fmt.Sprint(n)
}
