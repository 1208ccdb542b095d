// Package oas is the sandbox's engine for the subset of OpenAPI 3.0 its data
// files use: it decodes a compact data file (Wire, written by internal/specgen)
// into operations and schemas, matches request paths to operations, checks
// JSON values against schemas, makes up values valid for a schema (Faker),
// bends a value until it fits one (Conform), and renders a data file back as
// an OpenAPI document.
//
// It knows no particular API: which organisation made-up data describes and
// how to meet a document's patterns come from the caller's Vocabulary, and
// what any operation does comes from the caller. It must never hold state
// between calls beyond a Faker's own draws, never change a decoded Spec or
// Schema, never read the network, and never accept a value its own Check
// would refuse: every value it makes passes the schema it was made for.
package oas
