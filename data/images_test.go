package data_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/data"
)

// twoByThree is a set of three 2-channel 1x3 images, image i's bytes
// 6i..6i+5, labels 7, 8, 9.
func twoByThree() *data.Images {
	pix := make([]uint8, 18)
	for i := range pix {
		pix[i] = uint8(i * 15)
	}
	return &data.Images{Images: pix, Labels: []uint8{7, 8, 9}, Channels: 2, Rows: 1, Cols: 3, Classes: []string{7: "seven", 8: "eight", 9: "nine"}}
}

func TestImages(t *testing.T) {
	s := twoByThree()
	var _ data.Dataset = s
	if s.Len() != 3 || !slices.Equal(s.Shape(), []int{2, 1, 3}) || s.ImageBytes() != 6 {
		t.Fatalf("Len %d, Shape %v, ImageBytes %d; want 3, [2 1 3], 6", s.Len(), s.Shape(), s.ImageBytes())
	}
	dst := make([]float32, 7)
	dst[6] = -1
	if l := s.Example(1, dst); l != 8 || s.Label(1) != 8 {
		t.Errorf("label %d, Label %d; want 8", l, s.Label(1))
	}
	for j, v := range dst[:6] {
		if want := float32((6+j)*15) / 255; v != want {
			t.Errorf("dst[%d] = %v, want %v", j, v, want)
		}
	}
	if dst[6] != -1 {
		t.Error("Example wrote past one image")
	}
	for _, tc := range []struct {
		i, n int
		want string
	}{
		{3, 6, "example index 3 out of range [0,3)"},
		{-1, 6, "example index -1"},
		{0, 5, "destination has 5 values, an example needs 6"},
	} {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.Contains(msg, tc.want) {
					t.Errorf("Example(%d, [%d]) panic %q, want %q", tc.i, tc.n, msg, tc.want)
				}
			}()
			s.Example(tc.i, make([]float32, tc.n))
		}()
	}
}

func TestImagesSubset(t *testing.T) {
	s := twoByThree()
	for _, tc := range []struct{ n, want int }{{-1, 0}, {0, 0}, {2, 2}, {3, 3}, {9, 3}} {
		sub := s.Subset(tc.n)
		if sub.Len() != tc.want || len(sub.Images) != tc.want*6 || !slices.Equal(sub.Shape(), s.Shape()) || len(sub.Classes) != 10 {
			t.Errorf("Subset(%d): %d examples, %d bytes, shape %v, %d classes; want %d examples",
				tc.n, sub.Len(), len(sub.Images), sub.Shape(), len(sub.Classes), tc.want)
		}
	}
	sub := s.Subset(2)
	_ = append(sub.Labels, 0)
	_ = append(sub.Images, 0)
	if s.Labels[2] != 9 || s.Images[12] != 180 {
		t.Error("appending to a subset wrote into the original")
	}
}

func TestPathError(t *testing.T) {
	_, err := os.Open("/no/such/file")
	e := data.PathError("mnist", "/no/such/file", data.StripPath(err))
	if msg := e.Error(); !strings.HasPrefix(msg, "mnist: /no/such/file: ") || strings.Contains(msg, "open") {
		t.Errorf("PathError = %q, want \"mnist: /no/such/file: \" and the problem alone", msg)
	}
	if !errors.Is(e, fs.ErrNotExist) {
		t.Errorf("%q is not fs.ErrNotExist", e)
	}
	plain := errors.New("bad header")
	if data.StripPath(plain) != plain {
		t.Error("StripPath changed an error without a path")
	}
}

// A set of 8-bit images gives its examples in [0, 1].
func ExampleImages() {
	s := &data.Images{
		Images:   []uint8{0, 51, 255, 102, 0, 0, 0, 0},
		Labels:   []uint8{3, 1},
		Channels: 1, Rows: 2, Cols: 2,
	}
	x := make([]float32, s.ImageBytes())
	label := s.Example(0, x)
	fmt.Println(s.Len(), s.Shape(), label, x)
	fmt.Println(s.Subset(1).Len())
	// Output:
	// 2 [1 2 2] 3 [0 0.2 1 0.4]
	// 1
}
