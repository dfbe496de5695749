package bench

import (
	"context"
	"fmt"
	"runtime"

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/data/transforms"
	"github.com/convnet/convnet/datasets/folder"
)

// folderBatch is the batch of the folder figure, as torchvision's
// DataLoader in bench/folder_decode.py takes it.
const folderBatch = 64

// folderDecode measures the pipeline of a folder of pictures at 224 px:
// one epoch of the training pictures (Options.Folder/train, or the whole
// folder) decoded, RandomResizedCrop(224) and flipped, made tensors and
// normalised, by a Loader with a worker per core and batches of 64 —
// torchvision's ImageFolder and DataLoader with the same transforms and
// num_workers in bench/folder_decode.py.
func folderDecode(ctx context.Context, b *bencher) error {
	if b.folder == "" {
		return fmt.Errorf("bench: the folder figure needs a folder of pictures (Options.Folder, convnet bench --folder DIR)")
	}
	train, _, err := folder.OpenTrainVal(b.folder, folder.DefaultValFraction, 0, folder.Options{})
	if err != nil {
		return err
	}
	ds := folder.NewDataset(train, transforms.Pipeline{Transform: transforms.Train(224),
		Mean: transforms.ImageNetMean, Std: transforms.ImageNetStd}, 3, 224, 0)
	workers := runtime.NumCPU()
	loader := data.NewLoader(ds, data.LoaderOptions{BatchSize: folderBatch, Shuffle: true, Workers: workers, Prefetch: 2})
	epoch := 0
	runs, err := b.measure(ctx, func() error {
		ds.SetEpoch(epoch)
		epoch++
		for range loader.Batches() {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	n := float64(ds.Len())
	b.add("folder-decode-224", fmt.Sprintf("folder pictures to 224x224 tensors, %d workers", workers), "img/s", runs,
		func(s float64) float64 { return n / s }, 0)
	return nil
}
