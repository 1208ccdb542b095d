// Package scopes parses and compares access scopes of the form "<family>:<level>".
//
// It owns the one rule every check relies on: "write" implies "read", a "*" family or
// level is a wildcard, and any other level (such as "deploy") is granted only by itself
// or a wildcard. An exact requirement (Scope.Exactly, for operations that mint or reveal
// credentials) is granted by itself only: never by a wildcard, a bare family or write.
// Nothing else in the gateway compares scope strings.
package scopes
