// Command specgen derives the gateway's two artefacts from Retool's OpenAPI
// document, so both can be regenerated when Retool publishes a new one. One
// reader (document.go) reads the document; -emit picks the emitter:
//
//   - routes: the route profile (internal/routes/profiles/retool-v2.yaml),
//     which scope each operation needs and what it costs:
//     go run ../specgen -emit routes -in openapi.json -out profiles/retool-v2.yaml
//   - sandbox: the sandbox's compact description (internal/sandbox/retoolv2/retool-v2.json),
//     every operation's statuses and schemas, in the format package oas reads:
//     go run ../../specgen -emit sandbox -in openapi.json -out retool-v2.json
//
// It fails rather than guess: on a scope phrase it does not know (a new phrase
// needs a decision, recorded in scopePhrases) and on a schema keyword it does
// not know (a new keyword changes what a valid body is, so it needs a decision
// here and in the sandbox's validator). It must never write a file it could
// not derive completely, and never reach the network.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "specgen:", err)
		os.Exit(1)
	}
}

// emitters turn the read document into one artefact's bytes.
var emitters = map[string]func(document) ([]byte, error){
	"routes":  generateRoutes,
	"sandbox": generateSandbox,
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("specgen", flag.ContinueOnError)
	emit := fs.String("emit", "", "what to derive: routes (the route profile) or sandbox (the sandbox's data file)")
	in := fs.String("in", "", "Retool OpenAPI document (JSON)")
	out := fs.String("out", "", "file to write (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	generate, ok := emitters[*emit]
	if !ok {
		return fmt.Errorf("-emit must be routes or sandbox, not %q", *emit)
	}
	if *in == "" {
		return fmt.Errorf("-in is required")
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	derived, err := readAndEmit(data, generate)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if *out == "" {
		_, err = stdout.Write(derived)
		return err
	}
	return os.WriteFile(*out, derived, 0o644)
}

func readAndEmit(data []byte, generate func(document) ([]byte, error)) ([]byte, error) {
	d, err := readDoc(data)
	if err != nil {
		return nil, err
	}
	return generate(d)
}
