package pth_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/convnet/convnet/pth"
	"github.com/convnet/convnet/safetensors"
)

func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "pth-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.pth")

	// A state_dict: torch.load(path) gives an OrderedDict of these tensors.
	f := &safetensors.File{
		Names: []string{"fc.weight", "fc.bias", "bn.num_batches_tracked"},
		Tensors: map[string]safetensors.Tensor{
			"fc.weight":              safetensors.FromFloat32s([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}),
			"fc.bias":                safetensors.FromFloat32s([]int{2}, []float32{0.5, -0.5}),
			"bn.num_batches_tracked": safetensors.FromInt64s([]int{}, []int64{100}),
		},
	}
	if err := pth.WriteFile(path, f); err != nil {
		log.Fatal(err)
	}

	// ReadFile reads it back, as it reads torch.save(model.state_dict(), path).
	g, err := pth.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range g.Names {
		t := g.Tensors[name]
		fmt.Println(name, t.DType, t.Shape)
	}
	w, _ := g.Tensors["fc.weight"].Float32s()
	fmt.Println(w)
	// Output:
	// fc.weight F32 [2 3]
	// fc.bias F32 [2]
	// bn.num_batches_tracked I64 []
	// [1 2 3 4 5 6]
}
