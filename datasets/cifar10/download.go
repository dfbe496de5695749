package cifar10

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/convnet/convnet/data"
)

// DefaultURL is where the CIFAR-10 binary version is published, a .tar.gz
// archive of about 162 MiB that unpacks to the folder cifar-10-batches-bin.
const DefaultURL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"

// ArchiveMD5 is the published MD5 sum of the archive at DefaultURL.
const ArchiveMD5 = "c32a1d4ab5d03f1284b67883e8d87530"

// maxArchiveBytes bounds a download (the real archive has 170052171 bytes).
const maxArchiveBytes = 1 << 30

// Download fetches the CIFAR-10 binary version from url (DefaultURL if url
// is empty) and unpacks it into dir/cifar-10-batches-bin, creating the
// folders as needed, so that Train(dir) and Test(dir) find it.
//
// The archive is streamed to a temporary file in dir while its MD5 sum is
// computed; a sum other than ArchiveMD5 is an error and nothing is
// unpacked. Only the expected files (data_batch_1.bin ... data_batch_5.bin,
// test_batch.bin, batches.meta.txt) are unpacked; an entry whose path would
// leave the destination, or an expected file larger than CIFAR-10's, fails
// the whole download. Each file is written to a temporary file, and only
// when the whole archive has been read are they renamed into place
// (replacing earlier copies), so that an interrupted or failed download
// leaves no partial file behind. The temporary archive is removed.
//
// If progress is not nil it is called as bytes arrive with the number
// received so far and the total (-1 if the server does not say). Cancelling
// ctx stops the download; the error then wraps ctx.Err().
func Download(ctx context.Context, url, dir string, progress func(done, total int64)) error {
	if url == "" {
		url = DefaultURL
	}
	return download(ctx, url, dir, ArchiveMD5, progress)
}

// download is Download with the expected MD5 sum (lower-case hex) as a
// parameter.
func download(ctx context.Context, url, dir, wantMD5 string, progress func(done, total int64)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cifar10: download %s: %w", url, err)
	}
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return pathError(dir, data.StripPath(err))
	}
	tmp, err := os.CreateTemp(dir, ".cifar-10-binary-*.tar.gz.part")
	if err != nil {
		return pathError(dir, data.StripPath(err))
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()

	sum, err := fetch(ctx, url, tmp, progress)
	if err != nil {
		return err
	}
	if !strings.EqualFold(sum, wantMD5) {
		return fmt.Errorf("cifar10: %s: the download's MD5 sum is %s, expected %s: the file is corrupt or not "+
			"the CIFAR-10 binary version; nothing was unpacked", url, sum, wantMD5)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return pathError(tmp.Name(), data.StripPath(err))
	}
	if err := extract(ctx, tmp, filepath.Join(dir, DirName)); err != nil {
		return fmt.Errorf("cifar10: %s: %w", url, err)
	}
	return nil
}

// fetch writes the body of a GET of url into w and returns its MD5 sum.
func fetch(ctx context.Context, url string, w io.Writer, progress func(done, total int64)) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("cifar10: download %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("cifar10: download: %w", err) // *url.Error names the method and URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("cifar10: GET %s: HTTP status %s", url, resp.Status)
	}
	total := resp.ContentLength // -1 if unknown
	if total > maxArchiveBytes {
		return "", fmt.Errorf("cifar10: GET %s: the server announces %d bytes, more than the %d a CIFAR-10 archive can have",
			url, total, int64(maxArchiveBytes))
	}
	h := md5.New()
	pw := &progressWriter{w: io.MultiWriter(w, h), total: total, progress: progress}
	if progress != nil {
		progress(0, total)
	}
	_, err = io.Copy(pw, io.LimitReader(resp.Body, maxArchiveBytes+1))
	switch {
	case ctx.Err() != nil:
		return "", fmt.Errorf("cifar10: download %s: %w", url, ctx.Err())
	case err == io.ErrUnexpectedEOF || err == nil && total >= 0 && pw.done < total:
		return "", fmt.Errorf("cifar10: GET %s: truncated download: received %d of %d bytes", url, pw.done, total)
	case err != nil:
		return "", fmt.Errorf("cifar10: GET %s: after %d bytes: %w", url, pw.done, err)
	case pw.done > maxArchiveBytes:
		return "", fmt.Errorf("cifar10: GET %s: more than %d bytes, more than a CIFAR-10 archive can have",
			url, int64(maxArchiveBytes))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// progressWriter counts the bytes written through it and reports them.
type progressWriter struct {
	w           io.Writer
	done, total int64
	progress    func(done, total int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	if p.progress != nil && n > 0 {
		p.progress(p.done, p.total)
	}
	return n, err
}

// expectedFiles maps each file to unpack to its largest acceptable size.
func expectedFiles() map[string]int64 {
	m := map[string]int64{MetaFile: maxMetaBytes}
	for _, n := range append(append([]string{}, trainFiles...), TestFile) {
		m[n] = maxRecordsPerFile * RecordBytes
	}
	return m
}

// extract unpacks the expected files of a .tar.gz stream into dest, all or
// nothing. The archive must hold every batch file; batches.meta.txt is
// optional. Other entries under cifar-10-batches-bin/ and elsewhere are
// skipped. Errors do not name the archive.
func extract(ctx context.Context, r io.Reader, dest string) (err error) {
	created := !isDir(dest)
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return fmt.Errorf("%s: %w", dest, data.StripPath(err))
	}
	temps := map[string]string{} // file name -> temporary path in dest
	defer func() {
		if err == nil {
			return
		}
		for _, t := range temps {
			os.Remove(t)
		}
		if created {
			os.Remove(dest) // only if empty
		}
	}()

	zr, err := gzip.NewReader(bufio.NewReader(r))
	if err != nil {
		return fmt.Errorf("not a gzip archive: %w", err)
	}
	src := ctxReader{ctx, zr}
	tr := tar.NewReader(src)
	want := expectedFiles()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			return archiveError(ctx, err)
		}
		if !safeName(h.Name) {
			return fmt.Errorf("archive entry %q points outside the destination folder: refusing to unpack", h.Name)
		}
		dir, name := path.Split(path.Clean(h.Name))
		limit, ok := want[name]
		if !ok || dir != DirName+"/" {
			continue // readme.html, the folder itself, other files
		}
		if !h.FileInfo().Mode().IsRegular() {
			return fmt.Errorf("archive entry %q is not a regular file", h.Name)
		}
		if h.Size > limit {
			return fmt.Errorf("archive entry %q has %d bytes, more than %s can have (at most %d)",
				h.Name, h.Size, name, limit)
		}
		if name != MetaFile {
			if _, err := checkSize(h.Size, nil); err != nil {
				return fmt.Errorf("archive entry %q: %w", h.Name, err)
			}
		}
		if _, dup := temps[name]; dup {
			return fmt.Errorf("archive has two entries for %s", path.Join(DirName, name))
		}
		t, err := writeTemp(dest, name, tr, h.Size)
		if t != "" {
			temps[name] = t
		}
		if err != nil {
			return archiveError(ctx, err)
		}
	}
	// Read to the end so that gzip checks its checksum.
	if _, err := io.Copy(io.Discard, io.LimitReader(src, maxArchiveBytes)); err != nil {
		return archiveError(ctx, err)
	}
	var missing []string
	for _, n := range append(append([]string{}, trainFiles...), TestFile) {
		if _, ok := temps[n]; !ok {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the archive lacks %s/%s: not the CIFAR-10 binary version", DirName, strings.Join(missing, ", "))
	}
	for name, t := range temps {
		final := filepath.Join(dest, name)
		if err := os.Rename(t, final); err != nil {
			return fmt.Errorf("%s: %w", final, err)
		}
		delete(temps, name)
	}
	return nil
}

// writeTemp copies size bytes of r into a new temporary file in dir and
// returns its path (also on error, once the file exists).
func writeTemp(dir, name string, r io.Reader, size int64) (string, error) {
	f, err := os.CreateTemp(dir, "."+name+".*.part")
	if err != nil {
		return "", fmt.Errorf("%s: %w", dir, data.StripPath(err))
	}
	n, err := io.Copy(f, r)
	if err == nil && n != size {
		err = io.ErrUnexpectedEOF
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return f.Name(), err
}

// safeName reports whether a tar entry name stays inside the folder it is
// unpacked into: relative, without ".." leading out, without a volume name
// or a backslash (which Windows would take as a separator).
func safeName(name string) bool {
	return name != "" && !strings.Contains(name, `\`) && filepath.IsLocal(filepath.FromSlash(name))
}

// archiveError explains an error met while reading the archive.
func archiveError(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		return errors.New("truncated archive: unexpected end of data")
	case errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader):
		return fmt.Errorf("corrupt gzip data: %w", err)
	}
	return fmt.Errorf("corrupt archive: %w", err)
}

// ctxReader fails reads once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
