// Package routes owns the table that turns an incoming request into a decision
// input: which upstream operation it is, which scope it needs, what it costs.
//
// The table is built once, at start, from a built-in profile (embedded YAML)
// plus configured overrides; Compile validates every row and reports all
// problems together. Serving only walks the compiled trie and never allocates.
//
// The package also owns the single path form the gateway reasons about:
// Canonical refuses any path that an upstream could read differently from us
// (encoded slashes, encoded dot segments, path parameters, control bytes), and
// Route.ForwardPath rebuilds the path that is sent upstream from the matched
// template, so the request that was checked is the request that is forwarded.
//
// It must never grant or deny anything itself, touch an http.ResponseWriter,
// or forward a path it did not produce.
package routes

//go:generate go run ../specgen -emit routes -in ../../../shared/retool/openapi-2.12.0.json -out profiles/retool-v2.yaml
