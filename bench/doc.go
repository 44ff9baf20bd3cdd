// Package bench measures wsssim against real sockets in the same run: the kernel's TCP loopback
// (through golang.org/x/sys/unix) and Go's net package are the baselines, and the simulator's
// figures are reported as ratios against them — never as timed assertions.
//
// Run the suite and print the table of figures, targets and baselines with
//
//	go run ./bench/report -count 6
package bench
