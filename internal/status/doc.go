// Package status is the live status page on the admin listener: `/` and `/status` serve a
// page (HTML, CSS and script embedded in the binary) that polls `/status.json`, a snapshot
// of each budget (points in use against capacity, the last few windows, waiters, lockout),
// the store's state, points per caller, refusals by reason, points saved, and the last
// configuration reload. It reads what already exists: the budget store's Usage and the
// metrics registry; it keeps only a short history of usage samples of its own.
//
// It must never change a budget, answer anything but GET, load anything from another
// origin, or show a secret: no token, no key, no key hash, no upstream address; caller
// names appear, as they do in metric labels.
package status
