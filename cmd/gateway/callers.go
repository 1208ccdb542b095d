package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/budgetgw/gateway/internal/admin"
	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/keys"
)

type callerOut = admin.CallerOut

func getCallers(c *adminClient) ([]byte, []callerOut, error) {
	b, err := c.call(http.MethodGet, nil, "callers")
	if err != nil {
		return nil, nil, err
	}
	var out struct {
		Callers []callerOut `json:"callers"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, nil, fmt.Errorf("read the caller list: %w", err)
	}
	return b, out.Callers, nil
}

func callersList(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("callers list", stderr)
	af := addAdminFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := newAdminClient(af, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	b, callers, err := getCallers(c)
	if err != nil {
		return err
	}
	if c.output == "json" {
		printJSON(stdout, b)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSOURCE\tPRIORITY\tMAX_POINTS\tSCOPES\tKEYS\tUSAGE")
	for _, cv := range callers {
		active := 0
		for _, k := range cv.Keys {
			if k.Active {
				active++
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d (%d active)\t%s\n", cv.Name, cv.Source, cv.Priority, maxPoints(cv.MaxPoints),
			orDash(strings.Join(cv.Scopes, ",")), len(cv.Keys), active, usageCell(cv.Usage))
	}
	return tw.Flush()
}

func maxPoints(n int64) string {
	if n == 0 {
		return "none" // 0 means no per-caller cap, not a cap of zero
	}
	return strconv.FormatInt(n, 10)
}

// usageCell lists the points a caller has counted now in each budget, as budget=points.
func usageCell(u map[string]int64) string {
	names := make([]string, 0, len(u))
	for name := range u {
		names = append(names, name)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + "=" + strconv.FormatInt(u[name], 10)
	}
	return orDash(strings.Join(parts, ","))
}

// callersSet changes the settings it is given and keeps the others: the API replaces
// all three at once, so the current values are read first. Without that, raising a
// caller's priority would also quietly drop its scopes.
func callersSet(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("callers set", stderr)
	scopeList := fs.String("scopes", "", "comma-separated scopes, e.g. users:read,groups:write (\"\" removes all)")
	priority := fs.String("priority", "", "critical, normal or batch: who is served first when the budget is short (left out: unchanged; normal for a new caller)")
	maxPts := fs.Int64("max-points", 0, "points per window this caller may spend at most, 0 for no cap (left out: unchanged)")
	af := addAdminFlags(fs)
	name, err := parseArgs(fs, args, "name")
	if err != nil {
		return err
	}
	if !config.ValidName(name) {
		fmt.Fprintln(stderr, "callers set: NAME must be a caller name (lower case letters, digits, . _ -)")
		return usageError{errors.New("bad caller name")}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["scopes"] && !set["priority"] && !set["max-points"] {
		fmt.Fprint(stderr, "callers set: nothing to set: give -scopes, -priority or -max-points\n")
		return usageError{errors.New("callers set: nothing to set")}
	}
	c, err := newAdminClient(af, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	_, callers, err := getCallers(c)
	if err != nil {
		return err
	}
	in := admin.CallerIn{Scopes: []string{}, Priority: cmpOr(*priority, "normal"), MaxPoints: *maxPts}
	if i := slices.IndexFunc(callers, func(cv callerOut) bool { return cv.Name == name }); i >= 0 {
		cur := callers[i]
		in.Scopes = append(in.Scopes, cur.Scopes...)
		if !set["priority"] && cur.Priority != "" {
			in.Priority = cur.Priority
		}
		if !set["max-points"] {
			in.MaxPoints = cur.MaxPoints
		}
	} else if !set["scopes"] {
		fmt.Fprintf(stderr, "callers set: %s is a new caller: give its -scopes\n", name)
		return usageError{fmt.Errorf("callers set: new caller %s without -scopes", name)}
	}
	if set["scopes"] {
		in.Scopes = splitScopes(*scopeList)
	}
	b, err := c.call(http.MethodPut, in, "callers", name)
	if err != nil {
		return err
	}
	return show(stdout, c.output, b, "the caller", func(cs keys.CallerSettings) string {
		return fmt.Sprintf("Caller %s set: scopes %s, priority %s, max_points %s.\n",
			cs.Name, orDash(strings.Join(cs.Scopes, ",")), cs.Priority, maxPoints(cs.MaxPoints))
	})
}

func splitScopes(s string) []string {
	out := []string{}
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func callersDelete(args []string, stdout, stderr io.Writer) error {
	return deleteOne(deletion{command: "callers delete", arg: "name", collection: "callers", jsonKey: "deleted_caller",
		done: "Caller %s deleted with its run-time keys: they are refused (401) from now on.\n"}, args, stdout, stderr)
}
