package tensor

import (
	"sync"
	"sync/atomic"
)

// The process-wide switches below are what the package had before scopes.
// They are kept only until the command's last callers move to Scope, and
// then removed: they flip the mode of every goroutine that computes on
// tensors of no scope, so no library code may use them. Tensors of a
// scope never look at them.

var (
	legacyMu sync.Mutex
	legacy   atomic.Pointer[Scope] // nil: record, allocate on the heap
)

// legacyScope returns the mode the switches below set for tensors of no
// scope.
func legacyScope() *Scope { return legacy.Load() }

// setLegacy changes the mode of tensors of no scope and returns the one
// before.
func setLegacy(change func(s *Scope)) (prev Scope) {
	legacyMu.Lock()
	defer legacyMu.Unlock()
	if p := legacy.Load(); p != nil {
		prev = *p
	}
	next := prev
	change(&next)
	if !next.noGrad && next.arena == nil {
		legacy.Store(nil)
	} else {
		next.legacy = true
		legacy.Store(&next)
	}
	return prev
}

// SetGradEnabled turns recording of operations on tensors of no scope on
// or off for the whole process and returns the previous setting.
//
// Deprecated: it is process-wide; compute in a Scope with NoGrad instead.
func SetGradEnabled(on bool) (was bool) {
	return !setLegacy(func(s *Scope) { s.noGrad = !on }).noGrad
}

// GradEnabled reports whether operations on tensors of no scope are
// recorded for backward (see SetGradEnabled).
//
// Deprecated: see Scope.GradEnabled.
func GradEnabled() bool { return legacyScope().GradEnabled() }

// NoGrad runs fn with recording of operations on tensors of no scope
// turned off, for the whole process.
//
// Deprecated: it is process-wide; compute in a Scope with NoGrad instead.
func NoGrad(fn func()) {
	was := SetGradEnabled(false)
	defer SetGradEnabled(was)
	fn()
}

// UseArena makes a the arena that operations on tensors of no scope
// allocate from, for the whole process (nil: none), and returns the one in
// use before.
//
// Deprecated: it is process-wide; compute in a Scope with an Arena instead.
func UseArena(a *Arena) (prev *Arena) {
	return setLegacy(func(s *Scope) { s.arena = a }).arena
}
