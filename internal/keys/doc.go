// Package keys manages the callers and keys that change at run time: keys made, disabled,
// rotated and deleted through the admin API, shared by every replica through a Store
// (Redis, or memory for one replica; both pass the keystest contract). The Manager merges
// them with the config file's callers and keys into the auth.Keyring the proxy uses, and
// rebuilds it on every change, on every replica, within a second.
//
// The file owns what it says: the Manager never changes a file caller's settings and
// never lets a stored setting override them, so a reload always applies the file. Its one
// run-time change to the file's items is an emergency disable of a key (an Overlay),
// which survives reloads until it is lifted. Files: manager.go (loading, merging,
// following changes), keyops.go (key changes), callers.go (run-time callers), views.go
// (what the admin API shows).
//
// It stores keys only as SHA-256; a key's secret exists once, in the answer that created
// it. It must never log or return a secret or a hash.
package keys
