package pth

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode checks that Decode never panics or allocates without bound on
// any file, and that whatever it accepts survives Encode and Decode
// unchanged.
func FuzzDecode(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(fixtures, "*.pth"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && len(b) < 1<<16 {
			f.Add(b)
		}
	}
	var b bytes.Buffer
	if err := Encode(&b, sample()); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add(zipFile(f, "m/data.pkl", pPickle(pDict(pStr("w"), pTensor("FloatStorage", "0", 4, 1, []int64{2}, []int64{2}))), "m/data/0", f32s(1, 2, 3, 4)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		roundTrip(t, b)
	})
}

// FuzzPickle runs data.pkl as the fuzzer writes it, in an archive that
// holds two storages, so that the fuzzer works on the unpickler rather than
// on the zip format's checksums.
func FuzzPickle(f *testing.F) {
	f.Add([]byte(pPickle(pDict(pStr("w"), pTensor("FloatStorage", "0", 4, 1, []int64{2}, []int64{2}),
		pStr("v"), pTensor("LongStorage", "1", 2, 0, []int64{2, 1}, []int64{1, 5})))))
	f.Add([]byte(pPickle(pDict(pStr("model"), pDict(pStr("w"), pTensor("HalfStorage", "0", 8, 0, []int64{2, 2}, []int64{1, 2})), pStr("epoch"), pInt(3)))))
	paths, _ := filepath.Glob(filepath.Join(fixtures, "*.pth"))
	for _, p := range paths {
		a, err := readPickle(p)
		if err == nil && len(a) < 1<<14 {
			f.Add(a)
		}
	}
	f.Fuzz(func(t *testing.T, pkl []byte) {
		roundTrip(t, zipFile(t, "m/data.pkl", string(pkl), "m/data/0", f32s(1, 2, 3, 4), "m/data/1", f32s(5, 6, 7, 8)))
	})
}

// readPickle returns the data.pkl of the torch.save file at path.
func readPickle(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	a, err := openArchive(zr, int64(len(b)))
	if err != nil {
		return nil, err
	}
	return a.readEntry(a.prefix+"/data.pkl", maxPickleSize)
}

func roundTrip(t *testing.T, b []byte) {
	got, err := Decode(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return
	}
	var enc bytes.Buffer
	if err := Encode(&enc, got); err != nil {
		t.Fatalf("Encode of what Decode returned: %v", err)
	}
	again, err := Decode(bytes.NewReader(enc.Bytes()), int64(enc.Len()))
	if err != nil {
		t.Fatalf("Decode of what Encode wrote: %v", err)
	}
	sameFile(t, again, got)
}
