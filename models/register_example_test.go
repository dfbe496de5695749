package models_test

import (
	"fmt"

	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
)

// A program registers its own model, so that models.New, the command's
// --model list and models.LoadCheckpoint know it by name.
func ExampleRegister() {
	err := models.Register(models.Spec{
		Name:  "tiny-mlp",
		Input: models.Input{Channels: 1, Size: 28, Classes: 10},
		Construct: func(in models.Input) nn.Module {
			return nn.NewSequential(
				nn.Child{Name: "flatten", Module: nn.NewFlatten()},
				nn.Child{Name: "fc", Module: nn.NewLinear(in.Channels*in.Size*in.Size, in.Classes)},
			)
		},
	})
	fmt.Println(err)
	m, _ := models.New("tiny-mlp")
	fmt.Println(m)
	// Output:
	// <nil>
	// Sequential(
	//   (flatten): Flatten(start_dim=1, end_dim=-1)
	//   (fc): Linear(in_features=784, out_features=10, bias=True)
	// )
}
