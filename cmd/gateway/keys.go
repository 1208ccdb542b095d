package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/budgetgw/gateway/internal/auth"
)

var callerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)

func keysCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "new" {
		fmt.Fprint(stderr, "usage: gateway keys new -caller NAME [-id ID]\n")
		return usageError{errors.New("keys: expected the new subcommand")}
	}
	fs := newFlags("keys new", stderr)
	caller := fs.String("caller", "", "the caller (service) the key is for")
	id := fs.String("id", "", "key id (default: <caller>-<random>)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if !callerName.MatchString(*caller) {
		fmt.Fprintln(stderr, "keys new: -caller must be a caller name (lower case letters, digits, . _ -)")
		return usageError{errors.New("bad -caller")}
	}
	if *id == "" {
		var b [3]byte
		_, _ = rand.Read(b[:])
		*id = sanitizeID(*caller) + "-" + hex.EncodeToString(b[:])
	}
	key, sum := auth.NewKey(*id)
	fmt.Fprintf(stdout, `Caller key for %s (shown once; store it in the service's secret store):

  %s

The service sends it where the Retool token went:  Authorization: Bearer <key>

Add this to the caller in the gateway config (only the hash is stored):

  callers:
    - name: %s
      scopes: []        # e.g. [users:read, groups:write]
      keys:
        - {id: %s, sha256: "%s"}
`, *caller, key.Reveal(), *caller, *id, sum)
	return nil
}

// sanitizeID turns a caller name into a key-id prefix: ids may not hold '_' or '.'.
func sanitizeID(name string) string {
	b := []byte(name)
	for i, c := range b {
		if c == '_' || c == '.' {
			b[i] = '-'
		}
	}
	return string(b)
}
