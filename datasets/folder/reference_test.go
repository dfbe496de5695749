package folder

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/convnet/convnet/data/transforms"
	"github.com/convnet/convnet/internal/testref"
)

// TestDecodeLikePIL compares ReadImage with PIL's
// Image.open(file).convert("RGB") on the files that
// testdata/make_transforms_reference.py writes.
func TestDecodeLikePIL(t *testing.T) {
	dir := filepath.Join(testref.Dir(t), "transforms")
	b, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatalf("%v: regenerate with /usr/bin/python3 testdata/make_transforms_reference.py", err)
	}
	var f struct {
		Decode []struct{ File, Mode, RGB string }
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	// The largest difference allowed per file: Go's inverse DCT differs
	// from libjpeg-turbo's by a unit now and then, which the colour
	// conversion can make two. The other formats give PIL's bytes.
	tolerance := map[string]int{"photo444.jpg": 2, "photo420.jpg": 2, "gray.jpg": 1, "cmyk.jpg": 1}
	for _, c := range f.Decode {
		t.Run(c.File, func(t *testing.T) {
			got, err := ReadImage(filepath.Join(dir, c.File), Options{})
			if err != nil {
				t.Fatal(err)
			}
			file, err := os.Open(filepath.Join(dir, c.RGB))
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()
			m, err := png.Decode(file)
			if err != nil {
				t.Fatal(err)
			}
			want := transforms.FromImage(m)
			if got.Width != want.Width || got.Height != want.Height {
				t.Fatalf("%d×%d, PIL gives %d×%d", got.Width, got.Height, want.Width, want.Height)
			}
			diff, count := 0, 0
			for i := range got.Pix {
				if d := int(got.Pix[i]) - int(want.Pix[i]); d != 0 {
					diff, count = max(diff, d, -d), count+1
				}
			}
			t.Logf("PIL mode %s: %d of %d bytes differ, by up to %d", c.Mode, count, len(got.Pix), diff)
			if diff > tolerance[c.File] {
				t.Errorf("%d of %d bytes differ from PIL's, by up to %d (tolerance %d)", count, len(got.Pix), diff, tolerance[c.File])
			}
		})
	}
}
