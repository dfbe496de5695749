package viz

import (
	"fmt"
	"github.com/convnet/convnet/tensor"
	"image"
	"math"
)

// Layer draws one layer's output for one example, as convnet inspect --png
// does: shape is the output's shape with its batch dimension ([1, C, H,
// W] or [1, N]) and v its values (the first example is drawn). Maps of
// more than one pixel become a FeatureGrid, anything else (a fully
// connected layer's units, 1×1 maps) a BarStrip, whose bars are named by
// classes and the highlight-th one marked when there are as many units as
// classes (the model's output). The header's title gains the shape, and a
// line saying how the values are drawn.
func Layer(head Header, shape []int, v []float32, classes []string, highlight int) *image.RGBA {
	head.Title += "  " + tensor.FormatShape(shape)
	per := len(v)
	if len(shape) > 1 {
		per = 1
		for _, d := range shape[1:] {
			per *= d
		}
	}
	if len(shape) == 4 && shape[2]*shape[3] > 1 {
		head.Lines = append(head.Lines, fmt.Sprintf("%d feature maps of %d×%d, each scaled from its own min (black) to its max (white)",
			shape[1], shape[2], shape[3]))
		return FeatureGrid(head, v[:per], shape[1], shape[2], shape[3])
	}
	peak := 0.0
	for _, x := range v[:per] {
		peak = max(peak, math.Abs(float64(x)))
	}
	head.Lines = append(head.Lines, fmt.Sprintf("%d units, one bar each: blue positive, red negative, all to one scale (largest |value| %.3g)", per, peak))
	if per != len(classes) {
		classes, highlight = nil, -1
	}
	return BarStrip(head, v[:per], classes, highlight)
}
