package scenario

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/wsssim/wsssim/errors"
)

// genText draws text for a KEY="value", with the characters that force quoting.
func genText(t *rapid.T, label string) string {
	return rapid.SampledFrom([]string{
		"", "alice", "CORP\\alice", "two words", "hash # inside", `quote " inside`, "arrow => inside",
		"tab\there", "nl\nhere", "é ünïcödé", "\x00\xff", "NULL", "a=b", "|pipe|",
	}).Draw(t, label)
}

func genValueArg(t *rapid.T, key, label string) Arg {
	v := genText(t, label)
	quoted := rapid.Bool().Draw(t, label+"-quoted") || needsQuotes(v) || v == ""
	return Arg{Key: key, Value: v, Quoted: quoted}
}

var (
	genAddrs = []string{"127.0.0.1:80", "[::1]:80", "[::ffff:127.0.0.1]:80", "0.0.0.0:0", "[fe80::1%3]:8", "10.0.0.1:27015", "NULL", "AF_UNSPEC"}
	genCodes = []errors.Errno{errors.WSAEINVAL, errors.WSA_IO_PENDING, errors.ERROR_INVALID_PARAMETER, errors.WSAENOTSOCK, 12345, errors.WSAEFAULT}
)

func genInt(t *rapid.T, label string, names ...string) string {
	choices := append([]string{"0", "1", "-1", "0x10", "0xdeadbeef", "4294967295"}, names...)
	return rapid.SampledFrom(choices).Draw(t, label)
}

// genScript draws a valid script: declarations, then statements whose variables are bound
// before use in the application that uses them.
func genScript(t *rapid.T) *Script {
	s := &Script{Name: "gen.wss"}
	nHosts := rapid.IntRange(0, 3).Draw(t, "hosts")
	for i := 0; i < nHosts; i++ {
		h := HostDecl{Name: fmt.Sprintf("h%d", i)}
		for j := 0; j < rapid.IntRange(0, 2).Draw(t, "addrs"); j++ {
			if rapid.Bool().Draw(t, "v6") {
				h.Addrs = append(h.Addrs, netip.MustParseAddr(fmt.Sprintf("fd00::%d:%d", i+1, j+1)))
			} else {
				h.Addrs = append(h.Addrs, netip.MustParseAddr(fmt.Sprintf("10.0.%d.%d", i, j+1)))
			}
		}
		for j := 0; j < rapid.IntRange(0, 2).Draw(t, "opts"); j++ {
			if rapid.Bool().Draw(t, "certopt") {
				cert := genValueArg(t, "cert", "optval")
				if strings.TrimSpace(cert.Value) != "" {
					h.Options = append(h.Options, cert)
				}
				continue
			}
			kv := rapid.SampledFrom([][2]string{{"domain", "CORP"}, {"domain", "east"}, {"require", "tcp/445"},
				{"request", "udp/500,tcp/80"}, {"failover", "yes"}}).Draw(t, "opt")
			h.Options = append(h.Options, Arg{Key: kv[0], Value: kv[1]})
		}
		s.Hosts = append(s.Hosts, h)
	}
	hostNames := []string{localHost}
	if nHosts > 0 {
		hostNames = nil
		for _, h := range s.Hosts {
			hostNames = append(hostNames, h.Name)
		}
	}
	labels := append([]string(nil), hostNames...)
	for i := 0; i < rapid.IntRange(0, 2).Draw(t, "apps"); i++ {
		a := AppDecl{Host: rapid.SampledFrom(hostNames).Draw(t, "apphost"), Name: fmt.Sprintf("a%d", i), User: genText(t, "user")}
		if strings.TrimSpace(a.User) == "" {
			a.User = "bob"
		}
		if rapid.Bool().Draw(t, "appopt") {
			a.Options = append(a.Options, genValueArg(t, "role", "role"))
		}
		s.Apps = append(s.Apps, a)
		labels = append(labels, a.Label())
	}
	bound := map[string][]string{}
	for i := 0; i < rapid.IntRange(0, 25).Draw(t, "stmts"); i++ {
		st := &Stmt{}
		label := rapid.SampledFrom(labels).Draw(t, "who")
		if len(s.Hosts) >= 2 || strings.Contains(label, "/") || rapid.Bool().Draw(t, "saywho") {
			st.Who = label
		}
		sock := func() Arg {
			if vars := bound[label]; len(vars) > 0 && rapid.IntRange(0, 3).Draw(t, "sockkind") > 0 {
				return Arg{Value: rapid.SampledFrom(vars).Draw(t, "var")}
			}
			return Arg{Value: rapid.SampledFrom([]string{"0x100", "INVALID_SOCKET", "-1", "0xdeadbeef", "18446744073709551615"}).Draw(t, "handle")}
		}
		event := func() string {
			if vars := bound[label]; len(vars) > 0 && rapid.IntRange(0, 3).Draw(t, "evkind") > 0 {
				return rapid.SampledFrom(vars).Draw(t, "evvar")
			}
			return rapid.SampledFrom([]string{"0x104", "WSA_INVALID_EVENT", "NULL", "-1"}).Draw(t, "evhandle")
		}
		// overlapped draws the overlapped keys of a call that takes them.
		overlapped := func(routine bool) []Arg {
			var out []Arg
			if !rapid.Bool().Draw(t, "ovkeys") {
				return out
			}
			out = append(out, Arg{Key: "ov", Value: rapid.SampledFrom([]string{"o1", "o2", "NULL"}).Draw(t, "ovname")})
			if out[0].Value != "NULL" && rapid.Bool().Draw(t, "event") {
				out = append(out, Arg{Key: "event", Value: event()})
			}
			if routine && rapid.Bool().Draw(t, "routine") {
				out = append(out, Arg{Key: "routine", Value: rapid.SampledFrom([]string{"R1", "done_2"}).Draw(t, "routinename")})
			}
			return out
		}
		pos := func(v string) Arg { return Arg{Value: v} }
		kv := func(k, v string) Arg { return Arg{Key: k, Value: v} }
		spec := rapid.SampledFrom(callList).Draw(t, "call")
		if spec.pseudo {
			st.Who = ""
		} else if rapid.Bool().Draw(t, "thread") {
			st.Thread = rapid.SampledFrom([]string{"worker", "t2", "main"}).Draw(t, "threadname")
		}
		st.Call = spec.name
		switch spec.name {
		case "mmpolicy", "qmpolicy":
			st.Args = []Arg{pos("{11111111-2222-3333-4444-555555555555}"), kv("host", "h0")}
			if spec.name == "qmpolicy" && rapid.Bool().Draw(t, "qmkeys") {
				st.Args = append(st.Args, kv("proposals", "ESP:SHA1+AES_128,AH:SHA1"), kv("em", "KERBEROS"), kv("impersonation", "SOCKET_PRINCIPAL"), kv("lifetime", "1h"))
			}
			if spec.name == "mmpolicy" && rapid.Bool().Draw(t, "mmkeys") {
				st.Args = append(st.Args, kv("proposals", "AES_128/SHA1/ECP_256"), kv("auth", "ANONYMOUS"))
			}
		case "CloseHandle":
			st.Args = []Arg{pos(rapid.SampledFrom([]string{"machinetoken", "apptoken", "0x40000000", "12"}).Draw(t, "token"))}
		case "netfault":
			st.Args = []Arg{pos(rapid.SampledFrom([]string{"drop", "delay", "reset", "unreachable", "negotiation"}).Draw(t, "nfkind"))}
			if rapid.Bool().Draw(t, "nfkeys") {
				st.Args = append(st.Args, kv("to", "h0"), kv("delay", "250ms"), Arg{Key: "reason", Value: "no answer", Quoted: true}, kv("times", "2"))
			}
		case "advance":
			st.Args = []Arg{pos(rapid.SampledFrom([]string{"0s", "90s", "5m", "1h30m", "2h"}).Draw(t, "duration"))}
		case "inject":
			st.Args = []Arg{pos(rapid.SampledFrom([]string{"bind", "WSASetSocketSecurity", "socket"}).Draw(t, "icall")),
				pos(rapid.SampledFrom([]string{"WSAENOBUFS", "WSAENETDOWN", "10055"}).Draw(t, "icode"))}
			if rapid.Bool().Draw(t, "itimes") {
				st.Args = append(st.Args, kv("times", "1"), kv("nth", "2"))
			}
			if rapid.Bool().Draw(t, "iprob") {
				st.Args = append(st.Args, kv("probability", "0.5"), kv("seed", "7"), kv("app", "h0"))
			}
		case "WSAStartup":
			if rapid.Bool().Draw(t, "ver") {
				st.Args = append(st.Args, pos(rapid.SampledFrom([]string{"2.2", "1.1", "0x0202", "0.0", "255.255"}).Draw(t, "version")))
			}
			if rapid.Bool().Draw(t, "data") {
				st.Args = append(st.Args, kv("data", "NULL"))
			}
		case "socket", "WSASocket":
			st.Args = []Arg{pos(genInt(t, "af", "AF_INET", "AF_INET6", "AF_UNIX")), pos(genInt(t, "type", "SOCK_STREAM", "SOCK_DGRAM")), pos(genInt(t, "proto", "IPPROTO_TCP"))}
			if spec.name == "WSASocket" && rapid.Bool().Draw(t, "flags") {
				st.Args = append(st.Args, pos(rapid.SampledFrom([]string{"WSA_FLAG_OVERLAPPED", "OVERLAPPED|NO_HANDLE_INHERIT", "0x8000"}).Draw(t, "wsaflags")))
			}
		case "setsockopt", "getsockopt":
			st.Args = []Arg{sock(), pos(genInt(t, "level", "SOL_SOCKET", "IPPROTO_IPV6")), pos(genInt(t, "opt", "SO_REUSEADDR", "IPV6_V6ONLY"))}
			if spec.name == "setsockopt" {
				st.Args = append(st.Args, pos(genInt(t, "value", "NULL")))
			} else if rapid.Bool().Draw(t, "optval") {
				st.Args = append(st.Args, kv("optval", "NULL"))
			}
			if rapid.Bool().Draw(t, "len") {
				st.Args = append(st.Args, kv("len", genInt(t, "lenv")))
			}
		case "ioctlsocket":
			st.Args = []Arg{sock(), pos(genInt(t, "cmd", "FIONBIO")), pos(genInt(t, "arg"))}
		case "bind", "connect", "WSAConnect", "ConnectEx", "sendto":
			st.Args = []Arg{sock(), pos(rapid.SampledFrom(genAddrs).Draw(t, "addr"))}
			if rapid.Bool().Draw(t, "len") {
				st.Args = append(st.Args, kv("len", genInt(t, "lenv")))
			}
			if spec.name == "ConnectEx" && rapid.Bool().Draw(t, "ov") {
				st.Args = append(st.Args, kv("ov", rapid.SampledFrom([]string{"o1", "o2"}).Draw(t, "ovname")))
				if rapid.Bool().Draw(t, "event") {
					st.Args = append(st.Args, kv("event", event()))
				}
			}
			if spec.name == "sendto" && rapid.Bool().Draw(t, "data") {
				st.Args = append(st.Args, genValueArg(t, "data", "data"))
			}
		case "listen", "shutdown":
			st.Args = []Arg{sock(), pos(genInt(t, "n", "SOMAXCONN", "SD_SEND"))}
		case "WSAGetOverlappedResult":
			st.Args = []Arg{sock()}
			if rapid.Bool().Draw(t, "ov") {
				st.Args = append(st.Args, pos(rapid.SampledFrom([]string{"NULL", "o1"}).Draw(t, "ovname")))
			}
			if rapid.Bool().Draw(t, "wait") {
				st.Args = append(st.Args, kv("wait", rapid.SampledFrom([]string{"0", "1"}).Draw(t, "waitv")))
			}
		case "accept", "getsockname", "getpeername":
			st.Args = []Arg{sock()}
			if rapid.Bool().Draw(t, "len") {
				st.Args = append(st.Args, kv("len", rapid.SampledFrom([]string{"NULL", "16", "0", "-1", "100000"}).Draw(t, "lenv")))
			}
			if rapid.Bool().Draw(t, "nullbuf") {
				k := "name"
				if spec.name == "accept" {
					k = "addr"
				}
				st.Args = append(st.Args, kv(k, "NULL"))
			}
		case "closesocket":
			st.Args = []Arg{sock()}
		case "WSASetSocketSecurity":
			st.Args = []Arg{sock()}
			switch rapid.IntRange(0, 2).Draw(t, "setsec") {
			case 1:
				st.Args = append(st.Args, kv("settings", "NULL"), kv("len", genInt(t, "lenv")))
			case 2:
				st.Args = append(st.Args, kv("protocol", rapid.SampledFrom([]string{"DEFAULT", "IPSEC", "ipsec2", "SOCKET_SECURITY_PROTOCOL_INVALID", "7", "-1"}).Draw(t, "protocol")))
				if rapid.Bool().Draw(t, "flags") {
					st.Args = append(st.Args, kv("flags", rapid.SampledFrom([]string{"GUARANTEE_ENCRYPTION", "SOCKET_SETTINGS_ALLOW_INSECURE|0x80", "0"}).Draw(t, "flagsv")))
				}
				if rapid.Bool().Draw(t, "ipsec") {
					st.Args = append(st.Args, kv("ipsecflags", "SKIP_FILTER_INSTANTIATION|0x8"), kv("mmpolicy", "{11111111-2222-3333-4444-555555555555}"),
						genValueArg(t, "user", "u"), genValueArg(t, "domain", "d"), genValueArg(t, "password", "p"))
				}
				if rapid.Bool().Draw(t, "len") {
					st.Args = append(st.Args, kv("len", genInt(t, "lenv")))
				}
			}
			st.Args = append(st.Args, overlapped(true)...)
		case "WSAQuerySocketSecurity":
			st.Args = []Arg{sock()}
			if rapid.Bool().Draw(t, "template") {
				st.Args = append(st.Args, kv("protocol", rapid.SampledFrom([]string{"DEFAULT", "IPSEC2", "3"}).Draw(t, "qproto")),
					kv("peer", rapid.SampledFrom([]string{"127.0.0.1:53", "[::1]:53"}).Draw(t, "qpeer")))
				if rapid.Bool().Draw(t, "ipsec2") {
					st.Args = append(st.Args, kv("fieldmask", "MM_SA_ID|QM_SA_ID"), kv("ipsec2flags", "0x1"), kv("access", "0x8"), kv("family", "0xdead"))
				}
			} else if rapid.Bool().Draw(t, "tnull") {
				st.Args = append(st.Args, kv("template", "NULL"), kv("len", genInt(t, "lenv")))
			}
			if rapid.Bool().Draw(t, "infolen") {
				st.Args = append(st.Args, kv("infolen", rapid.SampledFrom([]string{"NULL", "0", "24", "64"}).Draw(t, "infolenv")))
			}
			if rapid.Bool().Draw(t, "info") {
				st.Args = append(st.Args, kv("info", "NULL"))
			}
			st.Args = append(st.Args, overlapped(true)...)
		case "WSASetSocketPeerTargetName":
			name := genValueArg(t, "name", "name")
			if name.Value == "NULL" {
				name.Quoted = true // the text "NULL": a bare NULL passes no structure for the other keys
			}
			st.Args = []Arg{sock(), name}
			if rapid.Bool().Draw(t, "ptn") {
				st.Args = append(st.Args, kv("protocol", "IPSEC2"), kv("peer", "127.0.0.1:53"), kv("namelen", genInt(t, "namelenv")), kv("family", "AF_INET"))
			}
			if rapid.Bool().Draw(t, "len") {
				st.Args = append(st.Args, kv("len", genInt(t, "lenv")))
			}
			st.Args = append(st.Args, overlapped(true)...)
		case "WSADeleteSocketPeerTargetName", "WSAImpersonateSocketPeer":
			st.Args = []Arg{sock(), pos(rapid.SampledFrom(genAddrs).Draw(t, "addr"))}
			if rapid.Bool().Draw(t, "len") {
				st.Args = append(st.Args, kv("len", genInt(t, "lenv")))
			}
			if spec.name == "WSADeleteSocketPeerTargetName" {
				st.Args = append(st.Args, overlapped(true)...)
			}
		case "WSASetEvent", "WSAResetEvent", "WSACloseEvent":
			st.Args = []Arg{pos(event())}
		case "WSAWaitForMultipleEvents":
			evs := event()
			for range rapid.IntRange(0, 2).Draw(t, "moreevents") {
				evs += "," + event()
			}
			if evs == "NULL" || rapid.IntRange(0, 5).Draw(t, "nullevents") == 0 {
				evs = "NULL"
			}
			st.Args = []Arg{pos(evs)}
			for _, k := range []string{"all", "alertable"} {
				if rapid.Bool().Draw(t, k) {
					st.Args = append(st.Args, kv(k, rapid.SampledFrom([]string{"0", "1", "TRUE"}).Draw(t, k+"v")))
				}
			}
			if rapid.Bool().Draw(t, "timeout") {
				st.Args = append(st.Args, kv("timeout", rapid.SampledFrom([]string{"0", "100", "WSA_INFINITE", "INFINITE"}).Draw(t, "timeoutv")))
			}
		case "SleepEx":
			st.Args = []Arg{pos(rapid.SampledFrom([]string{"0", "10", "INFINITE", "4294967295"}).Draw(t, "ms"))}
			if rapid.Bool().Draw(t, "alertable") {
				st.Args = append(st.Args, kv("alertable", rapid.SampledFrom([]string{"0", "1", "FALSE"}).Draw(t, "alertablev")))
			}
		case "WSAIoctl":
			st.Args = []Arg{sock()}
			switch rapid.IntRange(0, 3).Draw(t, "code") {
			case 0:
				st.Args = append(st.Args, pos("SIO_SET_SECURITY"), kv("protocol", "IPSEC"), genValueArg(t, "password", "p"))
			case 1:
				st.Args = append(st.Args, pos("SIO_QUERY_SECURITY"), kv("outlen", genInt(t, "outlenv")))
			case 2:
				st.Args = append(st.Args, pos("SIO_DELETE_PEER_TARGET_NAME"), pos(rapid.SampledFrom(genAddrs).Draw(t, "addr")), kv("bytes", "NULL"))
			case 3:
				st.Args = append(st.Args, pos(genInt(t, "codev", "SIO_SOCKET_USAGE_NOTIFICATION")), kv("in", "NULL"), kv("out", "NULL"))
			}
			st.Args = append(st.Args, overlapped(true)...)
		}
		if spec.handle && rapid.Bool().Draw(t, "assign") {
			st.Var = rapid.SampledFrom([]string{"s", "t", "sock_2", "_x"}).Draw(t, "varname")
		}
		if rapid.Bool().Draw(t, "expect") {
			e := Expectation{Given: true}
			if len(spec.checks) > 0 && rapid.Bool().Draw(t, "checks") {
				e.OK = true
				for _, k := range spec.checks {
					if !rapid.Bool().Draw(t, "check-"+k) {
						continue
					}
					v := map[string]string{"value": "SOCK_STREAM", "len": "16", "bytes": "0x3", "addr": "[::1]:*", "peer": "127.0.0.1:80", "version": "2.2",
						"infolen": "24", "flags": "SECURED|ENCRYPTED", "protocol": "IPSEC2", "reason": "main mode failed: no common proposal",
						"name": `CORP\alice`, "machinetoken": "yes", "apptoken": "no", "mmsa": "1", "qmsa": "0", "negerr": "ERROR_IPSEC_IKE_AUTH_FAIL",
						"result": rapid.SampledFrom([]string{"WSA_WAIT_EVENT_0+2", "WAIT_IO_COMPLETION", "0", "WSA_WAIT_TIMEOUT"}).Draw(t, "resultv"),
						"ran":    rapid.SampledFrom([]string{"none", "R1", "R1,done_2"}).Draw(t, "ranv")}[k]
					e.Checks = append(e.Checks, ValueCheck{Key: k, Value: v})
				}
			} else {
				e.OK = rapid.Bool().Draw(t, "ok")
				e.AnyError = rapid.Bool().Draw(t, "anyerror")
				for j := 0; j < rapid.IntRange(0, 2).Draw(t, "ncodes"); j++ {
					e.Codes = append(e.Codes, rapid.SampledFrom(genCodes).Draw(t, "code"))
				}
				if !e.OK && !e.AnyError && len(e.Codes) == 0 {
					e.OK = true
				}
			}
			st.Expect = e
		}
		s.Stmts = append(s.Stmts, st)
		if st.Var != "" {
			who := label
			if spec.pseudo {
				continue
			}
			if !containsString(bound[who], st.Var) {
				bound[who] = append(bound[who], st.Var)
			}
		}
	}
	return s
}

func TestFormatRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genScript(t)
		text := s.Format()
		back, err := Parse("gen.wss", []byte(text))
		if err != nil {
			t.Fatalf("formatted script does not parse: %v\n%s", err, text)
		}
		require.Equal(t, normalize(s), normalize(back), "%s", text)
		require.Equal(t, text, back.Format())
		// A generated script is valid, so it runs; whatever it returns, it does not panic.
		r := Run(back, SimBackend(), Options{})
		require.NoError(t, r.Err)
		require.Len(t, r.Steps, len(back.Stmts))
	})
}

// soup is the vocabulary of the token-soup property: every kind of token the language has,
// and the characters that stress the lexer.
var soup = []string{
	"host", "app", "server", "server:", "client:", "h/a:", ":", "=", "=>", "#", "\"", `"a b"`, "|",
	"s", "t", "x", "socket", "WSASocket", "bind", "connect", "ConnectEx", "accept", "sendto",
	"WSASetSocketSecurity", "WSAGetOverlappedResult", "getsockopt", "setsockopt", "settle",
	"WSAStartup", "WSACleanup", "closesocket", "listen", "shutdown", "ioctlsocket", "getsockname",
	"AF_INET", "AF_INET6", "AF_UNSPEC", "SOCK_STREAM", "SOCK_DGRAM", "0", "-1", "0x", "0xffffffffffffffffff",
	"99999999999999999999", "127.0.0.1:80", "[::1]:80", "[::1", "10.0.0.1", "fd00::1", "NULL", "INVALID_SOCKET",
	"len=", "len=-2147483649", "len=NULL", "data=\"x", "data=\"\\\"", "protocol=IPSEC", "flags=||", "user=\"", "ov=", "wait=2",
	"ok", "error", "WSAEINVAL", "ok|", "value=", "addr=:*", "peer=[::]:*", "user=alice", "\t", "\r", "\x00", "é",
	"mmpolicy={", "settings=NULL", "password=\"p\"", "version=9.9", "SOMAXCONN", "FIONBIO",
	"server@w:", "@t:", "h@:", "@:", "a/b@main:", "WSACreateEvent", "WSASetEvent", "WSAWaitForMultipleEvents", "SleepEx",
	"e,f", ",", "e,,f", "event=", "event=NULL", "routine=R", "routine=", "ran=", "ran=none", "result=WSA_WAIT_EVENT_0+1",
	"timeout=INFINITE", "alertable=1", "all=2", "INFINITE",
}

func TestParseNeverPanicsOnTokenSoup(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var b strings.Builder
		for i := 0; i < rapid.IntRange(0, 12).Draw(t, "lines"); i++ {
			for j := 0; j < rapid.IntRange(0, 10).Draw(t, "tokens"); j++ {
				b.WriteString(rapid.SampledFrom(soup).Draw(t, "tok"))
				b.WriteString(rapid.SampledFrom([]string{" ", "", "  ", "\t"}).Draw(t, "sep"))
			}
			b.WriteString(rapid.SampledFrom([]string{"\n", "\r\n", " # c\n"}).Draw(t, "eol"))
		}
		checkParse(t, b.String())
	})
}

func TestParseNeverPanicsOnBytes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkParse(t, string(rapid.SliceOfN(rapid.Byte(), 0, 400).Draw(t, "src")))
	})
}
