// Package sim is wsssim's model of Windows hosts and their sockets: a Network of Hosts, each
// with addresses, a port table (package ports), credentials and IPsec rules; Applications
// (processes) under user accounts with their own socket handles, token handles and event
// objects; and Threads, on which every Winsock call is made, since Windows keeps the last
// error, impersonation and queued completion routines per thread.
//
// Every call checks one rule table (Rules, RulesFor, RuleByID) in ruling R1's order and fails
// with the first rule that fires; what the model decides while changing state (a refused
// connection, a failed IPsec negotiation) is reported through outcome rules of the same table,
// so every failure names its rule. Connections between hosts negotiate IPsec (package ipsec)
// when either end asks for it; SAs, connect time-outs and waits live on the network's virtual
// clock (Now, Advance, Settle), which nothing but the program moves. Faults can be injected in
// calls (Inject) and in the traffic between hosts (DisturbLink), and a Tracer sees every call
// and every event the network makes on its own.
//
// The package is safe for concurrent use; a Thread makes one call at a time, as a real thread
// does.
package sim
