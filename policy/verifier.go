package policy

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
)

// Verifier is what is kept of a password once the settings that carried it have been applied:
// a random salt and HMAC-SHA256 of the password's UTF-16LE bytes under that salt. It can tell
// whether a password offered later (by an IPsec negotiation checking credentials) is the same
// one, and nothing more: the password cannot be read back from it, and equal passwords give
// different verifiers. Like Secret it prints, marshals and logs as "[redacted]". The zero
// Verifier stands for "no password".
type Verifier struct {
	salt [16]byte
	sum  [sha256.Size]byte
	set  bool
}

// NewVerifier makes the verifier of a password; an empty Secret gives the zero Verifier. The
// Secret is left as it is: Seal is the call that also wipes it.
func NewVerifier(s Secret) Verifier {
	var v Verifier
	if s.Len() == 0 {
		return v
	}
	_, _ = rand.Read(v.salt[:]) // crypto/rand.Read never fails (it aborts the program instead)
	v.sum = v.mac(s)
	v.set = true
	return v
}

// mac is HMAC-SHA256(salt, UTF-16LE units of s). The bytes pass through a buffer that is
// cleared before it is released.
func (v Verifier) mac(s Secret) [sha256.Size]byte {
	var out [sha256.Size]byte
	buf := make([]byte, s.Len())
	s.putTo(buf)
	m := hmac.New(sha256.New, v.salt[:])
	m.Write(buf)
	clear(buf)
	copy(out[:], m.Sum(nil))
	return out
}

// IsZero reports whether the verifier stands for no password.
func (v Verifier) IsZero() bool { return !v.set }

// Verify reports whether s is the password the verifier was made from, in time that does not
// depend on where they differ. No password matches the zero Verifier but the empty one.
func (v Verifier) Verify(s Secret) bool {
	if !v.set {
		return s.Len() == 0
	}
	got := v.mac(s)
	return hmac.Equal(got[:], v.sum[:])
}

// String returns "[redacted]".
func (v Verifier) String() string { return Redacted }

// GoString returns "[redacted]".
func (v Verifier) GoString() string { return Redacted }

// Format prints "[redacted]" for every verb (quoted for %q).
func (v Verifier) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", Redacted)
		return
	}
	_, _ = f.Write([]byte(Redacted))
}

// MarshalJSON writes the JSON string "[redacted]".
func (v Verifier) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText writes "[redacted]".
func (v Verifier) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue makes slog print "[redacted]".
func (v Verifier) LogValue() slog.Value { return slog.StringValue(Redacted) }

// Seal is what the simulator does with explicit credentials once WSASetSocketSecurity has
// applied them: the password is replaced by its Verifier and wiped, for every copy of the
// Secret. The user and domain names stay, and ExplicitCredentials still reports that
// credentials were given. Sealed settings encode without a password. Sealing twice keeps the
// first verifier.
func (ip *IPsecSettings) Seal() {
	if ip == nil {
		return
	}
	if ip.Password.Len() > 0 {
		ip.PasswordVerifier = NewVerifier(ip.Password)
	}
	ip.Password.Wipe()
	ip.Password = Secret{}
}

// ExplicitCredentials reports whether the settings carry explicit credentials: a user name, a
// domain name or a password (still present, or sealed into PasswordVerifier).
func (ip *IPsecSettings) ExplicitCredentials() bool {
	return ip != nil && (ip.UserName != "" || ip.DomainName != "" || ip.Password.Len() > 0 || !ip.PasswordVerifier.IsZero())
}
