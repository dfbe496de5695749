package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/models"
)

func convertCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmd("convert", "IN",
		"Convert a checkpoint between safetensors and PyTorch's torch.save format (.pth, .pt), either\n"+
			"way, by --out's extension. With a model (the checkpoint's, or --model), its weights are\n"+
			"checked against the model and a VGG's keys are written with the lesson's names (the lesson's\n"+
			"PyTorch class loads them) or, with --keys torchvision, with torchvision's (features.0.weight);\n"+
			"the other networks have torchvision's names already. torch.load reads the .pth written, and\n"+
			"load_state_dict(strict=True) takes it.")
	fs := c.flags
	out := fs.String("out", "", "`FILE` to write: .pth or .pt for torch.save's format, else safetensors (required)")
	model := modelFlag(fs, "", " (default: the checkpoint's, if it names one)")
	keys := fs.String("keys", "lesson", "`NAMES` of a VGG's tensors in --out: lesson or torchvision")
	force := fs.Bool("force", false, "replace an existing --out")
	pos, err := c.parse(args, stdout)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("give one checkpoint to convert (usage: convnet convert IN --out OUT)")
	case *out == "":
		return usagef("--out is required: the file to write (.pth, .pt or .safetensors)")
	case *keys != "lesson" && *keys != "torchvision":
		return usagef("--keys must be lesson or torchvision, got %q", *keys)
	}
	in := pos[0]
	if _, err := os.Stat(in); err != nil {
		return fmt.Errorf("%s", pathError(err))
	}
	if err := checkOutPath("--out", *out); err != nil {
		return err
	}
	if _, err := os.Stat(*out); err == nil && !*force {
		return usagef("--out %s exists: give --force to replace it", *out)
	}
	f, err := checkpoint.ReadFile(in)
	if err != nil {
		return err
	}
	if *model != "" || f.Metadata[checkpoint.ModelKey] != "" {
		ck, err := models.LoadCheckpoint(in, *model)
		if err != nil {
			var unknown *models.UnknownModelError
			if errors.As(err, &unknown) {
				return usagef("%v: give --model", err)
			}
			return err
		}
		f = checkpoint.StateFile(ck.Model, ck.Metadata)
		if *keys == "torchvision" {
			f = checkpoint.Rename(f, models.TorchvisionNames(ck.Model))
		}
	} else if *keys == "torchvision" {
		return usagef("--keys torchvision needs the model: give --model")
	}
	if err := checkpoint.WriteFile(*out, f); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d tensors\n", *out, len(f.Names))
	return nil
}
