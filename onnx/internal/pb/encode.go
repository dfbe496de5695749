package pb

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Marshal encodes m as a ModelProto, deterministically: fields in the
// order of their numbers, repeated numbers packed. Zero numbers, empty
// strings and bytes, empty lists and nil messages are left out, except
// where ONNX needs them: Tensor.DataType and Attribute.Type are always
// written, an attribute's value as its Type says (see Attribute), and a
// Dim's dim_value whenever its Param is empty. Nil elements of message
// lists are written as empty messages. Marshal(nil) is empty.
func Marshal(m *Model) []byte {
	if m == nil {
		return nil
	}
	var b []byte
	b = putInt(b, 1, m.IRVersion)
	b = putString(b, 2, m.ProducerName)
	b = putString(b, 3, m.ProducerVersion)
	b = putString(b, 4, m.Domain)
	b = putInt(b, 5, m.ModelVersion)
	b = putString(b, 6, m.DocString)
	if m.Graph != nil {
		b = putMessage(b, 7, func(b []byte) []byte { return appendGraph(b, m.Graph) })
	}
	for _, o := range m.OpsetImport {
		b = putMessage(b, 8, func(b []byte) []byte {
			b = putString(b, 1, o.Domain)
			return putInt(b, 2, o.Version)
		})
	}
	return putEntries(b, 14, m.MetadataProps)
}

// MarshalTensor encodes t as a TensorProto, as Marshal does a model's.
func MarshalTensor(t *Tensor) []byte {
	if t == nil {
		return nil
	}
	return appendTensor(nil, t)
}

func putTag(b []byte, num protowire.Number, typ protowire.Type) []byte {
	return protowire.AppendTag(b, num, typ)
}

// putVarint writes a varint field, even 0.
func putVarint(b []byte, num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(putTag(b, num, protowire.VarintType), v)
}

// putInt writes an int64 or int32 field unless it is 0.
func putInt[T int32 | int64](b []byte, num protowire.Number, v T) []byte {
	if v == 0 {
		return b
	}
	return putVarint(b, num, uint64(v))
}

func putString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return protowire.AppendString(putTag(b, num, protowire.BytesType), s)
}

func putBytes(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	return protowire.AppendBytes(putTag(b, num, protowire.BytesType), v)
}

// putMessage writes a message field whose content enc appends: it is
// appended in place and moved up by the size of its length.
func putMessage(b []byte, num protowire.Number, enc func([]byte) []byte) []byte {
	b = putTag(b, num, protowire.BytesType)
	start := len(b)
	b = enc(b)
	n := len(b) - start
	k := protowire.SizeVarint(uint64(n))
	var room [10]byte
	b = append(b, room[:k]...)
	copy(b[start+k:], b[start:start+n])
	protowire.AppendVarint(b[:start], uint64(n))
	return b
}

// putPacked writes a packed repeated varint field unless v is empty.
func putPacked[T int32 | int64 | uint64](b []byte, num protowire.Number, v []T) []byte {
	if len(v) == 0 {
		return b
	}
	n := 0
	for _, x := range v {
		n += protowire.SizeVarint(uint64(x))
	}
	b = protowire.AppendVarint(putTag(b, num, protowire.BytesType), uint64(n))
	for _, x := range v {
		b = protowire.AppendVarint(b, uint64(x))
	}
	return b
}

func putFloats(b []byte, num protowire.Number, v []float32) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendVarint(putTag(b, num, protowire.BytesType), uint64(4*len(v)))
	for _, x := range v {
		b = protowire.AppendFixed32(b, math.Float32bits(x))
	}
	return b
}

func putDoubles(b []byte, num protowire.Number, v []float64) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendVarint(putTag(b, num, protowire.BytesType), uint64(8*len(v)))
	for _, x := range v {
		b = protowire.AppendFixed64(b, math.Float64bits(x))
	}
	return b
}

func putEntries(b []byte, num protowire.Number, es []StringEntry) []byte {
	for _, e := range es {
		b = putMessage(b, num, func(b []byte) []byte {
			b = putString(b, 1, e.Key)
			return putString(b, 2, e.Value)
		})
	}
	return b
}

func appendGraph(b []byte, g *Graph) []byte {
	if g == nil {
		return b
	}
	for _, n := range g.Node {
		b = putMessage(b, 1, func(b []byte) []byte { return appendNode(b, n) })
	}
	b = putString(b, 2, g.Name)
	for _, t := range g.Initializer {
		b = putMessage(b, 5, func(b []byte) []byte { return appendTensor(b, t) })
	}
	b = putString(b, 10, g.DocString)
	for _, f := range []struct {
		num protowire.Number
		vs  []*ValueInfo
	}{{11, g.Input}, {12, g.Output}, {13, g.ValueInfo}} {
		for _, v := range f.vs {
			b = putMessage(b, f.num, func(b []byte) []byte { return appendValueInfo(b, v) })
		}
	}
	return b
}

func appendNode(b []byte, n *Node) []byte {
	if n == nil {
		return b
	}
	for _, s := range n.Input {
		b = protowire.AppendString(putTag(b, 1, protowire.BytesType), s)
	}
	for _, s := range n.Output {
		b = protowire.AppendString(putTag(b, 2, protowire.BytesType), s)
	}
	b = putString(b, 3, n.Name)
	b = putString(b, 4, n.OpType)
	for _, a := range n.Attribute {
		b = putMessage(b, 5, func(b []byte) []byte { return appendAttribute(b, a) })
	}
	b = putString(b, 6, n.DocString)
	return putString(b, 7, n.Domain)
}

func appendAttribute(b []byte, a *Attribute) []byte {
	if a == nil {
		return b
	}
	// all: a Type that names no value field of ours; every non-empty one is written
	all := a.Type < AttrFloat || a.Type > AttrGraphs
	is := func(t int32) bool { return a.Type == t || all }
	b = putString(b, 1, a.Name)
	if a.Type == AttrFloat || all && math.Float32bits(a.F) != 0 {
		b = protowire.AppendFixed32(putTag(b, 2, protowire.Fixed32Type), math.Float32bits(a.F))
	}
	if a.Type == AttrInt || all && a.I != 0 {
		b = putVarint(b, 3, uint64(a.I))
	}
	if a.Type == AttrString {
		b = protowire.AppendBytes(putTag(b, 4, protowire.BytesType), a.S)
	} else if all {
		b = putBytes(b, 4, a.S)
	}
	if is(AttrTensor) && a.T != nil {
		b = putMessage(b, 5, func(b []byte) []byte { return appendTensor(b, a.T) })
	}
	if is(AttrGraph) && a.G != nil {
		b = putMessage(b, 6, func(b []byte) []byte { return appendGraph(b, a.G) })
	}
	if is(AttrFloats) {
		b = putFloats(b, 7, a.Floats)
	}
	if is(AttrInts) {
		b = putPacked(b, 8, a.Ints)
	}
	if is(AttrStrings) {
		for _, s := range a.Strings {
			b = protowire.AppendBytes(putTag(b, 9, protowire.BytesType), s)
		}
	}
	if is(AttrTensors) {
		for _, t := range a.Tensors {
			b = putMessage(b, 10, func(b []byte) []byte { return appendTensor(b, t) })
		}
	}
	if is(AttrGraphs) {
		for _, g := range a.Graphs {
			b = putMessage(b, 11, func(b []byte) []byte { return appendGraph(b, g) })
		}
	}
	b = putString(b, 13, a.DocString)
	b = putVarint(b, 20, uint64(a.Type))
	return putString(b, 21, a.RefAttrName)
}

func appendValueInfo(b []byte, v *ValueInfo) []byte {
	if v == nil {
		return b
	}
	b = putString(b, 1, v.Name)
	if t := v.Type; t != nil {
		b = putMessage(b, 2, func(b []byte) []byte { return appendType(b, t) })
	}
	return putString(b, 3, v.DocString)
}

func appendType(b []byte, t *Type) []byte {
	shape := t.HasShape || len(t.Shape) > 0
	if !t.NotTensor || t.ElemType != 0 || shape {
		b = putMessage(b, 1, func(b []byte) []byte {
			b = putInt(b, 1, t.ElemType)
			if !shape {
				return b
			}
			return putMessage(b, 2, func(b []byte) []byte {
				for _, d := range t.Shape {
					b = putMessage(b, 1, func(b []byte) []byte {
						if d.Param != "" {
							return putString(b, 2, d.Param)
						}
						return putVarint(b, 1, uint64(d.Value))
					})
				}
				return b
			})
		})
	}
	if t.NotTensor {
		b = append(b, t.Other...)
	}
	return b
}

func appendTensor(b []byte, t *Tensor) []byte {
	if t == nil {
		return b
	}
	b = putPacked(b, 1, t.Dims)
	b = putVarint(b, 2, uint64(t.DataType))
	b = putFloats(b, 4, t.FloatData)
	b = putPacked(b, 5, t.Int32Data)
	for _, s := range t.StringData {
		b = protowire.AppendBytes(putTag(b, 6, protowire.BytesType), s)
	}
	b = putPacked(b, 7, t.Int64Data)
	b = putString(b, 8, t.Name)
	b = putBytes(b, 9, t.RawData)
	b = putDoubles(b, 10, t.DoubleData)
	b = putPacked(b, 11, t.Uint64Data)
	b = putString(b, 12, t.DocString)
	b = putEntries(b, 13, t.External)
	return putInt(b, 14, t.DataLocation)
}
