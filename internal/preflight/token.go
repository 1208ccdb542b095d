package preflight

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/budgetgw/gateway/internal/scopes"
)

// planToken prices the probe and says so in the plan, before anything is spent. The call
// is made outside the gateway's own count of the budget: it is small, but an operator
// running the check against a budget that is nearly spent should know it is there.
func (c *upstreamCheck) planToken() Step {
	s := Step{Name: "token", Plan: "check the org token from " + tokenSource(c)}
	if c.o.SkipTokenCall {
		s.Skip = "not asked for: nothing spent"
		return s
	}
	p, note, err := priceProbe(c.u)
	switch {
	case err != nil:
		s.run = failWith(fmt.Errorf("price the token call: %w", err))
	case note != "":
		s.Skip = note
	default:
		b := c.u.Budget
		s.Plan = fmt.Sprintf("%s with the org token from %s: costs %d of budget %s's %d points per %s",
			p.Probe, tokenSource(c), p.Cost, b.Name, b.Capacity, b.Window)
		s.Spends = p.Cost
		s.run = func(ctx context.Context) (string, error) { return c.callWithToken(ctx, p) }
	}
	return s
}

func tokenSource(c *upstreamCheck) string {
	if c.u.Auth.Env != "" {
		return "$" + c.u.Auth.Env
	}
	return c.u.Auth.File
}

func (c *upstreamCheck) callWithToken(ctx context.Context, p pricedProbe) (string, error) {
	tok, err := c.u.Auth.Source.Load()
	if err != nil {
		return "", fmt.Errorf("org token: %w", err)
	}
	// The path is joined exactly as the gateway joins it when forwarding, so a base_url
	// the gateway would mangle fails here too.
	escaped := c.base.EscapedPath() + p.Path
	target := &url.URL{Scheme: c.base.Scheme, Host: c.base.Host, RawPath: escaped, RawQuery: p.Query}
	if target.Path, err = url.PathUnescape(escaped); err != nil {
		return "", fmt.Errorf("base_url path: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, p.Method, target.String(), nil)
	if err != nil {
		return "", err
	}
	if c.u.Auth.Scheme == "bearer" {
		req.Header.Set("Authorization", "Bearer "+tok.Reveal())
	} else {
		req.Header.Set(c.u.Auth.Header, tok.Reveal())
	}
	req.Header.Set("Accept", "application/json")
	tr := &http.Transport{
		Proxy:             http.ProxyURL(c.via),
		DialContext:       c.dial,
		TLSClientConfig:   c.tlsConfig(),
		ForceAttemptHTTP2: true,
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL we already print
		}
		return "", fmt.Errorf("%s: %w", p.Probe, err)
	}
	defer resp.Body.Close()
	said := snippet(resp.Body, tok.Reveal())
	return c.judge(p, resp, said)
}

// judge turns the probe's answer into a verdict an operator can act on.
func (c *upstreamCheck) judge(p pricedProbe, resp *http.Response, said string) (string, error) {
	st, src := resp.Status, tokenSource(c)
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return st + ": the org token is accepted", nil
	case code == http.StatusUnauthorized:
		// The same failure serving calls shows as gateway_upstream_auth_errors_total and
		// the GatewayOrgTokenSuspect alert: name what to do, not only what happened.
		return "", fmt.Errorf("%s: the upstream refuses the org token from %s%s; it is revoked, expired or mistyped: put the right one there (runbook: GatewayOrgTokenSuspect)", st, src, said)
	case code == http.StatusLocked:
		return "", fmt.Errorf("%s: the upstream says the org token from %s is disabled%s", st, src, said)
	case code == http.StatusForbidden:
		granted, _ := scopes.ParseSet(c.u.TokenScopes) // validated with the config
		if granted.Allows(p.Scope) {
			return "", fmt.Errorf("%s: the org token is accepted but may not %s, which token_scopes says it may: correct token_scopes or the token's grants%s", st, p.Scope, said)
		}
		return fmt.Sprintf("%s: the org token is accepted; it lacks %s, as token_scopes says", st, p.Scope), nil
	case code == http.StatusTooManyRequests:
		wait := ""
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			wait = " (Retry-After " + ra + ")"
		}
		return "", fmt.Errorf("%s%s: the upstream is rate-limiting the organisation now: its budget is spent, or it locked the organisation out", st, wait)
	case code >= 300 && code < 400:
		return "", fmt.Errorf("%s to %q: base_url is probably wrong (the gateway does not follow redirects)", st, resp.Header.Get("Location"))
	case code == http.StatusNotFound:
		return "", fmt.Errorf("%s for %s: base_url is probably wrong%s", st, p.Probe, said)
	}
	return "", fmt.Errorf("%s from the upstream%s", st, said)
}

// snippet is the start of an error answer, on one line, with the token blanked out should
// an upstream ever echo it. It reads far more than it shows, so a token cut by the read
// limit is never in the part shown.
func snippet(body io.Reader, token string) string {
	b, _ := io.ReadAll(io.LimitReader(body, 4096))
	s := strings.Join(strings.FieldsFunc(string(b), func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }), " ")
	s = strings.ReplaceAll(s, token, "[redacted]")
	if s == "" {
		return ""
	}
	if r := []rune(s); len(r) > 160 {
		s = string(r[:160]) + "…"
	}
	return fmt.Sprintf(" (upstream said: %s)", s)
}
