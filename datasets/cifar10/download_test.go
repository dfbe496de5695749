package cifar10

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// entry is one member of a test archive.
type entry struct {
	name     string
	body     []byte
	typeflag byte  // 0: a regular file
	size     int64 // the size the header declares, if not len(body)
}

// goodEntries are the members of a small archive laid out as the real one:
// the folder, the batches of writeData, the meta file and a readme.
func goodEntries() []entry {
	es := []entry{{name: DirName + "/", typeflag: tar.TypeDir}}
	seed := 0
	for i, l := range trainLabels {
		es = append(es, entry{name: DirName + "/" + trainFiles[i], body: batch(seed, l...)})
		seed += len(l)
	}
	return append(es,
		entry{name: DirName + "/" + TestFile, body: batch(testSeed, testLabels...)},
		entry{name: DirName + "/" + MetaFile, body: []byte(metaText)},
		entry{name: DirName + "/readme.html", body: []byte("<html></html>")},
	)
}

// archive builds a .tar.gz of the entries. An entry whose declared size
// exceeds its body ends the archive after its header.
func archive(t *testing.T, es []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: e.typeflag}
		switch e.typeflag {
		case 0:
			h.Typeflag = tar.TypeReg
		case tar.TypeDir:
			h.Mode = 0o755
		case tar.TypeSymlink:
			h.Linkname = "/etc/passwd"
		}
		if e.size > h.Size {
			h.Size = e.size
			if err := tw.WriteHeader(h); err != nil {
				t.Fatal(err)
			}
			tw.Write(e.body)
			tw.Flush() // reports the missing bytes; the header is written
			zw.Close()
			return buf.Bytes()
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// serve serves body at /cifar.tar.gz with its length, and 404 elsewhere.
func serve(t *testing.T, body []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cifar.tar.gz" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/cifar.tar.gz"
}

// files lists the files under dir (relative, slash-separated, sorted).
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

var unpacked = []string{
	DirName + "/" + MetaFile, DirName + "/data_batch_1.bin", DirName + "/data_batch_2.bin",
	DirName + "/data_batch_3.bin", DirName + "/data_batch_4.bin", DirName + "/data_batch_5.bin",
	DirName + "/" + TestFile,
}

func init() { slices.Sort(unpacked) }

func TestDownload(t *testing.T) {
	body := archive(t, goodEntries())
	url := serve(t, body)
	dir := filepath.Join(t.TempDir(), "data") // created by download
	var last [2]int64
	calls := 0
	err := download(context.Background(), url, dir, md5hex(body), func(done, total int64) {
		if done < last[0] {
			t.Errorf("progress went back from %d to %d", last[0], done)
		}
		last = [2]int64{done, total}
		calls++
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := int64(len(body)); last != [2]int64{n, n} || calls < 2 {
		t.Errorf("last progress call (%d, %d) of %d, want (%d, %d)", last[0], last[1], calls, n, n)
	}
	if got := files(t, dir); !slices.Equal(got, unpacked) {
		t.Errorf("files after download: %q, want %q", got, unpacked)
	}
	train, err := Train(dir)
	if err != nil {
		t.Fatal(err)
	}
	test, err := Test(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(train.Labels, slices.Concat(trainLabels...)) || !bytes.Equal(test.Labels, testLabels) {
		t.Errorf("labels %v and %v", train.Labels, test.Labels)
	}
	x := make([]float32, ImageBytes)
	test.Example(3, x)
	checkPixels(t, x, testSeed+3)

	// A second download replaces the files.
	es := goodEntries()
	es[len(es)-3].body = batch(testSeed, 5)
	body = archive(t, es)
	if err := download(context.Background(), serve(t, body), dir, md5hex(body), nil); err != nil {
		t.Fatal(err)
	}
	if test, err := Test(dir); err != nil || !bytes.Equal(test.Labels, []byte{5}) {
		t.Errorf("after a second download: %v, %v", test, err)
	}
	if got := files(t, dir); !slices.Equal(got, unpacked) {
		t.Errorf("files after a second download: %q, want %q", got, unpacked)
	}
}

func TestDownloadErrors(t *testing.T) {
	with := func(extra ...entry) []entry { return append(goodEntries(), extra...) }
	without := func(name string) []entry {
		return slices.DeleteFunc(goodEntries(), func(e entry) bool { return e.name == DirName+"/"+name })
	}
	replace := func(name string, e entry) []entry {
		es := goodEntries()
		for i := range es {
			if es[i].name == DirName+"/"+name {
				es[i] = e
			}
		}
		return es
	}
	good := archive(t, goodEntries())
	for _, tc := range []struct {
		name    string
		body    []byte // served; nil: build from entries
		entries []entry
		md5     string // "": the body's own sum
		path    string // URL path; "": /cifar.tar.gz
		want    []string
	}{
		{name: "wrong MD5", body: good, md5: ArchiveMD5,
			want: []string{"MD5 sum is " + md5hex(good), "expected " + ArchiveMD5, "nothing was unpacked"}},
		{name: "404", path: "/nope.tar.gz", body: good,
			want: []string{"GET ", "/nope.tar.gz: HTTP status 404 Not Found"}},
		{name: "parent path first", entries: append([]entry{{name: "../evil", body: []byte("x")}}, goodEntries()...),
			want: []string{`archive entry "../evil" points outside the destination folder`}},
		{name: "parent path last", entries: with(entry{name: "../evil", body: []byte("x")}),
			want: []string{`"../evil" points outside`}},
		{name: "parent path inside", entries: with(entry{name: DirName + "/../../evil.bin", body: []byte("x")}),
			want: []string{`"cifar-10-batches-bin/../../evil.bin" points outside`}},
		{name: "absolute path", entries: with(entry{name: "/tmp/evil", body: []byte("x")}),
			want: []string{`"/tmp/evil" points outside`}},
		{name: "backslash", entries: with(entry{name: `..\evil`, body: []byte("x")}),
			want: []string{`points outside`}},
		{name: "symlink", entries: replace("data_batch_2.bin", entry{name: DirName + "/data_batch_2.bin", typeflag: tar.TypeSymlink}),
			want: []string{`"cifar-10-batches-bin/data_batch_2.bin" is not a regular file`}},
		{name: "huge batch", entries: replace(TestFile, entry{name: DirName + "/" + TestFile, size: 1 << 40}),
			want: []string{`"cifar-10-batches-bin/test_batch.bin" has 1099511627776 bytes, more than test_batch.bin can have (at most 307300000)`}},
		{name: "huge meta", entries: replace(MetaFile, entry{name: DirName + "/" + MetaFile, size: 1 << 20}),
			want: []string{`has 1048576 bytes, more than batches.meta.txt can have (at most 65536)`}},
		{name: "bad batch size", entries: replace(TestFile, entry{name: DirName + "/" + TestFile, body: make([]byte, 100)}),
			want: []string{`"cifar-10-batches-bin/test_batch.bin": size 100 bytes is not a multiple of the 3073-byte record`}},
		{name: "missing batch", entries: without("data_batch_4.bin"),
			want: []string{"the archive lacks cifar-10-batches-bin/data_batch_4.bin"}},
		{name: "duplicate", entries: with(goodEntries()[3]),
			want: []string{"two entries for cifar-10-batches-bin/data_batch_3.bin"}},
		{name: "files outside the folder", entries: []entry{{name: "data_batch_1.bin", body: record(1, 1)}},
			want: []string{"the archive lacks cifar-10-batches-bin/data_batch_1.bin, data_batch_2.bin"}},
		{name: "truncated archive", body: good[:len(good)/2],
			want: []string{"truncated archive"}},
		{name: "not gzip", body: []byte("<html>moved</html>"),
			want: []string{"not a gzip archive"}},
		{name: "corrupt gzip checksum", body: func() []byte {
			b := bytes.Clone(good)
			b[len(b)-8] ^= 1
			return b
		}(), want: []string{"corrupt gzip data", "checksum"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if body == nil {
				body = archive(t, tc.entries)
			}
			url := serve(t, body)
			if tc.path != "" {
				url = strings.TrimSuffix(url, "/cifar.tar.gz") + tc.path
			}
			sum := tc.md5
			if sum == "" {
				sum = md5hex(body)
			}
			dir := t.TempDir()
			err := download(context.Background(), url, dir, sum, nil)
			if err == nil {
				t.Fatal("download succeeded")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "cifar10: ") || !strings.Contains(msg, url) {
				t.Errorf("error %q does not start with cifar10: and name %s", msg, url)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if got := files(t, dir); len(got) != 0 {
				t.Errorf("files left behind: %q", got)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("%d entries left in %s: %v", len(entries), dir, entries)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "evil")); err == nil {
				t.Error("../evil was written")
			}
		})
	}
}

// A failed download leaves the files of an earlier one as they were.
func TestDownloadFailureKeepsOldFiles(t *testing.T) {
	dir := t.TempDir()
	writeData(t, filepath.Join(dir, DirName), metaText)
	before := files(t, dir)
	es := goodEntries()
	es[1].body = batch(0, 4) // a new data_batch_1.bin, then a bad entry
	body := archive(t, append(es, entry{name: "../evil", body: []byte("x")}))
	if err := download(context.Background(), serve(t, body), dir, md5hex(body), nil); err == nil {
		t.Fatal("download succeeded")
	}
	if got := files(t, dir); !slices.Equal(got, before) {
		t.Errorf("files %q, want %q", got, before)
	}
	s, err := Train(dir)
	if err != nil || !bytes.Equal(s.Labels, slices.Concat(trainLabels...)) {
		t.Errorf("Train after a failed download: %v, %v", s, err)
	}
}

func TestDownloadTruncated(t *testing.T) {
	body := archive(t, goodEntries())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body[:len(body)-100]) // and close the connection
	}))
	defer srv.Close()
	dir := t.TempDir()
	err := download(context.Background(), srv.URL, dir, md5hex(body), nil)
	want := "truncated download: received " + strconv.Itoa(len(body)-100) + " of " + strconv.Itoa(len(body)) + " bytes"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("files left behind: %q", got)
	}
}

func TestDownloadCancel(t *testing.T) {
	body := archive(t, goodEntries())
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		select { // hang until the client gives up
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)

	t.Run("while downloading", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		dir := t.TempDir()
		err := download(ctx, srv.URL, dir, md5hex(body), func(done, total int64) {
			if done > 0 {
				cancel()
			}
		})
		if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "cifar10: ") {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if got := files(t, dir); len(got) != 0 {
			t.Errorf("files left behind: %q", got)
		}
	})
	t.Run("before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		dir := filepath.Join(t.TempDir(), "d")
		err := Download(ctx, srv.URL, dir, nil)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Error("the folder was created")
		}
	})
	t.Run("while unpacking", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		dir := t.TempDir()
		good := archive(t, goodEntries())
		err := extract(ctx, &cancelAfter{r: bytes.NewReader(good), n: len(good) / 2, cancel: cancel}, filepath.Join(dir, DirName))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if got := files(t, dir); len(got) != 0 {
			t.Errorf("files left behind: %q", got)
		}
	})
}

// cancelAfter calls cancel once n bytes have been read.
type cancelAfter struct {
	r      *bytes.Reader
	n      int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	k, err := c.r.Read(p[:min(len(p), 512)])
	if c.n -= k; c.n <= 0 {
		c.cancel()
	}
	return k, err
}

// Download uses DefaultURL when url is empty and ArchiveMD5; a test can only
// check that the names are as published.
func TestPublished(t *testing.T) {
	if DefaultURL != "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz" || ArchiveMD5 != "c32a1d4ab5d03f1284b67883e8d87530" {
		t.Errorf("DefaultURL %s, ArchiveMD5 %s", DefaultURL, ArchiveMD5)
	}
}

func TestSafeName(t *testing.T) {
	for name, want := range map[string]bool{
		"cifar-10-batches-bin/data_batch_1.bin":        true,
		"./cifar-10-batches-bin/data_batch_1.bin":      true,
		"cifar-10-batches-bin/":                        true,
		"cifar-10-batches-bin/../cifar-10-batches-bin": true,
		"":                                false,
		"..":                              false,
		"../evil":                         false,
		"cifar-10-batches-bin/../../x":    false,
		"/etc/passwd":                     false,
		`cifar-10-batches-bin\..\..\x`:    false,
		"cifar-10-batches-bin/a/../../..": false,
	} {
		if got := safeName(name); got != want {
			t.Errorf("safeName(%q) = %v, want %v", name, got, want)
		}
	}
}
