package registry

import (
	"slices"
	"testing"
)

func TestRegistry(t *testing.T) {
	type entry struct{ name, value string }
	r := New(func(e entry) string { return e.name })
	for _, c := range []struct {
		e    entry
		want bool
	}{{entry{"b", "1"}, true}, {entry{"a", "2"}, true}, {entry{"b", "3"}, false}} {
		if got := r.Add(c.e); got != c.want {
			t.Errorf("Add(%v) = %v, want %v", c.e, got, c.want)
		}
	}
	if got := r.Names(); !slices.Equal(got, []string{"b", "a"}) {
		t.Errorf("Names = %v, want [b a] (the order of adding)", got)
	}
	if e, ok := r.Lookup("b"); !ok || e.value != "1" {
		t.Errorf(`Lookup("b") = %v, %v; want the first "b"`, e, ok)
	}
	if _, ok := r.Lookup("c"); ok {
		t.Error(`Lookup("c") found an entry`)
	}
}
