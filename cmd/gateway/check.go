package main

import (
	"context"
	"errors"
	"io"
)

// checkCmd is replaced by the preflight check (issue: SRE kit).
func checkCmd(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("check: not implemented yet")
}
