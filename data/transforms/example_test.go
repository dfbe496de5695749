package transforms_test

import (
	"fmt"

	"github.com/convnet/convnet/data/transforms"
)

// A training pipeline and an evaluation pipeline for a model whose input
// is 3×32×32, as torchvision's usual recipe builds them. Example index of
// epoch epoch always gets the same random crop and flip.
func Example() {
	// A 64×48 picture, as folder.ReadImage gives one from a file.
	img := transforms.NewImage(64, 48, 3)
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}

	train := transforms.Pipeline{
		Transform: transforms.Train(32), // RandomResizedCrop(32), RandomHorizontalFlip()
		Mean:      transforms.ImageNetMean,
		Std:       transforms.ImageNetStd,
	}
	const seed, index = 1, 5
	a, pic := train.Apply(img, transforms.NewRand(seed, 0, index), nil)
	b, _ := train.Apply(img, transforms.NewRand(seed, 0, index), nil)
	fmt.Println(len(a), pic.Channels, pic.Height, pic.Width, a[0] == b[0] && a[1000] == b[1000])

	eval := transforms.Pipeline{Transform: transforms.Eval(32), Mean: transforms.ImageNetMean, Std: transforms.ImageNetStd}
	fmt.Println(eval.Transform)
	x, _ := eval.Apply(img, nil, nil)
	fmt.Println(len(x))
	// Output:
	// 3072 3 32 32 true
	// Compose(
	//     Resize(size=36, interpolation=bilinear, max_size=None, antialias=None)
	//     CenterCrop(size=(32, 32))
	// )
	// 3072
}
