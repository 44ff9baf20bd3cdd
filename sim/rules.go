package sim

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wsssim/wsssim/errors"
)

// Rule is one precondition or outcome of a Winsock call: the single place that says which code a
// call returns in which situation, and why we believe Windows does the same.
//
// A check rule has a predicate; the call runs its function's rules in order (ruling R1's order:
// initialised, socket, pointers, family/type, state, lengths, content) and fails with the first
// one that fires. An outcome rule has no predicate: the model (port table, network) decides it
// while the call changes state, and reports it through the same rule so that a trace can cite it.
type Rule struct {
	ID        string
	Func      string // the Winsock function, or "*" for a rule every socket call shares
	Condition string
	Code      errors.Errno
	Source    string

	fails func(*call) bool
	err   *RuleError
}

// IsOutcome reports whether the model decides the rule while changing state, rather than a
// predicate before it.
func (r *Rule) IsOutcome() bool { return r.fails == nil }

// Err returns the rule's error value. It is allocated once, so failing calls do not allocate.
func (r *Rule) Err() error { return r.err }

// RuleError is the error a failed call returns: the code, and the rule that decided it.
type RuleError struct {
	Rule *Rule
	// Detail says what the model found, where a rule alone does not (the reason an IPsec
	// negotiation failed); empty for precondition failures.
	Detail string
	code   error
}

// Error reads like "WSAEINVAL (10022): an invalid argument was supplied [rule BIND-TWICE]", with
// ": detail" after it when there is one.
func (e *RuleError) Error() string {
	s := e.Rule.Code.Error() + " [rule " + e.Rule.ID + "]"
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// errWith returns a new error of the rule carrying a detail (it allocates, unlike Err).
func (r *Rule) errWith(detail string) error {
	return &RuleError{Rule: r, Detail: detail, code: r.Code}
}

// Code returns the Winsock error code.
func (e *RuleError) Code() errors.Errno { return e.Rule.Code }

// Unwrap exposes the errors.Errno, so errors.Is(err, errors.WSAEINVAL) and errors.As work.
func (e *RuleError) Unwrap() error { return e.code }

var ruleTable []*Rule

// rule registers a rule. Registration order is the table's print order.
func rule(id, fn string, code errors.Errno, condition, source string, fails func(*call) bool) *Rule {
	r := &Rule{ID: id, Func: fn, Condition: condition, Code: code, Source: source, fails: fails}
	r.err = &RuleError{Rule: r, code: code}
	ruleTable = append(ruleTable, r)
	return r
}

// Rules returns the whole rule table, in table order.
func Rules() []*Rule { return append([]*Rule(nil), ruleTable...) }

// RuleByID finds a rule by its ID (case-insensitive).
func RuleByID(id string) (*Rule, bool) {
	for _, r := range ruleTable {
		if strings.EqualFold(r.ID, id) {
			return r, true
		}
	}
	return nil, false
}

// RulesFor returns the rules of one function: its checks in the order its calls run them, then
// the outcomes the model can report for it (some registered under another function, such as
// the implicit bind's conflicts for connect and sendto).
func RulesFor(fn string) []*Rule {
	c, ok := chains[fn]
	if !ok {
		return nil
	}
	out := append([]*Rule(nil), c...)
	return append(out, outcomeRules[fn]...)
}

// outcomeRules lists, per function, the outcome rules its effect can return.
var outcomeRules = map[string][]*Rule{}

func outcomes(fn string, rules ...*Rule) {
	for _, r := range rules {
		if !r.IsOutcome() {
			panic(fmt.Sprintf("sim: check rule %s listed as an outcome of %s", r.ID, fn))
		}
	}
	outcomeRules[fn] = rules
}

func init() {
	implicitBind := []*Rule{ruleBindInUse, ruleBindAccess, ruleBindNoPorts}
	connectResults := []*Rule{ruleConnectRefused, ruleConnectUnreachable, ruleConnectNoRoute, ruleConnectNegotiation,
		ruleInjectedDrop, ruleInjectedUnreachable, ruleInjectedNegotiation}
	outcomes("socket", ruleSocketLimit, ruleSocketNoBufs)
	outcomes("CloseHandle", ruleCloseHandleInvalid)
	outcomes("WSASocket", ruleSocketLimit, ruleSocketNoBufs)
	outcomes("bind", implicitBind...)
	outcomes("connect", append(append([]*Rule{ruleConnectWouldBlock, ruleCloseInterrupts}, connectResults...), implicitBind...)...)
	outcomes("WSAConnect", append(append([]*Rule{ruleConnectWouldBlock, ruleCloseInterrupts}, connectResults...), implicitBind...)...)
	outcomes("ConnectEx", ruleConnectExPending)
	// WSAGetOverlappedResult reports the operation's own result, an abort by closesocket included
	// (read through another socket: the closed one is no socket any more).
	outcomes("WSAGetOverlappedResult", append([]*Rule{ruleOvIncomplete, ruleCloseAborts}, connectResults...)...)
	outcomes("accept", ruleAcceptWouldBlock, ruleCloseInterrupts)
	outcomes("sendto", append([]*Rule{ruleSendtoNoRoute}, implicitBind...)...)
	// closesocket itself succeeds; the abort reaches the pending operation's OVERLAPPED.
	outcomes("closesocket", ruleCloseAborts)
	querySmall := []*Rule{ruleQueryInfoSmallNull, ruleQueryInfoSmall}
	outcomes("WSAQuerySocketSecurity", querySmall...)
	outcomes("WSASetSocketPeerTargetName", ruleSetPTNNoBufs)
	outcomes("WSAIoctl", append(querySmall, ruleSetPTNNoBufs)...) // SIO_QUERY_SECURITY, SIO_SET_PEER_TARGET_NAME
}

// RulesReturning lists the rules that give a code.
func RulesReturning(code errors.Errno) []*Rule {
	var out []*Rule
	for _, r := range ruleTable {
		if r.Code == code {
			out = append(out, r)
		}
	}
	return out
}

// Functions lists the functions that have a rule chain, sorted.
func Functions() []string {
	out := make([]string, 0, len(chains))
	for fn := range chains {
		out = append(out, fn)
	}
	sort.Strings(out)
	return out
}

// chains holds each function's check rules in evaluation order.
var chains = map[string][]*Rule{}

func chain(fn string, rules ...*Rule) []*Rule {
	for _, r := range rules {
		if r.fails == nil {
			panic(fmt.Sprintf("sim: outcome rule %s in the check chain of %s", r.ID, fn))
		}
	}
	chains[fn] = rules
	return rules
}

// check runs a chain and returns the first failing rule's error.
func (c *call) check(rules []*Rule) error {
	for _, r := range rules {
		if r.fails(c) {
			return r.err
		}
	}
	return nil
}
