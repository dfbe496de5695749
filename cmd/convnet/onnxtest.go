package main

import (
	"context"
	"fmt"
	"io"

	"github.com/convnet/convnet/onnx"
)

func onnxTestCmd(ctx context.Context, args []string, stdout, _ io.Writer) error {
	c := newCmd("onnx-test", "CASE_DIR...",
		"Run cases of ONNX's backend tests: each CASE_DIR holds model.onnx and test_data_set_N folders\n"+
			"of input_K.pb and output_K.pb (or is a folder of such cases, as Debian's libonnx-testdata\n"+
			"installs under /usr/share/libonnx-testdata/data/node). Prints 'pass NAME', 'fail NAME: why' or\n"+
			"'unsupported NAME: op X' for each, then the counts; exits 1 if any case failed.")
	pos, err := c.parse(args, stdout)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("give at least one CASE_DIR")
	}
	cases, err := onnx.Cases(pos...)
	if err != nil {
		return err
	}
	counts := map[onnx.Status]int{}
	for _, dir := range cases {
		if ctx.Err() != nil {
			return errInterrupted
		}
		r := onnx.RunCase(dir)
		counts[r.Status]++
		if r.Status == onnx.Pass {
			fmt.Fprintf(stdout, "pass %s\n", r.Name)
		} else {
			fmt.Fprintf(stdout, "%s %s: %s\n", r.Status, r.Name, r.Detail)
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed, %d unsupported\n", counts[onnx.Pass], counts[onnx.Fail], counts[onnx.Unsupported])
	if counts[onnx.Fail] > 0 {
		return errReported
	}
	return nil
}
