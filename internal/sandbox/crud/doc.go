// Package crud keeps an emulated API's collections of JSON items and serves
// the plain operations on them: create, list, read, update (PUT fields or
// PATCH operations) and delete, for every family of items the caller declares
// against an oas.Spec. New items get ids, legacy ids and timestamps of the
// kinds their schemas describe; every stored item is completed to, and stays
// valid against, the shapes the document shows it in. What differs between
// families (defaults, references, views, cascades) comes in as hooks, and
// how answers look (envelopes, paging, error bodies) comes from the caller's
// Host.
//
// It knows no particular API. It must never write an answer's body itself
// (the Host shapes every answer, refusals included), never answer a status
// the document does not list for the call except 400 and 404, never store an
// item its family's schema refuses, never take locks (the host serialises
// calls), and never reach the network.
package crud
