// Package onnx reads ONNX models into modules that run, and train, with
// convnet's own operations, and writes convnet's modules as ONNX models
// that ONNX Runtime runs.
//
// Load turns a model.onnx into a Graph: a step per operator (Conv, Gemm,
// BatchNormalization, Concat, Reshape and the rest: see Operators), the
// initializers its parameters under their ONNX names. Export traces one
// evaluation-mode forward pass of any module and writes what ran.
//
// ONNX files are protobuf from strangers: their sizes are bounded before
// anything is allocated, subgraphs nest only so deep, external data must
// lie in the model's folder, and an operator convnet does not run is an
// UnsupportedError that names it and its node.
package onnx

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/convnet/convnet/onnx/internal/pb"
	"github.com/convnet/convnet/tensor"
)

// MaxFileSize bounds the size of a model file Load reads (protobuf's own
// limit is 2 GiB).
const MaxFileSize = 2 << 30

// MaxNodes bounds the nodes of a graph (GoogLeNet has a few hundred).
const MaxNodes = 1 << 20

// Model is an ONNX model as Load reads it.
type Model struct {
	// Graph is the model's graph, ready to run (a module). It starts in
	// evaluation mode, as a model read for inference should; Train
	// before fine-tuning it.
	Graph *Graph
	// Metadata holds the model's metadata_props: convnet writes there
	// the class names and the input's preprocessing.
	Metadata map[string]string
	// Opset is the version of the default operator set the model uses
	// (-1 if it imports none: all its operators are of other domains).
	Opset int
	// Producer is the program that wrote the model, with its version.
	Producer string
}

// UnsupportedError says that a model uses an operator, or a setting of
// one, that convnet does not run.
type UnsupportedError struct {
	Op     string // the operator, as ONNX names it
	Node   string // the node, as nodeName names it
	Detail string // what about it is not supported; empty: the operator itself
}

func (e *UnsupportedError) Error() string {
	switch {
	case e.Node == "":
		return "unsupported: " + e.Detail
	case e.Detail == "":
		return fmt.Sprintf("%s: unsupported operator %s", e.Node, e.Op)
	}
	return fmt.Sprintf("%s: unsupported: %s", e.Node, e.Detail)
}

// Load reads the ONNX model at path. External data, if the model has
// any, is read from files in the model's folder.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if info.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes is more than an ONNX model may hold (%d)", path, info.Size(), int64(MaxFileSize))
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	m, err := Decode(b, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Decode reads an ONNX model from its bytes; dir is the folder that
// external data may be read from ("" refuses external data).
func Decode(b []byte, dir string) (*Model, error) {
	pm, err := pb.Unmarshal(b, pb.DefaultLimits)
	if err != nil {
		return nil, fmt.Errorf("not a readable ONNX model: %v", err)
	}
	if pm.Graph == nil {
		return nil, errors.New("the model has no graph")
	}
	opset := -1
	for _, o := range pm.OpsetImport {
		if o.Domain == "" || o.Domain == "ai.onnx" {
			opset = int(o.Version)
		}
	}
	if opset < 0 && len(pm.OpsetImport) == 0 {
		opset = 1 // IR version 1 and 2 models predate opset_import
	}
	g, err := compile(pm.Graph, opset, dir)
	if err != nil {
		return nil, err
	}
	g.Eval()
	m := &Model{Graph: g, Metadata: map[string]string{}, Opset: opset, Producer: pm.ProducerName}
	if pm.ProducerVersion != "" {
		m.Producer += " " + pm.ProducerVersion
	}
	for _, e := range pm.MetadataProps {
		m.Metadata[e.Key] = e.Value
	}
	return m, nil
}

// ReadTensor reads a serialized TensorProto (an input_0.pb of ONNX's
// backend tests) as a float tensor, or as int64s with their shape.
func ReadTensor(path string) (t *tensor.Tensor, ints []int64, shape []int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	v, err := decodeTensor(b)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %v", path, err)
	}
	return v.t, v.ints, v.shape, nil
}

func decodeTensor(b []byte) (value, error) {
	pt, err := pb.UnmarshalTensor(b, pb.DefaultLimits)
	if err != nil {
		return value{}, err
	}
	return tensorValue(pt, "")
}

// tensorValue converts an ONNX tensor: float types to a tensor, integer
// types to int64s.
func tensorValue(pt *pb.Tensor, dir string) (value, error) {
	shape := make([]int, len(pt.Dims))
	for i, d := range pt.Dims {
		shape[i] = int(d)
	}
	switch {
	case pt.DataType == pb.Float || pt.DataType == pb.Double || pt.DataType == pb.Float16 || pt.DataType == pb.Bfloat16:
		f, err := pt.Floats(dir)
		if err != nil {
			return value{}, err
		}
		return floatValue(tensor.New(f, shape...)), nil
	case isIntType(pt.DataType):
		v, err := pt.Int64s(dir)
		if err != nil {
			return value{}, err
		}
		iv := intValue(v, shape)
		iv.typ = pt.DataType
		return iv, nil
	}
	return value{}, unsupportedf("tensor %s of %s", pt.Name, typeName(pt.DataType))
}

// compile makes a Graph of an ONNX graph: its values numbered, its
// initializers made parameters, a step built for each node.
func compile(pg *pb.Graph, opset int, dir string) (*Graph, error) {
	if len(pg.Node) > MaxNodes {
		return nil, fmt.Errorf("%d nodes: more than the %d convnet runs", len(pg.Node), MaxNodes)
	}
	g := &Graph{name: pg.Name, nodes: len(pg.Node)}
	g.Init(g, "OnnxGraph")
	slotOf := map[string]int{}
	newSlot := func(name string) int {
		slotOf[name] = len(g.slots)
		g.slots = append(g.slots, name)
		g.consts = append(g.consts, value{})
		return len(g.slots) - 1
	}
	// Buffers: the running statistics of batch norms.
	buffers := map[string]bool{}
	for _, n := range pg.Node {
		if n.OpType == "BatchNormalization" {
			for _, i := range []int{3, 4} {
				if i < len(n.Input) {
					buffers[n.Input[i]] = true
				}
			}
		}
	}
	for _, it := range pg.Initializer {
		if _, dup := slotOf[it.Name]; dup || it.Name == "" {
			return nil, fmt.Errorf("initializer %q: empty or given twice", it.Name)
		}
		v, err := tensorValue(it, dir)
		if err != nil {
			return nil, fmt.Errorf("initializer %s: %w", it.Name, err)
		}
		k := newSlot(it.Name)
		if v.t != nil {
			if buffers[it.Name] {
				g.AddBuffer(it.Name, v.t)
			} else {
				g.AddParameter(it.Name, v.t)
			}
		}
		g.consts[k] = v
	}
	for _, vi := range pg.Input {
		if _, isInit := slotOf[vi.Name]; isInit {
			continue // an initializer listed as an input too (IR < 4)
		}
		p, err := port(vi)
		if err != nil {
			return nil, err
		}
		g.inputs = append(g.inputs, p)
		g.inSlots = append(g.inSlots, newSlot(vi.Name))
	}
	outputs := map[string]bool{}
	for _, vo := range pg.Output {
		p, err := port(vo)
		if err != nil {
			return nil, err
		}
		g.outputs = append(g.outputs, p)
		outputs[vo.Name] = true
	}
	if len(g.outputs) == 0 {
		return nil, errors.New("the graph has no output")
	}
	uses := map[string]int{}
	for _, n := range pg.Node {
		for _, in := range n.Input {
			uses[in]++
		}
	}
	actOf := fusions(pg.Node, uses, outputs)
	fused := make(map[int]bool, len(actOf))
	for _, act := range actOf {
		fused[act] = true
	}
	b := &build{opset: opset, g: g, dir: dir, slotOf: slotOf}
	for i, n := range pg.Node {
		if n.Domain != "" && n.Domain != "ai.onnx" {
			return nil, &UnsupportedError{Op: n.Domain + "." + n.OpType, Node: nodeName(n), Detail: "operator " + n.OpType + " of domain " + n.Domain}
		}
		if fused[i] {
			continue
		}
		s := step{node: n}
		for _, in := range n.Input {
			if in == "" {
				s.in = append(s.in, -1)
				continue
			}
			k, ok := slotOf[in]
			if !ok {
				return nil, fmt.Errorf("%s: input %q is not made by any node before it", nodeName(n), in)
			}
			s.in = append(s.in, k)
		}
		build := operators[n.OpType]
		if opset < 0 {
			return nil, fmt.Errorf("%s: the model imports no version of the default operator set", nodeName(n))
		}
		if build == nil {
			return nil, &UnsupportedError{Op: n.OpType, Node: nodeName(n)}
		}
		b.act = tensor.ActNone
		outNode := n
		if j, ok := actOf[i]; ok {
			b.act = fusableActs[pg.Node[j].OpType]
			outNode = pg.Node[j]
			g.fused++
		}
		run, err := build(b, n, attrsOf(n))
		if err != nil {
			var u *UnsupportedError
			if errors.As(err, &u) {
				u.Op, u.Node = n.OpType, nodeName(n)
				return nil, u
			}
			return nil, fmt.Errorf("%s: %w", nodeName(n), err)
		}
		s.run = run
		for _, out := range outNode.Output {
			if out == "" {
				s.out = append(s.out, -1)
				continue
			}
			if _, dup := slotOf[out]; dup {
				return nil, fmt.Errorf("%s: output %q is made twice", nodeName(n), out)
			}
			s.out = append(s.out, newSlot(out))
		}
		if n.OpType == "Constant" {
			// Fold it now: it takes no input.
			vals, err := runStep(s, &runCtx{}, nil)
			if err != nil {
				return nil, err
			}
			g.consts[s.out[0]] = vals[0]
			continue
		}
		g.steps = append(g.steps, s)
	}
	for _, p := range g.outputs {
		k, ok := slotOf[p.Name]
		if !ok {
			return nil, fmt.Errorf("output %q is made by no node", p.Name)
		}
		g.outSlots = append(g.outSlots, k)
	}
	return g, nil
}

// fusableActs are the activations a Conv runs on its output in the same
// pass (tensor.ConvOptions.Act).
var fusableActs = map[string]tensor.Activation{"Relu": tensor.ActReLU, "Tanh": tensor.ActTanh}

// fusions finds each Conv whose output only an activation reads: the
// Conv's step runs the activation too. It returns, for each such Conv,
// the index of its activation node.
func fusions(nodes []*pb.Node, uses map[string]int, outputs map[string]bool) map[int]int {
	actOf := map[int]int{}
	producer := map[string]int{}
	for i, n := range nodes {
		for _, o := range n.Output {
			producer[o] = i
		}
		if _, ok := fusableActs[n.OpType]; !ok || len(n.Input) != 1 || len(n.Attribute) != 0 {
			continue
		}
		in := n.Input[0]
		j, ok := producer[in]
		if !ok || nodes[j].OpType != "Conv" || len(nodes[j].Output) != 1 || uses[in] != 1 || outputs[in] {
			continue
		}
		actOf[j] = i
	}
	return actOf
}

// port reads a graph input's or output's type.
func port(vi *pb.ValueInfo) (Port, error) {
	p := Port{Name: vi.Name, ElemType: pb.Float}
	if vi.Type == nil {
		return p, nil
	}
	if vi.Type.NotTensor {
		return p, unsupportedf("graph value %s is not a tensor", vi.Name)
	}
	if vi.Type.ElemType != 0 {
		p.ElemType = vi.Type.ElemType
	}
	if p.ElemType != pb.Float && !isIntType(p.ElemType) {
		return p, unsupportedf("graph value %s holds %s", vi.Name, typeName(p.ElemType))
	}
	if vi.Type.HasShape {
		p.Shape = make([]int, len(vi.Type.Shape))
		for i, d := range vi.Type.Shape {
			p.Shape[i] = -1
			if d.Param == "" && d.Value > 0 {
				p.Shape[i] = int(d.Value)
			}
		}
	}
	return p, nil
}

// build is what an operator's builder may ask while the graph is built.
type build struct {
	opset  int
	g      *Graph
	dir    string
	slotOf map[string]int
	// act is the activation fused into the node being built (a Conv's).
	act tensor.Activation
}

// constant returns the value of a node's input if it is an initializer
// or a folded Constant.
func (b *build) constant(n *pb.Node, i int) (value, bool) {
	if i >= len(n.Input) || n.Input[i] == "" {
		return value{}, false
	}
	k, ok := b.slotOf[n.Input[i]]
	if !ok || !b.g.consts[k].ok() {
		return value{}, false
	}
	return b.g.consts[k], true
}

// builder makes the run function of a node from its attributes.
type builder func(b *build, n *pb.Node, a attrs) (runFunc, error)

// operators are the ONNX operators convnet runs, by name (filled in by
// the ops_*.go files).
var operators = map[string]builder{}

// Operators returns the names of the ONNX operators convnet runs, sorted.
func Operators() []string {
	names := make([]string, 0, len(operators))
	for name := range operators {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
