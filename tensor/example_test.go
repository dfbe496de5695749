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

func ExampleScope() {
	w := tensor.Full(2, 3).SetRequiresGrad(true)
	x := tensor.Full(3, 3)

	// By default an operation on a tensor that requires gradients is
	// recorded, as in PyTorch.
	y := tensor.Mul(w, x)
	fmt.Println("recorded:", y.RequiresGrad())

	// In a scope without gradients (torch.no_grad()) it is not. The mode
	// goes with the data: every result of an operation on the scope's
	// input is in the scope, so a goroutine computing in another scope at
	// the same time is not affected.
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	z := tensor.Mul(w, s.Input(x))
	fmt.Println("in the scope:", z.RequiresGrad(), z.Scope() == s)
	fmt.Println(tensor.Sum(z).Scope() == s, tensor.Mul(w, x).RequiresGrad())
	// Output:
	// recorded: true
	// in the scope: false true
	// true true
}

func ExampleConv2dActPool() {
	// A 1×1×4×4 image, a 2×2 kernel of ones and a bias of -6.
	x := tensor.New([]float32{
		1, 2, 3, 4,
		5, 6, 7, 8,
		9, 10, 11, 12,
		13, 14, 15, 16,
	}, 1, 1, 4, 4)
	w := tensor.Full(1, 1, 1, 2, 2).SetRequiresGrad(true)
	b := tensor.Full(-6, 1)
	same, none := [2]int{1, 1}, [2]int{}

	// The 2×2 maxima of relu(conv): one pass, the same numbers and
	// gradients as the three operations.
	y := tensor.Conv2dActPool(x, w, b, same, none, tensor.ActReLU,
		tensor.Pooling{Max: true, Kernel: [2]int{2, 2}, Stride: same})
	apart := tensor.MaxPool2d(tensor.ReLU(tensor.Conv2d(x, w, b, same, none)), [2]int{2, 2}, same, none)
	fmt.Println(y.Data(), apart.Data())

	tensor.Sum(y).Backward()
	fmt.Println(w.Grad().Data())
	// Output:
	// [28 32 44 48] [28 32 44 48]
	// [34 38 50 54]
}
