// Package admin is the admin API (/admin/v1/ on admin_listen): list callers and keys,
// create, disable, enable, rotate and delete keys, and set a caller's scopes, priority and
// max_points. It is authenticated by its own admin token and is not served at all when no
// token is configured. A key's secret appears in exactly one response: the one creating it.
package admin
