package cifar10_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/datasets/cifar10"
)

// Load a batch file and read one example as network input. Here the file is
// made up: one record of a "ship" (label 8) whose red plane is all 255.
func ExampleLoad() {
	dir, err := os.MkdirTemp("", "cifar10-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	rec := make([]byte, cifar10.RecordBytes)
	rec[0] = 8
	for i := 1; i <= 1024; i++ {
		rec[i] = 255
	}
	path := filepath.Join(dir, "data_batch_1.bin")
	if err := os.WriteFile(path, rec, 0o644); err != nil {
		log.Fatal(err)
	}

	set, err := cifar10.Load(path)
	if err != nil {
		log.Fatal(err) // the error names the file and the problem
	}
	x := make([]float32, cifar10.ImageBytes)
	label := set.Example(0, x)
	fmt.Println(set.Len(), set.Shape(), label, set.Classes[label])
	fmt.Println("red", x[0], "green", x[1024], "blue", x[2048])
	// Output:
	// 1 [3 32 32] 8 ship
	// red 1 green 0 blue 0
}

// Download the data set once, then load it with the usual training-time
// augmentation: random crop with padding 4, random flip, normalization.
func ExampleDownload() {
	dir := "data" // as with `convnet download cifar10 --data data`
	if _, err := cifar10.Train(dir); err != nil {
		err := cifar10.Download(context.Background(), cifar10.DefaultURL, dir, func(done, total int64) {
			fmt.Fprintf(os.Stderr, "\r%d of %d bytes", done, total)
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	train, err := cifar10.Train(dir)
	if err != nil {
		log.Fatal(err)
	}
	aug := data.NewAugment(train, 4, true, 1)
	ds := data.Normalize(aug, cifar10.Mean, cifar10.Std)
	loader := data.NewLoader(ds, data.LoaderOptions{BatchSize: 128, Shuffle: true, Seed: 1})
	for epoch := range 30 {
		aug.SetEpoch(epoch)
		for b := range loader.Batches() {
			_ = b // train on b.X (128×3×32×32) and b.Y
		}
	}
}
