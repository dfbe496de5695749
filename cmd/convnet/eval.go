package main

import (
	"context"
	"fmt"
	"io"

	"github.com/convnet/convnet/train"
)

func evalCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmd("eval", "",
		"Test a checkpoint on its data set's test images: the accuracy, the accuracy per class and the\n"+
			"confusion matrix. The model is the one the checkpoint's metadata names unless --model is given.")
	fs := c.flags
	ckpt := checkpointFlag(fs)
	model := modelFlag(fs, "", " (default: the checkpoint's)")
	dataDir := dataFlag(fs)
	threads := threadsFlag(fs)
	precision := precisionFlag(fs)
	batchSize := fs.Int("batch-size", evalBatch, "`N` test images per batch")
	limit := fs.Int("limit", 0, "test on only the first `N` test images (0: all)")
	pngOut := fs.String("png", "", "draw the confusion matrix as a heat map to `FILE` (.png) and the 16 most confidently wrong test images to FILE-wrong.png")
	pos, err := c.parse(args, stdout)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	switch {
	case *batchSize < 1:
		return usagef("--batch-size must be at least 1, got %d", *batchSize)
	case *limit < 0:
		return usagef("--limit must be 0 (all) or more, got %d", *limit)
	}
	if *pngOut != "" {
		if err := checkPNGPath("--png", *pngOut); err != nil {
			return err
		}
	}
	if err := setThreads(*threads); err != nil {
		return err
	}
	prec, err := setPrecision(*precision, stderr)
	if err != nil {
		return err
	}
	l, err := loadCheckpoint(*ckpt, *model)
	if err != nil {
		return err
	}
	if err := l.forInference(); err != nil {
		return err
	}
	if err := checkData(*dataDir); err != nil {
		return err
	}
	testSet, err := l.pipe.TestSet(*dataDir, *limit)
	if err != nil {
		return err
	}
	ev, err := train.Evaluate(ctx, l.model, testSet, *batchSize, train.NewBar(stderr), train.Precision(prec))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "test_accr=%.4f\n", ev.Accuracy())
	fmt.Fprintf(stdout, "\n%s", ev.FormatNamedClasses(l.pipe.ClassNames(*dataDir)))
	fmt.Fprintf(stdout, "\n%s", ev.FormatConfusion())
	if *pngOut != "" {
		return saveEvalPictures(*pngOut, l, *dataDir, *limit, ev, stdout)
	}
	return nil
}
