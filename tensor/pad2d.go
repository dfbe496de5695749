package tensor

import (
	"fmt"
	"slices"
)

// PadMode says what Pad2d puts in the padding.
type PadMode uint8

const (
	// PadConstant fills the padding with the value (torch's "constant",
	// ONNX Pad's "constant").
	PadConstant PadMode = iota
	// PadReflect mirrors the input about its edge rows and columns, which
	// are not repeated (torch's "reflect", ONNX's "reflect"): padding
	// [1 2 3] by two on the left gives [3 2 1 2 3].
	PadReflect
	// PadReplicate repeats the edge rows and columns (torch's
	// "replicate", ONNX's "edge").
	PadReplicate
)

var padModeNames = [...]string{PadConstant: "constant", PadReflect: "reflect", PadReplicate: "replicate"}

// String returns the mode's name in torch.nn.functional.pad.
func (m PadMode) String() string {
	if int(m) < len(padModeNames) {
		return padModeNames[m]
	}
	return fmt.Sprintf("PadMode(%d)", uint8(m))
}

// Pad2d returns x (at least 2-D) with its last two dimensions padded by
// pads = (left, right, top, bottom), as torch.nn.functional.pad(x, pads,
// mode, value): the result is …×(H+top+bottom)×(W+left+right). mode is
// PadConstant (the padding holds value), PadReflect or PadReplicate
// (value is not used).
//
// A negative pad crops that many rows or columns from that side instead,
// in every mode (as PyTorch does). The padded size must not be negative,
// and, for PadReflect, each pad must be smaller than the size of its
// dimension (PyTorch's rule); PadReplicate needs a non-empty input where
// the result is not empty. Unlike torch's reflect and replicate, which
// take 3-D to 5-D inputs, any number of leading dimensions is allowed.
//
// Gradients flow back to the input elements each result element was
// taken from, summed where reflection or replication took one element
// several times; the constant padding gets none.
func Pad2d(x *Tensor, pads [4]int, mode PadMode, value float32) *Tensor {
	if x.Dim() < 2 {
		panic(fmt.Sprintf("tensor.Pad2d: input %v needs at least 2 dimensions", x.shape))
	}
	if mode > PadReplicate {
		panic(fmt.Sprintf("tensor.Pad2d: unknown mode %v", mode))
	}
	r := x.Dim()
	h, w := x.shape[r-2], x.shape[r-1]
	left, right, top, bottom := pads[0], pads[1], pads[2], pads[3]
	oh, ow := h+top+bottom, w+left+right
	if oh < 0 || ow < 0 {
		panic(fmt.Sprintf("tensor.Pad2d: pads %v (left, right, top, bottom) would make input %v %dx%d", pads, x.shape, oh, ow))
	}
	if mode == PadReflect && (left >= w || right >= w || top >= h || bottom >= h) {
		panic(fmt.Sprintf("tensor.Pad2d: reflect pads %v (left, right, top, bottom) must be smaller than the %dx%d input %v", pads, h, w, x.shape))
	}
	if mode == PadReplicate && oh*ow > 0 && h*w == 0 {
		panic(fmt.Sprintf("tensor.Pad2d: replicate cannot pad the empty input %v to %dx%d", x.shape, oh, ow))
	}
	rows, cols := padIndex(h, top, oh, mode), padIndex(w, left, ow, mode)
	shape := slices.Clone(x.shape)
	shape[r-2], shape[r-1] = oh, ow
	out := x.mode().empty(shape...)
	planes := numel(x.shape[:r-2])
	for p := range planes {
		src := x.data[p*h*w : (p+1)*h*w]
		dst := out.data[p*oh*ow : (p+1)*oh*ow]
		for i, sr := range rows {
			d := dst[i*ow : (i+1)*ow]
			if sr < 0 {
				for j := range d {
					d[j] = value
				}
				continue
			}
			row := src[sr*w : (sr+1)*w]
			for j, sc := range cols {
				if sc < 0 {
					d[j] = value
				} else {
					d[j] = row[sc]
				}
			}
		}
	}
	recordReading(out, 0, func(g []float32) {
		dx, fresh := gradOut(x)
		if dx == nil {
			return
		}
		if fresh {
			clear(dx)
		}
		for p := range planes {
			gp := g[p*oh*ow : (p+1)*oh*ow]
			dp := dx[p*h*w : (p+1)*h*w]
			for i, sr := range rows {
				if sr < 0 {
					continue
				}
				gr, dr := gp[i*ow:(i+1)*ow], dp[sr*w:(sr+1)*w]
				for j, sc := range cols {
					if sc >= 0 {
						dr[sc] += gr[j]
					}
				}
			}
		}
	}, x)
	return out
}

// padIndex returns, for each of the out positions of a dimension of size
// n padded by before (and after, to out), the input position it takes:
// -1 for the constant padding.
func padIndex(n, before, out int, mode PadMode) []int {
	idx := make([]int, out)
	for o := range idx {
		i := o - before
		switch {
		case i >= 0 && i < n:
		case mode == PadConstant:
			i = -1
		case mode == PadReplicate:
			i = min(max(i, 0), n-1)
		default: // reflect: the pads are smaller than n
			if i < 0 {
				i = -i
			} else {
				i = 2*(n-1) - i
			}
		}
		idx[o] = i
	}
	return idx
}
