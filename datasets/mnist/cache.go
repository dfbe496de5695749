package mnist

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// A gzip-compressed idx file is decompressed once: its raw idx file is
// kept in the user's cache folder, as torchvision keeps MNIST's, and later
// loads read that instead (the training images take 0.4 s to inflate). A
// cached file is named for the compressed one's path, size and
// modification time; it holds the raw idx file followed by the CRC-32C of
// that content (sumBytes), which is checked on every read, as are the idx
// format and what the caller expects of the header. (CRC-32C, which the
// CPU computes at several GB/s, catches every damage below; a SHA-256 of
// the 55 MB took 0.15 s of every training run's start.) A missing or damaged
// copy (a flipped bit of a pixel, a cut or extended file, a copy without
// its checksum) is not used: the compressed file, whose gzip stream has a
// CRC-32 of its own, is decompressed again and the copy written anew. The
// cache only saves time: failing to write it is not an error.

// cacheMinBytes is the least size of a compressed file worth caching: the
// data sets' files, not small ones such as tests write.
const cacheMinBytes = 1 << 20

// cacheDir returns the folder of decompressed files, or "" for none.
var cacheDir = func() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "convnet", "mnist")
}

// cachedPath returns where the decompressed copy of the file at path, of
// the given info, is kept, or "" if it is not cached.
func cachedPath(path string, fi fs.FileInfo) string {
	dir := cacheDir()
	if dir == "" || fi.Size() < cacheMinBytes {
		return ""
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	// The checksum's name is part of the key, so that a copy made by a
	// version of convnet that ended its files with another is not read.
	key := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d\x00crc32c", abs, fi.Size(), fi.ModTime().UnixNano()))
	return filepath.Join(dir, hex.EncodeToString(key[:8])+"-"+strings.TrimSuffix(filepath.Base(path), ".gz"))
}

// sumBytes is the size of the checksum that ends a cached file.
const sumBytes = crc32.Size

// castagnoli is CRC-32C's table (hardware-accelerated where the CPU
// allows).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// readCached parses the cached idx file at path, if there is a valid one:
// a regular file whose last sumBytes are the CRC-32C of the idx file
// before them, which is well formed and what e expects. The data returned
// lies in the buffer the file was read into, after its header.
func readCached(path string, magic uint32, ndim int, e expect) ([]int, []byte, bool) {
	hdrLen := 4 + 4*ndim
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() < int64(hdrLen+sumBytes) || fi.Size() > int64(hdrLen+maxDataBytes+sumBytes) {
		return nil, nil, false
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, false
	}
	defer f.Close()
	buf := make([]byte, fi.Size())
	adviseHugePages(buf)
	n := len(buf) - sumBytes
	sum, err := readChecksummed(f, buf, n)
	if err != nil || sum != binary.BigEndian.Uint32(buf[n:]) || binary.BigEndian.Uint32(buf) != magic {
		return nil, nil, false
	}
	dims, size, err := dimensions(buf[:hdrLen], magic, e)
	if err != nil || uint64(n-hdrLen) != size {
		return nil, nil, false
	}
	return dims, buf[hdrLen:n:n], true
}

// readChecksummed fills buf from the start of f and returns the CRC-32C
// of its first n bytes. Chunks of 4 MiB and more are read and summed by a
// goroutine each, while in cache, and their sums combined: fresh memory
// is slow to fault in on some machines (47 MB took 0.23-0.29 s here on one
// thread, 0.15 s on two).
func readChecksummed(f *os.File, buf []byte, n int) (uint32, error) {
	parts := max(1, min(runtime.NumCPU(), n/(4<<20)))
	sums := make([]uint32, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*n/parts, (p+1)*n/parts
		end := hi
		if p == parts-1 {
			end = len(buf) // the last chunk reads the checksum too
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if k, err := f.ReadAt(buf[lo:end], int64(lo)); k < end-lo {
				errs[p] = cmp.Or(err, io.ErrUnexpectedEOF)
				return
			}
			sums[p] = crc32.Checksum(buf[lo:hi], castagnoli)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	sum := sums[0]
	for p := 1; p < parts; p++ {
		sum = crc32cCombine(sum, sums[p], int64((p+1)*n/parts-p*n/parts))
	}
	return sum, nil
}

// crc32cCombine returns the CRC-32C of a followed by b, given a's CRC,
// b's and b's length, as zlib's crc32_combine does for its polynomial:
// a's CRC is carried past len2 zero bytes by squaring the operator that
// appends one zero bit (a 32×32 matrix over GF(2)), then b's is added.
func crc32cCombine(crc1, crc2 uint32, len2 int64) uint32 {
	if len2 <= 0 {
		return crc1
	}
	var even, odd [32]uint32
	odd[0] = 0x82f63b78 // Castagnoli's polynomial, reflected
	for i, row := 1, uint32(1); i < 32; i, row = i+1, row<<1 {
		odd[i] = row
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four
	for {
		gf2Square(&even, &odd) // the next power of two of zero bytes
		if len2&1 != 0 {
			crc1 = gf2Times(&even, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
		gf2Square(&odd, &even)
		if len2&1 != 0 {
			crc1 = gf2Times(&odd, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

// gf2Times returns the product of the GF(2) matrix mat (columns as
// words) and vec.
func gf2Times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

// gf2Square sets square to mat·mat.
func gf2Square(square, mat *[32]uint32) {
	for i := range square {
		square[i] = gf2Times(mat, mat[i])
	}
}

// writeCached writes an idx file of magic, dims and data, then its CRC-32C,
// to path through a temporary file renamed into place, so that no reader
// sees half of it.
func writeCached(path string, magic uint32, dims []int, data []byte) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return
	}
	hdr := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		hdr = binary.BigEndian.AppendUint32(hdr, uint32(d))
	}
	h := crc32.New(castagnoli)
	h.Write(hdr)
	h.Write(data)
	_, err1 := tmp.Write(hdr)
	_, err2 := tmp.Write(data)
	_, err3 := tmp.Write(h.Sum(nil))
	err4 := tmp.Close()
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
}
