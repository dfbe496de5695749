package mnist

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// A gzip-compressed idx file is decompressed once: its raw idx file is
// kept in the user's cache folder, as torchvision keeps MNIST's, and later
// loads read that instead (the training images take 0.4 s to inflate). A
// cached file is named for the compressed one's path, size and
// modification time, and checked like any idx file when read; a missing
// or damaged one is made again. The cache only saves time: failing to
// write it is not an error.

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
	key := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", abs, fi.Size(), fi.ModTime().UnixNano()))
	return filepath.Join(dir, hex.EncodeToString(key[:8])+"-"+strings.TrimSuffix(filepath.Base(path), ".gz"))
}

// readCached parses the cached idx file at path, if there is a valid one.
func readCached(path string, magic uint32, ndim int, e expect) ([]int, []byte, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, false
	}
	defer f.Close()
	dims, data, _, err := decode(f, magic, ndim, e)
	return dims, data, err == nil
}

// writeCached writes an idx file of magic, dims and data to path through a
// temporary file renamed into place, so that no reader sees half of it.
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
	_, err1 := tmp.Write(hdr)
	_, err2 := tmp.Write(data)
	err3 := tmp.Close()
	if err1 != nil || err2 != nil || err3 != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
}
