package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/convnet/convnet/onnx/internal/pb"
	"github.com/convnet/convnet/tensor"
)

// Operators that move values without computing new ones (reshapes,
// concatenation, padding, gathering) and the shape arithmetic that
// torch.onnx.export writes for x.view(x.size(0), -1).

func init() {
	operators["Identity"] = func(*build, *pb.Node, attrs) (runFunc, error) {
		return func(_ *runCtx, in []value) ([]value, error) { return in[:1], nil }, nil
	}
	operators["Constant"] = constantOp
	operators["ConstantOfShape"] = constantOfShapeOp
	operators["Shape"] = shapeOp
	operators["Cast"] = castOp
	operators["Reshape"] = reshapeOp
	operators["Flatten"] = flattenOp
	operators["Squeeze"] = squeezeOp(false)
	operators["Unsqueeze"] = squeezeOp(true)
	operators["Transpose"] = transposeOp
	operators["Concat"] = concatOp
	operators["Gather"] = gatherOp
	operators["Pad"] = padOp
	operators["Dropout"] = dropoutOp
}

// MaxElements bounds the values an operator makes from sizes that the
// graph computes (ConstantOfShape, Pad): 2³⁰ floats, 4 GiB.
const MaxElements = 1 << 30

// checkSize refuses a shape of a negative dimension or of more than
// MaxElements values, before anything is allocated.
func checkSize(shape []int) error {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("shape %v has a negative dimension", shape)
		}
		if d > 0 && n > MaxElements/d {
			return fmt.Errorf("shape %v has more than %d values", shape, MaxElements)
		}
		n *= d
	}
	return nil
}

// reshaped returns v with a new shape of as many elements.
func reshaped(v value, shape []int) value {
	if v.t != nil {
		return floatValue(tensor.Reshape(v.t, shape...))
	}
	v.shape = shape
	return v
}

func constantOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	var v value
	switch {
	case a.has("value"):
		t := a["value"].T
		if t == nil {
			return nil, fmt.Errorf("attribute value holds no tensor")
		}
		var err error
		if v, err = tensorValue(t, b.dir); err != nil {
			return nil, err
		}
	case a.has("value_float"):
		v = floatValue(tensor.New([]float32{a.float("value_float", 0)}))
	case a.has("value_floats"):
		f := slices.Clone(a.floats("value_floats"))
		v = floatValue(tensor.New(f, len(f)))
	case a.has("value_int"):
		v = intValue([]int64{int64(a.int("value_int", 0))}, []int{})
	case a.has("value_ints"):
		ints := a["value_ints"].Ints
		v = intValue(slices.Clone(ints), []int{len(ints)})
	default:
		return nil, unsupportedf("Constant without a value, value_float(s) or value_int(s) attribute")
	}
	return func(*runCtx, []value) ([]value, error) { return []value{v}, nil }, nil
}

func constantOfShapeOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	fill := floatValue(tensor.New([]float32{0}, 1))
	if at := a["value"]; at != nil && at.T != nil {
		var err error
		if fill, err = tensorValue(at.T, b.dir); err != nil {
			return nil, err
		}
	}
	return func(_ *runCtx, in []value) ([]value, error) {
		shape, err := in[0].intList("shape")
		if err != nil {
			return nil, err
		}
		if err := checkSize(shape); err != nil {
			return nil, err
		}
		if fill.t != nil {
			return []value{floatValue(tensor.Full(fill.t.Data()[0], shape...))}, nil
		}
		ints := make([]int64, tensor.Numel(shape))
		for i := range ints {
			ints[i] = fill.ints[0]
		}
		v := intValue(ints, shape)
		v.typ = fill.typ
		return []value{v}, nil
	}, nil
}

func shapeOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	start, end := a.int("start", 0), a.int("end", math.MaxInt32)
	return func(_ *runCtx, in []value) ([]value, error) {
		dims := in[0].dims()
		clampAxis := func(i int) int {
			if i < 0 {
				i += len(dims)
			}
			return min(max(i, 0), len(dims))
		}
		s, e := clampAxis(start), clampAxis(end)
		out := []int64{}
		for i := s; i < e; i++ {
			out = append(out, int64(dims[i]))
		}
		return []value{intValue(out, []int{len(out)})}, nil
	}, nil
}

func castOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	to := int32(a.int("to", 0))
	return func(_ *runCtx, in []value) ([]value, error) {
		v := in[0]
		switch {
		case to == pb.Float || to == pb.Double:
			return []value{floatValue(v.asFloat())}, nil
		case isIntType(to) && v.t == nil:
			if to == pb.Bool {
				out := make([]int64, len(v.ints))
				for i, x := range v.ints {
					if x != 0 {
						out[i] = 1
					}
				}
				v.ints = out
			}
			v.typ = to
			return []value{v}, nil
		case isIntType(to):
			data := v.t.Data()
			out := make([]int64, len(data))
			for i, x := range data {
				if to == pb.Bool {
					if x != 0 {
						out[i] = 1
					}
				} else {
					out[i] = int64(x) // toward zero, as C casts
				}
			}
			iv := intValue(out, slices.Clone(v.t.Shape()))
			iv.typ = to
			return []value{iv}, nil
		}
		return nil, unsupportedf("Cast to %s", typeName(to))
	}, nil
}

func reshapeOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	allowZero := a.int("allowzero", 0) != 0
	attrShape := a.ints("shape", nil)
	return func(_ *runCtx, in []value) ([]value, error) {
		target := attrShape
		if b.opset >= 5 {
			if len(in) < 2 {
				return nil, fmt.Errorf("Reshape takes data and shape")
			}
			var err error
			if target, err = in[1].intList("shape"); err != nil {
				return nil, err
			}
		}
		dims := in[0].dims()
		shape := make([]int, len(target))
		infer, known := -1, 1
		for i, d := range target {
			switch {
			case d == 0 && !allowZero:
				if i >= len(dims) {
					return nil, fmt.Errorf("shape %v copies dimension %d of %v, which it lacks", target, i, dims)
				}
				shape[i] = dims[i]
			case d == -1 && infer < 0:
				infer = i
				continue
			case d < 0:
				return nil, fmt.Errorf("bad shape %v", target)
			default:
				shape[i] = d
			}
			known *= shape[i]
		}
		numel := tensor.Numel(dims)
		if infer >= 0 {
			if known == 0 || numel%known != 0 {
				return nil, fmt.Errorf("cannot reshape %v to %v", dims, target)
			}
			shape[infer] = numel / known
		}
		if tensor.Numel(shape) != numel {
			return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", dims, numel, target)
		}
		return []value{reshaped(in[0], shape)}, nil
	}, nil
}

func flattenOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	axis := a.int("axis", 1)
	return func(_ *runCtx, in []value) ([]value, error) {
		dims := in[0].dims()
		ax := axis
		if ax < 0 {
			ax += len(dims)
		}
		if ax < 0 || ax > len(dims) {
			return nil, fmt.Errorf("axis %d is out of range for %d dimensions", axis, len(dims))
		}
		outer := tensor.Numel(dims[:ax])
		return []value{reshaped(in[0], []int{outer, tensor.Numel(dims[ax:])})}, nil
	}, nil
}

// squeezeOp is Squeeze, or Unsqueeze if adding.
func squeezeOp(adding bool) builder {
	return func(b *build, n *pb.Node, a attrs) (runFunc, error) {
		attrAxes := a.ints("axes", nil)
		return func(_ *runCtx, in []value) ([]value, error) {
			axes := attrAxes
			if len(in) > 1 && in[1].ok() {
				var err error
				if axes, err = in[1].intList("axes"); err != nil {
					return nil, err
				}
			}
			dims := in[0].dims()
			if adding {
				rank := len(dims) + len(axes)
				mark := make([]bool, rank)
				for _, ax := range axes {
					if ax < 0 {
						ax += rank
					}
					if ax < 0 || ax >= rank || mark[ax] {
						return nil, fmt.Errorf("axes %v are out of range or repeated for %d dimensions", axes, rank)
					}
					mark[ax] = true
				}
				shape := make([]int, 0, rank)
				j := 0
				for i := range rank {
					if mark[i] {
						shape = append(shape, 1)
					} else {
						shape = append(shape, dims[j])
						j++
					}
				}
				return []value{reshaped(in[0], shape)}, nil
			}
			drop := make([]bool, len(dims))
			for _, ax := range axes {
				if ax < 0 {
					ax += len(dims)
				}
				if ax < 0 || ax >= len(dims) || dims[ax] != 1 {
					return nil, fmt.Errorf("cannot squeeze axes %v of shape %v", axes, dims)
				}
				drop[ax] = true
			}
			shape := []int{}
			for i, d := range dims {
				if !drop[i] && !(axes == nil && d == 1) {
					shape = append(shape, d)
				}
			}
			return []value{reshaped(in[0], shape)}, nil
		}, nil
	}
}

func transposeOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	perm := a.ints("perm", nil)
	return func(_ *runCtx, in []value) ([]value, error) {
		x := in[0].t
		if x == nil {
			return nil, unsupportedf("Transpose of %s", typeName(in[0].typ))
		}
		p := perm
		if p == nil {
			p = make([]int, x.Dim())
			for i := range p {
				p[i] = x.Dim() - 1 - i
			}
		}
		return []value{floatValue(tensor.Permute(x, p...))}, nil
	}, nil
}

func concatOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	if !a.has("axis") {
		return nil, fmt.Errorf("Concat needs an axis")
	}
	axis := a.int("axis", 0)
	return func(_ *runCtx, in []value) ([]value, error) {
		if in[0].t != nil {
			ts := make([]*tensor.Tensor, len(in))
			for i, v := range in {
				ts[i] = v.asFloat()
			}
			return []value{floatValue(tensor.Cat(ts, axis))}, nil
		}
		return concatInts(in, axis)
	}, nil
}

// concatInts joins integer values along axis.
func concatInts(in []value, axis int) ([]value, error) {
	first := in[0].dims()
	ax := axis
	if ax < 0 {
		ax += len(first)
	}
	if ax < 0 || ax >= len(first) {
		return nil, fmt.Errorf("axis %d is out of range for %d dimensions", axis, len(first))
	}
	shape := slices.Clone(first)
	shape[ax] = 0
	for _, v := range in {
		d := v.dims()
		if v.t != nil || len(d) != len(first) {
			return nil, fmt.Errorf("cannot join %v and %v", first, d)
		}
		for i := range d {
			if i != ax && d[i] != first[i] {
				return nil, fmt.Errorf("cannot join %v and %v along axis %d", first, d, axis)
			}
		}
		shape[ax] += d[ax]
	}
	outer := tensor.Numel(first[:ax])
	out := make([]int64, 0, tensor.Numel(shape))
	for o := range outer {
		for _, v := range in {
			block := tensor.Numel(v.dims()[ax:])
			out = append(out, v.ints[o*block:(o+1)*block]...)
		}
	}
	res := intValue(out, shape)
	res.typ = in[0].typ
	return []value{res}, nil
}

func gatherOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	axis := a.int("axis", 0)
	return func(_ *runCtx, in []value) ([]value, error) {
		idx, err := in[1].intList("indices")
		if err != nil {
			return nil, err
		}
		dims := in[0].dims()
		ax := axis
		if ax < 0 {
			ax += len(dims)
		}
		if ax < 0 || ax >= len(dims) {
			return nil, fmt.Errorf("axis %d is out of range for %d dimensions", axis, len(dims))
		}
		for i, j := range idx {
			if j < -dims[ax] || j >= dims[ax] {
				return nil, fmt.Errorf("index %d is out of range for dimension %d of size %d", j, ax, dims[ax])
			}
			if j < 0 {
				idx[i] = j + dims[ax]
			}
		}
		if in[0].t != nil {
			return []value{floatValue(tensor.Gather(in[0].t, ax, idx, slices.Clone(in[1].dims())))}, nil
		}
		shape := append(append(slices.Clone(dims[:ax]), in[1].dims()...), dims[ax+1:]...)
		outer, inner := tensor.Numel(dims[:ax]), tensor.Numel(dims[ax+1:])
		out := make([]int64, 0, tensor.Numel(shape))
		for o := range outer {
			for _, j := range idx {
				start := (o*dims[ax] + j) * inner
				out = append(out, in[0].ints[start:start+inner]...)
			}
		}
		v := intValue(out, shape)
		v.typ = in[0].typ
		return []value{v}, nil
	}, nil
}

func padOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	var mode tensor.PadMode
	switch m := a.string("mode", "constant"); m {
	case "constant":
		mode = tensor.PadConstant
	case "reflect":
		mode = tensor.PadReflect
	case "edge":
		mode = tensor.PadReplicate
	default:
		return nil, unsupportedf("Pad mode %q", m)
	}
	attrPads, attrValue := a.ints("pads", nil), a.float("value", 0)
	return func(_ *runCtx, in []value) ([]value, error) {
		x := in[0].t
		if x == nil {
			return nil, unsupportedf("Pad of %s", typeName(in[0].typ))
		}
		pads, v := attrPads, attrValue
		if b.opset >= 11 {
			var err error
			if len(in) < 2 {
				return nil, fmt.Errorf("Pad takes data and pads")
			}
			if pads, err = in[1].intList("pads"); err != nil {
				return nil, err
			}
			if len(in) > 2 && in[2].ok() {
				if v, err = in[2].scalarFloat("constant_value"); err != nil {
					return nil, err
				}
			}
		}
		r := x.Dim()
		if len(pads) != 2*r {
			return nil, fmt.Errorf("pads %v has %d values for %d dimensions", pads, len(pads), r)
		}
		for i := 0; i < r-2; i++ {
			if pads[i] != 0 || pads[r+i] != 0 {
				return nil, unsupportedf("padding dimension %d (only the last two)", i)
			}
		}
		padded := slices.Clone(x.Shape())
		for i := range padded {
			padded[i] += pads[i] + pads[r+i]
		}
		if err := checkSize(padded); err != nil {
			return nil, err
		}
		if r == 1 {
			y := tensor.Pad2d(tensor.Unsqueeze(x, 0), [4]int{pads[0], pads[1], 0, 0}, mode, v)
			return []value{floatValue(tensor.Squeeze(y, 0))}, nil
		}
		y := tensor.Pad2d(x, [4]int{pads[r-1], pads[2*r-1], pads[r-2], pads[2*r-2]}, mode, v)
		return []value{floatValue(y)}, nil
	}, nil
}

func dropoutOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	ratio := float64(a.float("ratio", 0.5))
	wantMask := len(n.Output) > 1 && n.Output[1] != ""
	return func(c *runCtx, in []value) ([]value, error) {
		p := ratio
		if len(in) > 1 && in[1].ok() {
			r, err := in[1].scalarFloat("ratio")
			if err != nil {
				return nil, err
			}
			p = float64(r)
		}
		x := in[0].t
		// A model imported for fine-tuning drops out in training mode, as
		// the nn.Dropout it came from did.
		training := c.training
		if len(in) > 2 && in[2].ok() {
			t, err := in[2].scalarFloat("training_mode")
			if err != nil {
				return nil, err
			}
			if t != 0 {
				// Set by the graph, not by the module's mode: a mask
				// drawn as ONNX Runtime's own generator would draw it.
				return nil, unsupportedf("Dropout with training_mode set in the graph")
			}
		}
		if training && wantMask {
			return nil, unsupportedf("Dropout's mask in training mode")
		}
		out := []value{floatValue(tensor.Dropout(x, p, training, nil))}
		if wantMask {
			mask := make([]int64, x.Numel())
			for i := range mask {
				mask[i] = 1
			}
			m := intValue(mask, slices.Clone(x.Shape()))
			m.typ = pb.Bool
			out = append(out, m)
		}
		return out, nil
	}, nil
}
