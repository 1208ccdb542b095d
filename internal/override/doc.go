// Package override recognises a request that asks to be something other than it is: a
// protocol upgrade (Upgrade, or "upgrade" among the Connection options) or a method
// override (X-HTTP-Method-Override and its kin, or ?_method= however it is escaped or
// separated). The proxy's screen step refuses both, since the route, the scope and the
// price were decided on the request as sent.
//
// It only recognises: it must never rewrite a request, never miss a spelling a common
// server would honour (case, percent-escapes, ';' between query pairs), and never read a
// body (a form-encoded _method is out of its reach, as docs/security.md says).
package override
