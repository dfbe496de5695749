package kernels

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkConv3x3 times 3×3 stride-1 layers of the model zoo at batch
// 10 in inference, by Winograd, by the other paths and in bf16 (a GEMM of
// bf16 pairs), one after the other: go test -bench Conv3x3 ./internal/kernels/
func BenchmarkConv3x3(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, l := range []struct {
		name       string
		c, k, size int
	}{
		{"resnet-layer1", 64, 64, 56}, {"resnet-layer2", 128, 128, 28}, {"resnet-layer3", 256, 256, 14},
		{"resnet-layer4", 512, 512, 7}, {"vgg-conv2", 64, 128, 112}, {"vgg-conv5", 512, 512, 14},
		{"googlenet-3a-5x5red", 16, 32, 28}, {"googlenet-3a-3x3", 96, 128, 28}, {"googlenet-4a-3x3", 96, 208, 14},
		{"googlenet-5b-3x3", 192, 384, 7}, {"googlenet-5a-3x3", 160, 320, 7}, {"googlenet-5b-5x5", 48, 128, 7},
	} {
		// Weights transformed once, as in a model prepared for inference.
		p := Conv{N: 10, C: l.c, H: l.size, W: l.size, K: l.k, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Act: ActReLU, Cache: NewWeightCache()}
		x, w, bias := randSlice(rng, p.N*p.C*p.H*p.W), randSlice(rng, p.K*p.C*9), randSlice(rng, p.K)
		y := make([]float32, p.N*p.K*p.OutH()*p.OutW())
		flops := float64(2 * p.N * p.K * p.C * 9 * p.OutH() * p.OutW())
		for _, mode := range []string{"F43", "F23", "off", "bf16"} {
			b.Run(l.name+"/"+mode, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					switch mode {
					case "F43":
						p.winogradWith(winoF43, x, w, bias, y)
					case "F23":
						p.winogradWith(winoF23, x, w, bias, y)
					case "bf16":
						pb := p
						pb.BF16 = true
						Conv2d(pb, x, w, bias, y, nil)
					default:
						saved := winogradOff
						winogradOff = true
						Conv2d(p, x, w, bias, y, nil)
						winogradOff = saved
					}
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkWinogradWeights times the transform of a layer's weights into
// Winograd's packed form, which training does in every forward and
// backward pass: go test -bench WinogradWeights ./internal/kernels/
func BenchmarkWinogradWeights(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, l := range []struct {
		name string
		k, c int
		v    winoVariant
	}{
		{"resnet-layer1/F43", 64, 64, winoF43}, {"resnet-layer2/F43", 128, 128, winoF43},
		{"resnet-layer3/F23", 256, 256, winoF23}, {"resnet-layer4/F23", 512, 512, winoF23},
	} {
		w := randSlice(rng, l.k*l.c*9)
		gp := packedSize(l.k, l.c)
		dst := make([]float32, l.v.a*l.v.a*gp)
		b.Run(l.name, func(b *testing.B) {
			for b.Loop() {
				winoPackWeights(l.v, w, l.k, l.c, false, dst, gp)
			}
		})
	}
}
