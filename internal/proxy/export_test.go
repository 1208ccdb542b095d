package proxy

// Exported for the external tests of this package.
var UpstreamRemaining = upstreamRemaining

var PreferWait = preferWait
