package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGemm reports GFLOP/s of square products for every micro-kernel
// this CPU runs, on all threads.
func BenchmarkGemm(b *testing.B) {
	defer func(k microKernel) { activeKernel = k }(activeKernel)
	r := rand.New(rand.NewPCG(1, 1))
	for _, size := range []int{256, 1024, 4096} {
		x, y, z := randSlice(r, size*size), randSlice(r, size*size), make([]float32, size*size)
		for _, kern := range kernelsAvailable() {
			if kern.name == "generic" && size > 1024 {
				continue
			}
			b.Run(fmt.Sprintf("%s/%d", kern.name, size), func(b *testing.B) {
				activeKernel = kern
				for b.Loop() {
					Gemm(false, false, size, size, size, 1, x, size, y, size, 0, z, size)
				}
				b.ReportMetric(2*float64(size*size*size)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkGemmBF16 times GemmBF16 with each bf16 kernel this CPU runs,
// beside BenchmarkGemm's fp32 figures.
func BenchmarkGemmBF16(b *testing.B) {
	defer func(k bf16Kernel) { activeBF16 = k }(activeBF16)
	r := rand.New(rand.NewPCG(1, 1))
	for _, size := range []int{256, 1024, 4096} {
		x, y, z := randSlice(r, size*size), randSlice(r, size*size), make([]float32, size*size)
		for _, kern := range bf16KernelsAvailable() {
			if kern.name == genericBF16Kernel.name && size > 1024 {
				continue
			}
			b.Run(fmt.Sprintf("%s/%d", kern.name, size), func(b *testing.B) {
				activeBF16 = kern
				for b.Loop() {
					GemmBF16(false, false, size, size, size, 1, x, size, y, size, 0, z, size)
				}
				b.ReportMetric(2*float64(size*size*size)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// lenetConvs are LeNet-5's convolutions at the lesson's batch of 64.
var lenetConvs = []struct {
	name string
	p    Conv
}{
	{"conv1", Conv{N: 64, C: 1, H: 28, W: 28, K: 6, R: 5, S: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2}},
	{"conv2", Conv{N: 64, C: 6, H: 14, W: 14, K: 16, R: 5, S: 5, StrideH: 1, StrideW: 1}},
	{"conv3", Conv{N: 64, C: 16, H: 5, W: 5, K: 120, R: 5, S: 5, StrideH: 1, StrideW: 1}},
}

// BenchmarkConvLeNet times forward and backward of each LeNet-5
// convolution at batch 64, keeping the patch matrix as training does.
func BenchmarkConvLeNet(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range lenetConvs {
		p := c.p
		x, w, bias := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.K*p.C*p.R*p.S), randSlice(r, p.K)
		y := make([]float32, p.N*p.K*p.OutH()*p.OutW())
		cols := make([]float32, p.ColsSize())
		dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, p.K)
		b.Run(c.name+"/forward", func(b *testing.B) {
			for b.Loop() {
				Conv2d(p, x, w, bias, y, cols)
			}
		})
		b.Run(c.name+"/backward", func(b *testing.B) {
			for b.Loop() {
				Conv2dBackward(p, x, w, y, dx, false, dw, db, cols)
			}
		})
		// conv1's input is the data: training needs no input gradient.
		b.Run(c.name+"/backward-weights", func(b *testing.B) {
			for b.Loop() {
				Conv2dBackward(p, x, w, y, nil, false, dw, db, cols)
			}
		})
	}
}

// BenchmarkPoolLeNet times LeNet-5's first average pooling at batch 64.
func BenchmarkPoolLeNet(b *testing.B) {
	p := Pool{N: 64, C: 6, H: 28, W: 28, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	r := rand.New(rand.NewPCG(1, 1))
	x, y := randSlice(r, p.N*p.C*p.H*p.W), make([]float32, p.N*p.C*p.OutH()*p.OutW())
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			AvgPool2d(p, x, y)
		}
	})
	b.Run("backward", func(b *testing.B) {
		for b.Loop() {
			AvgPool2dBackward(p, y, x, false)
		}
	})
	b.Run("tanh", func(b *testing.B) {
		for b.Loop() {
			Tanh(x, x)
		}
	})
}

// BenchmarkMaxPoolGoogLeNet times, in inference (no argmax), GoogLeNet's
// pooling at batch 10: a branch's 3×3 stride-1 window at 28×28 and 14×14,
// and the 3×3 stride-2 one in ceil mode between its stages; and ResNet's
// after its stem.
func BenchmarkMaxPoolGoogLeNet(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		name string
		p    Pool
	}{
		{"branch-28", Pool{N: 10, C: 256, H: 28, W: 28, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, CeilMode: true}},
		{"branch-14", Pool{N: 10, C: 512, H: 14, W: 14, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, CeilMode: true}},
		{"stage-28", Pool{N: 10, C: 480, H: 28, W: 28, KH: 3, KW: 3, StrideH: 2, StrideW: 2, CeilMode: true}},
		{"resnet-stem", Pool{N: 10, C: 64, H: 112, W: 112, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}},
	} {
		x, y := randSlice(r, c.p.N*c.p.C*c.p.H*c.p.W), make([]float32, c.p.N*c.p.C*c.p.OutH()*c.p.OutW())
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				MaxPool2d(c.p, x, y, nil)
			}
			b.SetBytes(int64(4 * len(x)))
		})
	}
}

// BenchmarkGemmTransB compares, on one thread, the two ways C = A·Bᵀ is
// computed — dot products of rows, and packing Bᵀ for the micro-kernel —
// on shapes of LeNet's and VGG's layers, as m×n×k. It is what places
// dotMaxM.
func BenchmarkGemmTransB(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range [][3]int{{10, 4096, 4096}, {16, 4096, 512}, {32, 120, 400}, {64, 120, 400}, {64, 84, 120}, {64, 512, 512}, {192, 576, 512}, {256, 2304, 512}, {512, 4608, 256}} {
		m, n, k := s[0], s[1], s[2]
		a, bt, c := randSlice(r, m*k), randSlice(r, n*k), make([]float32, m*n)
		g := gemmArgs{transB: true, k: k, alpha: 1, a: a, lda: k, b: bt, ldb: k, c: c, ldc: n, kern: activeKernel}
		for _, way := range []struct {
			name string
			fn   func()
		}{{"dot", func() { g.dots(0, m, 0, n) }}, {"packed", func() { g.block(0, m, 0, n) }}} {
			b.Run(fmt.Sprintf("%s/%dx%dx%d", way.name, m, n, k), func(b *testing.B) {
				for b.Loop() {
					way.fn()
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkGemmFewRows times A·B with B not transposed and C of few rows:
// VGG-11's fully connected input gradients at batch 10, where B is read in
// place rather than packed.
func BenchmarkGemmFewRows(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range [][3]int{{10, 25088, 4096}, {10, 4096, 4096}, {10, 4096, 1000}} {
		m, n, k := s[0], s[1], s[2]
		x, y, z := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
		b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) {
			for b.Loop() {
				Gemm(false, false, m, n, k, 1, x, k, y, n, 0, z, n)
			}
		})
	}
}

// BenchmarkConvVGG14 times VGG-11's 14×14 convolutions (512 to 512
// channels) at batch 10: an implicit GEMM forward, an explicit backward.
func BenchmarkConvVGG14(b *testing.B) {
	p := Conv{N: 10, C: 512, H: 14, W: 14, K: 512, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	r := rand.New(rand.NewPCG(1, 1))
	x, w, bias := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.K*p.C*p.R*p.S), randSlice(r, p.K)
	y := make([]float32, p.N*p.K*p.OutH()*p.OutW())
	dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, p.K)
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			Conv2d(p, x, w, bias, y, nil)
		}
	})
	b.Run("backward", func(b *testing.B) {
		for b.Loop() {
			Conv2dBackward(p, x, w, y, dx, false, dw, db, nil)
		}
	})
}

// BenchmarkConvStride2 times ResNet-18's strided convolutions at batch 10
// in inference: the 7×7 stem, a 3×3 that halves the plane and a 1×1
// shortcut, as implicit GEMMs on the image's phases and through im2col,
// in float32 and in bf16.
func BenchmarkConvStride2(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, l := range []struct {
		name       string
		c, k, size int
		r, pad     int
	}{
		{"stem-7x7", 3, 64, 224, 7, 3}, {"layer2-3x3", 64, 128, 56, 3, 1}, {"layer3-3x3", 128, 256, 28, 3, 1},
		{"layer2-1x1", 64, 128, 56, 1, 0},
	} {
		p := Conv{N: 10, C: l.c, H: l.size, W: l.size, K: l.k, R: l.r, S: l.r, StrideH: 2, StrideW: 2, PadH: l.pad, PadW: l.pad,
			Act: ActReLU, Cache: NewWeightCache()}
		x, w, bias := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.K*p.C*l.r*l.r), randSlice(r, p.K)
		y := make([]float32, p.N*p.K*p.OutH()*p.OutW())
		flops := float64(2 * p.N * p.K * p.colRows() * p.OutH() * p.OutW())
		for _, bf16 := range []bool{false, true} {
			for _, phases := range []bool{true, false} {
				name := l.name + map[bool]string{true: "/phases", false: "/im2col"}[phases] + map[bool]string{true: "-bf16"}[bf16]
				b.Run(name, func(b *testing.B) {
					defer func(saved bool) { implicitPhasesOff = saved }(implicitPhasesOff)
					implicitPhasesOff = !phases
					q := p
					q.BF16 = bf16
					for b.Loop() {
						Conv2d(q, x, w, bias, y, nil)
					}
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
		DropWeightCache(p.Cache)
	}
}

// BenchmarkElementwise times, on one thread, tanh over LeNet-5's conv1
// output of one image, ReLU's backward over as many values, and the
// conversion of a batch of 64 MNIST images to floats.
func BenchmarkElementwise(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, y, dy := randSlice(r, 6*28*28), make([]float32, 6*28*28), randSlice(r, 6*28*28)
	pixels := make([]uint8, 64*28*28)
	for i := range pixels {
		pixels[i] = uint8(r.IntN(256))
	}
	images := make([]float32, len(pixels))
	b.Run("tanh", func(b *testing.B) {
		for b.Loop() {
			tanh(x, y)
		}
	})
	b.Run("relu-backward", func(b *testing.B) {
		for b.Loop() {
			reluBackwardVector(x, dy, y, false)
		}
	})
	b.Run("bytes-to-unit", func(b *testing.B) {
		for b.Loop() {
			BytesToUnit(pixels, images)
		}
	})
}

// BenchmarkPointwise times GoogLeNet's 1×1 convolutions at batch 10 in
// inference: implicit GEMMs on 28×28 and 14×14 planes, few filters and
// many, and the explicit GEMM of 7×7 ones.
func BenchmarkPointwise(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, l := range []struct{ c, k, size int }{
		{256, 128, 28}, {192, 16, 28}, {512, 128, 14}, {528, 256, 14}, {512, 24, 14}, {832, 384, 7}, {832, 128, 7},
	} {
		p := Conv{N: 10, C: l.c, H: l.size, W: l.size, K: l.k, R: 1, S: 1, StrideH: 1, StrideW: 1,
			Act: ActReLU, Cache: NewWeightCache()}
		x, w, bias := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.K*p.C), randSlice(r, p.K)
		y := make([]float32, p.N*p.K*p.OutH()*p.OutW())
		flops := float64(2 * p.N * p.K * p.C * p.OutH() * p.OutW())
		b.Run(fmt.Sprintf("c%d-k%d-%dx%d", l.c, l.k, l.size, l.size), func(b *testing.B) {
			for b.Loop() {
				Conv2d(p, x, w, bias, y, nil)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		DropWeightCache(p.Cache)
	}
}
