package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// idx builds an idx file: magic, big-endian dims, then data.
func idx(magic uint32, dims []uint32, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// seq returns n bytes counting from 0.
func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// Two 28x28 images and their labels, valid.
var (
	goodPix    = seq(2 * 28 * 28)
	goodImages = idx(imagesMagic, []uint32{2, 28, 28}, goodPix)
	goodLabels = idx(labelsMagic, []uint32{2}, []byte{7, 9})
)

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name           string
		images, labels []byte
		iname, lname   string
	}{
		{"plain", goodImages, goodLabels, "img", "lbl"},
		{"gzip", gz(goodImages), gz(goodLabels), "img.gz", "lbl.gz"},
		{"mixed", gz(goodImages), goodLabels, "img.gz", "lbl"},
		{"gzip detected by content, not name", gz(goodImages), gz(goodLabels), "img", "lbl"},
		{"plain named .gz", goodImages, goodLabels, "img.gz", "lbl.gz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Load(writeFile(t, dir, tc.iname, tc.images), writeFile(t, dir, tc.lname, tc.labels))
			if err != nil {
				t.Fatal(err)
			}
			if s.Len() != 2 || s.Rows != 28 || s.Cols != 28 || !bytes.Equal(s.Images, goodPix) {
				t.Fatalf("got %d images %dx%d", s.Len(), s.Rows, s.Cols)
			}
			if got := s.Shape(); len(got) != 3 || got[0] != 1 || got[1] != 28 || got[2] != 28 {
				t.Errorf("Shape() = %v, want [1 28 28]", got)
			}
			dst := make([]float32, 784)
			if l := s.Example(1, dst); l != 9 || s.Label(1) != 9 || s.Label(0) != 7 {
				t.Errorf("labels: Example(1) = %d, Label(0), Label(1) = %d, %d; want 9, 7, 9", l, s.Label(0), s.Label(1))
			}
			for j, v := range dst {
				if want := float32(byte(784+j)) / 255; v != want {
					t.Errorf("Example(1)[%d] = %v, want %v", j, v, want)
				}
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	badMagic := idx(0x00000804, []uint32{2, 2, 3}, goodPix)
	corruptCRC := gz(goodImages)
	corruptCRC[len(corruptCRC)-8] ^= 0xff
	for _, tc := range []struct {
		name           string
		images, labels []byte // nil: file missing
		inLabels       bool   // the problem is in the label file
		want           []string
	}{
		{"wrong image magic", badMagic, goodLabels, false,
			[]string{"wrong magic number", "expected 0x00000803", "got 0x00000804"}},
		{"wrong label magic", goodImages, idx(0x0901, []uint32{2}, []byte{1, 2}), true,
			[]string{"wrong magic number", "expected 0x00000801", "got 0x00000901"}},
		{"files swapped", goodLabels, goodImages, true, // the labels are read first
			[]string{"wrong magic number", "got 0x00000803", "swapped"}},
		{"zero images", idx(imagesMagic, []uint32{0, 2, 3}, nil), goodLabels, false,
			[]string{"bad dimensions [0 2 3]", "dimension 0 is zero"}},
		{"zero columns", idx(imagesMagic, []uint32{2, 2, 0}, nil), goodLabels, false,
			[]string{"bad dimensions [2 2 0]", "dimension 2 is zero"}},
		{"zero labels", goodImages, idx(labelsMagic, []uint32{0}, nil), true,
			[]string{"bad dimensions [0]"}},
		{"absurd size", idx(imagesMagic, []uint32{1 << 31, 28, 28}, goodPix), goodLabels, false,
			[]string{"bad dimensions [2147483648 28 28]", "more than 1073741824 bytes"}},
		{"absurd size every factor", idx(imagesMagic, []uint32{1<<32 - 1, 1<<32 - 1, 1<<32 - 1}, nil), goodLabels, false,
			[]string{"bad dimensions", "more than 1073741824 bytes"}},
		{"empty file", []byte{}, goodLabels, false,
			[]string{"truncated header: expected 16 bytes, found 0 bytes"}},
		{"truncated header", goodImages[:10], goodLabels, false,
			[]string{"truncated header: expected 16 bytes, found 10 bytes"}},
		{"truncated magic", goodImages[:3], goodLabels, false,
			[]string{"truncated header: expected 16 bytes, found 3 bytes"}},
		{"truncated data", goodImages[:len(goodImages)-5], goodLabels, false,
			[]string{"truncated", "need 1568 bytes after the 16-byte header, found 1563 bytes"}},
		{"truncated gzipped data", gz(goodImages[:len(goodImages)-5]), goodLabels, false,
			[]string{"truncated", "need 1568 bytes", "found 1563 decompressed bytes"}},
		{"truncated labels", goodImages, goodLabels[:9], true,
			[]string{"truncated", "need 2 bytes after the 8-byte header, found 1 bytes"}},
		{"trailing data", append(bytes.Clone(goodImages), 1, 2), goodLabels, false,
			[]string{"unexpected data after the 1568 bytes"}},
		{"count mismatch", goodImages, idx(labelsMagic, []uint32{3}, []byte{1, 2, 3}), false,
			[]string{"2 images, but", "has 3 labels"}},
		{"label out of range", goodImages, idx(labelsMagic, []uint32{2}, []byte{3, 10}), true,
			[]string{"label 10 at index 1 is out of range 0..9"}},
		{"corrupt gzip header", []byte{0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, goodLabels, false,
			[]string{"corrupt gzip data"}},
		{"corrupt gzip stream", append(gz(goodImages)[:12], bytes.Repeat([]byte{0xff}, 20)...), goodLabels, false,
			[]string{"corrupt gzip data"}},
		{"cut gzip stream", gz(goodImages)[:20], goodLabels, false,
			[]string{"corrupt gzip data", "unexpected EOF"}},
		{"gzip checksum", corruptCRC, goodLabels, false,
			[]string{"corrupt gzip data", "checksum"}},
		{"missing images", nil, goodLabels, false,
			[]string{"no such file"}},
		{"missing labels", goodImages, nil, true,
			[]string{"no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ip, lp := filepath.Join(dir, "imgs-file"), filepath.Join(dir, "lbls-file")
			if tc.images != nil {
				writeFile(t, dir, "imgs-file", tc.images)
			}
			if tc.labels != nil {
				writeFile(t, dir, "lbls-file", tc.labels)
			}
			s, err := Load(ip, lp)
			if err == nil {
				t.Fatalf("Load succeeded: %+v", s)
			}
			msg := err.Error()
			prefix := "mnist: " + ip + ": "
			if tc.inLabels {
				prefix = "mnist: " + lp + ": "
			}
			if !strings.HasPrefix(msg, prefix) {
				t.Errorf("error %q does not start with %q", msg, prefix)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if tc.name == "count mismatch" && !strings.Contains(msg, lp) {
				t.Errorf("error %q does not name the label file", msg)
			}
			if tc.images == nil || tc.labels == nil {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("error %q is not fs.ErrNotExist", msg)
				}
			}
		})
	}
}

// A header may promise up to 1 GiB; with little data present, reading must
// fail without allocating anything like that.
func TestHostileHeaderDoesNotAllocate(t *testing.T) {
	dir := t.TempDir()
	for _, b := range [][]byte{
		idx(imagesMagic, []uint32{1_300_000, 28, 28}, goodPix),
		gz(idx(imagesMagic, []uint32{1_300_000, 28, 28}, goodPix)),
	} {
		p := writeFile(t, dir, "hostile", b)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, _, _, err := ReadImages(p)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("err = %v, want truncated", err)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 8<<20 {
			t.Errorf("allocated %d bytes for a %d-byte file", d, len(b))
		}
	}
}

func TestTrainTestFileNames(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, TrainImagesFile, goodImages)
	writeFile(t, dir, TrainLabelsFile+".gz", gz(goodLabels))
	s, err := Train(dir)
	if err != nil || s.Len() != 2 {
		t.Fatalf("Train(%q) = %v, %v; want 2 examples", dir, s, err)
	}
	_, err = Test(dir)
	if err == nil {
		t.Fatal("Test succeeded with no test files")
	}
	for _, w := range []string{filepath.Join(dir, TestImagesFile), TestImagesFile + ".gz", "does not exist"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %q is not fs.ErrNotExist", err)
	}
}

func TestSubset(t *testing.T) {
	s := &Set{Images: seq(4 * 6), Labels: []uint8{1, 2, 3, 4}, Channels: 1, Rows: 2, Cols: 3}
	for _, tc := range []struct{ n, want int }{{-1, 0}, {0, 0}, {3, 3}, {4, 4}, {9, 4}} {
		sub := Subset(s, tc.n)
		if sub.Len() != tc.want || len(sub.Images) != tc.want*6 || len(sub.Labels) != tc.want {
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

// FuzzReadIDX feeds arbitrary bytes to the idx parser as an image file and
// as a label file: it must never panic, and what it accepts must be consistent.
func FuzzReadIDX(f *testing.F) {
	f.Add(goodImages)
	f.Add(goodLabels)
	f.Add(gz(goodImages))
	f.Add(gz(goodLabels))
	f.Add(goodImages[:10])
	f.Add(idx(imagesMagic, []uint32{1 << 31, 28, 28}, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		if dims, data, _, err := decode(bytes.NewReader(b), imagesMagic, 3, expect{}); err == nil {
			if len(dims) != 3 || len(data) != dims[0]*dims[1]*dims[2] || len(data) == 0 {
				t.Fatalf("dims %v with %d bytes", dims, len(data))
			}
		} else if err.Error() == "" {
			t.Fatal("empty error")
		}
		if dims, data, _, err := decode(bytes.NewReader(b), labelsMagic, 1, expect{}); err == nil {
			if len(dims) != 1 || len(data) != dims[0] || len(data) == 0 {
				t.Fatalf("dims %v with %d bytes", dims, len(data))
			}
			_ = checkLabels(data)
		}
	})
}
