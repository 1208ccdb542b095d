// Package testutil starts real, private redis-server processes for tests, so the tests
// that prove the budget can kill, pause and restart the server they use. It never touches
// a Redis it did not start.
package testutil
