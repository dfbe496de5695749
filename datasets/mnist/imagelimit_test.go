package mnist

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// pngClaiming returns a tiny PNG whose IHDR claims w x h pixels (8-bit
// grey, with a valid chunk CRC) while its data holds a 1x1 picture: the
// cheapest file that asks a decoder for w*h bytes.
func pngClaiming(t *testing.T, w, h uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// Signature (8 bytes), then the IHDR chunk: length, "IHDR", 13 data
	// bytes (width and height first), CRC of type and data.
	if string(b[12:16]) != "IHDR" {
		t.Fatalf("no IHDR at byte 12: %q", b[12:16])
	}
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// jpegClaiming returns a tiny baseline JPEG whose frame header claims
// w x h pixels.
func jpegClaiming(t *testing.T, w, h uint16) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	i := bytes.Index(b, []byte{0xff, 0xc0}) // SOF0: length, precision, height, width
	if i < 0 {
		t.Fatal("no SOF0 marker")
	}
	binary.BigEndian.PutUint16(b[i+5:], h)
	binary.BigEndian.PutUint16(b[i+7:], w)
	return b
}

// allocated returns the bytes that f allocates (runtime.MemStats.TotalAlloc).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A small file that declares a huge picture is refused from its header,
// naming the file and the size, before any pixel memory is allocated.
func TestDecodeImageFileRefusesHugePictures(t *testing.T) {
	dir := t.TempDir()
	limit := fmt.Sprintf("more than the %dx%d that convnet reads", MaxImageSide, MaxImageSide)
	for _, tc := range []struct {
		name string
		data []byte
		want string // "" for a picture that must decode
	}{
		{"huge.png", pngClaiming(t, 20000, 20000), "the picture is 20000x20000 pixels, " + limit},
		{"wide.png", pngClaiming(t, MaxImageSide+1, 1), fmt.Sprintf("the picture is %dx1 pixels, %s", MaxImageSide+1, limit)},
		{"tall.png", pngClaiming(t, 1, MaxImageSide+1), fmt.Sprintf("the picture is 1x%d pixels, %s", MaxImageSide+1, limit)},
		{"huge.jpg", jpegClaiming(t, 20000, 20000), "the picture is 20000x20000 pixels, " + limit},
		{"wide.jpg", jpegClaiming(t, 65535, 8), "the picture is 65535x8 pixels, " + limit},
		{"empty.png", pngClaiming(t, 0, 5), "decoding png"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, dir, tc.name, tc.data)
			var err error
			n := allocated(func() { _, err = DecodeImageFile(p) })
			if err == nil {
				t.Fatal("decoded")
			}
			want := "mnist: " + p + ": " + tc.want
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("err = %q, want %q", err, want)
			}
			if n > 1<<20 {
				t.Errorf("allocated %d bytes for a %d-byte file", n, len(tc.data))
			}
			t.Logf("%s (%d bytes): allocated %d bytes", tc.name, len(tc.data), n)
		})
	}
}

// A picture of MaxImageSide x MaxImageSide pixels is read.
func TestDecodeImageFileAtTheLimit(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, MaxImageSide, MaxImageSide))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := 400; y < 1600; y++ {
		for x := 900; x < 1100; x++ {
			img.Pix[y*img.Stride+x] = 0
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, t.TempDir(), "big.png", buf.Bytes())
	got, err := DecodeImageFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if b := got.Bounds(); b.Dx() != MaxImageSide || b.Dy() != MaxImageSide {
		t.Fatalf("bounds %v", b)
	}
	if s := measure(t, FromImage(got)); s.bbox.Dy() != Box {
		t.Errorf("ink box %v, want %d high", s.bbox, Box)
	}
}

// A file over MaxImageFileBytes is refused from its size, before it is
// read, even when its picture would be small.
func TestDecodeImageFileRefusesHugeFiles(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, canvas(60, 50, white, black, image.Rect(25, 10, 35, 40))); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, t.TempDir(), "padded.png", buf.Bytes())
	// A sparse file: a valid PNG followed by zeros up to one byte too many.
	if err := os.Truncate(p, MaxImageFileBytes+1); err != nil {
		t.Fatal(err)
	}
	var err error
	n := allocated(func() { _, err = DecodeImageFile(p) })
	want := fmt.Sprintf("mnist: %s: the file is %d bytes, more than the %d (64 MiB) that convnet reads",
		p, MaxImageFileBytes+1, MaxImageFileBytes)
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	if n > 1<<20 {
		t.Errorf("allocated %d bytes", n)
	}
	// One byte less is read (PNG decoding stops at the IEND chunk).
	if err := os.Truncate(p, MaxImageFileBytes); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeImageFile(filepath.Clean(p)); err != nil {
		t.Errorf("a file of MaxImageFileBytes: %v", err)
	}
}
