package pb

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// same is reflect.DeepEqual, except that floats are equal when their bits
// are (NaNs included, 0 and -0 not).
func same(x, y any) bool { return sameValue(reflect.ValueOf(x), reflect.ValueOf(y)) }

func sameValue(x, y reflect.Value) bool {
	if x.IsValid() != y.IsValid() || x.Type() != y.Type() {
		return false
	}
	switch x.Kind() {
	case reflect.Pointer:
		if x.IsNil() || y.IsNil() {
			return x.IsNil() == y.IsNil()
		}
		return sameValue(x.Elem(), y.Elem())
	case reflect.Slice:
		if x.IsNil() != y.IsNil() || x.Len() != y.Len() {
			return false
		}
		for i := range x.Len() {
			if !sameValue(x.Index(i), y.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := range x.NumField() {
			if !sameValue(x.Field(i), y.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Float32:
		return math.Float32bits(x.Interface().(float32)) == math.Float32bits(y.Interface().(float32))
	case reflect.Float64:
		return math.Float64bits(x.Float()) == math.Float64bits(y.Float())
	}
	return x.Equal(y)
}

// fullModel is a model with every field set, each attribute type once.
func fullModel() *Model {
	tensor := &Tensor{
		Dims: []int64{2, 3}, DataType: Float,
		FloatData: []float32{1, -2, 0, float32(math.Inf(1)), 5e-40, -0.5},
		Int32Data: []int32{-1, 7}, StringData: [][]byte{[]byte("s"), nil},
		Int64Data: []int64{-1 << 40, 3}, Name: "w", RawData: []byte{1, 2, 3},
		DoubleData: []float64{1.5, math.MaxFloat64}, Uint64Data: []uint64{math.MaxUint64, 0},
		DocString: "doc", External: []StringEntry{{"location", "w.bin"}, {"", "v"}}, DataLocation: 1,
	}
	sub := &Graph{Name: "body", Node: []*Node{{OpType: "Identity", Input: []string{"a"}, Output: []string{"b"}}}}
	return &Model{
		IRVersion: 8, ProducerName: "convnet", ProducerVersion: "1", Domain: "d", ModelVersion: -2, DocString: "model",
		OpsetImport:   []OpsetID{{"", 17}, {"ai.onnx.ml", 3}},
		MetadataProps: []StringEntry{{"k", "v"}, {"k2", ""}},
		Graph: &Graph{
			Name: "g", DocString: "graph",
			Initializer: []*Tensor{tensor, {Name: "scalar", DataType: Int64, Int64Data: []int64{4}}},
			Node: []*Node{{
				Input: []string{"x", "", "w"}, Output: []string{"y"}, Name: "n", OpType: "Op", DocString: "node", Domain: "dom",
				Attribute: []*Attribute{
					{Name: "f", Type: AttrFloat},
					{Name: "f2", Type: AttrFloat, F: float32(math.NaN())},
					{Name: "i", Type: AttrInt},
					{Name: "i2", Type: AttrInt, I: -5, DocString: "attr"},
					{Name: "s", Type: AttrString, S: []byte("str")},
					{Name: "t", Type: AttrTensor, T: tensor},
					{Name: "g", Type: AttrGraph, G: sub},
					{Name: "fs", Type: AttrFloats, Floats: []float32{1, 2}},
					{Name: "is", Type: AttrInts, Ints: []int64{-1, 0, 1 << 62}},
					{Name: "ss", Type: AttrStrings, Strings: [][]byte{[]byte("a"), nil}},
					{Name: "ts", Type: AttrTensors, Tensors: []*Tensor{{}, tensor}},
					{Name: "gs", Type: AttrGraphs, Graphs: []*Graph{sub, {}}},
					{Name: "ref", Type: AttrInt, RefAttrName: "outer"},
					{Name: "old", F: 1, I: 2, S: []byte("3"), T: &Tensor{}, G: &Graph{}, Floats: []float32{4}, Ints: []int64{5},
						Strings: [][]byte{[]byte("6")}, Tensors: []*Tensor{{}}, Graphs: []*Graph{{}}},
				},
			}},
			Input: []*ValueInfo{
				{Name: "x", DocString: "in", Type: &Type{ElemType: Float, HasShape: true, Shape: []Dim{{Param: "batch"}, {Value: 3}, {Value: 0}}}},
				{Name: "scalar", Type: &Type{ElemType: Int64, HasShape: true}},
				{Name: "unranked", Type: &Type{ElemType: Float}},
			},
			Output:    []*ValueInfo{{Name: "y", Type: &Type{NotTensor: true, Other: []byte{0x22, 0x02, 0x0a, 0x00}}}},
			ValueInfo: []*ValueInfo{{Name: "untyped"}, {Name: "empty", Type: &Type{}}},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range []*Model{fullModel(), {}, {Graph: &Graph{}}} {
		b := Marshal(m)
		got, err := Unmarshal(b, DefaultLimits)
		if err != nil {
			t.Fatalf("Unmarshal(Marshal(m)): %v", err)
		}
		if !same(got, m) {
			t.Errorf("round trip differs:\n got %+v\nwant %+v", got, m)
		}
		if b2 := Marshal(got); !bytes.Equal(b, b2) {
			t.Errorf("Marshal is not deterministic")
		}
	}
	tensor := fullModel().Graph.Initializer[0]
	got, err := UnmarshalTensor(MarshalTensor(tensor), DefaultLimits)
	if err != nil || !same(got, tensor) {
		t.Errorf("tensor round trip: %v\n got %+v\nwant %+v", err, got, tensor)
	}
}

// TestWireFormat checks Marshal's bytes for what ONNX needs present.
func TestWireFormat(t *testing.T) {
	for _, c := range []struct {
		name string
		m    *Model
		want []byte
	}{
		{"nil", nil, nil},
		{"zero ir_version omitted", &Model{IRVersion: 0, ModelVersion: 1}, []byte{0x28, 1}},
		{"int attribute 0", &Model{Graph: &Graph{Node: []*Node{{Attribute: []*Attribute{{Type: AttrInt, F: 9}}}}}},
			[]byte{0x3a, 9, 0x0a, 7, 0x2a, 5, 0x18, 0, 0xa0, 1, 2}},
		{"float attribute 0", &Model{Graph: &Graph{Node: []*Node{{Attribute: []*Attribute{{Type: AttrFloat, I: 9}}}}}},
			[]byte{0x3a, 12, 0x0a, 10, 0x2a, 8, 0x15, 0, 0, 0, 0, 0xa0, 1, 1}},
		{"data_type and packed dims", &Model{Graph: &Graph{Initializer: []*Tensor{{Dims: []int64{2, 300}}}}},
			[]byte{0x3a, 9, 0x2a, 7, 0x0a, 3, 2, 0xac, 2, 0x10, 0}},
		{"dim 0 and param", &Model{Graph: &Graph{Input: []*ValueInfo{{Type: &Type{Shape: []Dim{{}, {Param: "n"}}}}}}},
			[]byte{0x3a, 17, 0x5a, 15, 0x12, 13, 0x0a, 11, 0x12, 9, 0x0a, 2, 0x08, 0, 0x0a, 3, 0x12, 1, 'n'}},
	} {
		if got := Marshal(c.m); !bytes.Equal(got, c.want) {
			t.Errorf("%s: Marshal = % x, want % x", c.name, got, c.want)
		}
	}
}

// TestUnpacked reads repeated numbers written one by one, as proto2 does.
func TestUnpacked(t *testing.T) {
	var b []byte
	for _, d := range []int64{2, 3} {
		b = protowire.AppendVarint(protowire.AppendTag(b, 1, protowire.VarintType), uint64(d))
	}
	b = protowire.AppendVarint(protowire.AppendTag(b, 2, protowire.VarintType), Float)
	for _, f := range []float32{1, 2, 3} {
		b = protowire.AppendFixed32(protowire.AppendTag(b, 4, protowire.Fixed32Type), math.Float32bits(f))
	}
	b = append(protowire.AppendTag(b, 4, protowire.BytesType), 4, 0, 0, 0xc0, 0x40) // packed 6
	b = protowire.AppendFixed64(protowire.AppendTag(b, 10, protowire.Fixed64Type), math.Float64bits(0.5))
	b = protowire.AppendVarint(protowire.AppendTag(b, 5, protowire.VarintType), uint64(0xffffffffffffffff)) // int32 -1
	b = protowire.AppendVarint(protowire.AppendTag(b, 11, protowire.VarintType), 9)
	b = protowire.AppendVarint(protowire.AppendTag(b, 7, protowire.VarintType), 8)
	got, err := UnmarshalTensor(b, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	want := &Tensor{Dims: []int64{2, 3}, DataType: Float, FloatData: []float32{1, 2, 3, 6},
		DoubleData: []float64{0.5}, Int32Data: []int32{-1}, Uint64Data: []uint64{9}, Int64Data: []int64{8}}
	if !same(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// model encodes a model whose graph holds one node with one attribute,
// encoded as attr.
func model(attr []byte) []byte {
	node := protowire.AppendBytes(protowire.AppendTag(nil, 5, protowire.BytesType), attr)
	graph := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), node)
	return protowire.AppendBytes(protowire.AppendTag(nil, 7, protowire.BytesType), graph)
}

// nested is a model whose graph is depth graphs deep, through attribute g.
func nested(depth int) *Model {
	g := &Graph{Name: "leaf"}
	for range depth - 1 {
		g = &Graph{Node: []*Node{{Attribute: []*Attribute{{Type: AttrGraph, G: g}}}}}
	}
	return &Model{Graph: g}
}

func initializer(t *Tensor) []byte { return Marshal(&Model{Graph: &Graph{Initializer: []*Tensor{t}}}) }

func TestUnmarshalRefuses(t *testing.T) {
	big := Limits{MaxElements: math.MaxInt64}
	for _, c := range []struct {
		name string
		b    []byte
		lim  Limits
		want string // in the error
	}{
		{"wire type of graph", []byte{0x38, 1}, Limits{}, "model: bad wire type 0 for field graph (7)"},
		{"wire type of f", model([]byte{0x10, 1}), Limits{}, "model.graph.node[0].attribute[0]: bad wire type 0 for field f (2)"},
		{"wire type of ints", model([]byte{0x45, 0, 0, 0, 0}), Limits{}, "bad wire type 5 for field ints (8)"},
		{"wire type of name", []byte{0x15, 0, 0, 0, 0}, Limits{}, "bad wire type 5 for field producer_name (2)"},
		{"truncated bytes", []byte{0x3a, 5, 0}, Limits{}, "model: field 7: unexpected EOF"},
		{"truncated varint", []byte{0x08, 0x80}, Limits{}, "unexpected EOF"},
		{"field number 0", []byte{0x00, 1}, Limits{}, "model: bad tag: invalid field number"},
		{"end group", []byte{0x0c}, Limits{}, "model: field 1: mismatching end group marker"},
		{"reserved wire type", []byte{0x0e}, Limits{}, "model: field 1: cannot parse reserved wire type"},
		{"packed floats cut", model([]byte{0x3a, 3, 0, 0, 0}), Limits{}, "packed: 3 bytes are not a whole number of 4-byte values"},
		{"packed varint cut", model([]byte{0x42, 1, 0x80}), Limits{}, "model.graph.node[0].attribute[0]: field ints (8): packed: unexpected EOF"},
		{"too deep", Marshal(nested(17)), Limits{}, "graphs nested more than 16 deep"},
		{"too deep for the limit", Marshal(nested(3)), Limits{MaxDepth: 2}, "model.graph.node[0].attribute[0].g.node[0].attribute[0].g: graphs nested more than 2 deep"},
		{"too many dims", initializer(&Tensor{Dims: make([]int64, 9)}), Limits{}, "model.graph.initializer[0]: more than 8 dims"},
		{"negative dim", initializer(&Tensor{Dims: []int64{2, -1}}), Limits{}, "initializer[0].dims: dims[1] is -1, negative"},
		{"too many elements", initializer(&Tensor{Dims: []int64{1 << 16, 1 << 16}}), Limits{}, "dims [65536 65536] make more than 2147483648 elements"},
		{"huge dim with a 0", initializer(&Tensor{Dims: []int64{0, 1 << 40}}), Limits{}, "make more than"},
		{"product overflow", initializer(&Tensor{Dims: []int64{1 << 32, 1 << 32}}), big, "make more than 9223372036854775807"},
		{"product overflow by 3", initializer(&Tensor{Dims: []int64{3, 1 << 62}}), big, "make more than"},
		{"shape too long", Marshal(&Model{Graph: &Graph{Input: []*ValueInfo{{Type: &Type{Shape: make([]Dim, 9)}}}}}), Limits{},
			"model.graph.input[0].type.tensor_type.shape: more than 8 dims"},
		{"negative dim_value", Marshal(&Model{Graph: &Graph{Output: []*ValueInfo{{Type: &Type{Shape: []Dim{{Value: -1}}}}}}}), Limits{},
			"model.graph.output[0].type.tensor_type.shape.dim[0]: dim_value -1 is negative"},
	} {
		m, err := Unmarshal(c.b, c.lim)
		if err == nil || m != nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Unmarshal = %v, %v; want an error with %q", c.name, m, err, c.want)
		}
	}
	if _, err := Unmarshal(Marshal(nested(16)), DefaultLimits); err != nil {
		t.Errorf("16 graphs deep: %v", err)
	}
	if _, err := Unmarshal(initializer(&Tensor{Dims: []int64{1 << 31}}), DefaultLimits); err != nil {
		t.Errorf("1<<31 elements: %v", err)
	}
	if _, err := Unmarshal(initializer(&Tensor{Dims: []int64{1 << 32, 1 << 30}}), big); err != nil {
		t.Errorf("1<<62 elements under MaxInt64: %v", err)
	}
}

// TestTruncated decodes every prefix of the seed models: each must give
// an error or a model, and never panic.
func TestTruncated(t *testing.T) {
	for _, b := range append(seeds(t), Marshal(fullModel())) {
		for n := range len(b) {
			if m, err := Unmarshal(b[:n], DefaultLimits); (m == nil) == (err == nil) {
				t.Fatalf("prefix %d: %v, %v", n, m, err)
			}
		}
	}
}

func TestValues(t *testing.T) {
	type result struct {
		floats []float32
		ints   []int64
		err    string // of both, when set; "-" for Int64s only
	}
	raw := func(b ...byte) []byte { return b }
	for _, c := range []struct {
		name string
		t    Tensor
		want result
	}{
		{"float data", Tensor{Dims: []int64{2}, DataType: Float, FloatData: []float32{1, -2}}, result{floats: []float32{1, -2}}},
		{"float raw", *FloatTensor("x", []int64{1, 2}, []float32{0.5, 3}), result{floats: []float32{0.5, 3}}},
		{"scalar", Tensor{DataType: Float, FloatData: []float32{7}}, result{floats: []float32{7}}},
		{"empty", Tensor{Dims: []int64{3, 0}, DataType: Float}, result{floats: []float32{}}},
		{"double", Tensor{Dims: []int64{2}, DataType: Double, DoubleData: []float64{0.25, -1e300}},
			result{floats: []float32{0.25, float32(math.Inf(-1))}}},
		{"double raw", Tensor{DataType: Double, RawData: raw(0, 0, 0, 0, 0, 0, 0xf0, 0x3f)}, result{floats: []float32{1}}},
		{"float16", Tensor{Dims: []int64{6}, DataType: Float16, Int32Data: []int32{0x3c00, 0xc000, 0x0001, 0x7c00, 0x7bff, 0x8000}},
			result{floats: []float32{1, -2, 1.0 / (1 << 24), float32(math.Inf(1)), 65504, float32(math.Copysign(0, -1))}}},
		{"float16 raw", Tensor{Dims: []int64{1}, DataType: Float16, RawData: raw(0x00, 0x38)}, result{floats: []float32{0.5}}},
		{"bfloat16", Tensor{Dims: []int64{1}, DataType: Bfloat16, RawData: raw(0xc0, 0x3f)}, result{floats: []float32{1.5}}},
		{"int64", *Int64Tensor("", []int64{3}, []int64{-1, 0, 1 << 40}), result{[]float32{-1, 0, 1 << 40}, []int64{-1, 0, 1 << 40}, ""}},
		{"int64 data", Tensor{Dims: []int64{2}, DataType: Int64, Int64Data: []int64{5, -6}}, result{[]float32{5, -6}, []int64{5, -6}, ""}},
		{"int32", Tensor{Dims: []int64{2}, DataType: Int32, Int32Data: []int32{-7, 8}}, result{[]float32{-7, 8}, []int64{-7, 8}, ""}},
		{"int8 data", Tensor{Dims: []int64{2}, DataType: Int8, Int32Data: []int32{-128, 127}}, result{[]float32{-128, 127}, []int64{-128, 127}, ""}},
		{"int8 raw", Tensor{Dims: []int64{2}, DataType: Int8, RawData: raw(0x80, 0x7f)}, result{[]float32{-128, 127}, []int64{-128, 127}, ""}},
		{"uint8 raw", Tensor{Dims: []int64{2}, DataType: Uint8, RawData: raw(0xff, 1)}, result{[]float32{255, 1}, []int64{255, 1}, ""}},
		{"int16 raw", Tensor{Dims: []int64{1}, DataType: Int16, RawData: raw(0xfe, 0xff)}, result{[]float32{-2}, []int64{-2}, ""}},
		{"uint16", Tensor{Dims: []int64{1}, DataType: Uint16, Int32Data: []int32{65535}}, result{[]float32{65535}, []int64{65535}, ""}},
		{"uint32", Tensor{Dims: []int64{1}, DataType: Uint32, Uint64Data: []uint64{1<<32 - 1}}, result{[]float32{1<<32 - 1}, []int64{1<<32 - 1}, ""}},
		{"uint32 raw", Tensor{Dims: []int64{1}, DataType: Uint32, RawData: raw(0xff, 0xff, 0xff, 0xff)}, result{[]float32{1<<32 - 1}, []int64{1<<32 - 1}, ""}},
		{"bool", Tensor{Dims: []int64{3}, DataType: Bool, RawData: raw(0, 1, 2)}, result{[]float32{0, 1, 1}, []int64{0, 1, 1}, ""}},
		{"uint64 beyond int64", Tensor{DataType: Uint64, Uint64Data: []uint64{1 << 63}},
			result{floats: []float32{1 << 63}, err: "-tensor (unnamed): value 9223372036854775808 at 0 is beyond int64"}},
		{"count", Tensor{Name: "NAME", Dims: []int64{3, 5}, DataType: Float, FloatData: make([]float32, 12)}, result{err: "tensor NAME: 12 values for dims [3 5]"}},
		{"count raw", Tensor{Name: "b", Dims: []int64{2}, DataType: Int64, RawData: make([]byte, 8)}, result{err: "tensor b: 1 values for dims [2]"}},
		{"scalar count", Tensor{DataType: Int64}, result{err: "0 values for dims []"}},
		{"raw cut", Tensor{Dims: []int64{1}, DataType: Float, RawData: raw(1, 2, 3)}, result{err: "raw data of 3 bytes for 4-byte values"}},
		{"string", Tensor{Dims: []int64{1}, DataType: String, StringData: [][]byte{nil}}, result{err: "data type 8 is not"}},
		{"unknown type", Tensor{Dims: []int64{1}, DataType: 99, RawData: raw(1)}, result{err: "data type 99 is not"}},
		{"too many dims", Tensor{Dims: make([]int64, 9), DataType: Float}, result{err: "9 dims, more than 8"}},
		{"external without dir", Tensor{DataType: Int64, DataLocation: 1}, result{err: "external data refused"}},
	} {
		check := func(what string, got any, err error, want any, wantErr string) {
			if wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), wantErr) {
					t.Errorf("%s: %s = %v, %v; want an error with %q", c.name, what, got, err, wantErr)
				}
			} else if err != nil || !same(got, want) {
				t.Errorf("%s: %s = %v, %v; want %v", c.name, what, got, err, want)
			}
		}
		f, err := c.t.Floats("")
		fErr, iErr := c.want.err, c.want.err
		if strings.HasPrefix(c.want.err, "-") {
			fErr, iErr = "", c.want.err[1:]
		}
		switch c.t.DataType {
		case Float, Double, Float16, Bfloat16:
			iErr = "is not an integer"
		}
		check("Floats", f, err, c.want.floats, fErr)
		i, err := c.t.Int64s("")
		check("Int64s", i, err, c.want.ints, iErr)
	}
	if n, err := (&Tensor{}).NumElements(); n != 1 || err != nil {
		t.Errorf("scalar NumElements = %d, %v", n, err)
	}
	if n, err := (&Tensor{Dims: []int64{2, 0, 1 << 40}}).NumElements(); err == nil {
		t.Errorf("NumElements of a dim over MaxElements = %d, nil", n)
	}
}

func TestExternal(t *testing.T) {
	dir := t.TempDir()
	models := filepath.Join(dir, "models")
	if err := os.MkdirAll(filepath.Join(models, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	data := FloatTensor("", nil, []float32{9, 1, 2, 3}).RawData
	for name, b := range map[string][]byte{"models/w.bin": data, "models/sub/w.bin": data, "secret.bin": data} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, link := range []struct{ old, new string }{{"../secret.bin", "models/out.bin"}, {"w.bin", "models/in.bin"}, {dir, "models/up"}} {
		if err := os.Symlink(link.old, filepath.Join(dir, link.new)); err != nil {
			t.Skipf("no symbolic links: %v", err)
		}
	}
	for _, c := range []struct {
		name     string
		external []StringEntry
		dims     []int64
		want     string // the error, or "" for values 1, 2, 3
	}{
		{"offset", []StringEntry{{"location", "w.bin"}, {"offset", "4"}}, []int64{3}, ""},
		{"offset and length", []StringEntry{{"location", "w.bin"}, {"offset", "4"}, {"length", "12"}, {"checksum", "x"}}, []int64{3}, ""},
		{"subfolder", []StringEntry{{"location", "sub/w.bin"}, {"offset", "4"}}, []int64{3}, ""},
		{"clean path", []StringEntry{{"location", "sub/../w.bin"}, {"offset", "4"}}, []int64{3}, ""},
		{"link inside", []StringEntry{{"location", "in.bin"}, {"offset", "4"}}, []int64{3}, ""},
		{"parent", []StringEntry{{"location", "../secret.bin"}, {"offset", "4"}}, []int64{3}, `location "../secret.bin" is outside`},
		{"absolute", []StringEntry{{"location", filepath.Join(dir, "secret.bin")}, {"offset", "4"}}, []int64{3}, "is absolute"},
		{"link out", []StringEntry{{"location", "out.bin"}, {"offset", "4"}}, []int64{3}, "external data: openat out.bin: path escapes from parent"},
		{"folder link out", []StringEntry{{"location", "up/secret.bin"}, {"offset", "4"}}, []int64{3}, "path escapes from parent"},
		{"folder", []StringEntry{{"location", "sub"}}, []int64{3}, "not a regular file"},
		{"missing", []StringEntry{{"location", "nothing.bin"}}, []int64{3}, "no such file"},
		{"no location", []StringEntry{{"offset", "4"}}, []int64{3}, "without a location"},
		{"offset past the end", []StringEntry{{"location", "w.bin"}, {"offset", "17"}}, []int64{0}, "offset 17 is past the end of w.bin (16 bytes)"},
		{"length past the end", []StringEntry{{"location", "w.bin"}, {"offset", "8"}, {"length", "12"}}, []int64{3}, "offset 8 and length 12 go past the end"},
		{"huge length", []StringEntry{{"location", "w.bin"}, {"offset", "8"}, {"length", "9223372036854775807"}}, []int64{3}, "go past the end"},
		{"negative offset", []StringEntry{{"location", "w.bin"}, {"offset", "-4"}}, []int64{3}, `offset "-4" is not a byte count`},
		{"count", []StringEntry{{"location", "w.bin"}}, []int64{3}, "tensor w: 4 values for dims [3]"},
		{"cut value", []StringEntry{{"location", "w.bin"}, {"length", "6"}}, []int64{3}, "6 bytes for 4-byte values"},
	} {
		tensor := &Tensor{Name: "w", Dims: c.dims, DataType: Float, DataLocation: 1, External: c.external}
		got, err := tensor.Floats(models)
		if c.want == "" {
			if err != nil || !same(got, []float32{1, 2, 3}) {
				t.Errorf("%s: Floats = %v, %v; want [1 2 3]", c.name, got, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Floats = %v, %v; want an error with %q", c.name, got, err, c.want)
		}
	}
}

// testdata is ONNX's backend test data, as Debian's libonnx-testdata installs it.
const testdata = "/usr/share/libonnx-testdata/data"

// TestONNXTestData reads every model of ONNX's test data, and every
// tensor of its test data sets, and checks that a model written again
// reads back the same.
func TestONNXTestData(t *testing.T) {
	if _, err := os.Stat(testdata); err != nil {
		t.Skipf("no ONNX test data: %v", err)
	}
	var models, tensors int
	for _, set := range []string{"node", "pytorch-converted", "pytorch-operator", "simple"} {
		paths, _ := filepath.Glob(filepath.Join(testdata, set, "*", "model.onnx"))
		for _, path := range paths {
			models++
			name, _ := filepath.Rel(testdata, path)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Unmarshal(b, DefaultLimits)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if m2, err := Unmarshal(Marshal(m), DefaultLimits); err != nil || !same(m, m2) {
				t.Errorf("%s: written again, reads back differently (%v)", name, err)
			}
			for _, init := range m.Graph.Initializer {
				checkValues(t, name, init)
			}
			pbs, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "test_data_set_*", "*put_*.pb"))
			for _, pbPath := range pbs {
				tensors++
				b, err := os.ReadFile(pbPath)
				if err != nil {
					t.Fatal(err)
				}
				pbName, _ := filepath.Rel(testdata, pbPath)
				tensor, err := UnmarshalTensor(b, DefaultLimits)
				if err != nil {
					if !notTensor(m, filepath.Base(pbPath)) {
						t.Errorf("%s: %v", pbName, err)
					}
					continue
				}
				if !notTensor(m, filepath.Base(pbPath)) {
					checkValues(t, pbName, tensor)
				}
			}
		}
	}
	t.Logf("%d models, %d tensors", models, tensors)
}

// notTensor says whether the graph input or output a test data file
// (input_2.pb, output_0.pb) is for is of another type than tensor.
func notTensor(m *Model, file string) bool {
	vs := m.Graph.Output
	if strings.HasPrefix(file, "input_") {
		vs = nil // the inputs that are not initializers
		inits := map[string]bool{}
		for _, t := range m.Graph.Initializer {
			inits[t.Name] = true
		}
		for _, v := range m.Graph.Input {
			if !inits[v.Name] {
				vs = append(vs, v)
			}
		}
	}
	var i int
	fmt.Sscanf(file[strings.IndexByte(file, '_')+1:], "%d.pb", &i)
	return i >= len(vs) || vs[i].Type == nil || vs[i].Type.NotTensor
}

// checkValues checks that Floats reads a numeric tensor, and Int64s an
// integer one.
func checkValues(t *testing.T, name string, tensor *Tensor) {
	t.Helper()
	switch tensor.DataType {
	case String, 14, 15, Undefined:
		return
	case Float, Double, Float16, Bfloat16:
		if _, err := tensor.Int64s(""); err == nil {
			t.Errorf("%s: Int64s of data type %d succeeded", name, tensor.DataType)
		}
	default:
		if _, err := tensor.Int64s(""); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := tensor.Floats(""); err != nil && tensor.DataType <= Bfloat16 {
		t.Errorf("%s: %v", name, err)
	}
}

// seeds are the small models in testdata.
func seeds(t testing.TB) [][]byte {
	paths, err := filepath.Glob("testdata/*.onnx")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no seed models in testdata: %v", err)
	}
	var bs [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		bs = append(bs, b)
	}
	return bs
}

// FuzzUnmarshal checks that Unmarshal never panics, and that a model it
// reads is written by Marshal as bytes that read back the same model.
func FuzzUnmarshal(f *testing.F) {
	for _, b := range seeds(f) {
		f.Add(b)
	}
	f.Add(Marshal(fullModel()))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Unmarshal(b, DefaultLimits)
		if err != nil {
			if m != nil {
				t.Fatalf("a model and an error: %v", err)
			}
			return
		}
		b2 := Marshal(m)
		m2, err := Unmarshal(b2, DefaultLimits)
		if err != nil {
			t.Fatalf("written again, does not read: %v", err)
		}
		if !same(m, m2) {
			t.Fatalf("written again, reads differently:\n%+v\n%+v", m, m2)
		}
		if b3 := Marshal(m2); !bytes.Equal(b2, b3) {
			t.Fatalf("Marshal not deterministic")
		}
		for _, tensor := range tensorsOf(m.Graph) {
			tensor.Floats("") // must not panic
			tensor.Int64s("")
		}
	})
}

// tensorsOf lists the initializers and attribute tensors of g and its subgraphs.
func tensorsOf(g *Graph) []*Tensor {
	if g == nil {
		return nil
	}
	ts := g.Initializer
	for _, n := range g.Node {
		for _, a := range n.Attribute {
			if a.T != nil {
				ts = append(ts, a.T)
			}
			ts = append(ts, a.Tensors...)
			ts = append(ts, tensorsOf(a.G)...)
			for _, sub := range a.Graphs {
				ts = append(ts, tensorsOf(sub)...)
			}
		}
	}
	return ts
}
