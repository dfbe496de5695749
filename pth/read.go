package pth

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"strings"

	"github.com/convnet/convnet/safetensors"
)

// Limits of the reader.
const (
	maxPickleSize = 1 << 30 // bytes of data.pkl
	maxDims       = 64      // dimensions of a tensor
	maxNesting    = 8       // Parameters wrapping Parameters wrapping a tensor
	// A tensor may view its storage more than once (stride 0, as
	// expand() makes), and several tensors may share one storage, so the
	// tensors returned may outweigh the file; they may not outweigh it by
	// more than this factor, plus outputSlack bytes.
	outputFactor = 8
	outputSlack  = 16 << 20
	// The largest ratio of a deflated entry's size to its compressed size
	// (deflate cannot do better than about 1032:1).
	maxDeflateRatio = 1100
)

// ErrLegacyFormat is wrapped by the error for a file in torch.save's
// legacy format (PyTorch before 1.6, or _use_new_zipfile_serialization=False).
var ErrLegacyFormat = errors.New("the legacy torch.save format (before PyTorch 1.6), which pth does not read; load it with torch.load and save it again with torch.save(obj, f) from PyTorch 1.6 or later, which writes the zip format")

// ReadFile reads the torch.save file at path as Decode does. Errors have the
// form "pth: <path>: <problem>".
func ReadFile(path string) (*safetensors.File, error) {
	f, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("pth: %s: %w", path, err)
	}
	return f, nil
}

func readFile(path string) (*safetensors.File, error) {
	fd, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	return decode(fd, st.Size())
}

// Decode reads a torch.save file of size bytes from r and returns its
// state_dict's tensors; see the package documentation for what it accepts.
// Errors have the form "pth: <problem>".
func Decode(r io.ReaderAt, size int64) (*safetensors.File, error) {
	f, err := decode(r, size)
	if err != nil {
		return nil, fmt.Errorf("pth: %w", err)
	}
	return f, nil
}

func decode(r io.ReaderAt, size int64) (*safetensors.File, error) {
	if size < 0 {
		return nil, fmt.Errorf("negative size %d", size)
	}
	var head [512]byte
	n, err := r.ReadAt(head[:min(int64(len(head)), size)], 0)
	if err != nil && !(err == io.EOF && int64(n) == min(int64(len(head)), size)) {
		return nil, fmt.Errorf("reading the start of the file: %w", err)
	}
	if err := sniff(head[:n]); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("truncated or corrupt zip archive (%v)", err)
	}
	a, err := openArchive(zr, size)
	if err != nil {
		return nil, err
	}
	pkl, err := a.readEntry(a.prefix+"/data.pkl", maxPickleSize)
	if err != nil {
		return nil, err
	}
	obj, err := unpickle(pkl)
	if err != nil {
		return nil, err
	}
	sd, where, err := findStateDict(obj)
	if err != nil {
		return nil, err
	}
	return a.tensors(sd, where)
}

// sniff checks the first bytes of the file: a zip archive passes; the
// legacy formats and anything else get an error saying what they are.
func sniff(head []byte) error {
	switch {
	case len(head) == 0:
		return errors.New("empty file")
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return nil
	case head[0] == 0x80 && len(head) >= 2 && head[1] <= 5:
		// A pickle: legacy torch.save starts with its magic number.
		return fmt.Errorf("the file is in %w", ErrLegacyFormat)
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		// torch.save before 0.4 wrote a tar archive.
		return fmt.Errorf("the file is a tar archive, %w", ErrLegacyFormat)
	}
	return errors.New("not a torch.save file: neither a zip archive (PyTorch 1.6 and later) nor a legacy pickle")
}

// archive is the zip of a torch.save file.
type archive struct {
	size    int64
	prefix  string
	entries map[string]*zip.File
	little  bool
	// storages read so far, by key.
	storages map[string][]byte
}

func openArchive(zr *zip.Reader, size int64) (*archive, error) {
	a := &archive{size: size, entries: make(map[string]*zip.File, len(zr.File)), little: true, storages: map[string][]byte{}}
	var prefixes []string
	for _, f := range zr.File {
		if _, dup := a.entries[f.Name]; dup {
			return nil, fmt.Errorf("the zip archive holds %q twice", f.Name)
		}
		a.entries[f.Name] = f
		if p, ok := strings.CutSuffix(f.Name, "/data.pkl"); ok && p != "" && !strings.Contains(p, "/") {
			prefixes = append(prefixes, p)
		}
	}
	switch len(prefixes) {
	case 1:
		a.prefix = prefixes[0]
	case 0:
		for name := range a.entries {
			if strings.HasSuffix(name, "/constants.pkl") || strings.Contains(name, "/code/") {
				return nil, errors.New("the zip archive is a TorchScript module (torch.jit.save), not a torch.save file: save its state_dict() with torch.save")
			}
		}
		return nil, errors.New("the zip archive has no <name>/data.pkl: not a torch.save file")
	default:
		return nil, fmt.Errorf("the zip archive has %d data.pkl entries (%s/data.pkl and %s/data.pkl...)", len(prefixes), prefixes[0], prefixes[1])
	}
	if _, ok := a.entries[a.prefix+"/byteorder"]; ok {
		b, err := a.readEntry(a.prefix+"/byteorder", 64)
		if err != nil {
			return nil, err
		}
		switch strings.TrimSpace(string(b)) {
		case "little":
		case "big":
			a.little = false
		default:
			return nil, fmt.Errorf("%s/byteorder is %q, not little or big", a.prefix, b)
		}
	}
	return a, nil
}

// readEntry reads the whole zip entry name, refusing one over limit bytes
// or larger than its compressed size allows, and checks its CRC.
func (a *archive) readEntry(name string, limit uint64) ([]byte, error) {
	f, ok := a.entries[name]
	if !ok {
		return nil, fmt.Errorf("the zip archive has no %s", name)
	}
	n := f.UncompressedSize64
	if n > limit {
		return nil, fmt.Errorf("%s: %d bytes, over the limit of %d", name, n, limit)
	}
	switch f.Method {
	case zip.Store:
		if n != f.CompressedSize64 || n > uint64(a.size) {
			return nil, fmt.Errorf("%s: corrupt sizes in the zip directory", name)
		}
	case zip.Deflate:
		if f.CompressedSize64 > uint64(a.size) || n/maxDeflateRatio > f.CompressedSize64 {
			return nil, fmt.Errorf("%s: corrupt sizes in the zip directory", name)
		}
	default:
		return nil, fmt.Errorf("%s: unsupported zip compression method %d", name, f.Method)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	defer rc.Close()
	b := make([]byte, n)
	if _, err := io.ReadFull(rc, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("reading %s: %v", name, err)
	}
	// Reading to the end checks the CRC.
	var extra [1]byte
	if k, err := rc.Read(extra[:]); k != 0 || err != io.EOF {
		if err == nil || err == io.EOF {
			err = errors.New("longer than the zip directory says")
		}
		return nil, fmt.Errorf("reading %s: %v", name, err)
	}
	return b, nil
}

// findStateDict finds the state_dict in the unpickled object: the object
// itself when it is a dict of tensors, else its "state_dict" or "model"
// entry. It returns the dict and how to name it in errors.
func findStateDict(obj any) (*dict, string, error) {
	if err := refused(obj); err != nil {
		return nil, "", err
	}
	d, ok := obj.(*dict)
	if !ok {
		return nil, "", fmt.Errorf("the saved object is %s, not a dict of tensors (a state_dict)", typeName(obj))
	}
	allTensors := true
	for _, v := range d.vals {
		if !isTensor(v) {
			allTensors = false
			break
		}
	}
	if allTensors {
		return d, "", nil
	}
	for _, key := range []string{"state_dict", "model"} {
		v, ok := d.get(key)
		if !ok {
			continue
		}
		if g := refused(v); g != nil {
			return nil, "", fmt.Errorf("checkpoint entry %q: %w (save model.state_dict(), not the model)", key, g)
		}
		sd, ok := v.(*dict)
		if !ok {
			return nil, "", fmt.Errorf("checkpoint entry %q is %s, not a state_dict", key, typeName(v))
		}
		return sd, key, nil
	}
	return d, "", nil
}

// refused returns a *GlobalError if v is a global outside the allow-list
// or made by one.
func refused(v any) error {
	switch v := v.(type) {
	case *global:
		if !allowed(v.String()) {
			return &GlobalError{Global: v.String()}
		}
	case *call:
		if !allowed(v.fn.String()) {
			return &GlobalError{Global: v.fn.String()}
		}
	}
	return nil
}

func isTensor(v any) bool {
	c, ok := v.(*call)
	if !ok {
		return false
	}
	switch c.fn.String() {
	case gRebuildTensorV2, gRebuildTensor, gRebuildParam, gRebuildParamWState:
		return true
	}
	return false
}

// view is a tensor as the pickle describes it: a strided view of a
// storage.
type view struct {
	dtype  string
	esize  int
	key    string // the storage's zip entry, data/<key>
	numel  uint64 // the storage's element count
	offset uint64
	shape  []int
	stride []uint64
}

// tensors turns the state_dict d into a File: it checks every entry, then
// reads the storages the tensors use and copies each tensor out of its
// storage in row-major order.
func (a *archive) tensors(d *dict, where string) (*safetensors.File, error) {
	in := ""
	if where != "" {
		in = fmt.Sprintf(" of checkpoint entry %q", where)
	}
	views := make([]view, len(d.keys))
	names := make([]string, len(d.keys))
	uses := map[string]int{}
	for i, k := range d.keys {
		name, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("a key of the state_dict%s is %s, not a str", in, typeName(k))
		}
		v, err := toView(d.vals[i], 0)
		if err != nil {
			return nil, fmt.Errorf("state_dict%s entry %q: %w", in, name, err)
		}
		names[i], views[i] = name, v
		uses[v.key]++
	}
	f := &safetensors.File{Names: names, Tensors: make(map[string]safetensors.Tensor, len(names))}
	budget := uint64(a.size)*outputFactor + outputSlack
	for i, v := range views {
		data, err := a.gather(v, uses[v.key] == 1, &budget)
		if err != nil {
			return nil, fmt.Errorf("state_dict%s entry %q: %w", in, names[i], err)
		}
		f.Tensors[names[i]] = safetensors.Tensor{DType: v.dtype, Shape: v.shape, Data: data}
	}
	return f, nil
}

// toView checks a tensor's rebuild call and returns the view it describes.
func toView(v any, depth int) (view, error) {
	if err := refused(v); err != nil {
		return view{}, err
	}
	c, ok := v.(*call)
	if !ok || !isTensor(v) {
		return view{}, fmt.Errorf("is %s, not a tensor", typeName(v))
	}
	args := c.args
	switch c.fn.String() {
	case gRebuildParam, gRebuildParamWState:
		// _rebuild_parameter(data, requires_grad, backward_hooks[, state])
		if len(args) < 1 {
			return view{}, fmt.Errorf("%s with no arguments", c.fn)
		}
		if depth >= maxNesting {
			return view{}, errors.New("parameters nested too deeply")
		}
		return toView(args[0], depth+1)
	case gRebuildTensor:
		// _rebuild_tensor(storage, storage_offset, size, stride)
		if len(args) != 4 {
			return view{}, fmt.Errorf("%s with %d arguments, not 4", c.fn, len(args))
		}
	default:
		// _rebuild_tensor_v2(storage, storage_offset, size, stride,
		// requires_grad, backward_hooks[, metadata])
		if len(args) != 6 && len(args) != 7 {
			return view{}, fmt.Errorf("%s with %d arguments, not 6 or 7", c.fn, len(args))
		}
	}
	var t view
	if err := t.setStorage(args[0]); err != nil {
		return view{}, err
	}
	off, ok := args[1].(int64)
	if !ok || off < 0 {
		return view{}, fmt.Errorf("storage offset is %s, not an int >= 0", describe(args[1]))
	}
	t.offset = uint64(off)
	size, err := intTuple(args[2], "size")
	if err != nil {
		return view{}, err
	}
	stride, err := intTuple(args[3], "stride")
	if err != nil {
		return view{}, err
	}
	if len(size) != len(stride) {
		return view{}, fmt.Errorf("size has %d dimensions, stride %d", len(size), len(stride))
	}
	t.shape = make([]int, len(size))
	t.stride = make([]uint64, len(size))
	for i := range size {
		if int64(int(size[i])) != size[i] {
			return view{}, fmt.Errorf("size %v does not fit an int", size)
		}
		t.shape[i], t.stride[i] = int(size[i]), uint64(stride[i])
	}
	return t, nil
}

// setStorage checks the persistent id ('storage', storage_class, key,
// location, numel) that names a tensor's storage.
func (t *view) setStorage(v any) error {
	p, ok := v.(*persID)
	if !ok {
		return fmt.Errorf("storage is %s, not a persistent id", typeName(v))
	}
	id, ok := p.pid.(tuple)
	if !ok || len(id) != 5 || id[0] != "storage" {
		return fmt.Errorf("storage's persistent id is %s, not ('storage', class, key, location, numel)", typeName(p.pid))
	}
	if err := refused(id[1]); err != nil {
		return err
	}
	g, ok := id[1].(*global)
	if !ok {
		return fmt.Errorf("storage class is %s, not a global", typeName(id[1]))
	}
	st, ok := storageTypes[g.String()]
	if !ok {
		return fmt.Errorf("storage class %s is not a storage", g)
	}
	key, ok := id[2].(string)
	if !ok {
		return fmt.Errorf("storage key is %s, not a str", typeName(id[2]))
	}
	numel, ok := id[4].(int64)
	if !ok || numel < 0 {
		return fmt.Errorf("storage size is %s, not an int >= 0", describe(id[4]))
	}
	t.dtype, t.esize, t.key, t.numel = st.dtype, st.size, key, uint64(numel)
	return nil
}

func describe(v any) string {
	if n, ok := v.(int64); ok {
		return fmt.Sprint(n)
	}
	return typeName(v)
}

// intTuple returns the ints >= 0 of a size or stride tuple.
func intTuple(v any, what string) ([]int64, error) {
	t, ok := v.(tuple)
	if !ok {
		return nil, fmt.Errorf("%s is %s, not a tuple", what, typeName(v))
	}
	if len(t) > maxDims {
		return nil, fmt.Errorf("%s has %d dimensions, over the limit of %d", what, len(t), maxDims)
	}
	out := make([]int64, len(t))
	for i, x := range t {
		n, ok := x.(int64)
		if !ok || n < 0 {
			return nil, fmt.Errorf("%s has %s, not an int >= 0", what, describe(x))
		}
		out[i] = n
	}
	return out, nil
}

// storage reads and checks the zip entry of storage key.
func (a *archive) storage(t view) ([]byte, error) {
	if b, ok := a.storages[t.key]; ok {
		if uint64(len(b)) != t.numel*uint64(t.esize) {
			return nil, fmt.Errorf("storage %s is used with two different sizes", t.key)
		}
		return b, nil
	}
	hi, n := bits.Mul64(t.numel, uint64(t.esize))
	if hi != 0 {
		return nil, fmt.Errorf("storage %s: size overflows", t.key)
	}
	name := a.prefix + "/data/" + t.key
	f, ok := a.entries[name]
	if !ok {
		return nil, fmt.Errorf("the zip archive has no %s for its storage", name)
	}
	if f.UncompressedSize64 != n {
		return nil, fmt.Errorf("%s has %d bytes, but the pickle says %d elements of %s (%d bytes)", name, f.UncompressedSize64, t.numel, t.dtype, n)
	}
	b, err := a.readEntry(name, n)
	if err != nil {
		return nil, err
	}
	a.storages[t.key] = b
	return b, nil
}

// gather copies the view t out of its storage in row-major order. If the
// storage has no other user and t is all of it, contiguous, it is returned
// as it is. budget is the number of output bytes left.
func (a *archive) gather(t view, sole bool, budget *uint64) ([]byte, error) {
	numel := uint64(1)
	last := uint64(0) // the largest element index the view reaches, less offset
	for i, d := range t.shape {
		hi, lo := bits.Mul64(numel, uint64(d))
		if hi != 0 {
			return nil, fmt.Errorf("size %v: element count overflows", t.shape)
		}
		numel = lo
		if d > 0 {
			hi, lo = bits.Mul64(uint64(d-1), t.stride[i])
			var carry uint64
			last, carry = bits.Add64(last, lo, 0)
			if hi != 0 || carry != 0 {
				return nil, fmt.Errorf("size %v with stride %v overflows", t.shape, t.stride)
			}
		}
	}
	hi, nbytes := bits.Mul64(numel, uint64(t.esize))
	if hi != 0 || nbytes > *budget {
		return nil, fmt.Errorf("size %v of %s is too large for a file of %d bytes", t.shape, t.dtype, a.size)
	}
	if numel > 0 {
		end, carry := bits.Add64(t.offset, last, 0)
		if carry != 0 || end >= t.numel {
			return nil, fmt.Errorf("size %v, stride %v and offset %d reach past its storage %s of %d elements", t.shape, t.stride, t.offset, t.key, t.numel)
		}
	}
	src, err := a.storage(t)
	if err != nil {
		return nil, err
	}
	*budget -= nbytes
	if numel == 0 {
		return []byte{}, nil
	}
	dst := a.copyView(t, src, numel, nbytes, sole)
	if !a.little {
		swap(dst, t.esize)
	}
	return dst, nil
}

// copyView returns the elements of t, of which there are numel, in
// nbytes, in row-major order. If the storage src has no other user and t is
// all of it, contiguous, it returns src itself.
func (a *archive) copyView(t view, src []byte, numel, nbytes uint64, sole bool) []byte {
	es := uint64(t.esize)
	if contiguous(t.shape, t.stride) {
		run := src[t.offset*es : (t.offset+numel)*es]
		if sole && len(run) == len(src) {
			return src
		}
		return append([]byte(nil), run...)
	}
	dst := make([]byte, 0, nbytes)
	// Walk the indices in row-major order, copying runs along the last
	// dimension when its stride is 1.
	nd := len(t.shape)
	inner, innerStride := uint64(t.shape[nd-1]), t.stride[nd-1]
	idx := make([]int, nd-1)
	pos := t.offset
	for {
		if innerStride == 1 {
			dst = append(dst, src[pos*es:(pos+inner)*es]...)
		} else {
			for j, p := uint64(0), pos; j < inner; j, p = j+1, p+innerStride {
				dst = append(dst, src[p*es:(p+1)*es]...)
			}
		}
		// Advance the outer indices like an odometer.
		d := nd - 2
		for ; d >= 0; d-- {
			idx[d]++
			pos += t.stride[d]
			if idx[d] < t.shape[d] {
				break
			}
			pos -= uint64(idx[d]) * t.stride[d]
			idx[d] = 0
		}
		if d < 0 {
			return dst
		}
	}
}

// contiguous reports whether stride is the row-major stride of shape,
// ignoring dimensions of size 1 (whose stride does not matter).
func contiguous(shape []int, stride []uint64) bool {
	want := uint64(1)
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] != 1 && stride[i] != want {
			return false
		}
		want *= uint64(shape[i])
	}
	return true
}

// swap reverses the bytes of each size-byte element of b.
func swap(b []byte, size int) {
	if size == 1 {
		return
	}
	for i := 0; i+size <= len(b); i += size {
		e := b[i : i+size]
		for j, k := 0, size-1; j < k; j, k = j+1, k-1 {
			e[j], e[k] = e[k], e[j]
		}
	}
}
