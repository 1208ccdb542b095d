package app

// Exported for the external tests of this package.
var NewLoggerTo = newLogger
