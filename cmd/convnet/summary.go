package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
)

func summaryCmd(_ context.Context, args []string, stdout, _ io.Writer) error {
	c := newCmd("summary", "MODEL",
		"Print MODEL as PyTorch's print(model) does, then a table of its layers with each one's output\n"+
			"shape for one example, its number of parameters and its FLOPs (2 per multiply-add), as\n"+
			"torchsummary.\n"+
			"Models: "+strings.Join(models.Names(), ", ")+".")
	pos, err := c.parse(args, stdout)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usagef("missing MODEL (one of %s)", strings.Join(models.Names(), ", "))
	case len(pos) > 1:
		return usagef("unexpected argument %q (give one MODEL)", pos[1])
	}
	spec, err := models.Lookup(pos[0])
	if err != nil {
		return usagef("%v", err)
	}
	nn.ManualSeed(0)
	m := spec.New()
	fmt.Fprintln(stdout, nn.Format(m))
	fmt.Fprintln(stdout)
	table, err := nn.Summary(m, spec.Input.Shape()...)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, table)
	return nil
}
