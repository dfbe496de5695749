package main

// Pictures of what the network sees and does (drawn by package viz): every
// layer's output for one image (inspect --png), the confusion matrix as a
// heat map and the most confidently wrong test images (eval --png).

import (
	"fmt"
	"github.com/convnet/convnet/nn"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/convnet/convnet/train"
	"github.com/convnet/convnet/viz"
)

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

// saveInspectPictures writes one picture per activation into dir,
// created if missing (see viz.Inspection), and returns the files' names.
func saveInspectPictures(dir string, in viz.Inspection, acts []nn.Activation) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--png: %s", pathError(err))
	}
	names, err := in.Save(dir, acts)
	if err != nil {
		return names, fmt.Errorf("--png: %v", err)
	}
	return names, nil
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
