package models

import "github.com/convnet/convnet/nn"

// The torchvision networks are registered here, in one init function of
// a file that sorts after models.go, so that they come after LeNet-5 and
// VGG in Names (init functions run in the order of their files' names),
// in the order of the design: GoogLeNet, ResNet, MobileNetV2.
func init() {
	mustRegister(Spec{Name: "googlenet", Input: Input{3, 224, 1000}, Accepts: checkGoogLeNet,
		Construct: func(in Input) nn.Module { return must(NewGoogLeNet(in)) }})
	for _, name := range []string{"resnet18", "resnet34", "resnet50"} {
		mustRegister(Spec{Name: name, Input: Input{3, 224, 1000}, Accepts: checkResNet,
			Construct: func(in Input) nn.Module { return must(NewResNet(name, in)) }})
	}
	mustRegister(Spec{Name: "mobilenet_v2", Input: Input{3, 224, 1000}, Accepts: checkMobileNetV2,
		Construct: func(in Input) nn.Module { return must(NewMobileNetV2(in)) }})
}

// must returns m, panicking on an error that Accepts should have caught.
func must[M nn.Module](m M, err error) nn.Module {
	if err != nil {
		panic(err)
	}
	return m
}
