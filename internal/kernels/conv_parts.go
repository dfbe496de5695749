package kernels

import "fmt"

// OutPart is a run of a convolution's output channels that Conv2dParts
// writes to a place of its own: Channels planes an image, image i's at
// Y[i*Stride:], Stride at least Channels·OutH()·OutW().
type OutPart struct {
	Channels int
	Y        []float32
	Stride   int
}

// Conv2dParts is Conv2d in inference (no patches kept) with the output
// channels split into parts, in order, each written where its OutPart
// says: several convolutions of one input, their weights stacked into
// one (GoogLeNet's Inception block's three 1×1 convolutions), computed
// as one GEMM that reads the input once, each writing its own tensor.
// Act must be Identity or ActReLU where the output goes straight to the
// parts (partsInPlace); elsewhere it is computed in scratch space and
// copied.
func Conv2dParts(p Conv, x, w, b []float32, parts []OutPart) {
	hw, total := p.OutH()*p.OutW(), 0
	for _, part := range parts {
		if part.Channels <= 0 || part.Stride < part.Channels*hw || len(part.Y) < (p.N-1)*part.Stride+part.Channels*hw {
			panic(fmt.Sprintf("kernels: Conv2dParts part of %d channels, stride %d, in %d floats, for %d images of %d", part.Channels, part.Stride, len(part.Y), p.N, hw))
		}
		total += part.Channels
	}
	if total != p.K || p.post != nil {
		panic(fmt.Sprintf("kernels: Conv2dParts of %d channels into parts of %d", p.K, total))
	}
	if !p.partsInPlace() {
		dense := getScratchDirty(p.N * p.K * hw)
		defer putScratch(dense)
		Conv2d(p, x, w, b, *dense, nil)
		k := 0
		for _, part := range parts {
			size := part.Channels * hw
			for i := 0; i < p.N; i++ {
				copy(part.Y[i*part.Stride:i*part.Stride+size], (*dense)[(i*p.K+k)*hw:])
			}
			k += part.Channels
		}
		return
	}
	post := convPosts.get()
	defer convPosts.put(post)
	post.parts = parts
	p.post = post
	Conv2d(p, x, w, b, nil, nil)
}

// partsInPlace reports whether Conv2d's path for p ends every image in
// finish, which writes each channel where outPlane says: the float32
// implicit GEMM, and the explicit one over groups of images that divide
// the batch, with an activation finish applies itself.
func (p Conv) partsInPlace() bool {
	if p.BF16 || p.Act != Identity && p.Act != ActReLU || p.depthwise() || p.fullKernel() || p.kvec() || p.xvec() {
		return false
	}
	if _, ok := p.winogradVariant(); ok {
		return false
	}
	if p.implicitFwd() {
		return !p.phases() || p.phasesFwd(nil)
	}
	g := p.groupSize()
	return g > 1 && p.N%g == 0
}

// outPlane returns channel k of image i of the output: in y (outImage),
// or, for Conv2dParts, in the part that holds it.
func (p Conv) outPlane(y []float32, i, k int) []float32 {
	hw := p.OutH() * p.OutW()
	if p.post != nil && p.post.parts != nil {
		for _, part := range p.post.parts {
			if k < part.Channels {
				o := i*part.Stride + k*hw
				return part.Y[o : o+hw]
			}
			k -= part.Channels
		}
	}
	return p.outImage(y, i)[k*hw : (k+1)*hw]
}
