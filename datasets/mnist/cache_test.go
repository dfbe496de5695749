package mnist

import (
	"bytes"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestDecompressedCache checks that a large compressed file is
// decompressed into the cache once, read from there after, and decompressed
// again when its cached copy is damaged or the file changes.
func TestDecompressedCache(t *testing.T) {
	cache := t.TempDir()
	defer func(f func() string) { cacheDir = f }(cacheDir)
	cacheDir = func() string { return cache }

	// Enough images that the compressed file passes cacheMinBytes.
	const n = 3000
	pix := make([]byte, n*28*28)
	seed := uint32(1)
	for i := range pix {
		seed = seed*1664525 + 1013904223
		pix[i] = byte(seed >> 24)
	}
	path := writeFile(t, t.TempDir(), "train-images-idx3-ubyte.gz", gz(idx(imagesMagic, []uint32{n, 28, 28}, pix)))
	read := func(what string) {
		t.Helper()
		got, gotN, rows, cols, err := ReadImages(path)
		if err != nil || gotN != n || rows != 28 || cols != 28 || !bytes.Equal(got, pix) {
			t.Fatalf("%s: %d images %dx%d, err %v, same pixels %v", what, gotN, rows, cols, err, bytes.Equal(got, pix))
		}
	}
	cachedFiles := func() []string {
		names, _ := filepath.Glob(filepath.Join(cache, "*"))
		return names
	}

	read("first read")
	files := cachedFiles()
	if len(files) != 1 {
		t.Fatalf("cache holds %v, want one file", files)
	}
	good, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	read("read from the cache")

	// A damaged copy is not trusted: the file is decompressed again and
	// the copy written anew. Damage that keeps the size and the header
	// (flipped pixel bytes, a pixel past the end of the header, a byte of
	// the last image) is caught by the copy's checksum.
	for _, tc := range []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"garbage", func([]byte) []byte { return []byte("garbage") }},
		{"cut", func(b []byte) []byte { return b[:len(b)-1] }},
		{"first pixel", func(b []byte) []byte { b[16] ^= 1; return b }},
		{"middle pixel", func(b []byte) []byte { b[16+len(pix)/2] ^= 0x80; return b }},
		{"last pixel", func(b []byte) []byte { b[16+len(pix)-1]++; return b }},
		{"last byte", func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b }},
		{"a byte more", func(b []byte) []byte { return append(b, 0) }},
		{"the copy of an older version (no checksum)", func(b []byte) []byte { return b[:16+len(pix)] }},
	} {
		damaged := tc.damage(bytes.Clone(good))
		if err := os.WriteFile(files[0], damaged, 0o644); err != nil {
			t.Fatal(err)
		}
		read("read past a damaged copy: " + tc.name)
		if b, _ := os.ReadFile(files[0]); !bytes.Equal(b, good) {
			t.Fatalf("%s: cached copy is %d bytes after repair, not as first written (%d bytes)", tc.name, len(b), len(good))
		}
	}

	// Small files are not cached.
	small := writeFile(t, t.TempDir(), "t10k-images-idx3-ubyte.gz", gz(goodImages))
	if _, _, _, _, err := ReadImages(small); err != nil {
		t.Fatal(err)
	}
	if got := cachedFiles(); len(got) != 1 {
		t.Fatalf("cache holds %v after a small file, want still one", got)
	}
}

// TestCRC32CCombine checks that the CRC-32C of two pieces, combined, is
// that of the whole, for pieces of every length around the combine's
// powers of two, and that readChecksummed's chunks sum to the whole file's
// CRC-32C.
func TestCRC32CCombine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 9<<20+13)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, cut := range []int{0, 1, 2, 3, 7, 8, 1000, 4096, 1 << 20, len(data) - 1, len(data)} {
		a, b := data[:cut], data[cut:]
		want := crc32.Checksum(data, castagnoli)
		if got := crc32cCombine(crc32.Checksum(a, castagnoli), crc32.Checksum(b, castagnoli), int64(len(b))); got != want {
			t.Errorf("cut at %d: combined %08x, want %08x", cut, got, want)
		}
	}
	path := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, len(data))
	n := len(data) - sumBytes
	sum, err := readChecksummed(f, buf, n)
	if err != nil || sum != crc32.Checksum(data[:n], castagnoli) || !bytes.Equal(buf, data) {
		t.Errorf("readChecksummed: sum %08x, error %v, same bytes %v; want %08x", sum, err, bytes.Equal(buf, data), crc32.Checksum(data[:n], castagnoli))
	}
}
