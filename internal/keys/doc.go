// Package keys manages caller keys and caller settings that change at run time: keys made,
// disabled, rotated and deleted through the admin API, shared by every replica through a
// Store (Redis, or memory for one replica). The Manager merges them with the read-only
// keys of the config file into the auth.Keyring the proxy uses, and rebuilds it on every
// change, on every replica, within a second.
//
// It stores keys only as SHA-256; a key's secret exists once, in the answer that created it.
package keys
