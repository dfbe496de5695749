package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

func runSummary(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return finish(stderr, "summary", guard(func() error { return summaryCmd(ctx, args, stdout) }))
}

func summaryCmd(_ context.Context, args []string, stdout io.Writer) error {
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
	fmt.Fprint(stdout, summaryTable(m, spec.Input.Shape()))
	return nil
}

// layerRow is one line of the summary table.
type layerRow struct {
	name, typ string
	shape     []int // nil if the layer did not run
	params    int
	flops     float64
}

// summaryTable runs a zero batch of one example through m, recording
// every leaf layer's output shape with forward hooks, and formats the
// torchsummary table.
func summaryTable(m nn.Module, inputShape []int) string {
	var rows []layerRow
	ran := map[string]bool{}
	var removes []func()
	for _, c := range leaves(m) {
		name := c.Name
		params := 0
		for _, p := range c.Module.ModuleBase().NamedParameters() {
			params += p.Tensor.Numel()
		}
		removes = append(removes, c.Module.ModuleBase().RegisterForwardHook(func(mod nn.Module, out *tensor.Tensor) {
			row := layerRow{name: name, typ: mod.ModuleBase().TypeName(), shape: append([]int(nil), out.Shape()...),
				flops: layerFLOPs(mod, out)}
			if !ran[name] {
				row.params = params // count a layer's parameters once
			}
			ran[name] = true
			rows = append(rows, row)
		}))
	}
	base := m.ModuleBase()
	wasTraining := base.Training()
	base.Eval()
	tensor.NoGrad(func() {
		base.Call(tensor.Zeros(append([]int{1}, inputShape...)...))
	})
	if wasTraining {
		base.Train()
	}
	for _, remove := range removes {
		remove()
	}
	// Layers that the forward pass did not reach still have parameters.
	for _, c := range leaves(m) {
		if ran[c.Name] {
			continue
		}
		params := 0
		for _, p := range c.Module.ModuleBase().NamedParameters() {
			params += p.Tensor.Numel()
		}
		rows = append(rows, layerRow{name: c.Name, typ: c.Module.ModuleBase().TypeName(), params: params})
	}

	var flops float64
	for _, r := range rows {
		flops += r.flops
	}
	total, trainable := 0, 0
	for _, p := range base.Parameters() {
		total += p.Numel()
		if p.RequiresGrad() {
			trainable += p.Numel()
		}
	}

	nameWidth, shapeWidth := 30, 20
	for _, r := range rows {
		nameWidth = max(nameWidth, len(r.name)+len(r.typ)+4)
		shapeWidth = max(shapeWidth, len(formatShape(r.shape))+2)
	}
	const paramWidth, flopsWidth = 13, 16
	rule := func(ch string) string {
		return strings.Repeat(ch, nameWidth+shapeWidth+paramWidth+flopsWidth+1) + "\n"
	}
	var b strings.Builder
	b.WriteString(rule("-"))
	fmt.Fprintf(&b, "%-*s%-*s%*s%*s\n", nameWidth, "Layer (type)", shapeWidth, "Output Shape", paramWidth, "Param #", flopsWidth, "FLOPs")
	b.WriteString(rule("="))
	for _, r := range rows {
		shape := "--"
		if r.shape != nil {
			shape = formatShape(r.shape)
		}
		fmt.Fprintf(&b, "%-*s%-*s%*s%*s\n", nameWidth, r.name+" ("+r.typ+")", shapeWidth, shape, paramWidth, commas(r.params),
			flopsWidth, commas(int(r.flops)))
	}
	b.WriteString(rule("="))
	fmt.Fprintf(&b, "Total params: %s\n", commas(total))
	fmt.Fprintf(&b, "Trainable params: %s\n", commas(trainable))
	fmt.Fprintf(&b, "FLOPs per example: %s (%s multiply-adds)\n", engineering(flops), engineering(flops/2))
	b.WriteString(rule("-"))
	return b.String()
}

// commas prints n with thousands separators: 61,706.
func commas(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// engineering prints v with an SI prefix: 7.61 G.
func engineering(v float64) string {
	for _, u := range []struct {
		scale float64
		name  string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if v >= u.scale {
			return fmt.Sprintf("%.3g %s", v/u.scale, u.name)
		}
	}
	return fmt.Sprintf("%.3g", v)
}
