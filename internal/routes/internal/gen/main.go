// Command gen derives the retool-v2 route profile from Retool's OpenAPI
// document, so the table can be regenerated when Retool publishes a new one:
//
//	go run ./internal/gen -in openapi.json -out profiles/retool-v2.yaml
//
// It fails on any scope phrase it does not know rather than guess one: a new
// phrase needs a decision, recorded in scopePhrases.
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
	out := fs.String("out", "", "profile to write (default: standard output)")
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
	yaml, err := generate(data)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if *out == "" {
		_, err = stdout.Write(yaml)
		return err
	}
	return os.WriteFile(*out, yaml, 0o644)
}

// generate turns the document into the profile's YAML text.
func generate(doc []byte) ([]byte, error) {
	d, err := readDoc(doc)
	if err != nil {
		return nil, err
	}
	rows, err := derive(d.ops)
	if err != nil {
		return nil, err
	}
	rows = append(rows, extraRows...)
	sortRows(rows)
	return emit(d.version, rows), nil
}
