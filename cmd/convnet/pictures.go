package main

// Pictures of what the network sees and does (drawn by package viz): every
// layer's output for one image (inspect --png), the confusion matrix as a
// heat map and the most confidently wrong test images (eval --png).

import (
	"fmt"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
	"image"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/convnet/convnet/datasets"
	"github.com/convnet/convnet/train"
	"github.com/convnet/convnet/viz"
)

// pictureName makes a layer's name safe as a file name.
func pictureName(i, count int, name string) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, name)
	return fmt.Sprintf("%0*d-%s.png", max(2, len(strconv.Itoa(count-1))), i, safe)
}

// checkPictureDir validates a folder for pictures: it may be missing (it
// is created) but not be a file.
func checkPictureDir(flagName, dir string) error {
	if dir == "" {
		return usagef("%s: empty folder name", flagName)
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return usagef("%s %s: is a file, not a folder", flagName, dir)
	}
	return nil
}

// inspected is what inspect --png draws: one test image through the model.
type inspected struct {
	model      string
	index      int
	label      int
	pred       int
	prob       float64
	classNames []string
}

// saveInspectPictures writes one picture per activation into dir: the
// input, then every layer in order of execution. It returns the files'
// names.
func saveInspectPictures(dir string, pipe datasets.Pipeline, in inspected, acts []nn.Activation) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--png: %s", pathError(err))
	}
	var names []string
	for i, a := range acts {
		name := pictureName(i, len(acts), a.Name)
		img := activationPicture(pipe, in, a, i == len(acts)-1)
		if err := viz.SavePNG(filepath.Join(dir, name), img); err != nil {
			return names, fmt.Errorf("--png: %v", err)
		}
		names = append(names, name)
	}
	return names, nil
}

// activationPicture draws one activation: the input as an image, any
// other output as viz.Layer draws it (the last one's bars named by class).
func activationPicture(pipe datasets.Pipeline, in inspected, a nn.Activation, last bool) *image.RGBA {
	shape := a.Output.Shape()
	what := fmt.Sprintf("%s, test image %d: label %s, predicted %s (probability %.4f)", in.model, in.index,
		labelName(in.classNames, in.label), labelName(in.classNames, in.pred), in.prob)
	head := viz.Header{Title: a.Name, Lines: []string{what}}
	if a.Name == "input" && len(shape) == 4 && (shape[1] == 1 || shape[1] == 3) {
		x := a.Output.Data()[:tensor.Numel(shape[1:])]
		if shape[1] == 3 {
			x = pipe.Unnormalize(x)
		}
		head.Title += "  " + tensor.FormatShape(shape)
		return viz.InputPicture(head, x, shape[1], shape[2], shape[3])
	}
	if !last {
		return viz.Layer(head, shape, a.Output.Data(), nil, -1)
	}
	return viz.Layer(head, shape, a.Output.Data(), in.classNames, in.pred)
}

// labelName names class c: its name if the data set has names.
func labelName(names []string, c int) string {
	if c >= 0 && c < len(names) {
		return names[c]
	}
	return strconv.Itoa(c)
}

// wrongPath is the file of eval --png's wrong images: FILE-wrong.png.
func wrongPath(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + "-wrong.png"
}

// checkPNGPath validates a .png file name in a folder that exists.
func checkPNGPath(flagName, path string) error {
	if strings.ToLower(filepath.Ext(path)) != ".png" {
		return usagef("%s %s: the picture must be a .png file", flagName, path)
	}
	return checkOutPath(flagName, path)
}

// saveEvalPictures draws the confusion matrix into path and the 16 most
// confidently wrong test images beside it, and says so on stdout.
func saveEvalPictures(path string, l *loaded, dataDir string, limit int, ev train.Evaluation, stdout io.Writer) error {
	// The test images as people see them: before padding and
	// normalisation, values in [0, 1].
	shown, err := l.pipe.Images(dataDir, false, limit)
	if err != nil {
		return err
	}
	names := l.pipe.ClassNames(dataDir)
	title := fmt.Sprintf("Confusion matrix: %s on %d %s test images, accuracy %.2f%%\n(cell colour: count on a log scale)",
		l.spec.Name, ev.Total, datasetTitle(l.pipe.Dataset()), 100*ev.Accuracy())
	if err := viz.SaveConfusion(path, title, ev.Confusion, names); err != nil {
		return fmt.Errorf("--png: %v", err)
	}
	fmt.Fprintf(stdout, "\nsaved %s\n", path)
	wp := wrongPath(path)
	if err := viz.SavePNG(wp, viz.WrongGrid(l.spec.Name, ev, 16, shown, names)); err != nil {
		return fmt.Errorf("--png: %v", err)
	}
	fmt.Fprintf(stdout, "saved %s\n", wp)
	return nil
}

func datasetTitle(name string) string {
	if name == "cifar10" {
		return "CIFAR-10"
	}
	return strings.ToUpper(name)
}
