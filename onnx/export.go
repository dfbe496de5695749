package onnx

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"

	"github.com/convnet/convnet/internal/atomicfile"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/onnx/internal/pb"
	"github.com/convnet/convnet/tensor"
)

// Opsets Export writes: the default operator set's versions from 13
// (torch.onnx.export's default) to 17.
const (
	MinOpset     = 13
	MaxOpset     = 17
	DefaultOpset = 13
)

// ExportOptions are Export's settings; the zero value writes opset 13
// with a dynamic batch size.
type ExportOptions struct {
	// Opset is the default operator set's version (0: DefaultOpset).
	Opset int
	// Batch fixes the batch size of the input and output; 0 leaves it
	// dynamic (the dimension named "batch").
	Batch int
	// Metadata is written as the model's metadata_props (class names,
	// preprocessing).
	Metadata map[string]string
	// ProducerVersion is written beside the producer name "convnet".
	ProducerVersion string
}

// Export returns module m as an ONNX model: one forward pass of m in
// evaluation mode on example (N×C×H×W) is traced, and each operation
// that ran becomes a node, each parameter or buffer it read an
// initializer under its state_dict name. The graph's input is named
// "input" and its output "output". m is left in evaluation mode.
//
// An operation ONNX has no node for (a custom tensor.Function) is an
// error naming it.
func Export(m nn.Module, example *tensor.Tensor, o ExportOptions) ([]byte, error) {
	if o.Opset == 0 {
		o.Opset = DefaultOpset
	}
	if o.Opset < MinOpset || o.Opset > MaxOpset {
		return nil, fmt.Errorf("opset %d: convnet writes opsets %d to %d", o.Opset, MinOpset, MaxOpset)
	}
	if o.Batch < 0 {
		return nil, fmt.Errorf("batch %d must not be negative", o.Batch)
	}
	base := m.ModuleBase()
	base.Train() // undoes nn.FoldBatchNorm: the file keeps the model's own layers
	base.Eval()
	rec := &recorder{}
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Tracer: rec})
	in := s.Input(example)
	var out *tensor.Tensor
	if err := catch(func() { out = base.Call(in) }); err != nil {
		return nil, fmt.Errorf("the forward pass: %v", err)
	}
	e := &exporter{opset: o.Opset, names: map[*tensor.Tensor]string{}, params: map[*tensor.Tensor]string{}, batch: example.Size(0), dynamic: o.Batch == 0}
	for _, p := range base.StateDict() {
		if _, dup := e.params[p.Tensor]; !dup {
			e.params[p.Tensor] = p.Name
		}
	}
	e.names[in] = "input"
	for _, op := range rec.ops {
		if err := e.op(op); err != nil {
			return nil, err
		}
	}
	outName, ok := e.names[out]
	if !ok {
		return nil, errors.New("the model's output was not made by a traced operation")
	}
	// The output is "output": rename the value that holds it.
	e.rename(outName, "output")
	batchDim := pb.Dim{Value: int64(o.Batch)}
	if e.dynamic {
		batchDim = pb.Dim{Param: "batch"}
	}
	g := &pb.Graph{
		Name:        base.TypeName(),
		Node:        e.nodes,
		Initializer: e.inits,
		Input:       []*pb.ValueInfo{valueInfo("input", example.Shape(), batchDim)},
		Output:      []*pb.ValueInfo{valueInfo("output", out.Shape(), batchDim)},
	}
	model := &pb.Model{
		IRVersion:       8,
		ProducerName:    "convnet",
		ProducerVersion: o.ProducerVersion,
		Graph:           g,
		OpsetImport:     []pb.OpsetID{{Version: int64(o.Opset)}},
	}
	keys := make([]string, 0, len(o.Metadata))
	for k := range o.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		model.MetadataProps = append(model.MetadataProps, pb.StringEntry{Key: k, Value: o.Metadata[k]})
	}
	return pb.Marshal(model), nil
}

// WriteFile exports m (see Export) to path, replacing it only once the
// whole model is written.
func WriteFile(path string, m nn.Module, example *tensor.Tensor, o ExportOptions) error {
	b, err := Export(m, example, o)
	if err != nil {
		return err
	}
	err = atomicfile.Write(path, func(f *os.File) error {
		_, err := f.Write(b)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return nil
}

// catch runs f, returning a panic as an error.
func catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f()
	return nil
}

func valueInfo(name string, shape []int, batch pb.Dim) *pb.ValueInfo {
	t := &pb.Type{ElemType: pb.Float, HasShape: true}
	for i, d := range shape {
		if i == 0 {
			t.Shape = append(t.Shape, batch)
			continue
		}
		t.Shape = append(t.Shape, pb.Dim{Value: int64(d)})
	}
	return &pb.ValueInfo{Name: name, Type: t}
}

// recorder is the tracer of Export's forward pass.
type recorder struct{ ops []tensor.Op }

func (r *recorder) Trace(op tensor.Op) { r.ops = append(r.ops, op) }

// exporter turns traced operations into nodes.
type exporter struct {
	opset   int
	nodes   []*pb.Node
	inits   []*pb.Tensor
	names   map[*tensor.Tensor]string // the value each tensor is
	params  map[*tensor.Tensor]string // state_dict names
	counts  map[string]int
	consts  int
	batch   int
	dynamic bool
}

// rename makes the value old be called new everywhere.
func (e *exporter) rename(old, new string) {
	for _, n := range e.nodes {
		for i := range n.Output {
			if n.Output[i] == old {
				n.Output[i] = new
			}
		}
		for i := range n.Input {
			if n.Input[i] == old {
				n.Input[i] = new
			}
		}
	}
	for t, name := range e.names {
		if name == old {
			e.names[t] = new
		}
	}
}

// input returns the value name of t: a traced result, the graph's input,
// or else an initializer (a parameter under its state_dict name, another
// tensor as a constant).
func (e *exporter) input(t *tensor.Tensor) string {
	if t == nil {
		return ""
	}
	if name, ok := e.names[t]; ok {
		return name
	}
	name, ok := e.params[t]
	if !ok {
		e.consts++
		name = fmt.Sprintf("const_%d", e.consts)
	}
	e.names[t] = name
	e.inits = append(e.inits, pb.FloatTensor(name, int64s(t.Shape()), slices.Clone(t.Data())))
	return name
}

// constFloats adds an initializer of floats and returns its name.
func (e *exporter) constFloats(v []float32, dims ...int) string {
	e.consts++
	name := fmt.Sprintf("const_%d", e.consts)
	e.inits = append(e.inits, pb.FloatTensor(name, int64s(dims), v))
	return name
}

// constInts adds a 1-D initializer of int64s and returns its name.
func (e *exporter) constInts(v ...int) string {
	e.consts++
	name := fmt.Sprintf("const_%d", e.consts)
	e.inits = append(e.inits, pb.Int64Tensor(name, []int64{int64(len(v))}, int64s(v)))
	return name
}

// node adds a node of the given type and returns its output's name; a
// nil out leaves the output unnamed to any tensor (an intermediate).
func (e *exporter) node(opType string, out *tensor.Tensor, inputs []string, attrs ...*pb.Attribute) string {
	if e.counts == nil {
		e.counts = map[string]int{}
	}
	name := fmt.Sprintf("%s_%d", opType, e.counts[opType])
	e.counts[opType]++
	output := name + "_output"
	e.nodes = append(e.nodes, &pb.Node{OpType: opType, Name: name, Input: inputs, Output: []string{output}, Attribute: attrs})
	if out != nil {
		e.names[out] = output
	}
	return output
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func attrInts(name string, v ...int) *pb.Attribute {
	return &pb.Attribute{Name: name, Type: pb.AttrInts, Ints: int64s(v)}
}

func attrInt(name string, v int) *pb.Attribute {
	return &pb.Attribute{Name: name, Type: pb.AttrInt, I: int64(v)}
}

func attrFloat(name string, v float32) *pb.Attribute {
	return &pb.Attribute{Name: name, Type: pb.AttrFloat, F: v}
}

func orOne(v int) int {
	if v == 0 {
		return 1
	}
	return v
}

// op writes one traced operation as nodes.
func (e *exporter) op(op tensor.Op) error {
	in := func(i int) string { return e.input(op.Inputs[i]) }
	out := op.Outputs[0]
	switch op.Name {
	case "Conv2d":
		o := op.Attrs.(tensor.ConvOptions)
		w := op.Inputs[1]
		inputs := []string{in(0), in(1)}
		if op.Inputs[2] != nil {
			inputs = append(inputs, in(2))
		}
		attrs := []*pb.Attribute{
			attrInts("dilations", orOne(o.Dilation[0]), orOne(o.Dilation[1])),
			attrInt("group", orOne(o.Groups)),
			attrInts("kernel_shape", w.Size(2), w.Size(3)),
			attrInts("pads", o.Padding[0], o.Padding[1], o.Padding[0], o.Padding[1]),
			attrInts("strides", orOne(o.Stride[0]), orOne(o.Stride[1])),
		}
		last := o.Act == tensor.ActNone && o.Pool == nil
		var target *tensor.Tensor
		if last {
			target = out
		}
		y := e.node("Conv", target, inputs, attrs...)
		if o.Act != tensor.ActNone {
			act := map[tensor.Activation]string{tensor.ActReLU: "Relu", tensor.ActTanh: "Tanh"}[o.Act]
			if o.Pool == nil {
				target = out
			}
			y = e.node(act, target, []string{y})
		}
		if o.Pool != nil {
			e.pool(*o.Pool, out, y)
		}
	case "Pool2d":
		e.pool(op.Attrs.(tensor.Pooling), out, in(0))
	case "AdaptiveAvgPool2d", "AdaptiveMaxPool2d":
		size := op.Attrs.([2]int)
		x := op.Inputs[0]
		isMax := op.Name == "AdaptiveMaxPool2d"
		switch {
		case size == [2]int{1, 1} && isMax:
			e.node("GlobalMaxPool", out, []string{in(0)})
		case size == [2]int{1, 1}:
			e.node("GlobalAveragePool", out, []string{in(0)})
		case x.Size(2)%size[0] == 0 && x.Size(3)%size[1] == 0:
			k := [2]int{x.Size(2) / size[0], x.Size(3) / size[1]}
			e.pool(tensor.Pooling{Max: isMax, Kernel: k, Stride: k}, out, in(0))
		default:
			return fmt.Errorf("%s to %v of a %v input: ONNX has no adaptive pooling whose windows differ in size", op.Name, size, x.Shape())
		}
	case "Linear":
		inputs := []string{in(0), in(1)}
		if op.Inputs[2] != nil {
			inputs = append(inputs, in(2))
		}
		e.node("Gemm", out, inputs, attrFloat("alpha", 1), attrFloat("beta", 1), attrInt("transB", 1))
	case "BatchNorm2d":
		a := op.Attrs.(tensor.BatchNormAttrs)
		x := op.Inputs[0]
		c := x.Size(1)
		names := []string{in(0)}
		fill := []float32{1, 0, 0, 1}
		for i := 1; i <= 4; i++ {
			if op.Inputs[i] != nil {
				names = append(names, in(i))
				continue
			}
			v := make([]float32, c)
			for j := range v {
				v[j] = fill[i-1]
			}
			names = append(names, e.constFloats(v, c))
		}
		e.node("BatchNormalization", out, names, attrFloat("epsilon", float32(a.Eps)), attrFloat("momentum", float32(1-a.Momentum)))
	case "ReLU", "Tanh", "Sigmoid", "Exp", "Log", "Sqrt", "Abs":
		onnxName := map[string]string{"ReLU": "Relu"}[op.Name]
		if onnxName == "" {
			onnxName = op.Name
		}
		e.node(onnxName, out, []string{in(0)})
	case "LeakyReLU":
		e.node("LeakyRelu", out, []string{in(0)}, attrFloat("alpha", op.Attrs.(tensor.UnaryAttrs).A))
	case "Hardtanh", "Clamp":
		a := op.Attrs.(tensor.UnaryAttrs)
		e.node("Clip", out, []string{in(0), e.constFloats([]float32{a.A}), e.constFloats([]float32{a.B})})
	case "Hardsigmoid":
		e.node("HardSigmoid", out, []string{in(0)}, attrFloat("alpha", 1.0/6), attrFloat("beta", 0.5))
	case "Hardswish":
		if e.opset >= 14 {
			e.node("HardSwish", out, []string{in(0)})
			break
		}
		h := e.node("HardSigmoid", nil, []string{in(0)}, attrFloat("alpha", 1.0/6), attrFloat("beta", 0.5))
		e.node("Mul", out, []string{in(0), h})
	case "SiLU":
		s := e.node("Sigmoid", nil, []string{in(0)})
		e.node("Mul", out, []string{in(0), s})
	case "GELU":
		// x·(1 + erf(x/√2))/2
		d := e.node("Div", nil, []string{in(0), e.constFloats([]float32{float32(math.Sqrt2)})})
		f := e.node("Erf", nil, []string{d})
		p := e.node("Add", nil, []string{f, e.constFloats([]float32{1})})
		m := e.node("Mul", nil, []string{in(0), p})
		e.node("Mul", out, []string{m, e.constFloats([]float32{0.5})})
	case "Pow":
		e.node("Pow", out, []string{in(0), e.constFloats([]float32{op.Attrs.(tensor.UnaryAttrs).A})})
	case "Add", "Sub", "Mul", "Div":
		e.node(op.Name, out, []string{in(0), in(1)})
	case "AddScalar":
		e.node("Add", out, []string{in(0), e.constFloats([]float32{op.Attrs.(float32)})})
	case "MulScalar":
		e.node("Mul", out, []string{in(0), e.constFloats([]float32{op.Attrs.(float32)})})
	case "Cat":
		names := make([]string, len(op.Inputs))
		for i := range op.Inputs {
			names[i] = in(i)
		}
		e.node("Concat", out, names, attrInt("axis", op.Attrs.(int)))
	case "Flatten":
		e.node("Flatten", out, []string{in(0)}, attrInt("axis", 1))
	case "Reshape":
		shape := slices.Clone(op.Attrs.([]int))
		x := op.Inputs[0]
		if e.dynamic && len(shape) > 0 && x.Dim() > 0 && shape[0] == x.Size(0) && x.Size(0) == e.batch {
			shape[0] = 0 // copies the batch size, whatever it is
		}
		e.node("Reshape", out, []string{in(0), e.constInts(shape...)})
	case "Permute":
		e.node("Transpose", out, []string{in(0)}, attrInts("perm", op.Attrs.([]int)...))
	case "Softmax", "LogSoftmax":
		e.node(op.Name, out, []string{in(0)}, attrInt("axis", op.Attrs.(int)))
	case "GELUTanh":
		// x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))/2
		c := e.node("Pow", nil, []string{in(0), e.constFloats([]float32{3})})
		c = e.node("Mul", nil, []string{c, e.constFloats([]float32{0.044715})})
		c = e.node("Add", nil, []string{in(0), c})
		c = e.node("Mul", nil, []string{c, e.constFloats([]float32{float32(math.Sqrt(2 / math.Pi))})})
		c = e.node("Tanh", nil, []string{c})
		c = e.node("Add", nil, []string{c, e.constFloats([]float32{1})})
		c = e.node("Mul", nil, []string{in(0), c})
		e.node("Mul", out, []string{c, e.constFloats([]float32{0.5})})
	case "Stack":
		dim := op.Attrs.(int)
		names := make([]string, len(op.Inputs))
		for i := range op.Inputs {
			names[i] = e.node("Unsqueeze", nil, []string{in(i), e.constInts(dim)})
		}
		e.node("Concat", out, names, attrInt("axis", dim))
	case "Narrow":
		a := op.Attrs.([3]int)
		e.node("Slice", out, []string{in(0), e.constInts(a[1]), e.constInts(a[1] + a[2]), e.constInts(a[0])})
	case "Split":
		a := op.Attrs.(tensor.SplitAttrs)
		first := e.node("Split", nil, []string{in(0), e.constInts(a.Sizes...)}, attrInt("axis", a.Dim))
		n := e.nodes[len(e.nodes)-1]
		n.Output = n.Output[:0]
		for i, t := range op.Outputs {
			name := fmt.Sprintf("%s_%d", first, i)
			n.Output = append(n.Output, name)
			e.names[t] = name
		}
	case "Expand":
		e.node("Expand", out, []string{in(0), e.constInts(op.Attrs.([]int)...)})
	case "Sum", "Mean", "SumDims", "MeanDims", "AmaxDims", "AminDims":
		a := op.Attrs.(tensor.ReduceAttrs)
		onnxName := map[string]string{"Sum": "ReduceSum", "SumDims": "ReduceSum", "Mean": "ReduceMean", "MeanDims": "ReduceMean",
			"AmaxDims": "ReduceMax", "AminDims": "ReduceMin"}[op.Name]
		dims := a.Dims
		if dims == nil {
			for i := range op.Inputs[0].Dim() {
				dims = append(dims, i)
			}
		}
		keep := attrInt("keepdims", map[bool]int{false: 0, true: 1}[a.KeepDim])
		if onnxName == "ReduceSum" {
			e.node(onnxName, out, []string{in(0), e.constInts(dims...)}, keep)
		} else {
			e.node(onnxName, out, []string{in(0)}, attrInts("axes", dims...), keep)
		}
	case "Dropout":
		// Evaluation mode: the identity. Its result is its input.
		e.names[out] = in(0)
	default:
		return fmt.Errorf("cannot export operation %s: ONNX export covers convolutions, pooling, linear layers, batch norm, activations, arithmetic, concatenation and reshapes", op.Name)
	}
	return nil
}

// pool writes a pooling of the value x.
func (e *exporter) pool(p tensor.Pooling, out *tensor.Tensor, x string) {
	stride := p.Stride
	if stride == [2]int{} {
		stride = p.Kernel
	}
	attrs := []*pb.Attribute{
		attrInt("ceil_mode", map[bool]int{false: 0, true: 1}[p.CeilMode]),
		attrInts("kernel_shape", p.Kernel[0], p.Kernel[1]),
		attrInts("pads", p.Padding[0], p.Padding[1], p.Padding[0], p.Padding[1]),
		attrInts("strides", stride[0], stride[1]),
	}
	if p.Max {
		if p.Dilation != [2]int{} && p.Dilation != [2]int{1, 1} {
			attrs = append(attrs, attrInts("dilations", p.Dilation[0], p.Dilation[1]))
		}
		e.node("MaxPool", out, []string{x}, attrs...)
		return
	}
	attrs = append(attrs, attrInt("count_include_pad", map[bool]int{false: 1, true: 0}[p.ExcludePad]))
	e.node("AveragePool", out, []string{x}, attrs...)
}
