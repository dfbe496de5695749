package tensor

import (
	"fmt"

	"github.com/convnet/convnet/internal/kernels"
)

// ConvTransposeOptions are the settings of a transposed convolution, as
// the arguments of torch.nn.functional.conv_transpose2d after the
// tensors, all pairs as (height, width).
type ConvTransposeOptions struct {
	// Stride is the step between the input's positions in the output
	// (zero: 1); Dilation the spacing of the kernel's taps (zero: 1).
	Stride, Dilation [2]int
	// Padding is the zero padding of the convolution this one transposes:
	// Padding rows and columns are taken off each side of the full output.
	Padding [2]int
	// OutputPadding adds that many rows and columns at the bottom and
	// right of the output (which only the bias reaches where no tap
	// does), to pick one of the input sizes that a strided convolution
	// maps to the same output size.
	OutputPadding [2]int
	// Groups splits the channels (zero: 1): the weight is
	// C_in×(C_out/Groups)×R×S, and output channels
	// [g*C_out/Groups, (g+1)*C_out/Groups) see only input channels
	// [g*C_in/Groups, (g+1)*C_in/Groups).
	Groups int
}

// ConvTranspose2d returns the 2-D transposed convolution of x
// (N×C_in×H×W) with weight (C_in×(C_out/Groups)×R×S), plus bias (C_out,
// or nil), as torch.nn.functional.conv_transpose2d (and ONNX
// ConvTranspose with symmetric pads): the gradient of Conv2dWith with
// respect to its input, with that convolution's stride, padding, dilation
// and groups. The result is N×C_out×OH×OW with
//
//	OH = (H-1)*Stride[0] - 2*Padding[0] + Dilation[0]*(R-1) + OutputPadding[0] + 1
//
// and OW likewise; it panics, naming ConvTranspose2d, unless that is
// positive. Stride and dilation must be positive (or zero, for 1),
// padding and output padding not negative. (PyTorch also rejects an
// output padding not smaller than either the stride or the dilation;
// here that is allowed, the extra rows and columns holding the bias.)
// For asymmetric padding, crop the result with Pad2d's negative pads.
//
// The gradient of x is Conv2dWith of the output gradient with weight, of
// weight the convolution's weight gradient with roles swapped, and of
// bias the sum of the output gradient over N, OH and OW.
func ConvTranspose2d(x, weight, bias *Tensor, o ConvTransposeOptions) *Tensor {
	p, outH, outW := convTransposeShape(x, weight, bias, o)
	s := scopeOf(x, weight, bias)
	p.BF16 = s.bf16()
	out := s.empty(p.N, p.C, outH, outW)
	// The convolution p maps out's shape to xc's: x itself, or x with
	// zero rows and columns after it where the convolution of an
	// output-padded size has more outputs than x has positions.
	xc := convTransposeInput(p, x)
	kernels.Conv2dBackward(p, nil, weight.data, xc, out.data, false, nil, nil, nil)
	if bias != nil {
		hw := outH * outW
		for i := range p.N {
			for c, v := range bias.data {
				plane := out.data[(i*p.C+c)*hw : (i*p.C+c+1)*hw]
				for j := range plane {
					plane[j] += v
				}
			}
		}
	}
	recordReading(out, readsInputs, func(g []float32) {
		convTransposeBackward(p, x, weight, bias, g)
	}, x, weight, bias)
	return out
}

// convTransposeBackward adds the gradients of a transposed convolution p
// (the convolution it transposes), given the output gradient g.
func convTransposeBackward(p kernels.Conv, x, weight, bias *Tensor, g []float32) {
	N, cin, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	if dx, fresh := gradOut(x); dx != nil {
		// The convolution of g, cropped to x's size where it is larger.
		oh, ow := p.OutH(), p.OutW()
		if oh == h && ow == w && fresh {
			kernels.Conv2d(p, g, weight.data, nil, dx, nil)
		} else {
			y := make([]float32, N*cin*oh*ow)
			kernels.Conv2d(p, g, weight.data, nil, y, nil)
			for i := range N * cin {
				for r := range h {
					src := y[(i*oh+r)*ow : (i*oh+r)*ow+w]
					dst := dx[(i*h+r)*w : (i*h+r+1)*w]
					if fresh {
						copy(dst, src)
					} else {
						kernels.Add(src, dst)
					}
				}
			}
		}
	}
	if dw, fresh := gradOut(weight); dw != nil {
		if fresh {
			clear(dw)
		}
		kernels.Conv2dBackward(p, g, weight.data, convTransposeInput(p, x), nil, false, dw, nil, nil)
	}
	if db, fresh := gradOut(bias); db != nil {
		if fresh {
			clear(db)
		}
		hw := p.H * p.W
		for i := range p.N {
			for c := range db {
				var s float32
				for _, v := range g[(i*p.C+c)*hw : (i*p.C+c+1)*hw] {
					s += v
				}
				db[c] += s
			}
		}
	}
}

// convTransposeInput returns x's data as the output of convolution p:
// x itself, or a copy padded with zeros at the bottom and right to
// p.OutH()×p.OutW().
func convTransposeInput(p kernels.Conv, x *Tensor) []float32 {
	N, cin, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	oh, ow := p.OutH(), p.OutW()
	if oh == h && ow == w {
		return x.data
	}
	xc := make([]float32, N*cin*oh*ow)
	for i := range N * cin {
		for r := range h {
			copy(xc[(i*oh+r)*ow:(i*oh+r)*ow+w], x.data[(i*h+r)*w:(i*h+r+1)*w])
		}
	}
	return xc
}

// convTransposeShape checks the shapes and settings of ConvTranspose2d and
// returns the convolution it transposes (from the output's shape to x's)
// and the output's height and width.
func convTransposeShape(x, w, b *Tensor, o ConvTransposeOptions) (p kernels.Conv, outH, outW int) {
	if x.Dim() != 4 || w.Dim() != 4 {
		panic(fmt.Sprintf("tensor.ConvTranspose2d: input %v and weight %v must both be 4-D", x.shape, w.shape))
	}
	stride := [2]int{orOne(o.Stride[0]), orOne(o.Stride[1])}
	dil := [2]int{orOne(o.Dilation[0]), orOne(o.Dilation[1])}
	groups, pad, outPad := orOne(o.Groups), o.Padding, o.OutputPadding
	if stride[0] < 1 || stride[1] < 1 || dil[0] < 1 || dil[1] < 1 {
		panic(fmt.Sprintf("tensor.ConvTranspose2d: stride %v and dilation %v must be positive", stride, dil))
	}
	if pad[0] < 0 || pad[1] < 0 || outPad[0] < 0 || outPad[1] < 0 {
		panic(fmt.Sprintf("tensor.ConvTranspose2d: padding %v and output padding %v must not be negative", pad, outPad))
	}
	cin := x.shape[1]
	if groups < 1 || w.shape[0]%groups != 0 {
		panic(fmt.Sprintf("tensor.ConvTranspose2d: %d groups must divide the weight's %d input channels", groups, w.shape[0]))
	}
	if cin != w.shape[0] {
		panic(fmt.Sprintf("tensor.ConvTranspose2d: input %v has %d channels, weight %v expects %d", x.shape, cin, w.shape, w.shape[0]))
	}
	cout := w.shape[1] * groups
	if b != nil && (b.Dim() != 1 || b.shape[0] != cout) {
		panic(fmt.Sprintf("tensor.ConvTranspose2d: bias %v does not match the %d output channels of weight %v with %d groups", b.shape, cout, w.shape, groups))
	}
	R, S := w.shape[2], w.shape[3]
	outH = (x.shape[2]-1)*stride[0] - 2*pad[0] + dil[0]*(R-1) + outPad[0] + 1
	outW = (x.shape[3]-1)*stride[1] - 2*pad[1] + dil[1]*(S-1) + outPad[1] + 1
	if outH < 1 || outW < 1 || R < 1 || S < 1 {
		panic(fmt.Sprintf("tensor.ConvTranspose2d: input %v, weight %v, stride %v, padding %v, dilation %v and output padding %v give an output of %dx%d",
			x.shape, w.shape, stride, pad, dil, outPad, outH, outW))
	}
	p = kernels.Conv{
		N: x.shape[0], C: cout, H: outH, W: outW,
		K: cin, R: R, S: S,
		StrideH: stride[0], StrideW: stride[1], PadH: pad[0], PadW: pad[1],
	}
	if dil != [2]int{1, 1} {
		p.DilH, p.DilW = dil[0], dil[1]
	}
	if groups > 1 {
		p.Groups = groups
	}
	return p, outH, outW
}
