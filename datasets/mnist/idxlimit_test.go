package mnist

import (
	"path/filepath"
	"strings"
	"testing"
)

// Files that are not MNIST's geometry or count are refused from their
// headers, before their data is read or memory allocated for it, with a
// message naming the file.
func TestLoadRefusesAtTheHeader(t *testing.T) {
	zeros := make([]byte, 8<<20) // data present after a hostile header
	images := func(n, rows, cols uint32, data []byte) []byte {
		return idx(imagesMagic, []uint32{n, rows, cols}, data)
	}
	labels := func(n uint32, data []byte) []byte { return idx(labelsMagic, []uint32{n}, data) }
	for _, tc := range []struct {
		name string
		// set is how the files are read: "train" and "test" through Train
		// and Test from a folder, "load" through Load.
		set            string
		images, labels []byte
		inLabels       bool // the message names the label file
		want           string
	}{
		{"32x32 images", "load", images(2, 32, 32, make([]byte, 2*32*32)), goodLabels, false,
			"images are 32x32 pixels; MNIST's are 28x28"},
		{"28x32 images", "train", images(2, 28, 32, make([]byte, 2*28*32)), goodLabels, false,
			"images are 28x32 pixels; MNIST's are 28x28"},
		{"2x3 images", "test", images(2, 2, 3, goodPix[:12]), goodLabels, false,
			"images are 2x3 pixels; MNIST's are 28x28"},
		{"training labels over 60000", "train", images(60001, 28, 28, nil), labels(60001, nil), true,
			"60001 labels, more than the 60000 of MNIST's training set"},
		{"training images over 60000", "train", images(60001, 28, 28, nil), labels(60000, make([]byte, 60000)), false,
			"60001 images, more than the 60000 of MNIST's training set"},
		{"test labels over 10000", "test", images(10001, 28, 28, nil), labels(10001, make([]byte, 10001)), true,
			"10001 labels, more than the 10000 of MNIST's test set"},
		{"test images over 10000", "test", images(10001, 28, 28, nil), labels(10000, make([]byte, 10000)), false,
			"10001 images, more than the 10000 of MNIST's test set"},
		{"loaded images over 70000", "load", images(70001, 28, 28, nil), goodLabels, false,
			"70001 images, more than the 70000 of MNIST's training and test sets together"},
		{"more images than labels", "load", images(3, 28, 28, nil), goodLabels, false,
			"3 images, but " + "LABELS" + " has 2 labels"},
		{"fewer images than labels", "train", images(1, 28, 28, nil), goodLabels, false,
			"1 images, but " + "LABELS" + " has 2 labels"},
		{"gzip declaring 1300000 images", "load", gz(images(1_300_000, 28, 28, zeros)), goodLabels, false,
			"1300000 images, more than the 70000 of MNIST's training and test sets together"},
		{"gzip declaring 1300000 training images", "train", gz(images(1_300_000, 28, 28, zeros)), goodLabels, false,
			"1300000 images, more than the 60000 of MNIST's training set"},
		{"gzip declaring 2^29 labels", "load", goodImages, gz(labels(1<<29, zeros)), true,
			"536870912 labels, more than the 70000 of MNIST's training and test sets together"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var ip, lp string
			switch tc.set {
			case "train":
				ip, lp = filepath.Join(dir, TrainImagesFile), filepath.Join(dir, TrainLabelsFile)
			case "test":
				ip, lp = filepath.Join(dir, TestImagesFile), filepath.Join(dir, TestLabelsFile)
			default:
				ip, lp = filepath.Join(dir, "imgs-file"), filepath.Join(dir, "lbls-file")
			}
			writeFile(t, dir, filepath.Base(ip), tc.images)
			writeFile(t, dir, filepath.Base(lp), tc.labels)
			var err error
			n := allocated(func() {
				switch tc.set {
				case "train":
					_, err = Train(dir)
				case "test":
					_, err = Test(dir)
				default:
					_, err = Load(ip, lp)
				}
			})
			named := ip
			if tc.inLabels {
				named = lp
			}
			want := "mnist: " + named + ": " + strings.ReplaceAll(tc.want, "LABELS", lp)
			if err == nil || err.Error() != want {
				t.Errorf("err = %v\nwant %s", err, want)
			}
			if n > 2<<20 {
				t.Errorf("allocated %d bytes", n)
			}
			t.Logf("allocated %d bytes", n)
		})
	}
}
