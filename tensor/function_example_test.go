package tensor_test

import (
	"fmt"

	"github.com/convnet/convnet/tensor"
)

// square is x² element-wise, defined from Go: its forward squares, its
// backward multiplies the result's gradient by 2x.
var square = &tensor.Function{
	Name: "Square",
	Forward: func(ctx *tensor.FunctionContext, in ...*tensor.Tensor) *tensor.Tensor {
		x := in[0]
		ctx.Save(x)
		y := ctx.Empty(x.Shape()...)
		for i, v := range x.Data() {
			y.Data()[i] = v * v
		}
		return y
	},
	Backward: func(ctx *tensor.FunctionContext, grad *tensor.Tensor) []*tensor.Tensor {
		x := ctx.Saved()[0]
		// Tensor operations work here too; they record nothing.
		return []*tensor.Tensor{tensor.Mul(grad, tensor.MulScalar(x, 2))}
	},
}

func ExampleFunction() {
	x := tensor.New([]float32{1, -2, 3}, 3).SetRequiresGrad(true)

	// loss = sum(square(x) * 0.5); dloss/dx = x.
	y := square.Apply(x)
	loss := tensor.Sum(tensor.MulScalar(y, 0.5))
	loss.Backward()
	fmt.Println(y.Data(), loss.Item())
	fmt.Println(x.Grad().Data())

	// In a scope without gradients the op records nothing, as any other.
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	z := square.Apply(s.Input(x))
	fmt.Println(z.Data(), z.RequiresGrad())
	// Output:
	// [1 4 9] 7
	// [1 -2 3]
	// [1 4 9] false
}
