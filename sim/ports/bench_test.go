package ports

import (
	"net/netip"
	"runtime"
	"strconv"
	"testing"

	"github.com/wsssim/wsssim/sockaddr"
)

// populate fills a table with live reservations: every port of both protocols on one
// specific address before the next address, so at 1M entries each protocol:port holds about
// eight sockets (as many as a real port shared by SO_REUSEADDR or bound per interface).
func populate(b *testing.B, tab *Table, live int) {
	for i := range live {
		port := uint16(1 + i%60000)
		proto := TCP
		if (i/60000)%2 == 1 {
			proto = UDP
		}
		host := i / 120000
		ip := netip.AddrFrom4([4]byte{10, 1, byte(host >> 8), byte(host)})
		if _, code := tab.Bind(Request{Proto: proto, Addr: sockaddr.Addr{Family: sockaddr.AF_INET, IP: ip, Port: port}, User: "u"}); code != 0 {
			b.Fatalf("populate %d: %v", i, code)
		}
	}
}

// BenchmarkBindRelease binds and releases one socket on a populated port, at 1k and 1M live
// entries; it also reports the heap cost of a live entry.
func BenchmarkBindRelease(b *testing.B) {
	for _, live := range []int{1000, 1000000} {
		b.Run("live="+map[int]string{1000: "1k", 1000000: "1M"}[live], func(b *testing.B) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			tab := NewTable(Options{})
			populate(b, tab, live)
			runtime.GC()
			runtime.ReadMemStats(&after)
			ip := netip.AddrFrom4([4]byte{192, 168, 0, 1})
			span := min(live, 60000)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				port := uint16(1 + (i*7919)%span)
				i++
				e, code := tab.Bind(Request{Proto: TCP, Addr: sockaddr.Addr{Family: sockaddr.AF_INET, IP: ip, Port: port}, ReuseAddr: true, User: "u"})
				if code != 0 {
					b.Fatal(code)
				}
				tab.Release(e)
			}
			b.StopTimer()
			// After the loop: ResetTimer (and b.Loop's first call) drop user metrics.
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(live), "heapB/live-entry")
			if tab.Len() != live {
				b.Fatal("Len " + strconv.Itoa(tab.Len()))
			}
		})
	}
}

// BenchmarkLookup finds the receiver of a connection on a populated port.
func BenchmarkLookup(b *testing.B) {
	tab := NewTable(Options{})
	populate(b, tab, 1000)
	dst := sockaddr.Addr{Family: sockaddr.AF_INET, IP: netip.AddrFrom4([4]byte{10, 1, 0, 0}), Port: 500}
	b.ReportAllocs()
	for b.Loop() {
		if tab.Lookup(TCP, dst, false) == nil {
			b.Fatal("nobody")
		}
	}
}

// BenchmarkBindReleaseParallel measures contention across goroutines on distinct ports.
func BenchmarkBindReleaseParallel(b *testing.B) {
	tab := NewTable(Options{})
	populate(b, tab, 1000)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			e, code := tab.Bind(Request{Proto: UDP, Addr: sockaddr.Any(sockaddr.AF_INET6, 0), DualStack: true})
			if code != 0 {
				b.Fatal(code)
			}
			tab.Release(e)
		}
	})
}
