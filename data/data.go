// Package data provides the Dataset interface and a DataLoader that cuts a
// dataset into batches, as torch.utils.data does.
package data

import (
	"iter"
	"math/rand/v2"
	"sync"

	"github.com/convnet/convnet/tensor"
)

// Dataset is an indexed collection of labelled examples of one shape.
type Dataset interface {
	// Len returns the number of examples.
	Len() int
	// Shape returns the shape of one example, such as [1 28 28].
	Shape() []int
	// Example writes example i into dst, whose length is the product of
	// Shape, and returns its label.
	Example(i int, dst []float32) int
}

// LoaderOptions are a Loader's settings, as DataLoader's arguments.
type LoaderOptions struct {
	BatchSize int  // examples per batch (at least 1)
	Shuffle   bool // visit examples in a new random order each epoch
	Seed      uint64
	DropLast  bool // leave out a last batch smaller than BatchSize
	// Workers is how many goroutines make a batch's examples at once
	// (num_workers): 0 or 1 for one. With more, the Dataset's Example
	// must be safe to call from several goroutines, as it is for data
	// read once and transformed per call (decoding files, augmenting).
	Workers int
	// Prefetch is how many batches are made ahead of the one the caller
	// holds (prefetch_factor; 0 for 1): memory holds Prefetch+1 batches,
	// never the whole data set.
	Prefetch int
}

// Loader cuts a Dataset into batches.
type Loader struct {
	ds    Dataset
	opts  LoaderOptions
	epoch uint64
	bufs  []batchBuffer
}

// batchBuffer is the storage of one batch, reused from epoch to epoch.
type batchBuffer struct {
	x []float32
	y []int
}

// Batch is one batch: X is BatchSize×Shape..., Y the labels.
type Batch struct {
	Index int // the batch's position in the epoch, from 0
	X     *tensor.Tensor
	Y     []int
	buf   int // which of the loader's buffers holds it
}

// NewLoader returns a loader over ds. A BatchSize below 1 is taken as 1.
func NewLoader(ds Dataset, opts LoaderOptions) *Loader {
	opts.BatchSize = max(opts.BatchSize, 1)
	return &Loader{ds: ds, opts: opts}
}

// Len returns the number of batches in an epoch.
func (l *Loader) Len() int {
	n, b := l.ds.Len(), l.opts.BatchSize
	if l.opts.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// SetEpoch makes the next call of Batches give epoch e's order, as a run
// resumed at epoch e needs.
func (l *Loader) SetEpoch(e int) { l.epoch = uint64(e) }

// Dataset returns the dataset the loader reads.
func (l *Loader) Dataset() Dataset { return l.ds }

// Batches returns one epoch of batches. With Shuffle, each call gives the
// next epoch's order, determined by Seed and the epoch number. While the
// caller works on one batch, a goroutine prepares the next ones (up to
// Prefetch), so that the data costs the training loop nothing when a step
// takes longer than a batch takes to gather. A batch's storage is reused
// once the caller moves on to the next batch: copy what must outlive the
// step. Example is called from that goroutine, one call at a time, or
// from Workers goroutines at once. Batches come in order whatever the
// workers do, and hold the same examples.
func (l *Loader) Batches() iter.Seq[Batch] {
	order := l.order()
	return func(yield func(Batch) bool) {
		shape := l.ds.Shape()
		size := 1
		for _, d := range shape {
			size *= d
		}
		// Prefetch+1 buffers: the caller holds one while the others are
		// filled. No batch is larger than the dataset, whatever the batch
		// size.
		n := min(l.opts.BatchSize, l.ds.Len())
		if want := max(l.opts.Prefetch, 1) + 1; len(l.bufs) != want {
			l.bufs = make([]batchBuffer, want)
		}
		for i := range l.bufs {
			if cap(l.bufs[i].x) < n*size {
				l.bufs[i].x, l.bufs[i].y = make([]float32, n*size), make([]int, n)
			}
		}
		free := make(chan int, len(l.bufs))
		for i := range l.bufs {
			free <- i
		}
		ready := make(chan Batch, len(l.bufs)-1)
		done := make(chan struct{})
		go func() {
			defer close(ready)
			for b := 0; b < l.Len(); b++ {
				var i int
				select {
				case i = <-free:
				case <-done:
					return
				}
				idx := order[b*l.opts.BatchSize : min((b+1)*l.opts.BatchSize, len(order))]
				x, y := l.bufs[i].x[:len(idx)*size], l.bufs[i].y[:len(idx)]
				l.fill(idx, x, y, size)
				batch := Batch{Index: b, X: tensor.New(x, append([]int{len(idx)}, shape...)...), Y: y, buf: i}
				select {
				case ready <- batch:
				case <-done:
					return
				}
			}
		}()
		defer func() {
			close(done)
			for range ready { // let the producer finish
			}
		}()
		held := -1
		for batch := range ready {
			if held >= 0 {
				free <- held
			}
			held = batch.buf
			if !yield(batch) {
				return
			}
		}
	}
}

// fill makes the examples idx into x and their labels into y, split
// across the workers: worker w takes every Workers-th example from w.
func (l *Loader) fill(idx []int, x []float32, y []int, size int) {
	workers := min(max(l.opts.Workers, 1), len(idx))
	if workers == 1 {
		for k, j := range idx {
			y[k] = l.ds.Example(j, x[k*size:(k+1)*size])
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for k := w; k < len(idx); k += workers {
				y[k] = l.ds.Example(idx[k], x[k*size:(k+1)*size])
			}
		})
	}
	wg.Wait()
}

// order returns the example indices of the next epoch.
func (l *Loader) order() []int {
	order := make([]int, l.ds.Len())
	for i := range order {
		order[i] = i
	}
	if l.opts.Shuffle {
		r := rand.New(rand.NewPCG(l.opts.Seed, l.epoch))
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	l.epoch++
	return order
}
