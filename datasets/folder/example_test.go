package folder_test

import (
	"fmt"
	"image"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/data/transforms"
	"github.com/convnet/convnet/datasets/folder"
)

// An image folder with two classes, made into training and validation
// data sets of 3×24×24 tensors as torchvision's usual recipe does.
func Example() {
	dir, err := os.MkdirTemp("", "folder-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for _, name := range []string{"dog/1.png", "dog/2.png", "cat/1.png", "cat/2.png", "cat/3.png"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			log.Fatal(err)
		}
		png.Encode(f, image.NewGray(image.Rect(0, 0, 40, 30)))
		f.Close()
	}

	// No train/ and val/ sub-folders: the classes are split, 1 in 3 held
	// out for validation.
	train, val, err := folder.OpenTrainVal(dir, 1.0/3, 7, folder.Options{Check: folder.CheckHeader})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(train.Classes(), train.Len(), val.Len())

	const size, seed = 24, 7
	mean, std := transforms.ImageNetMean, transforms.ImageNetStd
	trainSet := folder.NewDataset(train, transforms.Pipeline{Transform: transforms.Train(size), Mean: mean, Std: std}, 3, size, seed)
	valSet := folder.NewDataset(val, transforms.Pipeline{Transform: transforms.Eval(size), Mean: mean, Std: std}, 3, size, seed)
	var ds data.Dataset = trainSet
	trainSet.SetEpoch(0) // at the start of each epoch
	x := make([]float32, 3*size*size)
	label := ds.Example(0, x)
	fmt.Println(ds.Shape(), label, valSet.Len())
	// Output:
	// [cat dog] 3 2
	// [3 24 24] 0 2
}
