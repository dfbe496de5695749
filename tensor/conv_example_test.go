package tensor_test

import (
	"fmt"

	"github.com/convnet/convnet/tensor"
)

// A MobileNetV2 depthwise step: a 3×3 convolution with one group per
// channel (each channel convolved with its own 1×3×3 filter), stride 2,
// no bias, then the global average pooling that ends the network.
func ExampleConv2dWith() {
	x := tensor.Full(1, 2, 32, 112, 112) // a batch of two 32-channel maps
	w := tensor.Full(1.0/9, 32, 1, 3, 3) // K × C/groups × 3 × 3
	y := tensor.Conv2dWith(x, w, nil, tensor.ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Groups: 32})
	fmt.Println(y.Shape())
	g := tensor.GlobalAvgPool2d(y)
	fmt.Println(g.Shape())
	// Output:
	// [2 32 56 56]
	// [2 32 1 1]
}

// GoogLeNet's max pooling rounds its output size up: 112 → 56 where
// floor rounding would give 55.
func ExamplePool2d() {
	x := tensor.Zeros(1, 64, 112, 112)
	y := tensor.Pool2d(x, tensor.Pooling{Max: true, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, CeilMode: true})
	fmt.Println(y.Shape())
	// Output: [1 64 56 56]
}
