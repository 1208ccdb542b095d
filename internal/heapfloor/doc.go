// Package heapfloor keeps the garbage collector's heap goal from falling below a floor
// while the live heap is small, and leaves it alone once the live heap is large.
//
// The gateway keeps little alive (a few MiB: configuration, routes, metrics, the budget's
// books) and allocates a dozen KiB per call. With the runtime's default (GOGC=100, a 4 MiB
// minimum) the goal sits a few MiB above the live heap, so at a few thousand calls per
// second the collector starts a cycle many times a second, and marking then costs each
// call more than any single step of the pipeline. A goal of at least Floor makes the cycles
// several times rarer; once twice the live heap (the default goal) is above Floor, nothing
// changes. Unlike a fixed higher GOGC, the extra memory is bounded by Floor, not
// proportional to what is alive (a full answer cache, say). A memory limit (GOMEMLIMIT)
// still applies.
//
// After every cycle, the percent is set so that the next goal is about max(Floor, the
// default goal). Operators who set GOGC keep their own setting: the caller does not Start.
package heapfloor
