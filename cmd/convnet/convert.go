package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"strconv"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/datasets"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/onnx"
	"github.com/convnet/convnet/tensor"
)

func convertCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmd("convert", "IN",
		"Convert a checkpoint between safetensors and PyTorch's torch.save format (.pth, .pt), either\n"+
			"way, or export it to ONNX (.onnx), by --out's extension. The ONNX model's input is named\n"+
			"\"input\" (N x C x H x W, N dynamic unless --batch), its output \"output\", and its metadata\n"+
			"records the class names and the preprocessing; ONNX Runtime runs it. With a model (the checkpoint's, or --model), its weights are\n"+
			"checked against the model and a VGG's keys are written with the lesson's names (the lesson's\n"+
			"PyTorch class loads them) or, with --keys torchvision, with torchvision's (features.0.weight);\n"+
			"the other networks have torchvision's names already. torch.load reads the .pth written, and\n"+
			"load_state_dict(strict=True) takes it.")
	fs := c.flags
	out := fs.String("out", "", "`FILE` to write: .pth or .pt for torch.save's format, else safetensors (required)")
	model := modelFlag(fs, "", " (default: the checkpoint's, if it names one)")
	keys := fs.String("keys", "lesson", "`NAMES` of a VGG's tensors in --out: lesson or torchvision")
	force := fs.Bool("force", false, "replace an existing --out")
	opset := fs.Int("opset", onnx.DefaultOpset, fmt.Sprintf("ONNX operator set `VERSION` of a .onnx --out (%d to %d)", onnx.MinOpset, onnx.MaxOpset))
	batch := fs.String("batch", "dynamic", "batch size `N` of a .onnx --out's input, or dynamic")
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
	if models.IsONNX(*out) {
		o := onnx.ExportOptions{Opset: *opset}
		if *opset < onnx.MinOpset || *opset > onnx.MaxOpset {
			return usagef("--opset must be %d to %d, got %d", onnx.MinOpset, onnx.MaxOpset, *opset)
		}
		if *batch != "dynamic" {
			n, err := strconv.Atoi(*batch)
			if err != nil || n < 1 || n > 1<<16 {
				return usagef("--batch must be dynamic or a number from 1 to 65536, got %q", *batch)
			}
			o.Batch = n
		}
		return exportONNX(in, *model, *out, o, stdout)
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

// exportONNX writes the model of checkpoint in to out as ONNX, with the
// checkpoint's metadata and its data set's preprocessing.
func exportONNX(in, model, out string, o onnx.ExportOptions, stdout io.Writer) error {
	ck, err := loadModel(in, model)
	if err != nil {
		return err
	}
	o.Metadata = maps.Clone(ck.Metadata)
	if pipe, err := datasets.ForCheckpoint(ck); err == nil {
		maps.Copy(o.Metadata, pipe.Preprocessing(""))
	}
	example := tensor.Zeros(append([]int{max(o.Batch, 1)}, ck.Input.Shape()...)...)
	if err := onnx.WriteFile(out, ck.Model, example, o); err != nil {
		return fmt.Errorf("--out %s: %v", out, err)
	}
	batch := "dynamic"
	if o.Batch > 0 {
		batch = strconv.Itoa(o.Batch)
	}
	fmt.Fprintf(stdout, "wrote %s: %s as ONNX opset %d, input %s x %dx%dx%d, %d classes\n", out, ck.Spec.Name, o.Opset, batch,
		ck.Input.Channels, ck.Input.Size, ck.Input.Size, ck.Input.Classes)
	return nil
}
