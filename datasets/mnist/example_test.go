package mnist_test

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"log"

	"github.com/convnet/convnet/datasets/mnist"
)

// Load the training set from the module cache (dir "" means DefaultDir)
// and read one example as network input.
func ExampleTrain() {
	train, err := mnist.Train("")
	if err != nil {
		log.Fatal(err) // the error names the file and the problem
	}
	x := make([]float32, 28*28)
	label := train.Example(0, x)
	fmt.Println(train.Len(), train.Shape(), label)

	quick := mnist.Subset(train, 1000)
	fmt.Println(quick.Len())
	// Output:
	// 60000 [1 28 28] 5
	// 1000
}

// Turn a photo or drawing of a digit (dark ink on light paper, any size)
// into MNIST-style input: white on black, 20x20 box, centred by mass.
func ExampleFromImage() {
	img := image.NewGray(image.Rect(0, 0, 400, 300))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(180, 40, 220, 260), image.NewUniform(color.Black), image.Point{}, draw.Src) // a "1"

	x := mnist.FromImage(img) // or from mnist.DecodeImageFile("digit.png")
	for row := 0; row < 28; row += 3 {
		for col := 0; col < 28; col++ {
			if x[row*28+col] > 0.5 {
				fmt.Print("#")
			} else {
				fmt.Print(".")
			}
		}
		fmt.Println()
	}
	// Output:
	// ............................
	// ............................
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// ............................
}
