package cifar10

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/data"
)

var _ data.Dataset = (*Set)(nil)

// pixel is the value that the test images hold at channel c, row y, column x
// of the image with the given seed: distinct enough to catch a mixed-up order.
func pixel(seed, c, y, x int) byte { return byte(seed*31 + c*101 + y*7 + x*3) }

// record builds one record of a batch file: label, then the red, green and
// blue planes row-major.
func record(label byte, seed int) []byte {
	b := make([]byte, 0, RecordBytes)
	b = append(b, label)
	for c := range Channels {
		for y := range Rows {
			for x := range Cols {
				b = append(b, pixel(seed, c, y, x))
			}
		}
	}
	return b
}

// batch builds a batch file with the given labels; record k has seed
// firstSeed+k.
func batch(firstSeed int, labels ...byte) []byte {
	var b []byte
	for k, l := range labels {
		b = append(b, record(l, firstSeed+k)...)
	}
	return b
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const metaText = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n"

// Labels of the small data set that writeData lays out: five training
// batches of 3, 4, 5, 3 and 2 records, a test batch of 4.
var (
	trainLabels = [][]byte{{6, 9, 9}, {1, 0, 2, 3}, {4, 5, 6, 7, 8}, {9, 9, 0}, {3, 1}}
	testLabels  = []byte{3, 8, 8, 0}
	testSeed    = 1000
)

// writeData writes the small data set into dir (as cifar-10-batches-bin is
// laid out) and returns dir. Training record k of the whole set has seed k.
func writeData(t *testing.T, dir string, meta string) string {
	t.Helper()
	seed := 0
	for i, l := range trainLabels {
		writeFile(t, dir, trainFiles[i], batch(seed, l...))
		seed += len(l)
	}
	writeFile(t, dir, TestFile, batch(testSeed, testLabels...))
	if meta != "" {
		writeFile(t, dir, MetaFile, []byte(meta))
	}
	return dir
}

func TestTrainTest(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sub     bool   // the data is in dir/cifar-10-batches-bin
		meta    string // "" for none
		classes []string
	}{
		{"parent folder", true, metaText, defaultClasses},
		{"the folder itself", false, metaText, defaultClasses},
		{"no meta file", true, "", defaultClasses},
		{"other class names, CRLF", false, "a\r\nb\r\nc\r\nd\r\ne\r\nf\r\ng\r\nh\r\ni\r\n j \r\n",
			[]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			dataDir := dir
			if tc.sub {
				dataDir = filepath.Join(dir, DirName)
			}
			writeData(t, dataDir, tc.meta)
			train, err := Train(dir)
			if err != nil {
				t.Fatal(err)
			}
			test, err := Test(dir)
			if err != nil {
				t.Fatal(err)
			}
			wantTrain := slices.Concat(trainLabels...)
			for _, c := range []struct {
				s      *Set
				labels []byte
				seed   int
			}{{train, wantTrain, 0}, {test, testLabels, testSeed}} {
				s := c.s
				if s.Len() != len(c.labels) || s.Shape()[0] != Channels || s.ImageBytes() != ImageBytes || !bytes.Equal(s.Labels, c.labels) ||
					len(s.Images) != len(c.labels)*ImageBytes {
					t.Fatalf("got %d examples, labels %v, %d pixel bytes; want labels %v",
						s.Len(), s.Labels, len(s.Images), c.labels)
				}
				if !slices.Equal(s.Classes, tc.classes) {
					t.Errorf("Classes = %q, want %q", s.Classes, tc.classes)
				}
				if got := s.Shape(); !slices.Equal(got, []int{3, 32, 32}) {
					t.Errorf("Shape() = %v, want [3 32 32]", got)
				}
				dst := make([]float32, ImageBytes)
				for i, want := range c.labels {
					if l := s.Example(i, dst); l != int(want) || s.Label(i) != int(want) {
						t.Fatalf("example %d: label %d, Label %d; want %d", i, l, s.Label(i), want)
					}
					checkPixels(t, dst, c.seed+i)
				}
			}
		})
	}
}

// checkPixels checks that x holds the image of the given seed, channels
// first, divided by 255.
func checkPixels(t *testing.T, x []float32, seed int) {
	t.Helper()
	for c := range Channels {
		for y := range Rows {
			for xx := range Cols {
				want := float32(pixel(seed, c, y, xx)) / 255
				if got := x[c*Rows*Cols+y*Cols+xx]; got != want {
					t.Fatalf("image %d: value at channel %d, row %d, column %d is %v, want %v", seed, c, y, xx, got, want)
				}
			}
		}
	}
}

func TestExampleScale(t *testing.T) {
	rec := make([]byte, RecordBytes)
	rec[0] = 7
	rec[1+0] = 255           // red (0,0)
	rec[1+1024+5*32+6] = 51  // green (5,6)
	rec[1+2048+31*32+31] = 1 // blue (31,31)
	p := writeFile(t, t.TempDir(), "one.bin", rec)
	s, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, ImageBytes+5) // longer is fine
	for i := range x {
		x[i] = -1
	}
	if l := s.Example(0, x); l != 7 {
		t.Errorf("label %d, want 7", l)
	}
	for i, v := range x[:ImageBytes] {
		want := float32(0)
		switch i {
		case 0:
			want = 1
		case 1024 + 5*32 + 6:
			want = 0.2
		case 2048 + 31*32 + 31:
			want = float32(1) / 255
		}
		if v != want {
			t.Errorf("x[%d] = %v, want %v", i, v, want)
		}
	}
	if x[ImageBytes] != -1 {
		t.Error("Example wrote past 3072 values")
	}
}

func TestExamplePanics(t *testing.T) {
	s := &Set{Images: make([]byte, ImageBytes), Labels: []byte{1}, Channels: Channels, Rows: Rows, Cols: Cols}
	for _, tc := range []struct {
		name string
		i, n int
		want string
	}{
		{"index", 1, ImageBytes, "example index 1 out of range [0,1)"},
		{"negative index", -1, ImageBytes, "example index -1"},
		{"short destination", 0, 10, "destination has 10 values, an example needs 3072"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, tc.want) {
					t.Errorf("panic %v, want %q", r, tc.want)
				}
			}()
			s.Example(tc.i, make([]float32, tc.n))
		})
	}
}

func TestLoadConcatenates(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.bin", batch(0, 1, 2))
	b := writeFile(t, dir, "b.bin", batch(2, 3))
	s, err := Load(b, a)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.Labels, []byte{3, 1, 2}) {
		t.Fatalf("labels %v, want [3 1 2]", s.Labels)
	}
	x := make([]float32, ImageBytes)
	for i, seed := range []int{2, 0, 1} {
		s.Example(i, x)
		checkPixels(t, x, seed)
	}
}

func TestLoadErrors(t *testing.T) {
	good := batch(0, 1, 2, 3)
	for _, tc := range []struct {
		name string
		file []byte // nil: missing
		meta string // written next to it unless ""
		// inMeta: the error names batches.meta.txt instead of the batch file.
		inMeta bool
		want   []string
	}{
		{"empty file", []byte{}, "", false,
			[]string{"empty file", "records of 3073 bytes"}},
		{"size not a multiple", good[:2*RecordBytes+100], "", false,
			[]string{"size 6246 bytes is not a multiple of the 3073-byte record", "2 whole records and 100 bytes more",
				"10000 records (30730000 bytes)"}},
		{"one byte too many", append(bytes.Clone(good), 0), "", false,
			[]string{"size 9220 bytes is not a multiple of the 3073-byte record"}},
		{"label out of range", slices.Concat(record(9, 0), record(0, 1), record(10, 2)), "", false,
			[]string{"record 2 (counting from 0, at byte offset 6146) has label 10, expected 0..9"}},
		{"label 255 first", record(255, 0), "", false,
			[]string{"record 0 ", "has label 255"}},
		{"python version", append([]byte{0x80, 0x02, '}', 'q'}, make([]byte, 500)...), "", false,
			[]string{"not a multiple", "Python pickle", "binary version"}},
		{"gzip", append([]byte{0x1f, 0x8b, 8, 0}, make([]byte, 500)...), "", false,
			[]string{"not a multiple", "gzip-compressed"}},
		{"CIFAR-100", make([]byte, 3*3074), "", false,
			[]string{"not a multiple", "CIFAR-100"}},
		{"missing", nil, "", false,
			[]string{"no such file"}},
		{"meta: nine names", good, "a\nb\nc\nd\ne\nf\ng\nh\ni\n", true,
			[]string{"expected 10 class names, one per line, found 9 lines"}},
		{"meta: eleven names", good, strings.TrimSpace(metaText) + "\nextra\n", true,
			[]string{"expected 10 class names", "found 11 lines"}},
		{"meta: empty line", good, "a\nb\n\nd\ne\nf\ng\nh\ni\nj\n", true,
			[]string{"line 3 is empty"}},
		{"meta: blank name", good, "a\nb\nc\nd\ne\nf\ng\nh\n  \t\nj\n", true,
			[]string{"line 9 is empty"}},
		{"meta: empty file", good, "\n", true,
			[]string{"found 0 lines"}},
		{"meta: huge", good, strings.Repeat("x", maxMetaBytes+1), true,
			[]string{"larger than 65536 bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "data_batch_1.bin")
			if tc.file != nil {
				writeFile(t, dir, "data_batch_1.bin", tc.file)
			}
			if tc.meta != "" {
				writeFile(t, dir, MetaFile, []byte(tc.meta))
			}
			s, err := Load(p)
			if err == nil {
				t.Fatalf("Load succeeded: %d examples", s.Len())
			}
			named := p
			if tc.inMeta {
				named = filepath.Join(dir, MetaFile)
			}
			msg := err.Error()
			if prefix := "cifar10: " + named + ": "; !strings.HasPrefix(msg, prefix) {
				t.Errorf("error %q does not start with %q", msg, prefix)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if tc.file == nil && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error %q is not fs.ErrNotExist", msg)
			}
		})
	}
}

func TestLoadFolderAndNoFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("Load(folder): %v", err)
	}
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), "no batch files") {
		t.Errorf("Load(): %v", err)
	}
}

// The errors of Train and Test when the data is missing tell what is
// expected and where to get it.
func TestNotFound(t *testing.T) {
	all := []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
		"data_batch_5.bin", "test_batch.bin", MetaFile,
		"https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", "CIFAR-10 binary version",
		"convnet download cifar10 --data DIR", "pass --data DIR", DirName}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the dir to load from
		test  bool                                  // call Test, not Train
		where func(dir string) string               // the folder the error names
		want  []string
	}{
		{"empty folder", func(t *testing.T, d string) string { return d }, false,
			func(d string) string { return d }, []string{"missing data_batch_1.bin, data_batch_2.bin"}},
		{"no such folder", func(t *testing.T, d string) string { return filepath.Join(d, "nope") }, true,
			func(d string) string { return filepath.Join(d, "nope") }, []string{"no such folder"}},
		{"a file, not a folder", func(t *testing.T, d string) string { return writeFile(t, d, "f", nil) }, false,
			func(d string) string { return filepath.Join(d, "f") }, []string{"not a folder"}},
		{"subfolder lacks a batch", func(t *testing.T, d string) string {
			sub := writeData(t, filepath.Join(d, DirName), "")
			os.Remove(filepath.Join(sub, "data_batch_3.bin"))
			return d
		}, false, func(d string) string { return filepath.Join(d, DirName) }, []string{"missing data_batch_3.bin;"}},
		{"test batch missing", func(t *testing.T, d string) string {
			writeData(t, d, "")
			os.Remove(filepath.Join(d, TestFile))
			return d
		}, true, func(d string) string { return d }, []string{"missing test_batch.bin;"}},
		{"python version", func(t *testing.T, d string) string {
			writeFile(t, d, "cifar-10-batches-py/data_batch_1", []byte{0x80, 2})
			return d
		}, false, func(d string) string { return d }, []string{"python version"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := tc.setup(t, root)
			load := Train
			if tc.test {
				load = Test
			}
			_, err := load(dir)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if prefix := "cifar10: " + tc.where(root) + ": CIFAR-10 data not found: "; !strings.HasPrefix(msg, prefix) {
				t.Errorf("error %q does not start with %q", msg, prefix)
			}
			for _, w := range append(tc.want, all...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error %q is not fs.ErrNotExist", msg)
			}
		})
	}
}

// A bad file found by Train is reported with its path.
func TestTrainReportsBadFile(t *testing.T) {
	dir := writeData(t, t.TempDir(), metaText)
	p := writeFile(t, dir, "data_batch_4.bin", batch(0, 1, 11))
	_, err := Train(dir)
	if err == nil || !strings.HasPrefix(err.Error(), "cifar10: "+p+": record 1 ") {
		t.Errorf("err = %v, want it to name %s and record 1", err, p)
	}
}

func TestParseMeta(t *testing.T) {
	ten := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
	for _, tc := range []struct {
		in   string
		want []string // nil: error
	}{
		{metaText, defaultClasses},
		{"a\nb\nc\nd\ne\nf\ng\nh\ni\nj", ten},
		{"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n\n  \n", ten},
		{"a b\nb\nc\nd\ne\nf\ng\nh\ni\nj\n", append([]string{"a b"}, ten[1:]...)},
		{"", nil},
		{"\na\nb\nc\nd\ne\nf\ng\nh\ni\n", nil},
		{"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n", nil},
	} {
		got, err := parseMeta(tc.in)
		if tc.want == nil {
			if err == nil {
				t.Errorf("parseMeta(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseMeta(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestSubset(t *testing.T) {
	s := &Set{Images: make([]byte, 4*ImageBytes), Labels: []uint8{1, 2, 3, 4}, Channels: Channels, Rows: Rows, Cols: Cols, Classes: defaultClasses}
	for _, tc := range []struct{ n, want int }{{-1, 0}, {0, 0}, {3, 3}, {4, 4}, {9, 4}} {
		sub := Subset(s, tc.n)
		if sub.Len() != tc.want || len(sub.Images) != tc.want*ImageBytes || len(sub.Labels) != tc.want {
			t.Errorf("Subset(s, %d): %d examples, %d pixels, %d labels; want %d examples",
				tc.n, sub.Len(), len(sub.Images), len(sub.Labels), tc.want)
		}
	}
	sub := Subset(s, 2)
	_ = append(sub.Labels, 9)
	if s.Labels[2] != 3 {
		t.Error("appending to a subset wrote into the original")
	}
}

// FuzzParseBatch feeds arbitrary bytes to the batch file parser: it must
// never panic, and what it accepts must be consistent.
func FuzzParseBatch(f *testing.F) {
	f.Add(batch(0, 1, 2))
	f.Add(record(9, 3))
	f.Add(record(10, 3))
	f.Add([]byte{})
	f.Add([]byte{0x80, 2, 3})
	f.Add(make([]byte, 3074*2))
	f.Fuzz(func(t *testing.T, b []byte) {
		labels, pix, err := parseBatch(b)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		n := len(b) / RecordBytes
		if n == 0 || len(b) != n*RecordBytes || len(labels) != n || len(pix) != n*ImageBytes {
			t.Fatalf("%d bytes gave %d labels and %d pixel bytes", len(b), len(labels), len(pix))
		}
		for k, l := range labels {
			if l > 9 || l != b[k*RecordBytes] || !bytes.Equal(pix[k*ImageBytes:(k+1)*ImageBytes], b[k*RecordBytes+1:(k+1)*RecordBytes]) {
				t.Fatalf("record %d read wrongly", k)
			}
		}
	})
}
