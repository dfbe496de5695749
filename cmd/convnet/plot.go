package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/convnet/convnet/train"
	"github.com/convnet/convnet/viz"
)

func plotCmd(_ context.Context, args []string, stdout, _ io.Writer) error {
	c := newCmd("plot", "LOGFILE",
		"Draw the loss and accuracy curves per epoch of a training run from its metrics file, the\n"+
			"JSON Lines file <checkpoint>.metrics.jsonl that \"convnet train\" writes beside the checkpoint\n"+
			"(one object per epoch: epoch, loss, mean_loss, train_accuracy, test_accuracy, seconds, lr).\n"+
			"The picture is a PNG or an SVG, by --out's extension; without --out, a PNG beside LOGFILE.")
	fs := c.flags
	out := fs.String("out", "", "picture `FILE` to write, .png or .svg (default: LOGFILE's folder and name with .png: runs/lenet5.metrics.jsonl draws runs/lenet5.png)")
	title := fs.String("title", "", "`TEXT` to name the run in the panels' titles (default: LOGFILE's name)")
	pos, err := c.parse(args, stdout)
	if err != nil {
		return err
	}
	switch len(pos) {
	case 0:
		return usagef("missing LOGFILE (the .metrics.jsonl file that convnet train writes beside its checkpoint)")
	case 1:
	default:
		return usagef("too many arguments: %s (want one LOGFILE)", strings.Join(pos, " "))
	}
	log := pos[0]
	if *out == "" {
		// Beside the log, in its folder: runs/lenet5.metrics.jsonl draws
		// runs/lenet5.png.
		*out = strings.TrimSuffix(strings.TrimSuffix(log, ".jsonl"), ".metrics") + ".png"
		if *out == log {
			*out += ".png"
		}
	}
	if err := checkPlotPath("--out", *out); err != nil {
		return err
	}
	rows, err := train.ReadMetrics(log)
	if err != nil {
		return err
	}
	if *title == "" {
		*title = runName(log)
	}
	if err := viz.SaveCurves(*out, *title, rows); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "saved %s (%d epochs)\n", *out, len(rows))
	return nil
}

// runName names a run after its checkpoint or metrics file:
// "runs/lenet5.metrics.jsonl" is "lenet5".
func runName(path string) string {
	base := filepath.Base(path)
	for _, ext := range []string{".jsonl", ".metrics", ".safetensors"} {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}

// checkPlotPath validates a picture's file name: .png or .svg, in a folder
// that exists.
func checkPlotPath(flagName, path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png", ".svg":
	default:
		return usagef("%s %s: the picture must be a .png or .svg file", flagName, path)
	}
	return checkOutPath(flagName, path)
}
