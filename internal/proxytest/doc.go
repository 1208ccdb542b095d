// Package proxytest starts a real gateway for tests: a configuration parsed from YAML, the
// app built from it with a fresh Prometheus registry and a logger whose entries tests can
// read (and wait for), served on loopback listeners until the test ends. It also mints
// caller keys, starts simulated upstreams, and sends requests the way callers do,
// including raw request lines a Go client would refuse to write.
//
// It is test support only: nothing outside *_test.go files may import it.
package proxytest
