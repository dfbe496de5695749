package safetensors_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/convnet/convnet/safetensors"
)

func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "safetensors-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	f := &safetensors.File{
		Metadata: map[string]string{"format": "pt"},
		Names:    []string{"weight", "labels"},
		Tensors: map[string]safetensors.Tensor{
			"weight": safetensors.FromFloat32s([]int{2, 2}, []float32{1, 2, 3, 4}),
			"labels": safetensors.FromInt64s([]int{3}, []int64{7, 0, 9}),
		},
	}
	if err := safetensors.WriteFile(path, f); err != nil {
		log.Fatal(err)
	}

	g, err := safetensors.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	w, err := g.Tensors["weight"].Float32s()
	if err != nil {
		log.Fatal(err)
	}
	labels, err := g.Tensors["labels"].Int64s()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.Names, g.Metadata["format"])
	fmt.Println(g.Tensors["weight"].DType, g.Tensors["weight"].Shape, w)
	fmt.Println(g.Tensors["labels"].DType, g.Tensors["labels"].Shape, labels)
	// Output:
	// [weight labels] pt
	// F32 [2 2] [1 2 3 4]
	// I64 [3] [7 0 9]
}
