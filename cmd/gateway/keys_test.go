package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/config"
)

var (
	printedKey  = regexp.MustCompile(`(?m)^\s*(gwk_\S+)\s*$`)
	printedHash = regexp.MustCompile(`sha256: "([0-9a-f]{64})"`)
)

func TestKeysNewPrintsAKeyOnceAndConfigLinesHoldingOnlyItsHash(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer

	if err := run(t.Context(), []string{"keys", "new", "-caller", "billing-sync"}, &stdout, &stderr); err != nil {
		t.Fatalf("keys new: %v\n%s", err, stderr.String())
	}

	out := stdout.String()
	keyMatch, hashMatch := printedKey.FindStringSubmatch(out), printedHash.FindStringSubmatch(out)
	if keyMatch == nil || hashMatch == nil {
		t.Fatalf("no gwk_ key or sha256 in the output:\n%s", out)
	}
	key, hash := keyMatch[1], hashMatch[1]
	if sum := sha256.Sum256([]byte(key)); hex.EncodeToString(sum[:]) != hash {
		t.Errorf("printed sha256 %s is not the SHA-256 of the printed key", hash)
	}
	_, lines, found := strings.Cut(out, "Add this to the caller")
	if !found {
		t.Fatalf("no config lines in the output:\n%s", out)
	}
	secretPart := strings.SplitN(key, "_", 3)[2] // gwk_<id>_<secret>: the secret may hold '_' itself
	if strings.Contains(lines, key) || strings.Contains(lines, secretPart) {
		t.Errorf("the config lines hold the key itself:\n%s", lines)
	}

	// The printed lines, pasted into a config file, make a caller the key authenticates.
	snippet := lines[strings.Index(lines, "callers:"):]
	snippet = strings.Replace(snippet, "scopes: []", "scopes: [users:read]", 1)
	cfg, err := config.Parse(strings.NewReader(`
upstreams:
  - {name: retool, base_url: "https://api.retool.com", profile: retool-v2, auth: {token_env: RETOOL_API_TOKEN}}
` + snippet))
	if err != nil {
		t.Fatalf("the printed lines do not make a valid config: %v\n%s", err, snippet)
	}
	c := cfg.Callers[0]
	ring, err := auth.NewKeyring([]auth.CallerSpec{{Name: c.Name, Scopes: c.Scopes, Priority: c.Priority,
		Keys: []auth.KeySpec{{ID: c.Keys[0].ID, SHA256: c.Keys[0].SHA256}}}})
	if err != nil {
		t.Fatal(err)
	}
	if k, failure := ring.Authenticate(key, time.Now()); failure != auth.OK || k.Caller.Name != "billing-sync" {
		t.Errorf("the printed key does not authenticate as billing-sync: %q", failure)
	}
}

func TestKeysNewRefusesABadCallerAsAUsageError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no caller at all", []string{"keys", "new"}},
		{"a caller name with upper case and spaces", []string{"keys", "new", "-caller", "Billing Sync"}},
		{"a subcommand that does not exist", []string{"keys", "rotate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tc.args, &stdout, &stderr)
			var ue usageError
			if !errors.As(err, &ue) || exitCode(err) != 2 {
				t.Errorf("err = %v (exit %d), want a usage error (exit 2)", err, exitCode(err))
			}
			if strings.Contains(stdout.String(), "gwk_") {
				t.Errorf("a key was printed despite the error:\n%s", stdout.String())
			}
		})
	}
}
