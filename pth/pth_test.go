package pth

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/safetensors"
)

// fixtures is testdata/pth, written by testdata/make_pth_reference.py.
var fixtures = filepath.Join("..", "testdata", "pth")

// sameFile fails t unless got holds want's tensors, in want's order.
func sameFile(t *testing.T, got, want *safetensors.File) {
	t.Helper()
	if !slices.Equal(got.Names, want.Names) {
		t.Fatalf("names %q, want %q", got.Names, want.Names)
	}
	if len(got.Tensors) != len(want.Tensors) {
		t.Fatalf("%d tensors, want %d", len(got.Tensors), len(want.Tensors))
	}
	for _, n := range want.Names {
		g, w := got.Tensors[n], want.Tensors[n]
		if g.DType != w.DType || !slices.Equal(g.Shape, w.Shape) || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("%s: got %s %v (%d bytes), want %s %v (%d bytes)", n, g.DType, g.Shape, len(g.Data), w.DType, w.Shape, len(w.Data))
		}
		if g.Shape == nil {
			t.Errorf("%s: nil shape, want an empty one", n)
		}
	}
}

func TestFixtures(t *testing.T) {
	for _, name := range []string{"lenet", "dtypes", "views", "checkpoint", "model"} {
		t.Run(name, func(t *testing.T) {
			got, err := ReadFile(filepath.Join(fixtures, name+".pth"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := safetensors.ReadFile(filepath.Join(fixtures, name+".safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			// safetensors orders its names by data offset, which the
			// script wrote in the state_dict's order.
			sameFile(t, got, want)
			if got.Metadata != nil {
				t.Errorf("Metadata %v, want nil", got.Metadata)
			}
		})
	}
}

// TestFixtureValues checks a few values against what the script built, so
// that the comparison above does not rest on the script's own encoder.
func TestFixtureValues(t *testing.T) {
	f, err := ReadFile(filepath.Join(fixtures, "lenet.pth"))
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"cnn1.weight", "cnn1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
		"cnn2.weight", "cnn2.bias", "cnn3.weight", "cnn3.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}
	if !slices.Equal(f.Names, wantNames) {
		t.Fatalf("names %q", f.Names)
	}
	nbt := f.Tensors["bn1.num_batches_tracked"]
	if v, err := nbt.Int64s(); err != nil || len(nbt.Shape) != 0 || !slices.Equal(v, []int64{3}) {
		t.Errorf("num_batches_tracked: %v %v %v", nbt.Shape, v, err)
	}
	if s := f.Tensors["cnn3.weight"].Shape; !slices.Equal(s, []int{12, 16, 5, 5}) {
		t.Errorf("cnn3.weight shape %v", s)
	}

	v, err := ReadFile(filepath.Join(fixtures, "views.pth"))
	if err != nil {
		t.Fatal(err)
	}
	f32 := func(name string) []float32 {
		x, err := v.Tensors[name].Float32s()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return x
	}
	// base = arange(24) * 0.5 - 3; shared_a = base[2:10].view(2, 4);
	// shared_b = base.view(4, 6)[1:, 1:5:2].
	base := func(i int) float32 { return float32(i)*0.5 - 3 }
	var a, b []float32
	for i := 2; i < 10; i++ {
		a = append(a, base(i))
	}
	for r := 1; r < 4; r++ {
		for c := 1; c < 5; c += 2 {
			b = append(b, base(6*r+c))
		}
	}
	if got := f32("shared_a"); !slices.Equal(got, a) {
		t.Errorf("shared_a %v, want %v", got, a)
	}
	if got := f32("shared_b"); !slices.Equal(got, b) || !slices.Equal(v.Tensors["shared_b"].Shape, []int{3, 2}) {
		t.Errorf("shared_b %v %v, want %v", v.Tensors["shared_b"].Shape, got, b)
	}
	if got := f32("scalar"); !slices.Equal(got, []float32{2.5}) || len(v.Tensors["scalar"].Shape) != 0 {
		t.Errorf("scalar %v %v", v.Tensors["scalar"].Shape, got)
	}
	if got := f32("expand"); !slices.Equal(got, []float32{1, -2, 3, 1, -2, 3}) {
		t.Errorf("expand %v", got)
	}
	if e := v.Tensors["empty"]; !slices.Equal(e.Shape, []int{0, 3}) || len(e.Data) != 0 {
		t.Errorf("empty %v %d bytes", e.Shape, len(e.Data))
	}
}

func TestRefusedFixtures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		global string // the global a *GlobalError names; "" for none
		legacy bool
		msg    string
	}{
		{name: "evil", global: "posix.system", msg: `state_dict entry "x": refusing to load the Python global posix.system (only a state_dict's tensors are read)`},
		{name: "module", global: "torch.nn.modules.linear.Linear", msg: "refusing to load the Python global torch.nn.modules.linear.Linear"},
		{name: "legacy", legacy: true, msg: "legacy torch.save format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(fixtures, tc.name+".pth")
			_, err := ReadFile(path)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "pth: "+path+": ") || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q, want %q after the path", err, tc.msg)
			}
			var ge *GlobalError
			if errors.As(err, &ge) != (tc.global != "") || (ge != nil && ge.Global != tc.global) {
				t.Errorf("error %q: GlobalError %v, want %q", err, ge, tc.global)
			}
			if errors.Is(err, ErrLegacyFormat) != tc.legacy {
				t.Errorf("error %q: errors.Is(ErrLegacyFormat) = %v", err, !tc.legacy)
			}
		})
	}
}

// --- crafting files ---------------------------------------------------------

// A tiny pickle assembler for the tests.
func pStr(s string) string {
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(s)))
	return "X" + string(n[:]) + s
}

func pInt(n int64) string {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(int32(n)))
	if int64(int32(n)) != n {
		var l [8]byte
		binary.LittleEndian.PutUint64(l[:], uint64(n))
		return "\x8a\x08" + string(l[:])
	}
	return "J" + string(b[:])
}

func pTuple(items ...string) string { return "(" + strings.Join(items, "") + "t" }

func pInts(v ...int64) string {
	var s []string
	for _, n := range v {
		s = append(s, pInt(n))
	}
	return pTuple(s...)
}

func pGlobal(module, name string) string { return "c" + module + "\n" + name + "\n" }

func pCall(fn string, args ...string) string { return fn + pTuple(args...) + "R" }

// pDict is a dict literal of key, value pickles.
func pDict(kv ...string) string { return "}(" + strings.Join(kv, "") + "u" }

func pPickle(body string) string { return "\x80\x02" + body + "." }

// pTensor is _rebuild_tensor_v2 of storage key of class cls.
func pTensor(cls, key string, numel, offset int64, size, stride []int64) string {
	storage := pTuple(pStr("storage"), pGlobal("torch", cls), pStr(key), pStr("cpu"), pInt(numel)) + "Q"
	return pCall(pGlobal("torch._utils", "_rebuild_tensor_v2"),
		storage, pInt(offset), pInts(size...), pInts(stride...), "\x89", pCall(pGlobal("collections", "OrderedDict")))
}

// zipFile is a stored zip archive of name, content pairs.
func zipFile(t testing.TB, entries ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i < len(entries); i += 2 {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: entries[i], Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(entries[i+1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// f32s is the little-endian bytes of v.
func f32s(v ...float32) string {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return string(b)
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRefusesGlobals(t *testing.T) {
	system := pCall(pGlobal("os", "system"), pStr("echo hi"))
	eval := "\x8c\x08builtins\x8c\x04eval\x93" + pStr("1") + "\x85R" // STACK_GLOBAL, TUPLE1, REDUCE
	tensor := pTensor("FloatStorage", "0", 1, 0, nil, nil)
	for _, tc := range []struct {
		name, pkl, global, msg string
	}{
		{"top-level", system, "os.system", "refusing to load the Python global os.system (only a state_dict's tensors are read)"},
		{"value", pDict(pStr("w"), tensor, pStr("x"), system), "os.system", `state_dict entry "x": refusing to load the Python global os.system`},
		{"stack global", pDict(pStr("x"), eval), "builtins.eval", `state_dict entry "x": refusing to load the Python global builtins.eval`},
		{"bare global", pDict(pStr("x"), pGlobal("os", "system")), "os.system", `entry "x": refusing`},
		{"model entry", pDict(pStr("model"), pCall(pGlobal("torchvision.models.resnet", "ResNet")), pStr("epoch"), pInt(3)), "torchvision.models.resnet.ResNet",
			`checkpoint entry "model": refusing to load the Python global torchvision.models.resnet.ResNet (only a state_dict's tensors are read) (save model.state_dict(), not the model)`},
		{"state_dict value", pDict(pStr("state_dict"), pDict(pStr("x"), system)), "os.system", `state_dict of checkpoint entry "state_dict" entry "x": refusing`},
		{"storage class", pDict(pStr("x"), pTensor("FloatStorage", "0", 1, 0, nil, nil)[:0]+
			pCall(pGlobal("torch._utils", "_rebuild_tensor_v2"),
				pTuple(pStr("storage"), pGlobal("numpy", "ndarray"), pStr("0"), pStr("cpu"), pInt(1))+"Q",
				pInt(0), pInts(), pInts(), "\x89", "N")), "numpy.ndarray", `entry "x": refusing to load the Python global numpy.ndarray`},
		{"parameter of", pDict(pStr("x"), pCall(pGlobal("torch._utils", "_rebuild_parameter"), system, "\x88", "N")), "os.system", "refusing to load the Python global os.system"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, "model.pth", zipFile(t, "model/data.pkl", pPickle(tc.pkl), "model/data/0", f32s(1)))
			_, err := ReadFile(path)
			var ge *GlobalError
			if !errors.As(err, &ge) || ge.Global != tc.global {
				t.Fatalf("error %v, want a GlobalError for %s", err, tc.global)
			}
			if !strings.HasPrefix(err.Error(), "pth: "+path+": ") || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q, want %q after the path", err, tc.msg)
			}
		})
	}
}

// TestCheckpointSkips checks that a checkpoint's other entries are skipped
// whatever they hold, and their storages never read.
func TestCheckpointSkips(t *testing.T) {
	system := pCall(pGlobal("os", "system"), pStr("echo hi"))
	sd := pDict(pStr("w"), pTensor("FloatStorage", "0", 2, 0, []int64{2}, []int64{1}))
	for _, tc := range []struct {
		name, pkl string
	}{
		{"state_dict", pDict(pStr("epoch"), pInt(3), pStr("args"), system, pStr("state_dict"), sd,
			pStr("optimizer"), pDict(pStr("state"), pTensor("FloatStorage", "missing", 1, 0, nil, nil)))},
		{"model", pDict(pStr("model"), sd, pStr("args"), "\x8c\x08argparse\x8c\x09Namespace\x93)\x81"+pDict(pStr("lr"), "G?\xb9\x99\x99\x99\x99\x99\x9a")+"b")},
		{"state_dict first", pDict(pStr("model"), system, pStr("state_dict"), sd)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := zipFile(t, "ckpt/data.pkl", pPickle(tc.pkl), "ckpt/data/0", f32s(1, 2))
			f, err := Decode(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			if x, _ := f.Tensors["w"].Float32s(); !slices.Equal(f.Names, []string{"w"}) || !slices.Equal(x, []float32{1, 2}) {
				t.Errorf("got %v %v", f.Names, x)
			}
		})
	}
}

func TestCorrupt(t *testing.T) {
	good := pDict(pStr("w"), pTensor("FloatStorage", "0", 4, 0, []int64{2, 2}, []int64{2, 1}))
	v2 := pGlobal("torch._utils", "_rebuild_tensor_v2")
	storage := pTuple(pStr("storage"), pGlobal("torch", "FloatStorage"), pStr("0"), pStr("cpu"), pInt(4)) + "Q"
	od := pCall(pGlobal("collections", "OrderedDict"))
	for _, tc := range []struct {
		name    string
		entries []string
		msg     string
	}{
		{"no data.pkl", []string{"m/version", "3\n"}, "has no <name>/data.pkl"},
		{"torchscript", []string{"m/constants.pkl", pPickle(")"), "m/code/m.py", ""}, "TorchScript"},
		{"two data.pkl", []string{"a/data.pkl", pPickle(good), "b/data.pkl", pPickle(good)}, "2 data.pkl entries"},
		{"duplicate entry", []string{"m/data.pkl", pPickle(good), "m/data/0", f32s(1, 2, 3, 4), "m/data/0", f32s(1, 2, 3, 4)}, `holds "m/data/0" twice`},
		{"no storage", []string{"m/data.pkl", pPickle(good)}, `entry "w": the zip archive has no m/data/0 for its storage`},
		{"short storage", []string{"m/data.pkl", pPickle(good), "m/data/0", f32s(1, 2, 3)}, "m/data/0 has 12 bytes, but the pickle says 4 elements of F32 (16 bytes)"},
		{"past storage", []string{"m/data.pkl", pPickle(pDict(pStr("w"), pTensor("FloatStorage", "0", 4, 1, []int64{2, 2}, []int64{2, 1}))), "m/data/0", f32s(1, 2, 3, 4)}, `entry "w": size [2 2], stride [2 1] and offset 1 reach past its storage 0 of 4 elements`},
		{"huge stride", []string{"m/data.pkl", pPickle(pDict(pStr("w"), pTensor("FloatStorage", "0", 4, 0, []int64{8, 2}, []int64{1 << 62, 1}))), "m/data/0", f32s(1, 2, 3, 4)}, `entry "w": size [8 2] with stride`},
		{"huge size", []string{"m/data.pkl", pPickle(pDict(pStr("w"), pTensor("FloatStorage", "0", 4, 0, []int64{1 << 30, 1 << 20}, []int64{0, 0}))), "m/data/0", f32s(1, 2, 3, 4)}, `entry "w": size [1073741824 1048576] of F32 is too large`},
		{"overflowing size", []string{"m/data.pkl", pPickle(pDict(pStr("w"), pTensor("FloatStorage", "0", 4, 0, []int64{1 << 40, 1 << 30}, []int64{0, 0}))), "m/data/0", f32s(1, 2, 3, 4)}, `entry "w": size [1099511627776 1073741824]: element count overflows`},
		{"expand too far", []string{"m/data.pkl", pPickle(pDict(pStr("w"), pTensor("FloatStorage", "0", 4, 0, []int64{1 << 30}, []int64{0}))), "m/data/0", f32s(1, 2, 3, 4)}, "is too large for a file of"},
		{"many dims", []string{"m/data.pkl", pPickle(pDict(pStr("w"), pTensor("FloatStorage", "0", 4, 0, make([]int64, 65), make([]int64, 65)))), "m/data/0", f32s(1, 2, 3, 4)}, "size has 65 dimensions, over the limit of 64"},
		{"negative size", []string{"m/data.pkl", pPickle(pDict(pStr("w"), pTensor("FloatStorage", "0", 4, 0, []int64{-1}, []int64{1}))), "m/data/0", f32s(1, 2, 3, 4)}, "size has -1, not an int >= 0"},
		{"negative numel", []string{"m/data.pkl", pPickle(pDict(pStr("w"), pTensor("FloatStorage", "0", -4, 0, []int64{1}, []int64{1}))), "m/data/0", f32s(1, 2, 3, 4)}, "storage size is -4"},
		{"mismatched stride", []string{"m/data.pkl", pPickle(pDict(pStr("w"), pTensor("FloatStorage", "0", 4, 0, []int64{4}, []int64{1, 1}))), "m/data/0", f32s(1, 2, 3, 4)}, "size has 1 dimensions, stride 2"},
		{"two dtypes", []string{"m/data.pkl", pPickle(pDict(pStr("w"), pTensor("FloatStorage", "0", 4, 0, []int64{4}, []int64{1}), pStr("v"), pTensor("IntStorage", "0", 2, 0, []int64{2}, []int64{1}))), "m/data/0", f32s(1, 2, 3, 4)}, `entry "v": storage 0 is used with two different sizes`},
		{"nested dict", []string{"m/data.pkl", pPickle(pDict(pStr("w"), pDict(pStr("x"), pInt(1)))), "m/data/0", ""}, `state_dict entry "w": is a dict, not a tensor`},
		{"int value", []string{"m/data.pkl", pPickle(pDict(pStr("w"), pInt(1)))}, `state_dict entry "w": is an int, not a tensor`},
		{"int key", []string{"m/data.pkl", pPickle(pDict(pInt(1), pTensor("FloatStorage", "0", 4, 0, []int64{4}, []int64{1}))), "m/data/0", f32s(1, 2, 3, 4)}, "a key of the state_dict is an int, not a str"},
		{"list", []string{"m/data.pkl", pPickle("]")}, "the saved object is a list, not a dict of tensors"},
		{"state_dict not a dict", []string{"m/data.pkl", pPickle(pDict(pStr("state_dict"), pInt(1)))}, `checkpoint entry "state_dict" is an int, not a state_dict`},
		{"few args", []string{"m/data.pkl", pPickle(pDict(pStr("w"), pCall(v2, storage, pInt(0)))), "m/data/0", f32s(1, 2, 3, 4)}, "torch._utils._rebuild_tensor_v2 with 2 arguments, not 6 or 7"},
		{"bad persistent id", []string{"m/data.pkl", pPickle(pDict(pStr("w"), pCall(v2, pStr("x")+"Q", pInt(0), pInts(), pInts(), "\x89", od)))}, "persistent id is a str"},
		{"storage not persistent", []string{"m/data.pkl", pPickle(pDict(pStr("w"), pCall(v2, pStr("x"), pInt(0), pInts(), pInts(), "\x89", od)))}, "storage is a str, not a persistent id"},
		{"truncated pickle", []string{"m/data.pkl", pPickle(good)[:40]}, "data.pkl: truncated"},
		{"no STOP", []string{"m/data.pkl", "\x80\x02N"}, "the pickle ends without STOP"},
		{"empty pickle", []string{"m/data.pkl", "\x80\x02."}, "STOP: stack underflow"},
		{"unknown opcode", []string{"m/data.pkl", "\x80\x02I1\n."}, "unsupported pickle opcode 0x49"},
		{"bad memo", []string{"m/data.pkl", "\x80\x02h\x05."}, "memo entry 5 is not set"},
		{"underflow at mark", []string{"m/data.pkl", "\x80\x02N(s."}, "stack underflow"},
		{"no mark", []string{"m/data.pkl", "\x80\x02Nt."}, "no MARK"},
		{"deep marks", []string{"m/data.pkl", "\x80\x02" + strings.Repeat("(", maxMarks+1)}, "nested MARKs"},
		{"huge string", []string{"m/data.pkl", "\x80\x02X\xff\xff\xff\x7f."}, "truncated"},
		{"huge bytes8", []string{"m/data.pkl", "\x80\x02\x8e\xff\xff\xff\xff\xff\xff\xff\xff."}, "truncated"},
		{"protocol 6", []string{"m/data.pkl", "\x80\x06N."}, "unsupported pickle protocol 6"},
		{"byteorder", []string{"m/data.pkl", pPickle(good), "m/byteorder", "middle"}, `m/byteorder is "middle"`},
		{"reduce of int", []string{"m/data.pkl", pPickle("K\x01)R")}, "REDUCE calls an int, not a global"},
		{"append to dict", []string{"m/data.pkl", pPickle("}Na")}, "cannot append to a dict"},
		{"setitem on list", []string{"m/data.pkl", pPickle("]NNs")}, "cannot set items of a list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, "m.pth", zipFile(t, tc.entries...))
			_, err := ReadFile(path)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "pth: "+path+": ") || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q, want %q after the path", err, tc.msg)
			}
		})
	}
}

func TestNotZip(t *testing.T) {
	st := &safetensors.File{Tensors: map[string]safetensors.Tensor{"x": safetensors.FromFloat32s([]int{1}, []float32{1})}}
	var stb bytes.Buffer
	if err := safetensors.Encode(&stb, st); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		msg  string
	}{
		{"empty", nil, "empty file"},
		{"text", []byte("hello\n"), "not a torch.save file"},
		{"safetensors", stb.Bytes(), "not a torch.save file"},
		{"pickle", []byte("\x80\x02}q\x00."), "legacy torch.save format"},
		{"tar", append(make([]byte, 257), "ustar\x0000"+strings.Repeat("\x00", 300)...), "tar archive"},
		{"zip header only", []byte("PK\x03\x04 and nothing else"), "truncated or corrupt zip archive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, "x.pth", tc.b)
			_, err := ReadFile(path)
			if err == nil || !strings.HasPrefix(err.Error(), "pth: "+path+": ") || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want %q after the path", err, tc.msg)
			}
		})
	}
	dir := t.TempDir()
	if _, err := ReadFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: error %v", err)
	}
	missing := filepath.Join(dir, "missing.pth")
	if _, err := ReadFile(missing); err == nil || err.Error() != "pth: "+missing+": no such file or directory" || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v", err)
	}
}

// TestTruncated cuts a fixture at many lengths and flips bytes in it: every
// result is an error naming the file, or (for a flipped byte in padding) the
// same tensors.
func TestTruncated(t *testing.T) {
	path := filepath.Join(fixtures, "dtypes.pth")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Decode(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for n := 0; n < len(b); n += 7 {
		p := filepath.Join(dir, fmt.Sprintf("cut%d.pth", n))
		if err := os.WriteFile(p, b[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadFile(p); err == nil || !strings.HasPrefix(err.Error(), "pth: "+p+": ") {
			t.Fatalf("cut at %d: error %v", n, err)
		}
	}
	for i := 0; i < len(b); i += 3 {
		c := slices.Clone(b)
		c[i] ^= 0x55
		got, err := Decode(bytes.NewReader(c), int64(len(c)))
		if err == nil {
			// Only padding, names in the central directory, and the like
			// may change without an error; the tensors must not.
			for _, n := range want.Names {
				if !bytes.Equal(got.Tensors[n].Data, want.Tensors[n].Data) {
					t.Fatalf("flipping byte %d changed %s without an error", i, n)
				}
			}
		} else if !strings.HasPrefix(err.Error(), "pth: ") {
			t.Fatalf("flipping byte %d: error %v", i, err)
		}
	}
}

func TestBigEndian(t *testing.T) {
	be := make([]byte, 8)
	binary.BigEndian.PutUint32(be, math.Float32bits(1.5))
	binary.BigEndian.PutUint32(be[4:], math.Float32bits(-2))
	i16 := []byte{0x01, 0x02}
	pkl := pPickle(pDict(pStr("w"), pTensor("FloatStorage", "0", 2, 0, []int64{2}, []int64{1}),
		pStr("s"), pTensor("ShortStorage", "1", 1, 0, nil, nil), pStr("w1"), pTensor("FloatStorage", "0", 2, 1, nil, nil)))
	b := zipFile(t, "m/data.pkl", pkl, "m/byteorder", "big", "m/data/0", string(be), "m/data/1", string(i16))
	f, err := Decode(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if x, _ := f.Tensors["w"].Float32s(); !slices.Equal(x, []float32{1.5, -2}) {
		t.Errorf("w %v", x)
	}
	if s := f.Tensors["s"]; s.DType != "I16" || !bytes.Equal(s.Data, []byte{0x02, 0x01}) {
		t.Errorf("s %v", s)
	}
	if x, _ := f.Tensors["w1"].Float32s(); !slices.Equal(x, []float32{-2}) {
		t.Errorf("w1 %v", x)
	}
}

// TestPickleOpcodes runs opcodes torch.save does not use but other
// picklers (protocol 4 and 5, Python 2) may.
func TestPickleOpcodes(t *testing.T) {
	tensor := pTensor("FloatStorage", "0", 2, 0, []int64{2}, []int64{1})
	for _, tc := range []struct {
		name, pkl string
	}{
		{"protocol 4 frame", "\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00" + "\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94" +
			"\x8c\x01w\x94" + tensor + "s."},
		{"DICT", "\x80\x02(" + pStr("w") + tensor + "d."},
		{"SETITEM memo", "\x80\x02}r\x00\x01\x00\x00" + pStr("w") + tensor + "sj\x00\x01\x00\x000."},
		{"OrderedDict of pairs", "\x80\x02" + pCall(pGlobal("collections", "OrderedDict"), "]("+pTuple(pStr("w"), tensor)+"e") + "."},
		{"NEWOBJ OrderedDict", "\x80\x02" + pGlobal("collections", "OrderedDict") + ")\x81" + pStr("w") + tensor + "s" + pDict(pStr("_metadata"), "}") + "b."},
		{"short strings", "\x80\x02}U\x01w" + tensor + "s."},
		{"parameter", "\x80\x02}" + pStr("w") + pCall(pGlobal("torch._utils", "_rebuild_parameter"), tensor, "\x88", pCall(pGlobal("collections", "OrderedDict"))) + "s."},
		{"rebuild_tensor", "\x80\x02}" + pStr("w") + pCall(pGlobal("torch._utils", "_rebuild_tensor"),
			pTuple(pStr("storage"), pGlobal("torch", "FloatStorage"), pStr("0"), pStr("cpu"), pInt(2))+"Q", pInt(0), pInts(2), pInts(1)) + "s."},
		{"skipped values", "\x80\x02}" + pStr("w") + tensor + "s" + "(" + "\x8f(NK\x01\x90" + "(N\x91" + "G\x00\x00\x00\x00\x00\x00\x00\x00" + "C\x01a" + "\x8a\x00" + "\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01" +
			"NNN\x87" + "NQ" + pGlobal("argparse", "Namespace") + ")\x81" + pGlobal("a", "B") + ")}\x92" + "1."},
		{"POP and DUP", "\x80\x02N0}2" + pStr("w") + tensor + "s0."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := zipFile(t, "m/data.pkl", tc.pkl, "m/data/0", f32s(1, 2))
			f, err := Decode(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			if x, _ := f.Tensors["w"].Float32s(); !slices.Equal(f.Names, []string{"w"}) || !slices.Equal(x, []float32{1, 2}) {
				t.Errorf("got %v %v", f.Names, x)
			}
		})
	}
}

func TestLong(t *testing.T) {
	for _, tc := range []struct {
		b    string
		want any
	}{
		{"", int64(0)},
		{"\xff", int64(-1)},
		{"\x80", int64(-128)},
		{"\xff\x00", int64(255)},
		{"\x00\x00\x00\x00\x00\x00\x00\x80", int64(math.MinInt64)},
		{"\xff\xff\xff\xff\xff\xff\xff\x7f\x00", int64(math.MaxInt64)},
		{"\x00\x00\x00\x00\x00\x00\x00\x80\x00", &bigInt{}},
		{"\x00\x00\x00\x00\x00\x00\x00\x80\xff", int64(math.MinInt64)},
		{"\x00\x00\x00\x00\x00\x00\x00\x00\x01", &bigInt{}},
	} {
		if got := long([]byte(tc.b)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("long(%x) = %v, want %v", tc.b, got, tc.want)
		}
	}
}

// sample is a File with every dtype pth writes and the awkward shapes.
func sample() *safetensors.File {
	f := &safetensors.File{Tensors: map[string]safetensors.Tensor{}}
	add := func(name, dtype string, shape []int, esize int) {
		n := esize
		for _, d := range shape {
			n *= d
		}
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*7 + len(name))
			if dtype == "BOOL" {
				data[i] = byte(i % 2) // torch's bools are 0 or 1
			}
		}
		f.Names = append(f.Names, name)
		f.Tensors[name] = safetensors.Tensor{DType: dtype, Shape: shape, Data: data}
	}
	add("conv.weight", "F32", []int{6, 1, 5, 5}, 4)
	add("conv.bias", "F32", []int{6}, 4)
	add("bn.num_batches_tracked", "I64", []int{}, 8)
	add("f64", "F64", []int{2, 3}, 8)
	add("f16", "F16", []int{3, 1, 2}, 2)
	add("bf16", "BF16", []int{5}, 2)
	add("i32", "I32", []int{2, 2, 2, 2, 2}, 4)
	add("i16", "I16", []int{1}, 2)
	add("i8", "I8", []int{3}, 1)
	add("u8", "U8", []int{300}, 1)
	add("bool", "BOOL", []int{2, 1}, 1)
	add("empty", "F32", []int{0, 4}, 4)
	add("Ünïcode name", "F32", []int{70000}, 4)
	return f
}

func TestRoundTrip(t *testing.T) {
	files := map[string]*safetensors.File{"sample": sample(), "empty": {Names: []string{}, Tensors: map[string]safetensors.Tensor{}}}
	for _, name := range []string{"lenet", "dtypes", "views", "checkpoint"} {
		f, err := safetensors.ReadFile(filepath.Join(fixtures, name+".safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = f
	}
	for name, want := range files {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Encode(&b, want); err != nil {
				t.Fatal(err)
			}
			got, err := Decode(bytes.NewReader(b.Bytes()), int64(b.Len()))
			if err != nil {
				t.Fatal(err)
			}
			sameFile(t, got, want)
			// torch.save's layout: stored entries under "archive/", each
			// one's data at a multiple of 64 bytes.
			zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range zr.File {
				names = append(names, e.Name)
				off, err := e.DataOffset()
				if err != nil || off%alignment != 0 || e.Method != zip.Store {
					t.Errorf("%s: data at %d (%v), method %d", e.Name, off, err, e.Method)
				}
			}
			wantNames := []string{"archive/data.pkl", "archive/byteorder"}
			for i := range want.Names {
				wantNames = append(wantNames, fmt.Sprintf("archive/data/%d", i))
			}
			wantNames = append(wantNames, "archive/version")
			if !slices.Equal(names, wantNames) {
				t.Errorf("entries %q, want %q", names, wantNames)
			}
		})
	}
}

func TestNilNames(t *testing.T) {
	f := sample()
	f.Names = nil
	var b bytes.Buffer
	if err := Encode(&b, f); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	f.Names = slices.Sorted(func(yield func(string) bool) {
		for k := range f.Tensors {
			if !yield(k) {
				return
			}
		}
	})
	sameFile(t, got, f)
}

func TestEncodeErrors(t *testing.T) {
	one := safetensors.FromFloat32s([]int{1}, []float32{1})
	for _, tc := range []struct {
		name string
		f    *safetensors.File
		msg  string
	}{
		{"nil", nil, "pth: nil *File"},
		{"missing", &safetensors.File{Names: []string{"a"}, Tensors: map[string]safetensors.Tensor{}}, `pth: Names lists "a", which is not in Tensors`},
		{"twice", &safetensors.File{Names: []string{"a", "a"}, Tensors: map[string]safetensors.Tensor{"a": one}}, `pth: Names lists "a" twice`},
		{"unlisted", &safetensors.File{Names: []string{"a"}, Tensors: map[string]safetensors.Tensor{"a": one, "b": one}}, `pth: tensor "b" is not listed in Names`},
		{"dtype", &safetensors.File{Names: []string{"a"}, Tensors: map[string]safetensors.Tensor{"a": {DType: "U16", Shape: []int{1}, Data: make([]byte, 2)}}}, `pth: tensor "a": dtype "U16" has no torch storage class pth writes`},
		{"length", &safetensors.File{Names: []string{"a"}, Tensors: map[string]safetensors.Tensor{"a": {DType: "F32", Shape: []int{2}, Data: make([]byte, 4)}}}, `pth: tensor "a": has 4 data bytes, but shape [2] of F32 needs 8`},
		{"negative", &safetensors.File{Names: []string{"a"}, Tensors: map[string]safetensors.Tensor{"a": {DType: "F32", Shape: []int{-1}}}}, `pth: tensor "a": negative dimension`},
		{"utf8", &safetensors.File{Names: []string{"\xff"}, Tensors: map[string]safetensors.Tensor{"\xff": one}}, "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Encode(&b, tc.f)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want %q", err, tc.msg)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", b.Len())
			}
		})
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lenet.best.pth")
	want := sample()
	if err := WriteFile(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sameFile(t, got, want)
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := zr.File[0].Name; n != "lenet/data.pkl" {
		t.Errorf("first entry %q, want lenet/data.pkl (torch.save's name)", n)
	}
	zr.Close()

	// A failed write leaves the old file and no temporary file.
	bad := &safetensors.File{Names: []string{"a"}, Tensors: map[string]safetensors.Tensor{"a": {DType: "F32", Shape: []int{2}}}}
	if err := WriteFile(path, bad); err == nil || !strings.HasPrefix(err.Error(), "pth: "+path+": ") {
		t.Errorf("error %v", err)
	}
	if got, err := ReadFile(path); err != nil || len(got.Names) != len(want.Names) {
		t.Errorf("the old file was changed: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the folder, want 1", len(entries))
	}
	missing := filepath.Join(dir, "no", "x.pth")
	if err := WriteFile(missing, want); err == nil || !strings.HasPrefix(err.Error(), "pth: "+missing+": ") {
		t.Errorf("error %v", err)
	}

	for path, want := range map[string]string{"a/b/model.pth": "model", "x": "x", ".pth": "archive", "/": "archive", "a.b.c": "a"} {
		if got := archiveName(path); got != want {
			t.Errorf("archiveName(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestWriteForTorch writes sample() to $PTH_TORCH_CHECK and its expected
// tensors beside it as safetensors, for
//
//	PTH_TORCH_CHECK=/tmp/go.pth go test ./pth -run TestWriteForTorch
//	/usr/bin/python3 testdata/make_pth_reference.py --check /tmp/go.pth
//
// which loads it with torch.load and compares. It does nothing otherwise.
func TestWriteForTorch(t *testing.T) {
	path := os.Getenv("PTH_TORCH_CHECK")
	if path == "" {
		t.Skip("PTH_TORCH_CHECK is not set")
	}
	f := sample()
	// Give the float tensors values torch can print sensibly.
	for _, n := range f.Names {
		tt := f.Tensors[n]
		if tt.DType == "F32" {
			v := make([]float32, len(tt.Data)/4)
			for i := range v {
				v[i] = float32(i%97)/8 - 6
			}
			f.Tensors[n] = safetensors.FromFloat32s(tt.Shape, v)
		}
	}
	if err := WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	exp := strings.TrimSuffix(path, filepath.Ext(path)) + ".safetensors"
	if err := safetensors.WriteFile(exp, f); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s and %s", path, exp)
}
