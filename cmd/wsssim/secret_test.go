package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsssim/wsssim/fuzz"
	"github.com/wsssim/wsssim/scenario"
)

// secret is the password the scenarios below pass; nothing wsssim writes may contain it.
const secret = "Pelican-Harbour-8812"

// secretForms are the ways the password could leak: its text, part of it, its UTF-16LE bytes in
// hex, and its code units as fmt prints a []uint16.
func secretForms() []string {
	units := utf16.Encode([]rune(secret))
	var le bytes.Buffer
	for _, u := range units {
		le.WriteByte(byte(u))
		le.WriteByte(byte(u >> 8))
	}
	return []string{secret, "Pelican", "Harbour-8812", fmt.Sprintf("%x", le.Bytes()), strings.Trim(fmt.Sprint(units), "[]")}
}

// mainOutput runs the command line and returns what it wrote.
func mainOutput(args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = Main(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// TestThePasswordAppearsInNoOutput runs every command and output format over scenarios that pass
// an IPsec password — succeeding, failing, through WSAIoctl, malformed, in a file that does not
// parse — and scans everything written: text, --trace, JSON lines, JUnit, the --trace-out
// recording, replay's reports (a divergence included), explain, a fuzz reproducer and a
// fuzz violation.
func TestThePasswordAppearsInNoOutput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	pass := write("pass.wss", `host h 10.0.0.1
h: s = socket AF_INET SOCK_STREAM 0
h: WSASetSocketSecurity s protocol=IPSEC user=bob domain=CORP password=`+secret+`
h: u = socket AF_INET SOCK_DGRAM 0
h: WSAIoctl u SIO_SET_SECURITY protocol=IPSEC user=bob password="`+secret+`"
h: getsockopt s SOL_SOCKET SO_EXCLUSIVEADDRUSE => ok value=1
`)
	fail := write("fail.wss", `s = socket AF_INET SOCK_STREAM 0
bind s 127.0.0.1:0
WSASetSocketSecurity s protocol=IPSEC user=bob password=`+secret+`
t = socket AF_INET SOCK_STREAM 0
WSASetSocketSecurity t protocol=IPSEC password=`+secret+` len=90 => ok
`)
	bad := write("bad.wss", `s = socket AF_INET SOCK_STREAM 0
WSASetSocketSecurity s password=`+secret+` bogus=1
WSASetSocketSecurity s password="`+secret+`\q"
`)
	rec := filepath.Join(dir, "rec.jsonl")

	var outputs []string
	collect := func(what string, args ...string) {
		o, e, _ := mainOutput(args...)
		outputs = append(outputs, what+" stdout:\n"+o, what+" stderr:\n"+e)
	}
	collect("run", "run", pass, fail, bad)
	collect("run --trace", "run", "--trace", "-v", pass, fail, bad)
	collect("run --stream --trace", "run", "--stream", "--trace", pass, fail)
	collect("run json", "run", "--format", "json", "--trace", pass, fail, bad)
	collect("run json streamed", "run", "--format", "json", "--trace", "--stream", pass, fail)
	collect("run junit", "run", "--format", "junit", pass, fail, bad)
	collect("run --trace-out", "run", "--trace-out", rec, pass, fail, bad)
	recorded, err := os.ReadFile(rec)
	require.NoError(t, err)
	require.Contains(t, string(recorded), "password=[redacted]", "the recording has the calls")
	outputs = append(outputs, "recording:\n"+string(recorded))
	collect("replay", "replay", rec)
	write("pass.wss", strings.Replace(mustRead(t, pass), "SO_EXCLUSIVEADDRUSE => ok value=1", "SO_EXCLUSIVEADDRUSE => ok value=0", 1))
	o, _, code := mainOutput("replay", rec)
	require.Equal(t, exitFail, code, "a changed scenario diverges: %s", o)
	outputs = append(outputs, "replay divergence:\n"+o)
	collect("explain", "explain", "SETSEC-BOUND")
	collect("explain code", "explain", "WSAEMSGSIZE")

	// The fuzzer: a reproducer of a program that passes the password, and a violation report.
	prog := fuzz.Program{Lines: []string{
		"a: s1 = socket AF_INET SOCK_STREAM 0 => ok|error",
		"a: WSASetSocketSecurity s1 protocol=IPSEC user=bob password=" + secret + " => ok|error",
	}}
	v := &fuzz.Violation{Invariant: "panic", Line: 6, Stmt: scenario.RedactPasswords(prog.Lines[1]), Detail: "test"}
	repro := reproducer(7, 2, prog, v, "fuzz-7.wss")
	require.Contains(t, repro, "password=********************", "the reproducer keeps the password's length")
	outputs = append(outputs, "fuzz reproducer:\n"+repro)
	bad2 := fuzz.Program{Lines: []string{`a: WSASetSocketSecurity 0x100 password="` + secret + `\q" => ok|error`}}
	if sv, _ := fuzz.Check(bad2); sv != nil {
		outputs = append(outputs, "fuzz violation:\n"+sv.Error())
	} else {
		t.Fatal("a malformed program gave no violation")
	}

	for _, out := range outputs {
		for _, form := range secretForms() {
			if strings.Contains(out, form) {
				t.Errorf("%q leaks in %s", form, out)
			}
		}
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// TestRunStreamsLargeFiles: a file over 1 MiB runs streamed; its summary and JSON counts cover
// every step although only failures are kept.
func TestRunStreamsLargeFiles(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for b.Len() <= streamAbove {
		b.WriteString("s = socket AF_INET SOCK_DGRAM 0\nclosesocket s\n")
	}
	lines := strings.Count(b.String(), "\n")
	b.WriteString("listen s 1 => ok\n") // one failure at the end
	p := filepath.Join(dir, "large.wss")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	o, e, code := mainOutput("run", "--format", "json", p)
	assert.Equal(t, exitFail, code, e)
	assert.Contains(t, o, fmt.Sprintf(`"status":"failed","backend":"sim","failed":1,"steps":%d}`, lines+1))
	assert.Contains(t, o, fmt.Sprintf(`"line":%d,"app":"local","call":"listen","got":"WSAENOTSOCK"`, lines+1))
	o, _, _ = mainOutput("run", p)
	assert.Contains(t, o, "large.wss:"+fmt.Sprint(lines+1)+": listen s 1: got WSAENOTSOCK, want ok")
	assert.Contains(t, o, "0 passed, 1 failed")
}
