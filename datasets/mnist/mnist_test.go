package mnist

import (
	"sync"
	"testing"
)

// The real data sets, loaded once for all tests that need them.
var real struct {
	once        sync.Once
	train, test *Set
	err         error
}

func realSets(t *testing.T) (train, test *Set) {
	t.Helper()
	real.once.Do(func() {
		if real.train, real.err = Train(""); real.err == nil {
			real.test, real.err = Test("")
		}
	})
	if real.err != nil {
		t.Fatal(real.err)
	}
	return real.train, real.test
}

func TestRealData(t *testing.T) {
	dir, err := DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("DefaultDir() = %s", dir)
	train, test := realSets(t)
	for _, tc := range []struct {
		name      string
		s         *Set
		n, label0 int
	}{
		{"train", train, 60000, 5},
		{"test", test, 10000, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			if s.Len() != tc.n || s.Rows != 28 || s.Cols != 28 || len(s.Images) != tc.n*784 || len(s.Labels) != tc.n {
				t.Fatalf("N=%d Rows=%d Cols=%d: %d pixels, %d labels; want %d 28x28 examples",
					s.Len(), s.Rows, s.Cols, len(s.Images), len(s.Labels), tc.n)
			}
			if sh := s.Shape(); len(sh) != 3 || sh[0] != 1 || sh[1] != 28 || sh[2] != 28 {
				t.Errorf("Shape() = %v, want [1 28 28]", sh)
			}
			dst := make([]float32, 784)
			if l := s.Example(0, dst); l != tc.label0 || s.Label(0) != tc.label0 {
				t.Errorf("first label = %d (Label: %d), want %d", l, s.Label(0), tc.label0)
			}
			var counts [10]int
			for i := 0; i < s.Len(); i += 97 {
				counts[s.Example(i, dst)]++
				var hi float32
				for _, v := range dst {
					if !(v >= 0 && v <= 1) {
						t.Fatalf("example %d has value %v outside [0,1]", i, v)
					}
					hi = max(hi, v)
				}
				if hi < 0.9 {
					t.Errorf("example %d: max %v, want about 1", i, hi)
				}
			}
			for d, c := range counts {
				if c == 0 {
					t.Errorf("no sampled example of digit %d", d)
				}
			}
		})
	}
}
