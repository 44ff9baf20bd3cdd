#!/bin/bash -eu
# Builds every Go native fuzz target of the module as a libFuzzer binary, $OUT/<Target>, with its
# seeds from testdata/fuzz/<Target>/ as $OUT/<Target>_seed_corpus.zip. ClusterFuzzLite runs it in
# the container .clusterfuzzlite/Dockerfile describes.
#
# compile_native_go_fuzzer (OSS-Fuzz's script for native Go fuzzers) finds the one file that
# mentions the target, copies it to a file that is not a _test.go file, replaces testing.F with
# go-118-fuzz-build's stand-in and builds a libFuzzer archive with go-118-fuzz-build. Hence, for
# every target:
#   - its name appears in exactly one file of its package folder;
#   - that file uses only its package's non-test code, since the package's other _test.go files
#     are not compiled (internal/fuzzseed's tests build each target file that way);
#   - it takes one []byte: the stand-in draws it from the input with a 4-byte length prefix,
#     which is how the seed zips below encode each seed.
# The list must name every target exactly once: internal/fuzzseed's tests compare it with the
# func FuzzX(f *testing.F) declarations in the tree, so a renamed target fails go test.

cd "$SRC/wsssim"

# go.mod asks for Go 1.26: let the go command fetch that toolchain if the image's is older.
export GOTOOLCHAIN=auto

# The stand-in testing package must be in go.mod for the build. It is added inside this
# container only; the project's go.mod does not depend on it. The version is pinned because the
# seed zips are written for its input format (internal/fuzzseed.LibFuzzerInput).
go get github.com/AdamKorcz/go-118-fuzz-build/testing@v0.0.0-20250520111509-a70c2aa677fa

compile_native_go_fuzzer github.com/wsssim/wsssim/fuzz FuzzCallsAcrossHosts FuzzCallsAcrossHosts
compile_native_go_fuzzer github.com/wsssim/wsssim/fuzz FuzzCallsOneHost FuzzCallsOneHost
compile_native_go_fuzzer github.com/wsssim/wsssim/policy FuzzDecodePeerTargetName FuzzDecodePeerTargetName
compile_native_go_fuzzer github.com/wsssim/wsssim/policy FuzzDecodeQueryInfo FuzzDecodeQueryInfo
compile_native_go_fuzzer github.com/wsssim/wsssim/policy FuzzDecodeQueryTemplate FuzzDecodeQueryTemplate
compile_native_go_fuzzer github.com/wsssim/wsssim/policy FuzzDecodeSettings FuzzDecodeSettings
compile_native_go_fuzzer github.com/wsssim/wsssim/scenario FuzzParse FuzzParse
compile_native_go_fuzzer github.com/wsssim/wsssim/policy FuzzParseText FuzzParseText

# $OUT/<Target>_seed_corpus.zip for every folder of testdata/fuzz.
go run ./internal/fuzzseed/seedzip testdata/fuzz "$OUT"
