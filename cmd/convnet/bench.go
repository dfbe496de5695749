package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"

	"github.com/convnet/convnet/bench"
	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/tensor"
)

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	var keys []string
	for _, c := range bench.Cases() {
		keys = append(keys, c.Key)
	}
	c := newCmd("bench", "",
		"Measure convnet on this machine: each figure is the median of --reps runs after a warm-up.\n"+
			"Figures: "+strings.Join(keys, ", ")+". bench/compare.sh puts them beside PyTorch's.")
	fs := c.flags
	threads := threadsFlag(fs)
	precision := precisionFlag(fs)
	reps := fs.Int("reps", 3, "measured runs per figure, after one warm-up")
	only := fs.String("only", "", "comma-separated `figures` to measure (default: all)")
	dataDir := dataFlag(fs)
	asJSON := fs.Bool("json", false, "print the figures as JSON lines instead of a table")
	folderDir := fs.String("folder", "", "a folder of pictures, `DIR`/<class>/* or DIR/train/<class>/*, for the folder figure (measured only with one)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measurements to `file` (go tool pprof reads it)")
	pos, err := c.parse(args, stdout)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	if *reps < 1 {
		return usagef("--reps must be at least 1, got %d", *reps)
	}
	if err := setThreads(*threads); err != nil {
		return err
	}
	prec, err := tensor.ParsePrecision(*precision)
	if err != nil {
		return usagef("--precision: %v", err)
	}
	var selected []string
	if *only != "" {
		for _, k := range strings.Split(*only, ",") {
			if _, ok := bench.Lookup(strings.TrimSpace(k)); !ok {
				return usagef("--only: unknown figure %q (known: %s)", k, strings.Join(keys, ", "))
			}
			selected = append(selected, k)
		}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			if cerr := f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("--cpuprofile: %w", cerr)
			}
		}()
	}
	fmt.Fprintf(stderr, "convnet bench: %d threads, %s on the %s kernels, %s/%s, %d runs per figure\n",
		*threads, prec, prec.Kernel(), runtime.GOOS, runtime.GOARCH, *reps)
	if prec == tensor.BFloat16 {
		fmt.Fprintf(stderr, "convnet bench: %s\n", tensor.AMXStatus())
	}
	figures, err := bench.Run(ctx, bench.Options{
		Reps:      *reps,
		Only:      selected,
		Folder:    *folderDir,
		Precision: prec,
		MNIST: func(train bool) (*data.Images, error) {
			if err := checkData(*dataDir); err != nil {
				return nil, err
			}
			return loadMNIST(*dataDir, train)
		},
	}, benchLog{stderr})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, f := range figures {
			if err := enc.Encode(f); err != nil {
				return err
			}
		}
		return nil
	}
	fmt.Fprintf(stdout, "%-48s %s\n", "figure", "convnet (median)")
	for _, f := range figures {
		fmt.Fprintf(stdout, "%-48s %s\n", f.Name, f)
	}
	return nil
}

// benchLog prints bench.Run's progress on stderr.
type benchLog struct{ w io.Writer }

func (l benchLog) Start(c bench.Case)      { fmt.Fprintf(l.w, "%s: %s\n", c.Key, c.About) }
func (l benchLog) Measured(f bench.Figure) { fmt.Fprintf(l.w, "  %s: %s\n", f.Name, f) }
