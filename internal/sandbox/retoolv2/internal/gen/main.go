// Command gen derives the sandbox's compact description of Retool's API v2
// from Retool's OpenAPI document: for every operation its method, path,
// query parameter names, request body schema and, per documented status, the
// response body schema. Schemas keep only what validation and fake data need
// (types, properties, required, enums, formats, patterns, bounds, defaults)
// and are stored once each, referred to by index.
//
//	go run ./internal/gen -in openapi.json -out retool-v2.json
//
// It fails on any schema keyword it does not know rather than drop it: a new
// keyword changes what a valid body is, so it needs a decision here and in
// the sandbox's validator.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	in := fs.String("in", "", "Retool OpenAPI document (JSON)")
	out := fs.String("out", "", "file to write (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		return fmt.Errorf("-in is required")
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	derived, err := generate(data)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if *out == "" {
		_, err = stdout.Write(derived)
		return err
	}
	return os.WriteFile(*out, derived, 0o644)
}

// generate turns the document into the sandbox's data file.
func generate(doc []byte) ([]byte, error) {
	d, err := derive(doc)
	if err != nil {
		return nil, err
	}
	return emit(d)
}
