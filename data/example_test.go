package data_test

import (
	"fmt"

	"github.com/convnet/convnet/data"
)

// squares is a tiny dataset: example i is the single value i*i, labelled
// with i's parity.
type squares int

func (n squares) Len() int   { return int(n) }
func (squares) Shape() []int { return []int{1} }
func (squares) Example(i int, dst []float32) int {
	dst[0] = float32(i * i)
	return i % 2
}

func ExampleLoader() {
	loader := data.NewLoader(squares(5), data.LoaderOptions{BatchSize: 2})
	fmt.Println("batches:", loader.Len())
	for b := range loader.Batches() {
		fmt.Println(b.Index, b.X.Shape(), b.X.Data(), b.Y)
	}
	// Output:
	// batches: 3
	// 0 [2 1] [0 1] [0 1]
	// 1 [2 1] [4 9] [0 1]
	// 2 [1 1] [16] [0]
}
