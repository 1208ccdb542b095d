// Package metrics defines every Prometheus series the gateway exports, registered on a
// registry the caller passes in (never the global one). Label values are bounded: upstream,
// budget, caller and route-family names from configuration, reasons from fixed enums, and
// status classes. No raw path, key or token ever becomes a label value.
package metrics
