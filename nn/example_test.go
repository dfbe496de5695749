package nn_test

import (
	"fmt"

	"github.com/convnet/convnet/nn"
)

func ExampleSequential() {
	model := nn.NewSequential(
		nn.Child{Name: "features", Module: nn.NewSequential(
			nn.Child{Name: "conv", Module: nn.NewConv2d(1, 6, 5, nn.Padding(2))},
			nn.Child{Name: "act", Module: nn.NewTanh()},
			nn.Child{Name: "pool", Module: nn.NewAvgPool2d(2, 2, 0)},
		)},
		nn.Child{Name: "flatten", Module: nn.NewFlatten()},
		nn.Child{Name: "fc", Module: nn.NewLinear(6*14*14, 10)},
	)
	fmt.Println(model)
	// Output:
	// Sequential(
	//   (features): Sequential(
	//     (conv): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
	//     (act): Tanh()
	//     (pool): AvgPool2d(kernel_size=2, stride=2, padding=0)
	//   )
	//   (flatten): Flatten(start_dim=1, end_dim=-1)
	//   (fc): Linear(in_features=1176, out_features=10, bias=True)
	// )
}

func ExampleBase_StateDict() {
	model := nn.NewSequential(
		nn.Child{Name: "conv", Module: nn.NewConv2d(1, 6, 5)},
		nn.Child{Name: "act", Module: nn.NewTanh()},
		nn.Child{Name: "fc", Module: nn.NewLinear(24, 10)},
	)
	for _, p := range model.StateDict() {
		fmt.Println(p.Name, p.Tensor.Shape())
	}
	// Output:
	// conv.weight [6 1 5 5]
	// conv.bias [6]
	// fc.weight [10 24]
	// fc.bias [10]
}
