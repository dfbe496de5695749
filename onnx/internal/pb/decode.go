package pb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// Unmarshal decodes a ModelProto. Fields it does not know are skipped;
// repeated numbers may be packed or not; a field of a known number with
// the wrong wire type, a truncated field, graphs nested deeper than
// lim.MaxDepth, and tensor dims or shapes beyond lim are errors, which
// say where they are ("model.graph.node[3].attribute[1]: bad wire type
// 2 for field f (2)"). Repeated occurrences of a singular field follow
// protobuf: the last scalar wins, messages merge. The result holds no
// memory of b: bytes are copied, and an empty bytes value reads as nil.
func Unmarshal(b []byte, lim Limits) (*Model, error) {
	d := decoder{lim.orDefault()}
	m := new(Model)
	if err := d.model(m, b); err != nil {
		return nil, in("model", -1, err)
	}
	return m, nil
}

// UnmarshalTensor decodes a TensorProto, such as the input_*.pb and
// output_*.pb files of ONNX's test data, as Unmarshal does a model.
func UnmarshalTensor(b []byte, lim Limits) (*Tensor, error) {
	d := decoder{lim.orDefault()}
	t := new(Tensor)
	if err := d.tensor(t, b); err != nil {
		return nil, in("tensor", -1, err)
	}
	return t, nil
}

// decodeError is a decoding error and the path of the field it is in.
type decodeError struct {
	path string // "graph.node[3].attribute[1]"
	msg  string
}

func (e *decodeError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

// fail makes a decodeError at the message being decoded.
func fail(format string, a ...any) error {
	return &decodeError{msg: fmt.Sprintf(format, a...)}
}

// in puts err, from the message in field name (element i of it, when i
// is 0 or more), under that field in the path.
func in(name string, i int, err error) error {
	e, ok := err.(*decodeError)
	if !ok {
		return err
	}
	if i >= 0 {
		name += "[" + strconv.Itoa(i) + "]"
	}
	if e.path == "" {
		e.path = name
	} else {
		e.path = name + "." + e.path
	}
	return e
}

// field is one field as read: its number, wire type and value.
type field struct {
	num protowire.Number
	typ protowire.Type
	u   uint64 // the value of a varint, fixed32 or fixed64 field
	b   []byte // the value of a bytes field, in the input
}

// next reads the field at the start of b and returns it and the rest of b.
func next(b []byte) (f field, rest []byte, err error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return f, nil, fail("bad tag: %v", wireError(n))
	}
	f.num, f.typ = num, typ
	b = b[n:]
	switch typ {
	case protowire.VarintType:
		f.u, n = protowire.ConsumeVarint(b)
	case protowire.Fixed32Type:
		var v uint32
		v, n = protowire.ConsumeFixed32(b)
		f.u = uint64(v)
	case protowire.Fixed64Type:
		f.u, n = protowire.ConsumeFixed64(b)
	case protowire.BytesType:
		f.b, n = protowire.ConsumeBytes(b)
	default: // groups, which ONNX does not use; end group and reserved types fail
		n = protowire.ConsumeFieldValue(num, typ, b)
	}
	if n < 0 {
		return f, nil, fail("field %d: %v", num, wireError(n))
	}
	return f, b[n:], nil
}

// wireError is protowire's error for code n, without its "proto: "
// (whose space protobuf makes a regular or a non-breaking one at random).
func wireError(n int) string {
	s := protowire.ParseError(n).Error()
	if rest, ok := strings.CutPrefix(s, "proto:"); ok {
		s = strings.TrimLeft(rest, " \u00a0")
	}
	return s
}

// each calls do for each field of the message b, and stops at the first error.
func each(b []byte, do func(f *field) error) error {
	for len(b) > 0 {
		f, rest, err := next(b)
		if err != nil {
			return err
		}
		if err := do(&f); err != nil {
			return err
		}
		b = rest
	}
	return nil
}

func (f *field) want(t protowire.Type, name string) error {
	if f.typ != t {
		return fail("bad wire type %d for field %s (%d)", f.typ, name, f.num)
	}
	return nil
}

func (f *field) int64(p *int64, name string) error {
	*p = int64(f.u)
	return f.want(protowire.VarintType, name)
}

func (f *field) int32(p *int32, name string) error {
	*p = int32(f.u)
	return f.want(protowire.VarintType, name)
}

func (f *field) float(p *float32, name string) error {
	*p = math.Float32frombits(uint32(f.u))
	return f.want(protowire.Fixed32Type, name)
}

func (f *field) string(p *string, name string) error {
	if err := f.want(protowire.BytesType, name); err != nil {
		return err
	}
	*p = string(f.b)
	return nil
}

// bytes copies the value; an empty one is nil.
func (f *field) bytes(p *[]byte, name string) error {
	if err := f.want(protowire.BytesType, name); err != nil {
		return err
	}
	*p = nil
	if len(f.b) > 0 {
		*p = bytes.Clone(f.b)
	}
	return nil
}

func (f *field) strings(p *[]string, name string) error {
	var s string
	err := f.string(&s, name)
	*p = append(*p, s)
	return err
}

func (f *field) bytesList(p *[][]byte, name string) error {
	var s []byte
	err := f.bytes(&s, name)
	*p = append(*p, s)
	return err
}

// message decodes the message in f, element i of field name (i < 0: a
// singular field), with decode.
func (f *field) message(name string, i int, decode func([]byte) error) error {
	if err := f.want(protowire.BytesType, name); err != nil {
		return err
	}
	return in(name, i, decode(f.b))
}

// varints appends the values of a repeated varint field, packed or not;
// more than limit values (limit > 0) are an error.
func varints[T ~int32 | ~int64 | ~uint64](f *field, p *[]T, name string, limit int) error {
	if f.typ == protowire.VarintType {
		*p = append(*p, T(f.u))
	} else if err := f.want(protowire.BytesType, name); err != nil {
		return err
	} else {
		for b := f.b; len(b) > 0; {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return fail("field %s (%d): packed: %v", name, f.num, wireError(n))
			}
			*p = append(*p, T(v))
			b = b[n:]
			if limit > 0 && len(*p) > limit {
				break
			}
		}
	}
	if limit > 0 && len(*p) > limit {
		return fail("more than %d %s", limit, name)
	}
	return nil
}

// fixed reads a repeated float (size 4) or double (size 8) field, packed
// or not, and calls add with the bits of each value.
func fixed(f *field, name string, size int, add func(bits uint64)) error {
	typ := protowire.Fixed32Type
	if size == 8 {
		typ = protowire.Fixed64Type
	}
	if f.typ == typ {
		add(f.u)
		return nil
	}
	if err := f.want(protowire.BytesType, name); err != nil {
		return err
	}
	if len(f.b)%size != 0 {
		return fail("field %s (%d): packed: %d bytes are not a whole number of %d-byte values", name, f.num, len(f.b), size)
	}
	for b := f.b; len(b) > 0; b = b[size:] {
		if size == 4 {
			add(uint64(binary.LittleEndian.Uint32(b)))
		} else {
			add(binary.LittleEndian.Uint64(b))
		}
	}
	return nil
}

func floats(f *field, p *[]float32, name string) error {
	return fixed(f, name, 4, func(u uint64) { *p = append(*p, math.Float32frombits(uint32(u))) })
}

func doubles(f *field, p *[]float64, name string) error {
	return fixed(f, name, 8, func(u uint64) { *p = append(*p, math.Float64frombits(u)) })
}

// decoder decodes messages within its limits.
type decoder struct{ lim Limits }

func (d *decoder) model(m *Model, b []byte) error {
	return each(b, func(f *field) error {
		switch f.num {
		case 1:
			return f.int64(&m.IRVersion, "ir_version")
		case 2:
			return f.string(&m.ProducerName, "producer_name")
		case 3:
			return f.string(&m.ProducerVersion, "producer_version")
		case 4:
			return f.string(&m.Domain, "domain")
		case 5:
			return f.int64(&m.ModelVersion, "model_version")
		case 6:
			return f.string(&m.DocString, "doc_string")
		case 7:
			if m.Graph == nil {
				m.Graph = new(Graph)
			}
			return f.message("graph", -1, func(b []byte) error { return d.graph(m.Graph, b, 1) })
		case 8:
			m.OpsetImport = append(m.OpsetImport, OpsetID{})
			o := &m.OpsetImport[len(m.OpsetImport)-1]
			return f.message("opset_import", len(m.OpsetImport)-1, func(b []byte) error {
				return each(b, func(f *field) error {
					switch f.num {
					case 1:
						return f.string(&o.Domain, "domain")
					case 2:
						return f.int64(&o.Version, "version")
					}
					return nil
				})
			})
		case 14:
			return stringEntry(f, "metadata_props", &m.MetadataProps)
		}
		return nil
	})
}

// stringEntry appends the StringStringEntryProto in f to *p.
func stringEntry(f *field, name string, p *[]StringEntry) error {
	*p = append(*p, StringEntry{})
	e := &(*p)[len(*p)-1]
	return f.message(name, len(*p)-1, func(b []byte) error {
		return each(b, func(f *field) error {
			switch f.num {
			case 1:
				return f.string(&e.Key, "key")
			case 2:
				return f.string(&e.Value, "value")
			}
			return nil
		})
	})
}

func (d *decoder) graph(g *Graph, b []byte, depth int) error {
	if depth > d.lim.MaxDepth {
		return fail("graphs nested more than %d deep", d.lim.MaxDepth)
	}
	valueInfo := func(f *field, name string, p *[]*ValueInfo) error {
		v := new(ValueInfo)
		*p = append(*p, v)
		return f.message(name, len(*p)-1, func(b []byte) error { return d.valueInfo(v, b) })
	}
	return each(b, func(f *field) error {
		switch f.num {
		case 1:
			n := new(Node)
			g.Node = append(g.Node, n)
			return f.message("node", len(g.Node)-1, func(b []byte) error { return d.node(n, b, depth) })
		case 2:
			return f.string(&g.Name, "name")
		case 5:
			t := new(Tensor)
			g.Initializer = append(g.Initializer, t)
			return f.message("initializer", len(g.Initializer)-1, func(b []byte) error { return d.tensor(t, b) })
		case 10:
			return f.string(&g.DocString, "doc_string")
		case 11:
			return valueInfo(f, "input", &g.Input)
		case 12:
			return valueInfo(f, "output", &g.Output)
		case 13:
			return valueInfo(f, "value_info", &g.ValueInfo)
		}
		return nil
	})
}

func (d *decoder) node(n *Node, b []byte, depth int) error {
	return each(b, func(f *field) error {
		switch f.num {
		case 1:
			return f.strings(&n.Input, "input")
		case 2:
			return f.strings(&n.Output, "output")
		case 3:
			return f.string(&n.Name, "name")
		case 4:
			return f.string(&n.OpType, "op_type")
		case 5:
			a := new(Attribute)
			n.Attribute = append(n.Attribute, a)
			return f.message("attribute", len(n.Attribute)-1, func(b []byte) error { return d.attribute(a, b, depth) })
		case 6:
			return f.string(&n.DocString, "doc_string")
		case 7:
			return f.string(&n.Domain, "domain")
		}
		return nil
	})
}

func (d *decoder) attribute(a *Attribute, b []byte, depth int) error {
	err := each(b, func(f *field) error {
		switch f.num {
		case 1:
			return f.string(&a.Name, "name")
		case 2:
			return f.float(&a.F, "f")
		case 3:
			return f.int64(&a.I, "i")
		case 4:
			return f.bytes(&a.S, "s")
		case 5:
			if a.T == nil {
				a.T = new(Tensor)
			}
			return f.message("t", -1, func(b []byte) error { return d.tensor(a.T, b) })
		case 6:
			if a.G == nil {
				a.G = new(Graph)
			}
			return f.message("g", -1, func(b []byte) error { return d.graph(a.G, b, depth+1) })
		case 7:
			return floats(f, &a.Floats, "floats")
		case 8:
			return varints(f, &a.Ints, "ints", 0)
		case 9:
			return f.bytesList(&a.Strings, "strings")
		case 10:
			t := new(Tensor)
			a.Tensors = append(a.Tensors, t)
			return f.message("tensors", len(a.Tensors)-1, func(b []byte) error { return d.tensor(t, b) })
		case 11:
			g := new(Graph)
			a.Graphs = append(a.Graphs, g)
			return f.message("graphs", len(a.Graphs)-1, func(b []byte) error { return d.graph(g, b, depth+1) })
		case 13:
			return f.string(&a.DocString, "doc_string")
		case 20:
			return f.int32(&a.Type, "type")
		case 21:
			return f.string(&a.RefAttrName, "ref_attr_name")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if a.Type < AttrFloat || a.Type > AttrGraphs {
		return nil
	}
	v := *a // keep the value field that Type names
	*a = Attribute{Name: v.Name, DocString: v.DocString, Type: v.Type, RefAttrName: v.RefAttrName}
	switch v.Type {
	case AttrFloat:
		a.F = v.F
	case AttrInt:
		a.I = v.I
	case AttrString:
		a.S = v.S
	case AttrTensor:
		a.T = v.T
	case AttrGraph:
		a.G = v.G
	case AttrFloats:
		a.Floats = v.Floats
	case AttrInts:
		a.Ints = v.Ints
	case AttrStrings:
		a.Strings = v.Strings
	case AttrTensors:
		a.Tensors = v.Tensors
	case AttrGraphs:
		a.Graphs = v.Graphs
	}
	return nil
}

func (d *decoder) valueInfo(v *ValueInfo, b []byte) error {
	return each(b, func(f *field) error {
		switch f.num {
		case 1:
			return f.string(&v.Name, "name")
		case 2:
			if v.Type == nil {
				v.Type = new(Type)
			}
			return f.message("type", -1, func(b []byte) error { return d.typ(v.Type, b) })
		case 3:
			return f.string(&v.DocString, "doc_string")
		}
		return nil
	})
}

func (d *decoder) typ(t *Type, b []byte) error {
	for len(b) > 0 {
		f, rest, err := next(b)
		if err != nil {
			return err
		}
		switch f.num {
		case 1:
			err = f.message("tensor_type", -1, func(b []byte) error { return d.tensorType(t, b) })
		case 6: // denotation
		default:
			t.NotTensor = true
			t.Other = append(t.Other, b[:len(b)-len(rest)]...)
		}
		if err != nil {
			return err
		}
		b = rest
	}
	return nil
}

func (d *decoder) tensorType(t *Type, b []byte) error {
	return each(b, func(f *field) error {
		switch f.num {
		case 1:
			return f.int32(&t.ElemType, "elem_type")
		case 2:
			t.HasShape = true
			return f.message("shape", -1, func(b []byte) error {
				return each(b, func(f *field) error {
					if f.num != 1 {
						return nil
					}
					if len(t.Shape) >= d.lim.MaxDims {
						return fail("more than %d dims", d.lim.MaxDims)
					}
					t.Shape = append(t.Shape, Dim{})
					return f.message("dim", len(t.Shape)-1, func(b []byte) error { return dim(&t.Shape[len(t.Shape)-1], b) })
				})
			})
		}
		return nil
	})
}

// dim decodes a Dimension; dim_value and dim_param are a oneof, of which
// the last one read wins.
func dim(d *Dim, b []byte) error {
	return each(b, func(f *field) error {
		switch f.num {
		case 1:
			d.Param = ""
			if err := f.int64(&d.Value, "dim_value"); err != nil {
				return err
			}
			if d.Value < 0 {
				return fail("dim_value %d is negative", d.Value)
			}
		case 2:
			d.Value = 0
			return f.string(&d.Param, "dim_param")
		}
		return nil
	})
}

func (d *decoder) tensor(t *Tensor, b []byte) error {
	err := each(b, func(f *field) error {
		switch f.num {
		case 1:
			return varints(f, &t.Dims, "dims", d.lim.MaxDims)
		case 2:
			return f.int32(&t.DataType, "data_type")
		case 4:
			return floats(f, &t.FloatData, "float_data")
		case 5:
			return varints(f, &t.Int32Data, "int32_data", 0)
		case 6:
			return f.bytesList(&t.StringData, "string_data")
		case 7:
			return varints(f, &t.Int64Data, "int64_data", 0)
		case 8:
			return f.string(&t.Name, "name")
		case 9:
			return f.bytes(&t.RawData, "raw_data")
		case 10:
			return doubles(f, &t.DoubleData, "double_data")
		case 11:
			return varints(f, &t.Uint64Data, "uint64_data", 0)
		case 12:
			return f.string(&t.DocString, "doc_string")
		case 13:
			return stringEntry(f, "external_data", &t.External)
		case 14:
			return f.int32(&t.DataLocation, "data_location")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if _, err := numElements(t.Dims, d.lim); err != nil {
		return in("dims", -1, err)
	}
	return nil
}
