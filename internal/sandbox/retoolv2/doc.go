// Package retoolv2 emulates Retool's API v2 for the sandbox: every operation of
// Retool's OpenAPI document (2.12.0), with the statuses it lists and bodies valid
// against its schemas, over a seeded organisation that creates, updates and deletes
// change; and, where Retool's recorded answers disagree with the document, answers as
// the recordings show the real API does (recorded.go).
//
// Its knowledge of the document is retool-v2.json, our compact derivation
// (internal/specgen -emit sandbox), never the document itself. Reading that file,
// checking bodies against its schemas and making up valid values is package oas's
// work, and storing items and serving their plain create, list, read, update and
// delete is package crud's; this package holds what is Retool's: the families and
// their hooks, the special operations, the envelope, paging's parameter names,
// the seed data and the recordings' corrections. It serves the sandbox core, which
// decides keys, scopes and points before a call reaches API.Serve; it must never
// decide any of those itself, never forward a call, and never dial the network.
package retoolv2
