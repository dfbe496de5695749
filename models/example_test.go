package models_test

import (
	"fmt"

	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/tensor"
)

func ExampleNewLeNetSeq() {
	model := models.NewLeNetSeq()
	fmt.Println(model)

	model.Eval()
	infer := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	out := model.Call(infer.Input(tensor.Zeros(10, 1, 28, 28)))
	fmt.Println(out.Shape())
	// Output:
	// LeNetSeq(
	//   (feature): Sequential(
	//     (cnn1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
	//     (cnn1_act): Tanh()
	//     (avgpool1): AvgPool2d(kernel_size=2, stride=2, padding=0)
	//     (cnn2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))
	//     (cnn2_act): Tanh()
	//     (avgpool2): AvgPool2d(kernel_size=2, stride=2, padding=0)
	//     (cnn3): Conv2d(16, 120, kernel_size=(5, 5), stride=(1, 1))
	//     (cnn3_act): Tanh()
	//   )
	//   (classifier): Sequential(
	//     (fc1): Linear(in_features=120, out_features=84, bias=True)
	//     (fc1_act): Tanh()
	//     (fc2): Linear(in_features=84, out_features=10, bias=True)
	//   )
	// )
	// [10 10]
}
