package sim

import (
	"strings"
	"sync"

	"github.com/wsssim/wsssim/errors"
	"github.com/wsssim/wsssim/sim/ipsec"
)

// Identities: the account an application runs as, the peer tokens WSAQuerySocketSecurity
// hands out, and the identity a thread takes while it impersonates a socket's peer.

// tokenTable holds an application's open access-token handles. Handles are kernel handles:
// multiples of 4, in their own range so that they never equal a SOCKET of the same process.
type tokenTable struct {
	mu      sync.Mutex
	next    uint64
	handles map[uint64]ipsec.Identity
}

// firstToken is where token handles start, well above the socket handles' first block.
const firstToken = 0x40000000

func (t *tokenTable) open(id ipsec.Identity) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.handles == nil {
		t.handles = map[uint64]ipsec.Identity{}
		t.next = firstToken
	}
	h := t.next
	t.next += 4
	t.handles[h] = id
	return h
}

func (t *tokenTable) close(h uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.handles[h]; !ok {
		return false
	}
	delete(t.handles, h)
	return true
}

// count reports how many token handles are open.
func (t *tokenTable) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.handles)
}

// OpenTokens reports how many peer-token handles (from WSAQuerySocketSecurity) the application
// has not closed.
func (a *App) OpenTokens() int { return a.tokens.count() }

// Identity is the account the application runs under, as GetUserNameEx(NameSamCompatible)
// writes it: NT AUTHORITY\SYSTEM for the default application, DOMAIN\user on a domain member,
// HOST\user on a workgroup machine.
func (a *App) Identity() ipsec.Identity {
	if strings.EqualFold(a.user, "SYSTEM") {
		return ipsec.Identity{Domain: "NT AUTHORITY", Name: "SYSTEM"}
	}
	domain := a.host.creds.Domain
	if domain == "" {
		domain = strings.ToUpper(a.host.name)
	}
	return ipsec.Identity{Domain: domain, Name: a.user}
}

var ruleCloseHandleInvalid = rule("CLOSEHANDLE-INVALID", "CloseHandle", errors.ERROR_INVALID_HANDLE,
	"the handle is not an open token handle of the application (never returned, or already closed)",
	"doc: CloseHandle — if the function fails, GetLastError gives the reason; an invalid handle gives ERROR_INVALID_HANDLE",
	nil)

// chainCloseHandle is empty: CloseHandle is kernel32's and needs no WSAStartup; its one failure
// is the outcome CLOSEHANDLE-INVALID.
var chainCloseHandle = chain("CloseHandle")

// CloseHandle closes a token handle that WSAQuerySocketSecurity returned
// (PeerApplicationAccessTokenHandle, PeerMachineAccessTokenHandle). Winsock need not be
// initialised: it is a kernel32 function.
func (t *Thread) CloseHandle(h uint64) error {
	c := t.begin("CloseHandle")
	defer t.end(c)
	c.h = Handle(h)
	return t.run(c, chainCloseHandle, func(c *call) error {
		if !c.app.tokens.close(uint64(c.h)) {
			return ruleCloseHandleInvalid.err
		}
		return nil
	})
}

// GetUserName returns the identity the thread acts as, in the SAM-compatible form
// GetUserNameEx(NameSamCompatible) gives: the impersonated peer's (CORP\alice, or the peer
// machine CORP\PC1$) while the thread impersonates one, else the application's account.
func (t *Thread) GetUserName() (string, error) {
	c := t.begin("GetUserName")
	defer t.end(c)
	c.h = INVALID_SOCKET
	name := t.App().Identity().String()
	if id := t.impersonating.Load(); id != nil {
		name = id.String()
	}
	err := t.run(c, nil, func(c *call) error { c.userName = name; return nil })
	return name, err
}
