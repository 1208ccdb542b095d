// Package config loads the gateway's YAML configuration strictly (unknown keys are errors),
// fills defaults in one place, and validates everything in one pass that reports every
// problem at once, each naming its field (upstreams[0].budget.window: must be > 0).
// It never reads secrets' values: token sources are resolved by the packages that use them.
package config
