package onnx

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/onnx/internal/pb"
	"github.com/convnet/convnet/tensor"
)

// Graph is an ONNX graph as a module: a step per operator, run in the
// graph's order with convnet's own operations, so gradients flow through
// it as through a model built in Go (fine-tuning an imported model). Its
// float initializers are its parameters, named by their ONNX names; the
// running statistics of a BatchNormalization are buffers.
//
// Forward takes the graph's first input and returns its first output.
// Run takes and returns them all. A Graph holds no state of a call, so
// several goroutines may run it at once.
type Graph struct {
	nn.Base
	name     string
	slots    []string // the value names, by slot
	consts   []value  // the initializers and folded constants, by slot
	inputs   []Port
	outputs  []Port
	steps    []step
	nodes    int
	fused    int
	inSlots  []int
	outSlots []int
	// caches hold, after CacheWeights and until the graph trains, each
	// Conv node's weight cache.
	caches []*cacheSlot
}

// cacheSlot is one Conv node's weight cache, nil when it has none.
type cacheSlot struct {
	c atomic.Pointer[tensor.WeightCache]
}

// CacheWeights makes every Conv node keep its weights packed (as
// nn.CacheWeights does for a model's layers) until the graph trains;
// nn.FoldBatchNorm and nn.CacheWeights call it.
func (g *Graph) CacheWeights() {
	for _, s := range g.caches {
		if old := s.c.Swap(tensor.NewWeightCache()); old != nil {
			old.Drop()
		}
	}
}

// Port is one of a graph's inputs or outputs: its name, element type
// (ONNX's TensorProto.DataType: 1 is float) and shape, -1 where a
// dimension is symbolic ("batch") or unknown.
type Port struct {
	Name     string
	ElemType int32
	Shape    []int
}

// step is one operator of the graph, ready to run.
type step struct {
	node    *pb.Node
	in, out []int // slots; -1 for an input left out
	run     runFunc
}

// runFunc computes an operator's outputs from its inputs; an absent
// optional input is the zero value.
type runFunc func(c *runCtx, in []value) ([]value, error)

// runCtx is what a step may ask of the run it is part of.
type runCtx struct {
	training bool
}

// Inputs returns the graph's inputs (initializers excluded).
func (g *Graph) Inputs() []Port { return g.inputs }

// Outputs returns the graph's outputs.
func (g *Graph) Outputs() []Port { return g.outputs }

// Forward runs the graph on x, its first input, and returns its first
// output. It panics where Run returns an error, as the operations of a
// module built in Go panic on a tensor of the wrong shape.
func (g *Graph) Forward(x *tensor.Tensor) *tensor.Tensor {
	outs, err := g.Run(x)
	if err != nil {
		panic(err)
	}
	return outs[0]
}

// Run runs the graph on its float inputs, in the order of Inputs, and
// returns its outputs in the order of Outputs. An error names the node
// that failed.
func (g *Graph) Run(xs ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	in := make([]value, len(xs))
	for i, x := range xs {
		in[i] = floatValue(x)
	}
	outs, err := g.run(in, nil)
	if err != nil {
		return nil, err
	}
	ts := make([]*tensor.Tensor, len(outs))
	for i, v := range outs {
		if v.t == nil {
			return nil, fmt.Errorf("output %s is an integer tensor, not float", g.outputs[i].Name)
		}
		ts[i] = v.t
	}
	return ts, nil
}

// TraceSteps runs the graph on x, its first input, and returns the float
// output of each node (named by the node's name, or its output's where it
// has none; a Conv's fused activation is its Conv's), and the graph's
// first output: what convnet inspect shows (see nn.Trace).
func (g *Graph) TraceSteps(x *tensor.Tensor) ([]nn.Activation, *tensor.Tensor) {
	var acts []nn.Activation
	observe := func(s step, outs []value) {
		for i, v := range outs {
			if v.t == nil || i >= len(s.out) || s.out[i] < 0 {
				continue
			}
			name := s.node.Name
			if name == "" || len(outs) > 1 {
				name = g.slots[s.out[i]]
			}
			acts = append(acts, nn.Activation{Name: name, Output: v.t.Clone()})
		}
	}
	outs, err := g.run([]value{floatValue(x)}, observe)
	if err != nil {
		panic(err)
	}
	if outs[0].t == nil {
		panic(fmt.Errorf("output %s is an integer tensor, not float", g.outputs[0].Name))
	}
	return acts, outs[0].t
}

// run runs the graph on values.
// observe, if not nil, sees each step's outputs.
func (g *Graph) run(inputs []value, observe func(s step, outs []value)) (outs []value, err error) {
	if len(inputs) != len(g.inputs) {
		return nil, fmt.Errorf("the graph takes %d inputs (%s), got %d", len(g.inputs), portNames(g.inputs), len(inputs))
	}
	vals := make([]value, len(g.slots))
	copy(vals, g.consts)
	for i, v := range inputs {
		if err := g.inputs[i].check(v); err != nil {
			return nil, err
		}
		vals[g.inSlots[i]] = v
	}
	c := &runCtx{training: g.Training()}
	if c.training {
		for _, s := range g.caches {
			// The weights may change: the packed ones are stale.
			if old := s.c.Swap(nil); old != nil {
				old.Drop()
			}
		}
	}
	var in []value
	for _, s := range g.steps {
		in = in[:0]
		for _, k := range s.in {
			var v value
			if k >= 0 {
				v = vals[k]
				if !v.ok() {
					return nil, fmt.Errorf("%s: input %s has no value", nodeName(s.node), g.slots[k])
				}
			}
			in = append(in, v)
		}
		res, err := runStep(s, c, in)
		if err != nil {
			return nil, err
		}
		if observe != nil {
			observe(s, res)
		}
		for j, k := range s.out {
			if k >= 0 && j < len(res) {
				vals[k] = res[j]
			}
		}
	}
	outs = make([]value, len(g.outSlots))
	for i, k := range g.outSlots {
		if !vals[k].ok() {
			return nil, fmt.Errorf("output %s has no value", g.slots[k])
		}
		outs[i] = vals[k]
	}
	return outs, nil
}

// runStep runs one step, turning a panic of a tensor operation (a shape
// that does not fit) into an error that names the node.
func runStep(s step, c *runCtx, in []value) (out []value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %v", nodeName(s.node), r)
		}
	}()
	out, err = s.run(c, in)
	if err != nil {
		var u *UnsupportedError
		if errors.As(err, &u) && u.Node == "" {
			u.Op, u.Node = s.node.OpType, nodeName(s.node)
			return nil, u
		}
		return nil, fmt.Errorf("%s: %w", nodeName(s.node), err)
	}
	return out, nil
}

// check says whether v fits the port: its element kind and the
// dimensions the graph fixes.
func (p Port) check(v value) error {
	shape := v.dims()
	if p.Shape != nil {
		if len(shape) != len(p.Shape) {
			return fmt.Errorf("input %s takes %d dimensions %s, got %s", p.Name, len(p.Shape), formatPortShape(p.Shape), tensor.FormatShape(shape))
		}
		for i, d := range p.Shape {
			if d >= 0 && shape[i] != d {
				return fmt.Errorf("input %s takes shape %s, got %s", p.Name, formatPortShape(p.Shape), tensor.FormatShape(shape))
			}
		}
	}
	if (p.ElemType == pb.Float) != (v.t != nil) {
		return fmt.Errorf("input %s takes %s values", p.Name, typeName(p.ElemType))
	}
	return nil
}

func formatPortShape(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d < 0 {
			parts[i] = "?"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func portNames(ps []Port) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// nodeName names a node in errors: its op and its name, or its first
// output where it has no name.
func nodeName(n *pb.Node) string {
	name := n.Name
	if name == "" && len(n.Output) > 0 {
		name = n.Output[0]
	}
	return fmt.Sprintf("node %s (%s)", name, n.OpType)
}

// ExtraRepr is what printing shows inside the graph's parentheses.
func (g *Graph) ExtraRepr() string {
	s := fmt.Sprintf("%d nodes", g.nodes)
	if g.fused > 0 {
		s += fmt.Sprintf(", %d fused into the node before", g.fused)
	}
	if g.name != "" {
		s = fmt.Sprintf("name=%q, %s", g.name, s)
	}
	return s
}
