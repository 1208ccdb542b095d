// Package app assembles a running gateway from a validated configuration: the budget
// store, the gate, metrics, the proxy and the admin endpoints, and serves them until its
// context ends, then drains. cmd/gateway and the end-to-end tests both start it this way.
package app
