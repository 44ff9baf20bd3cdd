package bench

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wsssim/wsssim/scenario"
)

func BenchmarkTmpStream10k(b *testing.B) {
	var src strings.Builder
	src.WriteString("l = socket AF_INET SOCK_STREAM 0\nbind l 127.0.0.1:27015\nlisten l SOMAXCONN\n")
	lines := 3
	for lines+7 <= 10_000 {
		src.WriteString("c = socket AF_INET SOCK_STREAM 0\nWSASetSocketSecurity c\nconnect c 127.0.0.1:27015\na = accept l\ngetsockopt a SOL_SOCKET SO_TYPE => ok value=1\nclosesocket a\nclosesocket c\n")
		lines += 7
	}
	text := []byte(src.String())
	b.ReportAllocs()
	for b.Loop() {
		if r := scenario.RunReader("bench.wss", bytes.NewReader(text), scenario.SimBackend(), scenario.Options{}); !r.Passed() {
			b.Fatalf("the scenario failed: %v %v", r.Err, r.Failures())
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}
