package onnx

import (
	"fmt"
	"math"

	"github.com/convnet/convnet/onnx/internal/pb"
	"github.com/convnet/convnet/tensor"
)

// Convolutions, poolings and normalisations: the operators over a
// window of an image. 1-D ones run as 2-D ones on a 1-pixel-high image;
// 3-D ones are unsupported.

func init() {
	operators["Conv"] = convOp
	operators["ConvTranspose"] = convTransposeOp
	operators["MaxPool"] = poolOp(true)
	operators["AveragePool"] = poolOp(false)
	operators["GlobalAveragePool"] = globalPoolOp(false)
	operators["GlobalMaxPool"] = globalPoolOp(true)
	operators["BatchNormalization"] = batchNormOp
	operators["LRN"] = lrnOp
}

// window holds the spatial attributes of a Conv or a pooling as given.
type window struct {
	autoPad                     string
	kernel, strides, dils, pads []int
	outputPadding, outputShape  []int
}

func windowOf(a attrs) window {
	return window{
		autoPad: a.string("auto_pad", "NOTSET"),
		kernel:  a.ints("kernel_shape", nil), strides: a.ints("strides", nil),
		dils: a.ints("dilations", nil), pads: a.ints("pads", nil),
		outputPadding: a.ints("output_padding", nil), outputShape: a.ints("output_shape", nil),
	}
}

// spatial is a window's settings for a 2-D input: pads at the beginning
// and end of each dimension may differ.
type spatial struct {
	kernel, stride, dil, begin, end, outPad [2]int
}

func (s spatial) symmetric() bool { return s.begin == s.end }

// lift reads a per-dimension attribute of r dimensions (1 or 2) as two,
// the first a 1-D input's added height; def where the attribute is
// absent.
func lift(v []int, r, def int, what string) ([2]int, error) {
	if v == nil {
		return [2]int{def, def}, nil
	}
	if len(v) != r {
		return [2]int{}, fmt.Errorf("%s %v has %d values for %d spatial dimensions", what, v, len(v), r)
	}
	if r == 1 {
		return [2]int{def, v[0]}, nil
	}
	return [2]int{v[0], v[1]}, nil
}

// resolve works out the settings for an input of spatial size in with
// r dimensions and a kernel of the given size (both lifted to 2-D).
// transposed resolves a ConvTranspose's padding.
func (w window) resolve(r int, in, kernel [2]int, transposed bool) (spatial, error) {
	s := spatial{kernel: kernel}
	var err error
	if s.stride, err = lift(w.strides, r, 1, "strides"); err != nil {
		return s, err
	}
	if s.dil, err = lift(w.dils, r, 1, "dilations"); err != nil {
		return s, err
	}
	if s.outPad, err = lift(w.outputPadding, r, 0, "output_padding"); err != nil {
		return s, err
	}
	for i := range 2 {
		if s.stride[i] < 1 || s.dil[i] < 1 || s.kernel[i] < 1 || s.outPad[i] < 0 {
			return s, fmt.Errorf("kernel %v, strides %v, dilations %v and output_padding %v must be positive", kernel, s.stride, s.dil, s.outPad)
		}
	}
	if w.pads != nil {
		if len(w.pads) != 2*r {
			return s, fmt.Errorf("pads %v has %d values for %d spatial dimensions", w.pads, len(w.pads), r)
		}
		if s.begin, err = lift(w.pads[:r], r, 0, "pads"); err != nil {
			return s, err
		}
		if s.end, err = lift(w.pads[r:], r, 0, "pads"); err != nil {
			return s, err
		}
	}
	span := func(i int) int { return (s.kernel[i]-1)*s.dil[i] + 1 }
	switch w.autoPad {
	case "NOTSET", "":
		if transposed && w.outputShape != nil {
			out, err := lift(w.outputShape[max(0, len(w.outputShape)-r):], r, 1, "output_shape")
			if err != nil {
				return s, err
			}
			for i := range 2 {
				total := s.stride[i]*(in[i]-1) + s.outPad[i] + span(i) - out[i]
				s.begin[i], s.end[i] = total-total/2, total/2
				if total < 0 {
					// An output larger than the full result: zeros
					// (and the bias) after it, as ONNX Runtime does.
					s.begin[i], s.end[i] = 0, total
				}
			}
		}
	case "VALID":
		s.begin, s.end = [2]int{}, [2]int{}
	case "SAME_UPPER", "SAME_LOWER":
		for i := range 2 {
			var total int
			if transposed {
				total = max(0, s.stride[i]*(in[i]-1)+s.outPad[i]+span(i)-in[i]*s.stride[i])
			} else {
				out := (in[i] + s.stride[i] - 1) / s.stride[i]
				total = max(0, (out-1)*s.stride[i]+span(i)-in[i])
			}
			small, large := total/2, total-total/2
			if w.autoPad == "SAME_UPPER" {
				s.begin[i], s.end[i] = small, large
			} else {
				s.begin[i], s.end[i] = large, small
			}
		}
	default:
		return s, fmt.Errorf("auto_pad %q is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", w.autoPad)
	}
	for i := range 2 {
		if s.begin[i] < 0 || s.end[i] < 0 && !(transposed && w.outputShape != nil) {
			return s, fmt.Errorf("pads %v must not be negative", w.pads)
		}
	}
	return s, nil
}

// to2d views a 1-D input (N×C×L) as 2-D (N×C×1×L); it returns the
// number of spatial dimensions the input had.
func to2d(x *tensor.Tensor) (*tensor.Tensor, int, error) {
	if x == nil {
		return nil, 0, unsupportedf("an input that is not float")
	}
	switch r := x.Dim() - 2; r {
	case 1:
		return tensor.Unsqueeze(x, 2), 1, nil
	case 2:
		return x, 2, nil
	default:
		return nil, r, unsupportedf("input of %d spatial dimensions (only 1-D and 2-D)", r)
	}
}

// from2d undoes to2d on a result.
func from2d(y *tensor.Tensor, r int) *tensor.Tensor {
	if r == 1 {
		return tensor.Squeeze(y, 2)
	}
	return y
}

// pad2d pads the last two dimensions: begin and end as (height, width).
func pad2d(x *tensor.Tensor, begin, end [2]int, v float32) *tensor.Tensor {
	return tensor.Pad2d(x, [4]int{begin[1], end[1], begin[0], end[0]}, tensor.PadConstant, v)
}

func convOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	w, groups, act := windowOf(a), a.int("group", 1), b.act
	if len(n.Input) < 2 {
		return nil, fmt.Errorf("Conv takes X and W, got %d inputs", len(n.Input))
	}
	if wt, ok := b.constant(n, 1); ok && (wt.t == nil || wt.t.Dim() > 4) {
		return nil, unsupportedf("a Conv with weight of shape %v", wt.dims())
	}
	// A weight that is an initializer (a parameter) may be kept packed;
	// one computed in the graph changes from run to run.
	var cache *cacheSlot
	if _, ok := b.constant(n, 1); ok {
		cache = &cacheSlot{}
		b.g.caches = append(b.g.caches, cache)
	}
	return func(c *runCtx, in []value) ([]value, error) {
		x, wt := in[0].t, in[1].t
		var bias *tensor.Tensor
		if len(in) > 2 {
			bias = in[2].t
		}
		if x == nil || wt == nil {
			return nil, fmt.Errorf("X and W must be float")
		}
		x, r, err := to2d(x)
		if err != nil {
			return nil, err
		}
		if r == 1 {
			wt = tensor.Unsqueeze(wt, 2)
		}
		if wt.Dim() != 4 {
			return nil, fmt.Errorf("weight %v does not fit an input of %d spatial dimensions", wt.Shape(), r)
		}
		s, err := w.resolve(r, [2]int{x.Size(2), x.Size(3)}, [2]int{wt.Size(2), wt.Size(3)}, false)
		if err != nil {
			return nil, err
		}
		if !s.symmetric() {
			x = pad2d(x, s.begin, s.end, 0)
			s.begin = [2]int{}
		}
		o := tensor.ConvOptions{Stride: s.stride, Padding: s.begin, Dilation: s.dil, Groups: groups, Act: act}
		if cache != nil && !c.training {
			o.Cache = cache.c.Load()
		}
		y := tensor.Conv2dWith(x, wt, bias, o)
		return []value{floatValue(from2d(y, r))}, nil
	}, nil
}

func convTransposeOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	w, groups := windowOf(a), a.int("group", 1)
	return func(_ *runCtx, in []value) ([]value, error) {
		x, wt := in[0].t, in[1].t
		var bias *tensor.Tensor
		if len(in) > 2 {
			bias = in[2].t
		}
		x, r, err := to2d(x)
		if err != nil {
			return nil, err
		}
		if r == 1 {
			wt = tensor.Unsqueeze(wt, 2)
		}
		if wt.Dim() != 4 {
			return nil, fmt.Errorf("weight %v does not fit an input of %d spatial dimensions", wt.Shape(), r)
		}
		s, err := w.resolve(r, [2]int{x.Size(2), x.Size(3)}, [2]int{wt.Size(2), wt.Size(3)}, true)
		if err != nil {
			return nil, err
		}
		o := tensor.ConvTransposeOptions{Stride: s.stride, Dilation: s.dil, Groups: groups}
		if s.symmetric() {
			o.Padding, o.OutputPadding = s.begin, s.outPad
			y := tensor.ConvTranspose2d(x, wt, bias, o)
			return []value{floatValue(from2d(y, r))}, nil
		}
		// Unequal pads: the full result, cropped (and extended by the
		// output padding), then the bias.
		y := tensor.ConvTranspose2d(x, wt, nil, o)
		y = tensor.Pad2d(y, [4]int{-s.begin[1], s.outPad[1] - s.end[1], -s.begin[0], s.outPad[0] - s.end[0]}, tensor.PadConstant, 0)
		if bias != nil {
			y = tensor.Add(y, tensor.Reshape(bias, bias.Numel(), 1, 1))
		}
		return []value{floatValue(from2d(y, r))}, nil
	}, nil
}

func poolOp(isMax bool) builder {
	return func(b *build, n *pb.Node, a attrs) (runFunc, error) {
		w := windowOf(a)
		if w.kernel == nil {
			return nil, fmt.Errorf("kernel_shape is required")
		}
		if len(n.Output) > 1 && n.Output[1] != "" {
			return nil, unsupportedf("MaxPool's Indices output")
		}
		if len(w.kernel) > 2 {
			return nil, unsupportedf("%d-D pooling", len(w.kernel))
		}
		if !isMax && w.dils != nil {
			for _, d := range w.dils {
				if d != 1 {
					return nil, unsupportedf("AveragePool with dilations %v", w.dils)
				}
			}
		}
		ceil := a.int("ceil_mode", 0) != 0
		includePad := a.int("count_include_pad", 0) != 0
		if a.int("storage_order", 0) != 0 {
			return nil, unsupportedf("MaxPool with storage_order 1")
		}
		return func(_ *runCtx, in []value) ([]value, error) {
			x, r, err := to2d(in[0].t)
			if err != nil {
				return nil, err
			}
			kernel, err := lift(w.kernel, r, 1, "kernel_shape")
			if err != nil {
				return nil, err
			}
			s, err := w.resolve(r, [2]int{x.Size(2), x.Size(3)}, kernel, false)
			if err != nil {
				return nil, err
			}
			p := tensor.Pooling{Max: isMax, Kernel: kernel, Stride: s.stride, CeilMode: ceil, ExcludePad: !includePad}
			if isMax {
				p.Dilation = s.dil
			}
			padded := s.begin != [2]int{} || s.end != [2]int{}
			// PyTorch's padding (and convnet's) is the same on both
			// sides, at most half the kernel, and in ceil mode drops a
			// last window that starts in the padding, which ONNX keeps:
			// other pads are made explicit.
			if !padded || s.symmetric() && 2*s.begin[0] <= kernel[0] && 2*s.begin[1] <= kernel[1] && !ceil {
				p.Padding = s.begin
				return []value{floatValue(from2d(tensor.Pool2d(x, p), r))}, nil
			}
			var y *tensor.Tensor
			switch {
			case isMax:
				y = tensor.Pool2d(pad2d(x, s.begin, s.end, float32(math.Inf(-1))), p)
			case includePad:
				y = tensor.Pool2d(pad2d(x, s.begin, s.end, 0), p)
			default:
				// The average of the image's values alone: the padded
				// sums over the padded counts.
				ones := tensor.Full(1, 1, 1, x.Size(2), x.Size(3))
				sum := tensor.Pool2d(pad2d(x, s.begin, s.end, 0), p)
				count := tensor.Pool2d(pad2d(ones, s.begin, s.end, 0), p)
				y = tensor.Div(sum, count)
			}
			return []value{floatValue(from2d(y, r))}, nil
		}, nil
	}
}

func globalPoolOp(isMax bool) builder {
	return func(b *build, n *pb.Node, a attrs) (runFunc, error) {
		return func(_ *runCtx, in []value) ([]value, error) {
			x := in[0].t
			if x.Dim() == 4 {
				if isMax {
					return []value{floatValue(tensor.AdaptiveMaxPool2d(x, [2]int{1, 1}))}, nil
				}
				return []value{floatValue(tensor.GlobalAvgPool2d(x))}, nil
			}
			if x.Dim() < 3 {
				return nil, fmt.Errorf("input %v has no spatial dimension", x.Shape())
			}
			dims := make([]int, 0, x.Dim()-2)
			for d := 2; d < x.Dim(); d++ {
				dims = append(dims, d)
			}
			if isMax {
				return []value{floatValue(tensor.AmaxDims(x, dims, true))}, nil
			}
			return []value{floatValue(tensor.MeanDims(x, dims, true))}, nil
		}, nil
	}
}

func batchNormOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	eps, momentum := float64(a.float("epsilon", 1e-5)), float64(a.float("momentum", 0.9))
	if a.int("training_mode", 0) != 0 || len(n.Output) > 1 && n.Output[1] != "" {
		return nil, unsupportedf("BatchNormalization in training mode (its running statistics as outputs)")
	}
	if len(n.Input) != 5 {
		return nil, fmt.Errorf("BatchNormalization takes 5 inputs, got %d", len(n.Input))
	}
	return func(c *runCtx, in []value) ([]value, error) {
		x := in[0].t
		shape := x.Shape()
		switch x.Dim() {
		case 2:
			x = tensor.Reshape(x, shape[0], shape[1], 1, 1)
		case 3:
			x = tensor.Reshape(x, shape[0], shape[1], shape[2], 1)
		case 4:
		default:
			return nil, unsupportedf("BatchNormalization of a %d-D input", x.Dim())
		}
		// ONNX's momentum weighs the running value, PyTorch's the new one.
		y := tensor.BatchNorm2d(x, in[1].t, in[2].t, in[3].t, in[4].t, c.training, 1-momentum, eps)
		return []value{floatValue(tensor.Reshape(y, shape...))}, nil
	}, nil
}

func lrnOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	size := a.int("size", 0)
	alpha, beta, bias := a.float("alpha", 1e-4), a.float("beta", 0.75), a.float("bias", 1)
	if size < 1 {
		return nil, fmt.Errorf("LRN size %d must be positive", size)
	}
	if size%2 == 0 {
		// ONNX centres an even window one channel later than PyTorch.
		return nil, unsupportedf("LRN of even size %d", size)
	}
	return func(_ *runCtx, in []value) ([]value, error) {
		return []value{floatValue(tensor.LocalResponseNorm(in[0].t, size, alpha, beta, bias))}, nil
	}, nil
}
