package viz

import (
	"fmt"
	"image"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// Inspection is one example run through a model, as convnet inspect --png
// draws it: every picture's header names the model, the example, its label
// and the prediction.
type Inspection struct {
	Model                   string
	Index, Label, Predicted int
	Probability             float64 // of Predicted
	Classes                 []string
	// Unnormalize, if set, undoes the data set's normalisation of a
	// colour input, so that it is drawn as people see it.
	Unnormalize func([]float32) []float32
}

// Picture draws one activation (nn.Trace): the input ("input", one or
// three channels) as an image, any other output as Layer draws it; the
// last one's bars are named by class, the prediction marked.
func (in Inspection) Picture(a nn.Activation, last bool) *image.RGBA {
	shape := a.Output.Shape()
	what := fmt.Sprintf("%s, test image %d: label %s, predicted %s (probability %.4f)", in.Model, in.Index,
		className(in.Classes, in.Label), className(in.Classes, in.Predicted), in.Probability)
	head := Header{Title: a.Name, Lines: []string{what}}
	if a.Name == "input" && len(shape) == 4 && (shape[1] == 1 || shape[1] == 3) {
		x := a.Output.Data()[:tensor.Numel(shape[1:])]
		if shape[1] == 3 && in.Unnormalize != nil {
			x = in.Unnormalize(x)
		}
		head.Title += "  " + tensor.FormatShape(shape)
		return InputPicture(head, x, shape[1], shape[2], shape[3])
	}
	if !last {
		return Layer(head, shape, a.Output.Data(), nil, -1)
	}
	return Layer(head, shape, a.Output.Data(), in.Classes, in.Predicted)
}

// Save writes Picture of every activation into the folder dir, which must
// exist, as FileName names them, and returns the names of the files
// written.
func (in Inspection) Save(dir string, acts []nn.Activation) ([]string, error) {
	var names []string
	for i, a := range acts {
		name := FileName(i, len(acts), a.Name)
		if err := SavePNG(filepath.Join(dir, name), in.Picture(a, i == len(acts)-1)); err != nil {
			return names, err
		}
		names = append(names, name)
	}
	return names, nil
}

// FileName names the picture of the i-th of count layers: its number, as
// many digits as count needs (at least 2), and its name made safe as a
// file name: "03-feature.cnn2.png".
func FileName(i, count int, name string) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, name)
	return fmt.Sprintf("%0*d-%s.png", max(2, len(strconv.Itoa(count-1))), i, safe)
}
