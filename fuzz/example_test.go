package fuzz_test

import (
	"fmt"

	"github.com/wsssim/wsssim/fuzz"
)

// A fuzzing loop, as wsssim fuzz runs it: one Generator makes every program (each reusing the
// last one's memory, since a program that passes is not kept), Check runs it on the simulator
// and checks the invariants after every call, and Shrink would cut a violating program down.
func ExampleGenerator() {
	var gen fuzz.Generator
	calls := 0
	for seed := uint64(1); seed <= 20; seed++ {
		p := gen.Generate(seed, 100)
		v, n := fuzz.Check(p)
		if v != nil {
			small, sv := fuzz.Shrink(p.Clone(), v)
			fmt.Printf("seed %d: %v\n%s", seed, sv, small.Text())
			return
		}
		calls += n
	}
	fmt.Println("no violation; the first program begins:")
	fmt.Println(fuzz.Generate(1, 3).Lines[0])
	fmt.Println(calls > 1000)
	// Output:
	// no violation; the first program begins:
	// b: s1 = WSASocket 0xdead SOCK_STREAM 0 WSA_FLAG_OVERLAPPED => ok|error
	// true
}
