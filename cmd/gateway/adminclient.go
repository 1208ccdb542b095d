package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/budgetgw/gateway/internal/problem"
	"github.com/budgetgw/gateway/internal/secret"
)

// The admin API's address and token come from the environment so that scripts and
// shells set them once. The token is never a flag: flags show in ps and shell history.
const (
	adminURLEnv     = "GATEWAY_ADMIN_URL"
	adminTokenEnv   = "GATEWAY_ADMIN_TOKEN"
	defaultAdminURL = "http://127.0.0.1:9090"
	// adminTimeout bounds every call: an admin command should fail, not hang, when the
	// gateway is unreachable.
	adminTimeout = 10 * time.Second
)

// adminFlags are the flags every admin API command shares.
type adminFlags struct {
	url    string
	output string
	actor  string
}

func addAdminFlags(fs *flag.FlagSet) *adminFlags {
	af := &adminFlags{}
	def := os.Getenv(adminURLEnv)
	if def == "" {
		def = defaultAdminURL
	}
	fs.StringVar(&af.url, "admin-url", def, "admin API base URL (env "+adminURLEnv+"); the token is read from "+adminTokenEnv)
	fs.StringVar(&af.output, "o", "table", "output: table, or json (the API's JSON, for scripts)")
	fs.StringVar(&af.actor, "actor", os.Getenv("USER"), "who is acting, for the gateway's audit log (X-Actor)")
	return af
}

// parseArgs parses flags around one positional argument (an id or a caller name), which
// may come before or after the flags: `keys disable ID -actor me` and `keys disable
// -actor me ID` both work. what names the argument in errors; "" means none is taken.
func parseArgs(fs *flag.FlagSet, args []string, what string) (string, error) {
	var pos string
	if what != "" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", usageError{err}
	}
	rest := fs.Args()
	if what != "" && pos == "" && len(rest) > 0 {
		pos, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %v\n", rest)
		return "", usageError{fmt.Errorf("unexpected arguments %v", rest)}
	}
	if what != "" && pos == "" {
		fmt.Fprintf(fs.Output(), "usage: gateway %s %s [flags]\n", fs.Name(), strings.ToUpper(what))
		return "", usageError{fmt.Errorf("%s: missing %s", fs.Name(), what)}
	}
	return pos, nil
}

// adminClient calls the admin API with the admin token.
type adminClient struct {
	base   *url.URL
	token  secret.Value
	actor  string
	output string
	hc     *http.Client
	tr     *http.Transport
}

// newAdminClient checks the flags and the token before any request is sent.
func newAdminClient(af *adminFlags, stderr io.Writer) (*adminClient, error) {
	if af.output != "table" && af.output != "json" {
		fmt.Fprintf(stderr, "-o must be table or json, not %q\n", af.output)
		return nil, usageError{fmt.Errorf("bad -o %q", af.output)}
	}
	base, err := url.Parse(strings.TrimRight(af.url, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		fmt.Fprintf(stderr, "-admin-url must be an http(s) URL such as %s, not %q\n", defaultAdminURL, af.url)
		return nil, usageError{errors.New("bad -admin-url")}
	}
	tok := strings.TrimSpace(os.Getenv(adminTokenEnv))
	if tok == "" {
		return nil, fmt.Errorf("%s is not set: export the gateway's admin token (the value behind admin.token_env or admin.token_file) in %s", adminTokenEnv, adminTokenEnv)
	}
	// A transport of its own, so that the command can close its connections when done.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &adminClient{
		base: base, token: secret.New(tok), actor: af.actor, output: af.output, tr: tr,
		hc: &http.Client{
			Transport: tr,
			Timeout:   adminTimeout,
			// The admin API never redirects; following one would carry the request (and,
			// on the same host, the token) somewhere the user did not name.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

func (c *adminClient) close() { c.tr.CloseIdleConnections() }

// apiError is a refusal from the admin API, printed as "<status>: <detail>".
type apiError struct {
	Status int
	Detail string
}

func (e apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), e.Detail)
}

// call sends one request to /admin/v1/<path...> and returns the response body for a 2xx
// answer, or an apiError built from the problem+json body. Each path element is escaped
// here, so an id holding '/' or '?' cannot reach another route.
func (c *adminClient) call(method string, in any, path ...string) ([]byte, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	elems := []string{"admin", "v1"}
	for _, p := range path {
		elems = append(elems, url.PathEscape(p))
	}
	u := c.base.JoinPath(elems...)
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", "gateway-cli")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.actor != "" {
		req.Header.Set("X-Actor", c.actor)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// *url.Error names the URL without any password in it, never the token.
		return nil, fmt.Errorf("admin API unreachable (set -admin-url or %s to the gateway's admin_listen): %w", adminURLEnv, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("read the admin API's answer: %w", err)
	}
	if resp.StatusCode/100 == 2 {
		return b, nil
	}
	return nil, apiError{Status: resp.StatusCode, Detail: problemDetail(b)}
}

// problemDetail is the detail of a problem+json body, or a printable excerpt of whatever
// else answered (a proxy's HTML page, say).
func problemDetail(b []byte) string {
	var p problem.Details
	if json.Unmarshal(b, &p) == nil && p.Detail != "" {
		return printable(p.Detail)
	}
	s := printable(strings.TrimSpace(string(b)))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		s = "(no details in the answer)"
	}
	return s
}

// printable drops control characters, so an answer cannot rewrite the user's terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// printJSON writes an API answer as is, for scripts.
func printJSON(w io.Writer, b []byte) {
	b = bytes.TrimRight(b, "\n")
	fmt.Fprintf(w, "%s\n", b)
}

// when formats a time for tables: RFC 3339, or "-" when unset.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// orDash shows an empty cell as "-", so columns stay aligned and readable.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
