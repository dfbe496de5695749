//go:build race

// Package race tells tests whether the race detector is on: under it,
// sync.Pool drops a share of what is put back, on purpose, so code that
// allocates nothing once warm allocates now and then, and allocation
// checks do not hold.
package race

// Enabled reports whether the race detector is on.
const Enabled = true
