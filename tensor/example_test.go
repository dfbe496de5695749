package tensor_test

import (
	"fmt"

	"github.com/convnet/convnet/tensor"
)

func ExampleTensor_Backward() {
	w := tensor.New([]float32{0.5, -1, 2}, 3).SetRequiresGrad(true)
	x := tensor.New([]float32{1, 2, 3}, 3)

	// y = sum(tanh(w*x)); dy/dw = x * (1 - tanh²(w*x))
	y := tensor.Sum(tensor.Tanh(tensor.Mul(w, x)))
	y.Backward()

	fmt.Printf("y = %.4f\n", y.Item())
	for _, g := range w.Grad().Data() {
		fmt.Printf("%.4f\n", g)
	}
	// Output:
	// y = 0.4981
	// 0.7864
	// 0.1413
	// 0.0001
}

func ExampleNoGrad() {
	w := tensor.Full(2, 3).SetRequiresGrad(true)

	y := tensor.Mul(w, w)
	fmt.Println("recorded:", y.RequiresGrad())

	tensor.NoGrad(func() {
		z := tensor.Mul(w, w)
		fmt.Println("inside NoGrad:", tensor.GradEnabled(), z.RequiresGrad())
	})
	fmt.Println("after:", tensor.GradEnabled())
	// Output:
	// recorded: true
	// inside NoGrad: false false
	// after: true
}
