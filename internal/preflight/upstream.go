package preflight

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/budgetgw/gateway/internal/config"
)

// upstreamCheck carries what one upstream's steps learn from each other.
type upstreamCheck struct {
	u     config.Upstream
	o     Options
	base  *url.URL
	via   *url.URL // the HTTP proxy real calls go through, or nil
	host  string   // what the dns and connect steps reach: the upstream, or the proxy
	port  string
	addrs []string // filled by the dns step
}

func planUpstream(u config.Upstream, o Options) Target {
	t := Target{Name: "upstream " + u.Name, About: u.BaseURL}
	if u.Profile != "" {
		t.About += ", profile " + u.Profile
	}
	base, err := url.Parse(u.BaseURL)
	if err != nil { // unreachable after config validation; fail the first step all the same
		t.Steps = []Step{{Name: "dns", Plan: "read base_url", run: failWith(fmt.Errorf("base_url: %w", err))}}
		return t
	}
	c := &upstreamCheck{u: u, o: o, base: base}
	c.via, err = o.Proxy(&http.Request{Method: http.MethodGet, URL: base, Header: http.Header{}})
	if err != nil {
		t.Steps = []Step{{Name: "dns", Plan: "choose the HTTP proxy", run: failWith(fmt.Errorf("proxy settings: %w", err))}}
		return t
	}
	c.host, c.port = hostPort(base)
	if c.via != nil {
		c.host, c.port = hostPort(c.via)
		t.About += ", through proxy " + c.via.Redacted()
	}
	t.Steps = append(t.Steps,
		Step{Name: "dns", Plan: "resolve " + c.host, run: c.resolve},
		Step{Name: "connect", Plan: "open TCP to " + net.JoinHostPort(c.host, c.port), run: c.connect},
	)
	if base.Scheme == "https" {
		tlsStep := Step{Name: "tls", Plan: "TLS handshake, verify the certificate for " + base.Hostname(), run: c.handshake}
		if c.via != nil {
			tlsStep.Skip = "through a proxy: the token call makes the handshake"
		}
		t.Steps = append(t.Steps, tlsStep)
	}
	t.Steps = append(t.Steps, c.planToken())
	return t
}

func hostPort(u *url.URL) (host, port string) {
	host, port = u.Hostname(), u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return host, port
}

func (c *upstreamCheck) resolve(ctx context.Context) (string, error) {
	if net.ParseIP(c.host) != nil {
		c.addrs = []string{c.host}
		return "an IP address: nothing to resolve", nil
	}
	addrs, err := c.o.Resolver.LookupHost(ctx, c.host)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", c.host, err)
	}
	if len(addrs) == 0 {
		return "", fmt.Errorf("resolve %s: no addresses", c.host)
	}
	c.addrs = addrs
	if len(addrs) > 3 {
		return fmt.Sprintf("%s and %d more", strings.Join(addrs[:3], ", "), len(addrs)-3), nil
	}
	return strings.Join(addrs, ", "), nil
}

func (c *upstreamCheck) connect(ctx context.Context) (string, error) {
	conn, err := c.dialAddrs(ctx, c.addrs, c.port)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return "connected to " + conn.RemoteAddr().String(), nil
}

func (c *upstreamCheck) handshake(ctx context.Context) (string, error) {
	conn, err := c.dialAddrs(ctx, c.addrs, c.port)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	tc := tls.Client(conn, c.tlsConfig())
	if err := tc.HandshakeContext(ctx); err != nil {
		return "", fmt.Errorf("TLS with %s: %w", c.base.Hostname(), err)
	}
	st := tc.ConnectionState()
	leaf := st.PeerCertificates[0] // a verified handshake always has one
	days := int(leaf.NotAfter.Sub(c.o.Now()).Hours() / 24)
	return fmt.Sprintf("%s, certificate for %s valid until %s (%d days)", tls.VersionName(st.Version), c.base.Hostname(), leaf.NotAfter.Format("2006-01-02"), days), nil
}

func (c *upstreamCheck) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: c.base.Hostname(), RootCAs: c.o.RootCAs, MinVersion: tls.VersionTLS12}
}

// dial connects to host:port through the check's resolver, so every step (and the token
// call) reaches the addresses the dns step reported.
func (c *upstreamCheck) dial(ctx context.Context, _, hostport string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	addrs := []string{host}
	if net.ParseIP(host) == nil {
		if addrs, err = c.o.Resolver.LookupHost(ctx, host); err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
	}
	return c.dialAddrs(ctx, addrs, port)
}

// dialAddrs tries each address in turn and returns the first connection made.
func (c *upstreamCheck) dialAddrs(ctx context.Context, addrs []string, port string) (net.Conn, error) {
	var d net.Dialer
	var errs []error
	for _, a := range addrs {
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(a, port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return nil, errors.New("no address to connect to")
	}
	return nil, errors.Join(errs...)
}

func failWith(err error) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return "", err }
}
