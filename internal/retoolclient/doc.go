// Package retoolclient is a Go client for Retool's API v2 that nobody here
// wrote: oapi-codegen generates it from Retool's own OpenAPI document
// (../shared/retool/openapi-2.12.0.json), after the small fix-ups
// internal/prepare makes on a copy. Tests use it to drive every operation
// through the gateway and the sandbox, as a team's generated client would.
//
// It is test support: it must never be imported by the gateway itself, and
// client.gen.go is never edited by hand. Regenerate with
//
//	go generate ./internal/retoolclient
package retoolclient

//go:generate go run ./internal/prepare -in ../../../shared/retool/openapi-2.12.0.json -config oapi-codegen.yaml
