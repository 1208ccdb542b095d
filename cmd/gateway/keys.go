package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/budgetgw/gateway/internal/admin"
	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/keys"
)

// keysNew creates a key through the admin API when one is named (-admin-url or
// GATEWAY_ADMIN_URL); otherwise it mints one offline and prints config lines, as it
// always has, so a gateway without an admin API can still be given keys.
func keysNew(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keys new", stderr)
	caller := fs.String("caller", "", "the caller (service) the key is for")
	id := fs.String("id", "", "offline only: key id (default: <caller>-<random>)")
	name := fs.String("name", "", "admin API only: a label for the key, e.g. the deployment using it")
	expiresIn := fs.Duration("expires-in", 0, "admin API only: the key stops working after this long, e.g. 720h (default: never)")
	af := addAdminFlags(fs)
	if os.Getenv(adminURLEnv) == "" {
		// No URL in the environment: the key is minted offline unless -admin-url is given,
		// so the help must not show a default that is not used.
		f := fs.Lookup("admin-url")
		f.DefValue, f.Usage = "", "admin API base URL: give it (or set "+adminURLEnv+") to create the key live; without it the key is minted offline and the config lines printed"
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !config.ValidName(*caller) {
		fmt.Fprintln(stderr, "keys new: -caller must be a caller name (lower case letters, digits, . _ -)")
		return usageError{errors.New("bad -caller")}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["admin-url"] && os.Getenv(adminURLEnv) == "" {
		for _, f := range []string{"name", "expires-in", "actor"} {
			if set[f] {
				fmt.Fprintf(stderr, "keys new: -%s needs the admin API: set -admin-url or %s\n", f, adminURLEnv)
				return usageError{fmt.Errorf("-%s without an admin URL", f)}
			}
		}
		if err := checkOutput(af.output, stderr); err != nil {
			return err
		}
		if os.Getenv(adminTokenEnv) != "" {
			// Say so: with an admin token at hand, a live key may have been meant.
			fmt.Fprintf(stderr, "keys new: no -admin-url or %s, so the key is minted offline (config lines below); give -admin-url to create it live\n", adminURLEnv)
		}
		return keysNewOffline(*caller, *id, af.output, stdout)
	}
	if set["id"] {
		fmt.Fprintln(stderr, "keys new: -id is for offline keys; the admin API picks the id")
		return usageError{errors.New("-id with the admin API")}
	}
	if *expiresIn < 0 {
		fmt.Fprintln(stderr, "keys new: -expires-in must be positive")
		return usageError{errors.New("negative -expires-in")}
	}
	c, err := newAdminClient(af, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	in := admin.CreateIn{Name: *name}
	if *expiresIn > 0 {
		in.ExpiresIn = expiresIn.String()
	}
	b, err := c.call(http.MethodPost, in, "callers", *caller, "keys")
	if err != nil {
		return err
	}
	return printCreated(stdout, c.output, b, func(k keys.KeyView) string {
		if k.Expires.IsZero() {
			return fmt.Sprintf("Key %s created for caller %s; it does not expire.", k.ID, k.Caller)
		}
		return fmt.Sprintf("Key %s created for caller %s; it expires at %s.", k.ID, k.Caller, when(k.Expires))
	})
}

func keysNewOffline(caller, id, output string, stdout io.Writer) error {
	if id == "" {
		id = auth.NewKeyID(caller)
	}
	key, sum := auth.NewKey(id)
	if output == "json" {
		b, _ := json.MarshalIndent(map[string]any{"caller": caller, "secret": key.Reveal(),
			"config": map[string]string{"id": id, "sha256": sum}}, "", "  ")
		printJSON(stdout, b)
		return nil
	}
	fmt.Fprintf(stdout, `Caller key for %s (shown once; store it in the service's secret store):

  %s

The service sends it where the Retool token went:  Authorization: Bearer <key>

Add this to the caller in the gateway config (only the hash is stored):

  callers:
    - name: %s
      scopes: []        # e.g. [users:read, groups:write]
      keys:
        - {id: %s, sha256: "%s"}
`, caller, key.Reveal(), caller, id, sum)
	return nil
}

// printCreated shows a new key's secret, the one time anyone will see it.
func printCreated(w io.Writer, output string, body []byte, headline func(keys.KeyView) string) error {
	if output == "json" {
		printJSON(w, body)
		return nil
	}
	var c admin.CreatedOut
	if err := json.Unmarshal(body, &c); err != nil {
		return fmt.Errorf("read the new key: %w", err)
	}
	if c.Secret == "" {
		return errors.New("the admin API's answer holds no key secret")
	}
	fmt.Fprintf(w, `%s

Secret (shown once; store it in the service's secret store now, it cannot be shown again):

  %s

The service sends it where the Retool token went:  Authorization: Bearer <key>
Key id (for list, disable, rotate, delete): %s
`, headline(c.Key), c.Secret, c.Key.ID)
	return nil
}

func keysList(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keys list", stderr)
	caller := fs.String("caller", "", "only this caller's keys")
	af := addAdminFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := newAdminClient(af, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	b, err := c.call(http.MethodGet, nil, "keys")
	if err != nil {
		return err
	}
	var out struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("read the key list: %w", err)
	}
	var views []keys.KeyView
	var raws []json.RawMessage
	for _, raw := range out.Keys {
		var k keys.KeyView
		if err := json.Unmarshal(raw, &k); err != nil {
			return fmt.Errorf("read the key list: %w", err)
		}
		if *caller == "" || k.Caller == *caller {
			views, raws = append(views, k), append(raws, raw)
		}
	}
	if c.output == "json" {
		if *caller == "" {
			printJSON(stdout, b)
			return nil
		}
		if raws == nil {
			raws = []json.RawMessage{}
		}
		j, _ := json.MarshalIndent(map[string]any{"keys": raws}, "", "  ")
		printJSON(stdout, j)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCALLER\tNAME\tSOURCE\tACTIVE\tDISABLED\tEXPIRES\tLAST USED\tOVERLAY")
	for _, k := range views {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Caller, orDash(k.Name), k.Source,
			activeState(k), yesNo(k.Disabled), when(k.Expires), when(k.LastUsed), overlayCell(k.Overlay))
	}
	return tw.Flush()
}

// activeState says whether a key counts as active, and why not: a rotated key still
// authenticates until it expires, which is what an operator retiring it needs to see.
func activeState(k keys.KeyView) string {
	switch {
	case k.Active:
		return "yes"
	case k.RotatedTo != "":
		return "rotated to " + k.RotatedTo
	case !k.Disabled && !k.Expires.IsZero():
		return "expired"
	default:
		return "no"
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func keysSetDisabled(sub string, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keys "+sub, stderr)
	af := addAdminFlags(fs)
	id, err := parseArgs(fs, args, "id")
	if err != nil {
		return err
	}
	c, err := newAdminClient(af, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	b, err := c.call(http.MethodPost, nil, "keys", id, sub)
	if err != nil {
		return err
	}
	return show(stdout, c.output, b, "the key", func(k keys.KeyView) string {
		return fmt.Sprintf("Key %s (caller %s): disabled %s, active %s.\n", k.ID, k.Caller, yesNo(k.Disabled), activeState(k))
	})
}

// show prints an admin API answer: as it came with -o json, else decoded into T and
// told in one line by tell. what names T in an error ("the key").
func show[T any](w io.Writer, output string, body []byte, what string, tell func(T) string) error {
	if output == "json" {
		printJSON(w, body)
		return nil
	}
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	fmt.Fprint(w, tell(v))
	return nil
}

func keysRotate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keys rotate", stderr)
	grace := fs.Duration("grace", 24*time.Hour, "how long the old key keeps working (0: it stops now)")
	af := addAdminFlags(fs)
	id, err := parseArgs(fs, args, "id")
	if err != nil {
		return err
	}
	if *grace < 0 {
		fmt.Fprintln(stderr, "keys rotate: -grace must not be negative")
		return usageError{errors.New("negative -grace")}
	}
	c, err := newAdminClient(af, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	b, err := c.call(http.MethodPost, admin.RotateIn{Grace: grace.String()}, "keys", id, "rotate")
	if err != nil {
		return err
	}
	return printCreated(stdout, c.output, b, func(k keys.KeyView) string {
		return fmt.Sprintf("Key %s rotated: the new key is %s (caller %s). The old key keeps working for up to %s, then expires.",
			id, k.ID, k.Caller, shortDuration(*grace))
	})
}

func keysDelete(args []string, stdout, stderr io.Writer) error {
	return deleteOne(deletion{command: "keys delete", arg: "id", collection: "keys", jsonKey: "deleted_key",
		done: "Key %s deleted: it is refused (401) from now on.\n"}, args, stdout, stderr)
}

// deletion describes a command that deletes one thing by name through the admin API.
type deletion struct {
	command    string // e.g. "keys delete"
	arg        string // its one argument, e.g. "id"
	collection string // the admin API's path segment
	jsonKey    string // -o json prints {jsonKey: the argument}
	done       string // the confirmation, with %s for the argument
}

// deleteOne runs a deletion: the API answers 204 with no body, so -o json prints what
// was deleted, for scripts.
func deleteOne(d deletion, args []string, stdout, stderr io.Writer) error {
	fs := newFlags(d.command, stderr)
	af := addAdminFlags(fs)
	what, err := parseArgs(fs, args, d.arg)
	if err != nil {
		return err
	}
	c, err := newAdminClient(af, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	if _, err := c.call(http.MethodDelete, nil, d.collection, what); err != nil {
		return err
	}
	if c.output == "json" {
		b, _ := json.Marshal(map[string]string{d.jsonKey: what})
		printJSON(stdout, b)
		return nil
	}
	fmt.Fprintf(stdout, d.done, what)
	return nil
}

// shortDuration drops the zero minutes and seconds time.Duration.String adds: 24h, not 24h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	s = strings.Replace(s, "m0s", "m", 1)
	return strings.Replace(s, "h0m", "h", 1)
}

// overlayCell shows a run-time change over a file key: who disabled it, and when.
func overlayCell(o *keys.Overlay) string {
	if o == nil || !o.Disabled {
		return "-"
	}
	return "disabled by " + o.By + " at " + when(o.At)
}
