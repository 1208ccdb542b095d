package oas

import "strings"

// Vocabulary is what made-up data reads like: the organisation it belongs to
// and the words drawn for its fields. The caller owns it and must not change
// it while a Faker speaks it.
type Vocabulary struct {
	Domain string // for emails and subdomains; keep it under .example
	Host   string // for URLs
	Slug   string // the organisation's short name ("org" fields)
	Repo   string // its source repository ("repo" fields)
	// Epoch anchors made-up timestamps (Unix seconds): they fall in the year
	// before it, so bodies do not depend on when they are made.
	Epoch        int64
	FirstNames   []string
	LastNames    []string
	Names        []string // for anything else called a name, label or title
	Descriptions []string
	// Patterns make a string for each pattern of the document's schemas, keyed
	// by the pattern's text. A pattern with no entry gets a string from its
	// property name, which will not match it: the caller's tests must cover
	// every pattern of its document.
	Patterns map[string]func(f *Faker, hint string) string
}

// Email is a person's address in the organisation.
func (v *Vocabulary) Email(first, last string) string {
	local := strings.ToLower(first + "." + strings.ReplaceAll(last, " ", ""))
	return local + "@" + v.Domain
}
