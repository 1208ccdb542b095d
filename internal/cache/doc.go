// Package cache keeps recent upstream answers to reads, so a read asked again within its
// TTL spends no points. It is bounded (entries and bytes, least recently used first out),
// keeps only answers that are safe to share between callers (2xx, not no-store/private,
// not varying by Authorization), and forgets every read under or above a written path
// (paths compared segment by segment, case folded). A read that began before a related
// write was invalidated is never stored (Begin, then Put), so it cannot outlive the write.
// It never decides who may read: the scope check has already happened when it is asked.
// Its LRU is the module's one least-recently-used map; package openapi keeps views in it.
package cache
