// Command seedzip turns the Go seed corpora in testdata/fuzz into ClusterFuzzLite seed zips:
//
//	go run ./internal/fuzzseed/seedzip testdata/fuzz "$OUT"
//
// writes "$OUT/<Target>_seed_corpus.zip" for every target folder, each seed encoded as the
// libFuzzer input that gives the target the seed's bytes (.clusterfuzzlite/build.sh runs it).
package main

import (
	"fmt"
	"os"

	"github.com/wsssim/wsssim/internal/fuzzseed"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: seedzip CORPUS_DIR OUT_DIR")
		os.Exit(2)
	}
	written, err := fuzzseed.WriteZips(os.Args[1], os.Args[2])
	for _, path := range written {
		fmt.Println(path)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
