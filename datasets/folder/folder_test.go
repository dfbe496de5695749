package folder

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/image/bmp"

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/data/transforms"
)

// write encodes m into the file name under dir, making its folders.
func write(t *testing.T, dir, name string, encode func(*bytes.Buffer) error) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := encode(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func pngOf(m image.Image) func(*bytes.Buffer) error {
	return func(b *bytes.Buffer) error { return png.Encode(b, m) }
}

func raw(data []byte) func(*bytes.Buffer) error {
	return func(b *bytes.Buffer) error { _, err := b.Write(data); return err }
}

// pngHeader returns the start of a PNG file whose header claims a w×h
// 8-bit RGB picture, with no pixel data.
func pngHeader(w, h uint32) []byte {
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	chunk := append([]byte("IHDR"), ihdr[:]...)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}

// Pictures of the test tree, and the RGB bytes PIL gives them.
var (
	grayPic = func() *image.Gray {
		m := image.NewGray(image.Rect(0, 0, 3, 2))
		copy(m.Pix, []uint8{0, 50, 100, 150, 200, 250})
		return m
	}()
	rgbaPic = func() *image.NRGBA {
		m := image.NewNRGBA(image.Rect(0, 0, 2, 1))
		m.SetNRGBA(0, 0, color.NRGBA{10, 20, 30, 0}) // transparent: the colour stays
		m.SetNRGBA(1, 0, color.NRGBA{200, 150, 100, 128})
		return m
	}()
	palettedPic = func() *image.Paletted {
		m := image.NewPaletted(image.Rect(0, 0, 3, 1), color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}})
		copy(m.Pix, []uint8{1, 0, 1})
		return m
	}()
	gray16Pic = func() *image.Gray16 {
		m := image.NewGray16(image.Rect(0, 0, 2, 1))
		m.SetGray16(0, 0, color.Gray16{100})
		m.SetGray16(1, 0, color.Gray16{0xabcd})
		return m
	}()
	rgbPic = func() *image.RGBA {
		m := image.NewRGBA(image.Rect(0, 0, 16, 16))
		for i := range m.Pix {
			m.Pix[i] = uint8(i)
			if i%4 == 3 {
				m.Pix[i] = 255
			}
		}
		return m
	}()
)

// makeTree writes an image folder: classes C, a and b (b with nested
// folders), a hidden folder, hidden and other files, and returns its root.
func makeTree(t *testing.T) string {
	dir := t.TempDir()
	write(t, dir, "b/z.png", pngOf(grayPic))
	write(t, dir, "b/a.JPG", func(b *bytes.Buffer) error { return jpeg.Encode(b, rgbPic, &jpeg.Options{Quality: 100}) })
	write(t, dir, "b/notes.txt", raw([]byte("not a picture")))
	write(t, dir, "b/._a.jpg", raw([]byte("AppleDouble")))
	write(t, dir, "b/sub/y.gif", func(b *bytes.Buffer) error { return gif.Encode(b, palettedPic, nil) })
	write(t, dir, "b/sub-a/w.bmp", func(b *bytes.Buffer) error { return bmp.Encode(b, rgbPic) })
	write(t, dir, "b/sub/deep/v.png", pngOf(gray16Pic))
	write(t, dir, "a/rgba.png", pngOf(rgbaPic))
	write(t, dir, "a/pal.png", pngOf(palettedPic))
	write(t, dir, "C/x.png", pngOf(grayPic))
	write(t, dir, ".hidden/h.png", pngOf(grayPic))
	write(t, dir, "loose.png", pngOf(grayPic))
	return dir
}

func TestOpenOrder(t *testing.T) {
	dir := makeTree(t)
	f, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"C", "a", "b"}; !slices.Equal(f.Classes(), want) {
		t.Errorf("classes %q, want %q", f.Classes(), want)
	}
	// torchvision's order: classes sorted, within a class sorted(os.walk())
	// (folders by path: "b/sub" < "b/sub-a" < "b/sub/deep"), files sorted.
	want := []struct {
		path  string
		label int
	}{
		{"C/x.png", 0}, {"a/pal.png", 1}, {"a/rgba.png", 1},
		{"b/a.JPG", 2}, {"b/z.png", 2}, {"b/sub/y.gif", 2}, {"b/sub-a/w.bmp", 2}, {"b/sub/deep/v.png", 2},
	}
	if f.Len() != len(want) {
		t.Fatalf("%d examples, want %d", f.Len(), len(want))
	}
	for i, w := range want {
		if f.Path(i) != filepath.Join(dir, w.path) || f.Label(i) != w.label {
			t.Errorf("example %d: %s label %d, want %s label %d", i, f.Path(i), f.Label(i), w.path, w.label)
		}
	}
	if c := f.Counts(); !slices.Equal(c, []int{1, 2, 5}) {
		t.Errorf("Counts() = %v", c)
	}
}

func TestOpenErrors(t *testing.T) {
	empty := t.TempDir()
	noPictures := t.TempDir()
	write(t, noPictures, "a/x.png", pngOf(grayPic))
	write(t, noPictures, "b/readme.txt", raw([]byte("x")))
	for _, c := range []struct {
		name, dir, want string
	}{
		{"missing", filepath.Join(empty, "nothing"), "no such file"},
		{"no classes", empty, "no class folders"},
		{"empty class", noPictures, "for the classes b"},
	} {
		_, err := Open(c.dir, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "folder: ") {
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.want)
		}
	}
}

func TestSymlinkLoop(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a/x.png", pngOf(grayPic))
	if err := os.Symlink(filepath.Join(dir, "a"), filepath.Join(dir, "a", "loop")); err != nil {
		t.Skip(err)
	}
	f, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 1 {
		t.Errorf("%d examples through a link loop, want 1", f.Len())
	}
}

func TestReadImage(t *testing.T) {
	dir := makeTree(t)
	for _, c := range []struct {
		name string
		opts Options
		want []uint8
	}{
		{"b/z.png", Options{}, []uint8{0, 0, 0, 50, 50, 50, 100, 100, 100, 150, 150, 150, 200, 200, 200, 250, 250, 250}},
		{"a/rgba.png", Options{}, []uint8{10, 20, 30, 200, 150, 100}},
		{"a/pal.png", Options{}, []uint8{0, 0, 255, 255, 0, 0, 0, 0, 255}},
		{"b/sub/y.gif", Options{}, []uint8{0, 0, 255, 255, 0, 0, 0, 0, 255}},
		{"b/sub/deep/v.png", Options{}, []uint8{100, 100, 100, 255, 255, 255}},
		{"b/sub/deep/v.png", Options{Gray16HighByte: true}, []uint8{0, 0, 0, 0xab, 0xab, 0xab}},
		{"b/sub-a/w.bmp", Options{}, transforms.FromImage(rgbPic).Pix},
	} {
		img, err := ReadImage(filepath.Join(dir, c.name), c.opts)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if img.Channels != 3 || !slices.Equal(img.Pix, c.want) {
			t.Errorf("%s %+v: %v, want %v", c.name, c.opts, img.Pix, c.want)
		}
	}
	// JPEG is lossy: close to the source.
	img, err := ReadImage(filepath.Join(dir, "b/a.JPG"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := transforms.FromImage(rgbPic)
	worst := 0
	for i, v := range img.Pix {
		worst = max(worst, int(v)-int(want.Pix[i]), int(want.Pix[i])-int(v))
	}
	if img.Width != 16 || img.Height != 16 || worst > 40 {
		t.Errorf("JPEG: %d×%d, differs from its source by up to %d", img.Width, img.Height, worst)
	}
}

func TestBadFiles(t *testing.T) {
	dir := makeTree(t)
	huge := write(t, dir, "a/huge.png", raw(pngHeader(100000, 100000)))
	bad := write(t, dir, "b/bad.png", raw([]byte("\x89PNG\r\n\x1a\nthis is not a PNG")))
	truncated := write(t, dir, "C/truncated.png", raw(pngHeader(10, 10)))

	_, err := ReadImage(huge, Options{})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), huge) {
		t.Errorf("100000×100000 PNG: %v", err)
	}
	if _, err := ReadImage(huge, Options{MaxSide: 200000, MaxPixels: 1 << 40}); errors.Is(err, ErrTooLarge) {
		t.Errorf("larger bounds still refuse the picture: %v", err)
	}
	for _, path := range []string{bad, truncated} {
		if _, err := ReadImage(path, Options{}); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v does not name the file", path, err)
		}
	}

	// CheckNone lists them; CheckHeader refuses the huge and the corrupt
	// one; CheckDecode the truncated one too.
	if f, err := Open(dir, Options{}); err != nil || f.Len() != 11 {
		t.Fatalf("Open: %v", err)
	}
	if _, err := Open(dir, Options{Check: CheckHeader}); err == nil || !strings.Contains(err.Error(), huge) {
		t.Errorf("CheckHeader: error %v, want one naming %s", err, huge)
	}
	for _, c := range []struct {
		check   Check
		skipped []string
	}{
		{CheckHeader, []string{huge, bad}},
		{CheckDecode, []string{truncated, huge, bad}},
	} {
		var warned []string
		f, err := Open(dir, Options{Check: c.check, SkipBad: true, Warn: func(path string, err error) {
			if !strings.Contains(err.Error(), path) {
				t.Errorf("warning %v does not name %s", err, path)
			}
			warned = append(warned, path)
		}})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(warned, c.skipped) || f.Skipped() != len(c.skipped) || f.Len() != 11-len(c.skipped) {
			t.Errorf("check %d: warned of %q (%d skipped, %d left), want %q", c.check, warned, f.Skipped(), f.Len(), c.skipped)
		}
	}
}

// examples returns every example of ds, read in order.
func examples(ds data.Dataset) ([][]float32, []int) {
	n := 1
	for _, d := range ds.Shape() {
		n *= d
	}
	xs, ys := make([][]float32, ds.Len()), make([]int, ds.Len())
	for i := range xs {
		xs[i] = make([]float32, n)
		ys[i] = ds.Example(i, xs[i])
	}
	return xs, ys
}

func TestDataset(t *testing.T) {
	dir := makeTree(t)
	f, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := transforms.Pipeline{
		Transform: transforms.Compose{
			transforms.RandomResizedCrop{Size: 8},
			transforms.RandomHorizontalFlip{P: 0.5},
			transforms.ColorJitter{Brightness: 0.3, Hue: 0.1},
		},
		Mean: transforms.ImageNetMean, Std: transforms.ImageNetStd,
	}
	var ds data.Dataset = NewDataset(f, p, 3, 8, 42)
	if s := ds.Shape(); !slices.Equal(s, []int{3, 8, 8}) {
		t.Fatalf("Shape() = %v", s)
	}
	want, labels := examples(ds)
	if !slices.Equal(labels, []int{0, 1, 1, 2, 2, 2, 2, 2}) {
		t.Errorf("labels %v", labels)
	}
	// Another dataset with the same seed, read backwards from several
	// goroutines, gives the same tensors.
	again := NewDataset(f, p, 3, 8, 42)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := make([]float32, 3*8*8)
			for i := again.Len() - 1; i >= 0; i-- {
				if again.Example(i, x) != labels[i] || !slices.Equal(x, want[i]) {
					t.Errorf("goroutine %d: example %d differs", g, i)
				}
			}
		}()
	}
	wg.Wait()
	again.SetEpoch(1)
	next, _ := examples(again)
	same := 0
	for i := range next {
		if slices.Equal(next[i], want[i]) {
			same++
		}
	}
	if same == len(next) {
		t.Error("epoch 1 gives the same tensors as epoch 0")
	}
	// One channel: the pictures are turned grey.
	grey := NewDataset(f, transforms.Pipeline{Transform: transforms.Compose{transforms.Resize{Size: 4}, transforms.CenterCrop{Width: 4, Height: 4}}}, 1, 4, 0)
	x := make([]float32, 16)
	grey.Example(0, x) // C/x.png: grey 3×2, resized to 6×4 and cropped
	for _, v := range x {
		if v < 0 || v > 1 {
			t.Fatalf("grey example value %v outside [0, 1]", v)
		}
	}
}

func TestDatasetErrors(t *testing.T) {
	dir := makeTree(t)
	bad := write(t, dir, "C/bad.png", raw([]byte("garbage")))
	f, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	i := -1
	for k := range f.Len() {
		if f.Path(k) == bad {
			i = k
		}
	}
	ds := NewDataset(f, transforms.Pipeline{Transform: transforms.Func(func(img *transforms.Image, _ *rand.Rand) *transforms.Image {
		return transforms.ResizeTo(img, 8, 8)
	})}, 3, 8, 0)
	x := make([]float32, 3*8*8)
	for k := range x {
		x[k] = 1
	}
	var got error
	ds.OnError = func(k int, err error) {
		if k == i {
			got = err
		}
	}
	if label := ds.Example(i, x); label != 0 || got == nil || !strings.Contains(got.Error(), bad) {
		t.Errorf("label %d, error %v; want label 0 and an error naming %s", label, got, bad)
	}
	if slices.Max(x) != 0 {
		t.Error("the example of a bad file is not zeros")
	}
	ds.OnError = nil
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(error).Error(), bad) {
				t.Errorf("panic %v, want an error naming %s", r, bad)
			}
		}()
		ds.Example(i, x)
	}()
	// A pipeline that gives another size is an error naming the file
	// (example i+1 is C/x.png).
	wrong := NewDataset(f, transforms.Pipeline{}, 3, 8, 0)
	if _, err := wrong.Read(i+1, x); err == nil || !strings.Contains(err.Error(), "the pipeline gives a 3×2 picture") {
		t.Errorf("pipeline of the wrong size: %v", err)
	}
}

func TestSplit(t *testing.T) {
	dir := t.TempDir()
	counts := []int{30, 11, 5, 1}
	for c, n := range counts {
		for k := range n {
			write(t, dir, filepath.Join(string(rune('a'+c)), string(rune('a'+k/26))+string(rune('a'+k%26))+".png"), pngOf(grayPic))
		}
	}
	f, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	train, val := Split(f, 0.2, 3)
	// round(0.2·n): 6, 2, 1, 0.
	perClass := make([]int, len(counts))
	for _, i := range val {
		perClass[f.Label(i)]++
	}
	if !slices.Equal(perClass, []int{6, 2, 1, 0}) {
		t.Errorf("validation examples per class %v, want [6 2 1 0]", perClass)
	}
	all := append(slices.Clone(train), val...)
	slices.Sort(all)
	if len(all) != f.Len() || slices.Compact(all)[len(all)-1] != f.Len()-1 || len(slices.Compact(slices.Clone(all))) != f.Len() {
		t.Error("train and val are not a partition of the examples")
	}
	if !slices.IsSorted(train) || !slices.IsSorted(val) {
		t.Error("the lists are not sorted")
	}
	t2, v2 := Split(f, 0.2, 3)
	_, v3 := Split(f, 0.2, 4)
	if !slices.Equal(t2, train) || !slices.Equal(v2, val) {
		t.Error("the same seed gives another split")
	}
	if slices.Equal(v3, val) {
		t.Error("seeds 3 and 4 give the same split")
	}
	sub := f.Subset(val)
	if sub.Len() != len(val) || sub.Label(0) != f.Label(val[0]) || !slices.Equal(sub.Classes(), f.Classes()) {
		t.Error("Subset does not keep the examples and classes")
	}
}

func TestOpenTrainVal(t *testing.T) {
	flat := makeTree(t)
	train, val, err := OpenTrainVal(flat, DefaultValFraction, 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if train.Len()+val.Len() != 8 {
		t.Errorf("%d + %d examples, want 8", train.Len(), val.Len())
	}
	split := t.TempDir()
	write(t, split, "train/cat/1.png", pngOf(grayPic))
	write(t, split, "train/dog/1.png", pngOf(grayPic))
	write(t, split, "train/dog/2.png", pngOf(grayPic))
	write(t, split, "val/cat/9.png", pngOf(grayPic))
	write(t, split, "val/dog/9.png", pngOf(grayPic))
	train, val, err = OpenTrainVal(split, DefaultValFraction, 1, Options{})
	if err != nil || train.Len() != 3 || val.Len() != 2 {
		t.Errorf("train/ and val/: %v", err)
	}
	write(t, split, "val/emu/9.png", pngOf(grayPic))
	if _, _, err := OpenTrainVal(split, DefaultValFraction, 1, Options{}); err == nil || !strings.Contains(err.Error(), `"emu" is in val only`) {
		t.Errorf("train/ and val/ with different classes: %v", err)
	}
}

// TestDatasetCache checks that a cached dataset gives the same examples,
// epoch after epoch, and decodes each picture once within its budget.
func TestDatasetCache(t *testing.T) {
	dir := t.TempDir()
	for i := range 6 {
		m := image.NewRGBA(image.Rect(0, 0, 20+i, 17))
		for p := range m.Pix {
			m.Pix[p] = uint8(p * (i + 3))
		}
		write(t, dir, fmt.Sprintf("%s/%d.png", []string{"a", "b"}[i%2], i), pngOf(m))
	}
	f, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := transforms.Pipeline{Transform: transforms.Train(16)}
	plain, cached := NewDataset(f, p, 3, 16, 5), NewDataset(f, p, 3, 16, 5)
	cached.Cache(1 << 20)
	a, b := make([]float32, 3*16*16), make([]float32, 3*16*16)
	for epoch := range 2 {
		plain.SetEpoch(epoch)
		cached.SetEpoch(epoch)
		for i := range f.Len() {
			plain.Example(i, a)
			cached.Example(i, b)
			if !slices.Equal(a, b) {
				t.Fatalf("epoch %d example %d differs with the cache", epoch, i)
			}
		}
	}
	for i := range cached.cache {
		if cached.cache[i].Load() == nil {
			t.Errorf("picture %d was not kept", i)
		}
	}
	small := NewDataset(f, p, 3, 16, 5)
	small.Cache(20*17*3 + 10) // room for the first picture only
	for i := range f.Len() {
		small.Example(i, b)
	}
	kept := 0
	for i := range small.cache {
		if small.cache[i].Load() != nil {
			kept++
		}
	}
	if kept != 1 {
		t.Errorf("%d pictures kept within a budget of one", kept)
	}
}
