package mnist

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
// before them, which is well formed and what e expects.
func readCached(path string, magic uint32, ndim int, e expect) ([]int, []byte, bool) {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() <= sumBytes {
		return nil, nil, false
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, false
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	dims, data, compressed, err := decode(io.TeeReader(io.LimitReader(f, fi.Size()-sumBytes), h), magic, ndim, e)
	if err != nil || compressed {
		return nil, nil, false
	}
	var sum [sumBytes + 1]byte
	if n, _ := io.ReadFull(f, sum[:]); n != sumBytes || !bytes.Equal(sum[:sumBytes], h.Sum(nil)) {
		return nil, nil, false
	}
	return dims, data, true
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
