// Package budget decides whether a call may spend points of a shared upstream budget.
//
// The invariant every Store keeps: for every named budget and every interval of length
// Window, the points of admitted calls alive in that interval never exceed Capacity. An
// admission stays counted from the moment it is granted until Window after the upstream
// answered (Settle), or, if no answer is ever reported, until Hold+Window after admission.
// Counting that way makes the guarantee hold on the upstream's own clock whatever the
// latency: of any set of calls that reach the upstream within one window, the last one
// admitted saw every other one still counted.
//
// Refused asks write nothing, so overload never shrinks the budget. Decisions are values
// (Decision); this package never touches HTTP. Stores: Memory (one process) and Redis
// (shared by replicas); Failover wraps Redis with an exact local share during outages.
package budget
