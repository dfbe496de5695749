package safetensors

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// le64 returns n as 8 little-endian bytes.
func le64(n uint64) []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(n >> (8 * i))
	}
	return b
}

// rawFile builds a file from a header and a data section.
func rawFile(header string, data []byte) []byte {
	return append(append(le64(uint64(len(header))), header...), data...)
}

// equalFiles reports whether a and b hold the same metadata, names and
// tensors, treating nil and empty slices alike.
func equalFiles(a, b *File) bool {
	if (a.Metadata == nil) != (b.Metadata == nil) || !maps.Equal(a.Metadata, b.Metadata) {
		return false
	}
	if !slices.Equal(a.Names, b.Names) || len(a.Tensors) != len(b.Tensors) {
		return false
	}
	for name, ta := range a.Tensors {
		tb, ok := b.Tensors[name]
		if !ok || ta.DType != tb.DType || !slices.Equal(ta.Shape, tb.Shape) || !bytes.Equal(ta.Data, tb.Data) {
			return false
		}
	}
	return true
}

func sampleFile() *File {
	return &File{
		Metadata: map[string]string{"format": "pt", "note": `<a & "b">`},
		Names:    []string{"w", "empty", "scalar", "idx", "iscalar"},
		Tensors: map[string]Tensor{
			"w":       FromFloat32s([]int{2, 3}, []float32{1, -2, 3.5, float32(math.Inf(1)), 0, float32(math.NaN())}),
			"empty":   FromFloat32s([]int{0, 5}, nil),
			"scalar":  FromFloat32s([]int{}, []float32{42}),
			"idx":     FromInt64s([]int{4}, []int64{0, -1, math.MaxInt64, math.MinInt64}),
			"iscalar": FromInt64s(nil, []int64{7}),
		},
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		file *File
	}{
		{"mixed F32 and I64 with metadata", sampleFile()},
		{"no tensors", &File{Tensors: map[string]Tensor{}}},
		{"empty metadata", &File{Metadata: map[string]string{}, Tensors: map[string]Tensor{}}},
		{"scalar F32", &File{Names: []string{"s"}, Tensors: map[string]Tensor{"s": FromFloat32s(nil, []float32{-1.25})}}},
		{"zero-size I64", &File{Names: []string{"z"}, Tensors: map[string]Tensor{"z": FromInt64s([]int{3, 0}, []int64{})}}},
		{"nil Names sorts by name", &File{Tensors: map[string]Tensor{
			"b": FromInt64s([]int{1}, []int64{2}),
			"a": FromFloat32s([]int{1}, []float32{1}),
		}}},
		{"raw dtypes", &File{Names: []string{"u8", "bf16", "f64", "f4"}, Tensors: map[string]Tensor{
			"u8":   {DType: "U8", Shape: []int{3}, Data: []byte{1, 2, 3}},
			"bf16": {DType: "BF16", Shape: []int{2}, Data: []byte{1, 2, 3, 4}},
			"f64":  {DType: "F64", Shape: []int{1}, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8}},
			"f4":   {DType: "F4", Shape: []int{2, 2}, Data: []byte{0x12, 0x34}},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.file
			if want.Names == nil {
				want = &File{Metadata: want.Metadata, Names: slices.Sorted(maps.Keys(want.Tensors)), Tensors: want.Tensors}
			}
			var buf bytes.Buffer
			if err := Encode(&buf, tt.file); err != nil {
				t.Fatalf("Encode: %v", err)
			}
			b := buf.Bytes()
			n := int(le64ToUint(b[:8]))
			if n%8 != 0 {
				t.Errorf("header length %d is not a multiple of 8", n)
			}
			if h := string(b[8 : 8+n]); strings.TrimRight(h, " ") != strings.TrimSpace(h) || !strings.HasSuffix(strings.TrimRight(h, " "), "}") {
				t.Errorf("header %q is not a JSON object padded with trailing spaces", h)
			}

			path := filepath.Join(t.TempDir(), "x.safetensors")
			if err := WriteFile(path, tt.file); err != nil {
				t.Fatalf("WriteFile: %v", err)
			}
			if onDisk, err := os.ReadFile(path); err != nil || !bytes.Equal(onDisk, b) {
				t.Errorf("WriteFile wrote other bytes than Encode (read error %v)", err)
			}

			readers := map[string]func() (*File, error){
				"Parse":    func() (*File, error) { return Parse(b) },
				"Decode":   func() (*File, error) { return Decode(bytes.NewReader(b), int64(len(b))) },
				"ReadFile": func() (*File, error) { return ReadFile(path) },
			}
			for name, read := range readers {
				got, err := read()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if !equalFiles(got, want) {
					t.Errorf("%s = %+v, want %+v", name, got, want)
				}
			}
		})
	}
}

func le64ToUint(b []byte) uint64 {
	var n uint64
	for i := 7; i >= 0; i-- {
		n = n<<8 | uint64(b[i])
	}
	return n
}

func TestTensorValues(t *testing.T) {
	f := sampleFile()
	w, err := f.Tensors["w"].Float32s()
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, -2, 3.5, float32(math.Inf(1)), 0, float32(math.NaN())}
	for i := range want {
		if math.Float32bits(w[i]) != math.Float32bits(want[i]) {
			t.Errorf("w[%d] = %v, want %v", i, w[i], want[i])
		}
	}
	idx, err := f.Tensors["idx"].Int64s()
	if err != nil || !slices.Equal(idx, []int64{0, -1, math.MaxInt64, math.MinInt64}) {
		t.Errorf("Int64s = %v, %v", idx, err)
	}
	if v, err := f.Tensors["empty"].Float32s(); err != nil || len(v) != 0 {
		t.Errorf("empty Float32s = %v, %v", v, err)
	}

	bad := []struct {
		name string
		call func() error
		want string
	}{
		{"Float32s of I64", func() error { _, err := f.Tensors["idx"].Float32s(); return err }, `dtype "I64", not "F32"`},
		{"Int64s of F32", func() error { _, err := f.Tensors["w"].Int64s(); return err }, `dtype "F32", not "I64"`},
		{"Float32s of odd length", func() error { _, err := Tensor{DType: "F32", Data: make([]byte, 5)}.Float32s(); return err }, "not a multiple of 4"},
		{"Int64s of odd length", func() error { _, err := Tensor{DType: "I64", Data: make([]byte, 4)}.Int64s(); return err }, "not a multiple of 8"},
	}
	for _, tt := range bad {
		if err := tt.call(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tt.name, err, tt.want)
		}
	}
}

func TestFromPanics(t *testing.T) {
	tests := []struct {
		name string
		call func()
		want string
	}{
		{"count mismatch", func() { FromFloat32s([]int{2, 2}, []float32{1}) }, "4 elements, but 1 values"},
		{"negative dim", func() { FromInt64s([]int{-1}, nil) }, "negative dimension"},
		{"scalar needs one value", func() { FromInt64s(nil, nil) }, "1 elements, but 0 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tt.want) {
					t.Errorf("panic %v, want one mentioning %q", r, tt.want)
				}
			}()
			tt.call()
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name     string
		file     []byte
		names    []string
		metadata map[string]string
	}{
		{"white space and padding", rawFile("{ \"a\" : { \"data_offsets\" : [ 0 ,\n 8 ] , \"shape\" : [ 1 , 2 ] , \"dtype\" : \"F32\" } }\t\n   ", make([]byte, 8)), []string{"a"}, nil},
		{"JSON order differs from offset order", rawFile(`{"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{1, 2}), []string{"a", "b"}, nil},
		{"zero-size tensors at one offset order by name", rawFile(`{"z":{"dtype":"I64","shape":[0],"data_offsets":[0,0]},"y":{"dtype":"F32","shape":[2,0],"data_offsets":[0,0]},"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{9}), []string{"y", "z", "x"}, nil},
		{"null metadata", rawFile(`{"__metadata__":null}`, nil), nil, nil},
		{"metadata after tensors", rawFile(`{"a":{"dtype":"BOOL","shape":[],"data_offsets":[0,1]},"__metadata__":{"k":"v\u00e9"}}`, []byte{1}), []string{"a"}, map[string]string{"k": "vé"}},
		{"zero dimension with huge others", rawFile(`{"a":{"dtype":"F64","shape":[0,9223372036854775807,9223372036854775807],"data_offsets":[0,0]}}`, nil), []string{"a"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.Names, tt.names) || !maps.Equal(f.Metadata, tt.metadata) || (f.Metadata == nil) != (tt.metadata == nil) {
				t.Errorf("Names %q, Metadata %q; want %q, %q", f.Names, f.Metadata, tt.names, tt.metadata)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	f32 := func(name, shape, offsets string) string {
		return `"` + name + `":{"dtype":"F32","shape":` + shape + `,"data_offsets":` + offsets + `}`
	}
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty file", nil, "0 bytes, shorter than the 8-byte header length"},
		{"7 bytes", make([]byte, 7), "7 bytes, shorter than the 8-byte header length"},
		{"header over limit", append(le64(MaxHeaderSize+1), "{}"...), "exceeds the limit"},
		{"header length max uint64", le64(math.MaxUint64), "exceeds the limit"},
		{"header past end of file", append(le64(100), "{}"...), "header length 100 is larger than the 2 bytes"},
		{"empty header", rawFile("", nil), "does not start with '{'"},
		{"header starts with space", rawFile(" {}", nil), "does not start with '{'"},
		{"header not an object", rawFile("[]", nil), "does not start with '{'"},
		{"header not UTF-8", rawFile("{\"\xff\":1}", nil), "not valid UTF-8"},
		{"truncated JSON", rawFile(`{"a":{"dtype":"F32"`, nil), "invalid JSON: unexpected EOF"},
		{"unclosed object", rawFile(`{"__metadata__":{}`, nil), "invalid JSON: unexpected EOF"},
		{"trailing comma", rawFile(`{"__metadata__":{},}`, nil), "invalid JSON"},
		{"missing colon", rawFile(`{"a" 1}`, nil), "invalid JSON"},
		{"garbage after object", rawFile(`{}x`, nil), "invalid JSON"},
		{"two objects", rawFile(`{}{}`, nil), "after the object"},
		{"entry not an object", rawFile(`{"a":[1]}`, nil), `tensor "a": header entry is not a JSON object`},
		{"entry null", rawFile(`{"a":null}`, nil), `tensor "a": header entry is not a JSON object`},
		{"unknown field", rawFile(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"offsets":[0,4]}}`, make([]byte, 4)), `unknown field "offsets"`},
		{"field name case", rawFile(`{"a":{"DTYPE":"F32","shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)), `unknown field "DTYPE"`},
		{"duplicate field", rawFile(`{"a":{"dtype":"F32","dtype":"F32","shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)), `duplicate key "dtype"`},
		{"missing dtype", rawFile(`{"a":{"shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)), `missing field "dtype"`},
		{"missing shape", rawFile(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, make([]byte, 4)), `missing field "shape"`},
		{"missing data_offsets", rawFile(`{"a":{"dtype":"F32","shape":[]}}`, make([]byte, 4)), `missing field "data_offsets"`},
		{"dtype not a string", rawFile(`{"a":{"dtype":32,"shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)), "dtype is not a string"},
		{"unknown dtype", rawFile(`{"a":{"dtype":"F128","shape":[],"data_offsets":[0,16]}}`, make([]byte, 16)), `unknown dtype "F128"`},
		{"sub-byte dtype not whole bytes", rawFile(`{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}`, make([]byte, 2)), "not a whole number of bytes"},
		{"negative dimension", rawFile("{"+f32("a", "[-1]", "[0,4]")+"}", make([]byte, 4)), "negative dimension -1"},
		{"fractional dimension", rawFile("{"+f32("a", "[1.5]", "[0,4]")+"}", make([]byte, 4)), "shape element 1.5 is not an integer"},
		{"exponent dimension", rawFile("{"+f32("a", "[1e0]", "[0,4]")+"}", make([]byte, 4)), "shape element 1e0 is not an integer"},
		{"string dimension", rawFile("{"+f32("a", `["1"]`, "[0,4]")+"}", make([]byte, 4)), `shape element "1" is not an integer`},
		{"huge dimension", rawFile("{"+f32("a", "[100000000000000000000]", "[0,4]")+"}", make([]byte, 4)), "out of range"},
		{"shape not an array", rawFile("{"+f32("a", "1", "[0,4]")+"}", make([]byte, 4)), "shape is not an array"},
		{"data_offsets three values", rawFile("{"+f32("a", "[1]", "[0,4,8]")+"}", make([]byte, 4)), "data_offsets has 3 elements"},
		{"data_offsets one value", rawFile("{"+f32("a", "[1]", "[4]")+"}", make([]byte, 4)), "data_offsets has 1 elements"},
		{"data_offsets not an array", rawFile("{"+f32("a", "[1]", `{"0":4}`)+"}", make([]byte, 4)), "data_offsets is not an array"},
		{"negative offset", rawFile("{"+f32("a", "[1]", "[-4,0]")+"}", make([]byte, 4)), "data_offsets value -4 is out of range"},
		{"begin after end", rawFile("{"+f32("a", "[1]", "[4,0]")+"}", make([]byte, 4)), "[4, 0] begin after they end"},
		{"past data section", rawFile("{"+f32("a", "[2]", "[0,8]")+"}", make([]byte, 4)), "extend past the end of the 4-byte data section"},
		{"huge end offset", rawFile("{"+f32("a", "[2]", "[0,18446744073709551615]")+"}", make([]byte, 4)), "extend past the end"},
		{"length mismatch", rawFile("{"+f32("a", "[2]", "[0,4]")+"}", make([]byte, 4)), "hold 4 bytes, but shape [2] of F32 needs 8"},
		{"element count overflow", rawFile("{"+f32("a", "[4294967296,4294967296,2]", "[0,4]")+"}", make([]byte, 4)), "element count overflows"},
		{"byte size overflow", rawFile("{"+f32("a", "[4611686018427387904]", "[0,4]")+"}", make([]byte, 4)), "byte size overflows"},
		{"gap at start", rawFile("{"+f32("a", "[1]", "[4,8]")+"}", make([]byte, 8)), `tensor "a": data_offsets [4, 8] leave a gap at bytes [0, 4]`},
		{"gap between", rawFile("{"+f32("a", "[1]", "[0,4]")+","+f32("b", "[1]", "[8,12]")+"}", make([]byte, 12)), `tensor "b": data_offsets [8, 12] leave a gap`},
		{"overlap", rawFile("{"+f32("a", "[2]", "[0,8]")+","+f32("b", "[2]", "[4,12]")+"}", make([]byte, 12)), `tensor "b": data_offsets [4, 12] overlap tensor "a"`},
		{"same range twice", rawFile("{"+f32("a", "[1]", "[0,4]")+","+f32("b", "[1]", "[0,4]")+"}", make([]byte, 4)), `overlap tensor "a"`},
		{"trailing data", rawFile("{"+f32("a", "[1]", "[0,4]")+"}", make([]byte, 8)), "tensors cover 4 bytes, but the data section is 8 bytes"},
		{"data but no tensors", rawFile("{}", make([]byte, 1)), "tensors cover 0 bytes, but the data section is 1 bytes"},
		{"duplicate tensor", rawFile("{"+f32("a", "[1]", "[0,4]")+","+f32("a", "[1]", "[4,8]")+"}", make([]byte, 8)), `duplicate key "a"`},
		{"metadata value not a string", rawFile(`{"__metadata__":{"k":1}}`, nil), `__metadata__: value of key "k" is not a string`},
		{"metadata not an object", rawFile(`{"__metadata__":"x"}`, nil), "__metadata__ is not a JSON object"},
		{"metadata duplicate key", rawFile(`{"__metadata__":{"k":"a","k":"b"}}`, nil), `duplicate key "k"`},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.Repeat("x", i+1)+".safetensors")
			if err := os.WriteFile(path, tt.file, 0o644); err != nil {
				t.Fatal(err)
			}
			readers := []struct {
				name   string
				prefix string
				read   func() (*File, error)
			}{
				{"Parse", "safetensors: ", func() (*File, error) { return Parse(tt.file) }},
				{"Decode", "safetensors: ", func() (*File, error) { return Decode(bytes.NewReader(tt.file), int64(len(tt.file))) }},
				{"ReadFile", "safetensors: " + path + ": ", func() (*File, error) { return ReadFile(path) }},
			}
			for _, r := range readers {
				f, err := r.read()
				if err == nil {
					t.Errorf("%s succeeded with %+v, want an error mentioning %q", r.name, f, tt.want)
					continue
				}
				if msg := err.Error(); !strings.HasPrefix(msg, r.prefix) || !strings.Contains(msg, tt.want) {
					t.Errorf("%s error %q, want prefix %q and mention of %q", r.name, msg, r.prefix, tt.want)
				}
			}
		})
	}
}

// failReader fails every read.
type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("data was read") }

func TestDecodeChecksBeforeReading(t *testing.T) {
	// A header length at the limit but past the claimed size must be
	// rejected without allocating a buffer for it.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Decode(bytes.NewReader(le64(MaxHeaderSize)), 16)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "larger than the 8 bytes") {
		t.Errorf("Decode error %v, want one about the header length", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("Decode allocated %d bytes before rejecting the header length", grew)
	}

	// Offsets past the data section must be rejected before any data read.
	head := rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, nil)
	_, err = Decode(io.MultiReader(bytes.NewReader(head), failReader{}), int64(len(head)+4))
	if err == nil || !strings.Contains(err.Error(), "extend past the end") {
		t.Errorf("Decode error %v, want one about data_offsets", err)
	}

	// A valid header whose data cannot be read names the tensor.
	_, err = Decode(io.MultiReader(bytes.NewReader(head), failReader{}), int64(len(head)+8))
	if err == nil || !strings.Contains(err.Error(), `reading data of tensor "a": data was read`) {
		t.Errorf("Decode error %v, want a read error naming the tensor", err)
	}

	// A reader shorter than the size it claims.
	_, err = Decode(bytes.NewReader(head), int64(len(head)+8))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Decode of truncated input: error %v, want io.ErrUnexpectedEOF", err)
	}
	_, err = Decode(bytes.NewReader(head[:10]), int64(len(head)+8))
	if err == nil || !strings.Contains(err.Error(), "reading header: unexpected EOF") {
		t.Errorf("Decode of truncated header: error %v", err)
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.safetensors")
	_, err := ReadFile(missing)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "safetensors: "+missing+": ") {
		t.Errorf("ReadFile of missing file: error %v", err)
	}
	_, err = ReadFile(dir)
	if err == nil || err.Error() != "safetensors: "+dir+": not a regular file" {
		t.Errorf("ReadFile of a directory: error %v", err)
	}
}

func TestEncodeErrors(t *testing.T) {
	one := FromFloat32s([]int{1}, []float32{1})
	tests := []struct {
		name string
		file *File
		want string
	}{
		{"nil file", nil, "nil *File"},
		{"name not in Tensors", &File{Names: []string{"a", "b"}, Tensors: map[string]Tensor{"a": one}}, `Names lists "b", which is not in Tensors`},
		{"name twice", &File{Names: []string{"a", "a"}, Tensors: map[string]Tensor{"a": one}}, `Names lists "a" twice`},
		{"tensor not in Names", &File{Names: []string{"a"}, Tensors: map[string]Tensor{"a": one, "b": one}}, `tensor "b" is not listed in Names`},
		{"empty Names", &File{Names: []string{}, Tensors: map[string]Tensor{"a": one}}, `tensor "a" is not listed in Names`},
		{"reserved name", &File{Tensors: map[string]Tensor{"__metadata__": one}}, "reserved"},
		{"name not UTF-8", &File{Tensors: map[string]Tensor{"\xff": one}}, "not valid UTF-8"},
		{"metadata not UTF-8", &File{Metadata: map[string]string{"k": "\xff"}}, "not valid UTF-8"},
		{"unknown dtype", &File{Tensors: map[string]Tensor{"a": {DType: "X", Data: []byte{1}}}}, `tensor "a": unknown dtype "X"`},
		{"negative dim", &File{Tensors: map[string]Tensor{"a": {DType: "U8", Shape: []int{-1}}}}, "negative dimension"},
		{"data length", &File{Tensors: map[string]Tensor{"a": {DType: "F32", Shape: []int{2}, Data: make([]byte, 4)}}}, `tensor "a": has 4 data bytes, but shape [2] of F32 needs 8`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Encode(&buf, tt.file)
			if err == nil || !strings.HasPrefix(err.Error(), "safetensors: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Encode error %v, want one mentioning %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("Encode wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

// dirNames returns the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFile(t *testing.T) {
	t.Run("success and overwrite", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "m.safetensors")
		for _, f := range []*File{sampleFile(), {Tensors: map[string]Tensor{"x": FromInt64s(nil, []int64{1})}}} {
			if err := WriteFile(path, f); err != nil {
				t.Fatal(err)
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{"m.safetensors"}) {
				t.Errorf("directory holds %q, want only the file", names)
			}
			want := f.Names
			if want == nil {
				want = slices.Sorted(maps.Keys(f.Tensors))
			}
			got, err := ReadFile(path)
			if err != nil || !equalFiles(got, &File{Metadata: f.Metadata, Names: want, Tensors: f.Tensors}) {
				t.Errorf("ReadFile = %+v, %v", got, err)
			}
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("file mode %v, %v; want 0644", fi.Mode(), err)
		}
	})

	failures := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the path to write
		file  *File
		want  string
	}{
		{"path is a directory", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "d")
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			return p
		}, sampleFile(), "rename"},
		{"directory missing", func(t *testing.T, dir string) string {
			return filepath.Join(dir, "no", "m.safetensors")
		}, sampleFile(), "no such file or directory"},
		{"folder is a file", func(t *testing.T, dir string) string {
			// A failure to create the temporary file, for any user (a
			// read-only folder does not stop root).
			p := filepath.Join(dir, "plain")
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(p, "m.safetensors")
		}, sampleFile(), "not a directory"},
		{"invalid file keeps the old one", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "m.safetensors")
			if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}, &File{Names: []string{"gone"}}, `Names lists "gone"`},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.setup(t, dir)
			before := dirNames(t, dir)
			err := WriteFile(path, tt.file)
			if err == nil || !strings.HasPrefix(err.Error(), "safetensors: "+path+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("WriteFile error %v, want one naming the path and mentioning %q", err, tt.want)
			}
			if after := dirNames(t, dir); !slices.Equal(before, after) {
				t.Errorf("directory held %q before and %q after: a temporary file was left", before, after)
			}
			if b, err := os.ReadFile(path); err == nil && len(b) > 0 && string(b) != "old" {
				t.Errorf("file at path was changed to %q", b)
			}
		})
	}
}

// referenceFile returns the path of the project's PyTorch reference file
// testdata/ops.safetensors at the module root (found by walking up to
// go.mod), or fails the test if there is none. (internal/testref does the
// same for other packages; it imports this one, so it cannot be used here.)
func referenceFile(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			ref := filepath.Join(dir, "testdata", "ops.safetensors")
			if _, err := os.Stat(ref); err != nil {
				t.Fatalf("reference file %s missing: regenerate it with /usr/bin/python3 testdata/make_reference.py", ref)
			}
			return ref
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory: cannot find testdata/ops.safetensors")
		}
		dir = parent
	}
}

func TestReferenceFile(t *testing.T) {
	path := referenceFile(t)
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name  string
		dtype string
		shape []int
	}{
		{"conv.c1.x", "F32", []int{2, 1, 28, 28}},
		{"conv.c1.w", "F32", []int{6, 1, 5, 5}},
		{"xent.target", "I64", []int{6}},
		{"xent.loss", "F32", []int{1}},
	}
	for _, c := range checks {
		tn, ok := f.Tensors[c.name]
		if !ok {
			t.Errorf("no tensor %q", c.name)
			continue
		}
		if tn.DType != c.dtype || !slices.Equal(tn.Shape, c.shape) {
			t.Errorf("%s: %s %v, want %s %v", c.name, tn.DType, tn.Shape, c.dtype, c.shape)
		}
	}
	if len(f.Names) != len(f.Tensors) || f.Names[0] != "conv.c1.x" {
		t.Errorf("Names has %d entries starting %q; want %d starting with conv.c1.x", len(f.Names), f.Names[0], len(f.Tensors))
	}
	if got := f.Metadata["xent"]; got != "mean reduction" {
		t.Errorf(`Metadata["xent"] = %q`, got)
	}
	target, err := f.Tensors["xent.target"].Int64s()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range target {
		if c < 0 || c >= 10 {
			t.Errorf("xent.target holds class %d, outside [0, 10)", c)
		}
	}
	x, err := f.Tensors["conv.c1.x"].Float32s()
	if err != nil || len(x) != 2*28*28 {
		t.Errorf("conv.c1.x Float32s: %d values, %v", len(x), err)
	}

	var buf bytes.Buffer
	if err := Encode(&buf, f); err != nil {
		t.Fatal(err)
	}
	again, err := Parse(buf.Bytes())
	if err != nil || !equalFiles(f, again) {
		t.Errorf("re-encoding the reference file does not round-trip (error %v)", err)
	}
}
