// Package registry is a list of named entries, safe for concurrent use,
// that keeps the order entries were added in: the model registry of
// package models and the data-set registry of package datasets.
package registry

import (
	"slices"
	"sync"
)

// Registry holds entries of type T, named by the function given to New.
type Registry[T any] struct {
	name    func(T) string
	mu      sync.RWMutex
	entries []T
}

// New returns an empty registry whose entries are named by name.
func New[T any](name func(T) string) *Registry[T] { return &Registry[T]{name: name} }

// Add adds e and reports true, or reports false, adding nothing, if an
// entry of the same name is there.
func (r *Registry[T]) Add(e T) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.ContainsFunc(r.entries, func(o T) bool { return r.name(o) == r.name(e) }) {
		return false
	}
	r.entries = append(r.entries, e)
	return true
}

// Names lists the entries' names, in the order they were added.
func (r *Registry[T]) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var names []string
	for _, e := range r.entries {
		names = append(names, r.name(e))
	}
	return names
}

// Lookup returns the entry named name, if there is one.
func (r *Registry[T]) Lookup(name string) (T, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	i := slices.IndexFunc(r.entries, func(e T) bool { return r.name(e) == name })
	if i < 0 {
		var zero T
		return zero, false
	}
	return r.entries[i], true
}
