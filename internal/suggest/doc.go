// Package suggest finds the valid name closest to a mistyped one, so an error can say
// "did you mean users:read?" instead of only "unknown". It must never accept a name: it
// only helps word a refusal that the caller has already decided on.
package suggest
