// Package pb reads and writes the ONNX protobuf messages that convnet
// uses (onnx.proto of ONNX 1.12, as Debian's libonnx-dev ships it in
// /usr/include/onnx/onnx.proto), by hand with protowire: a handful of
// messages, bounded as they are read, so that a file from a stranger
// cannot make the reader allocate more than its own size allows or
// recurse without end.
//
// Fields convnet does not use (training info, functions, sparse tensors,
// type-proto attribute values, segments, denotations) are skipped when
// read and never written; a TypeProto of another kind than tensor
// (sequence, map, optional) is kept as its encoded bytes (Type.Other) and
// written back unchanged.
//
// Unmarshal, UnmarshalTensor and Marshal convert between bytes and the
// structs; Tensor.Floats and Tensor.Int64s give a tensor's values, from
// whichever field or file holds them. Nothing read from a file decides
// the size of an allocation before the bytes it describes are present.
package pb

// Limits bound what Unmarshal and UnmarshalTensor accept. A field that
// is 0 or less takes its value from DefaultLimits.
type Limits struct {
	// MaxDepth is how deep graphs may nest: a model's graph is at depth
	// 1, a graph in one of its nodes' attributes at depth 2.
	MaxDepth int
	// MaxDims is the most dims a tensor, or a shape, may have.
	MaxDims int
	// MaxElements is the most elements a tensor may have: the product of
	// its dims, each of which must be 0 or more.
	MaxElements int64
}

// DefaultLimits are the limits for Limits fields left 0, and those that
// Tensor.NumElements, Tensor.Floats and Tensor.Int64s check.
var DefaultLimits = Limits{MaxDepth: 16, MaxDims: 8, MaxElements: 1 << 31}

// orDefault is l with its fields that are 0 or less from DefaultLimits.
func (l Limits) orDefault() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxDims <= 0 {
		l.MaxDims = DefaultLimits.MaxDims
	}
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultLimits.MaxElements
	}
	return l
}

// Data types of TensorProto.DataType (TensorProto.DataType in onnx.proto).
const (
	Undefined = 0
	Float     = 1
	Uint8     = 2
	Int8      = 3
	Uint16    = 4
	Int16     = 5
	Int32     = 6
	Int64     = 7
	String    = 8
	Bool      = 9
	Float16   = 10
	Double    = 11
	Uint32    = 12
	Uint64    = 13
	Bfloat16  = 16
)

// Attribute types (AttributeProto.AttributeType).
const (
	AttrFloat   = 1
	AttrInt     = 2
	AttrString  = 3
	AttrTensor  = 4
	AttrGraph   = 5
	AttrFloats  = 6
	AttrInts    = 7
	AttrStrings = 8
	AttrTensors = 9
	AttrGraphs  = 10
)

// Model is ModelProto.
type Model struct {
	IRVersion       int64         // 1
	ProducerName    string        // 2
	ProducerVersion string        // 3
	Domain          string        // 4
	ModelVersion    int64         // 5
	DocString       string        // 6
	Graph           *Graph        // 7
	OpsetImport     []OpsetID     // 8
	MetadataProps   []StringEntry // 14
}

// OpsetID is OperatorSetIdProto.
type OpsetID struct {
	Domain  string // 1
	Version int64  // 2
}

// StringEntry is StringStringEntryProto.
type StringEntry struct {
	Key   string // 1
	Value string // 2
}

// Graph is GraphProto.
type Graph struct {
	Node        []*Node      // 1
	Name        string       // 2
	Initializer []*Tensor    // 5
	DocString   string       // 10
	Input       []*ValueInfo // 11
	Output      []*ValueInfo // 12
	ValueInfo   []*ValueInfo // 13
}

// Node is NodeProto.
type Node struct {
	Input     []string     // 1
	Output    []string     // 2
	Name      string       // 3
	OpType    string       // 4
	Attribute []*Attribute // 5
	DocString string       // 6
	Domain    string       // 7
}

// Attribute is AttributeProto. Type (one of the Attr constants) says
// which value field is in use: for Types AttrFloat to AttrGraphs, Unmarshal
// keeps only that field and Marshal writes only that one (F and I even
// when 0, S even when empty); for another Type (0 in old files, or sparse
// tensors and type protos, whose values are not read) every non-empty
// value field is kept and written. Type is always written.
type Attribute struct {
	Name        string    // 1
	F           float32   // 2
	I           int64     // 3
	S           []byte    // 4
	T           *Tensor   // 5
	G           *Graph    // 6
	Floats      []float32 // 7
	Ints        []int64   // 8
	Strings     [][]byte  // 9
	Tensors     []*Tensor // 10
	Graphs      []*Graph  // 11
	DocString   string    // 13
	Type        int32     // 20
	RefAttrName string    // 21
}

// ValueInfo is ValueInfoProto: a graph input's or output's name and type.
type ValueInfo struct {
	Name      string // 1
	Type      *Type  // 2
	DocString string // 3
}

// Type is TypeProto, of which only tensor_type (1) is read: the element
// type and the shape. Any other field but denotation (6) makes the type
// some other kind (sequence 4, map 5, sparse tensor 8, optional 9), which
// convnet does not run: NotTensor is then set, and Other holds those
// fields as read.
//
// Marshal writes tensor_type unless the Type is NotTensor with neither
// ElemType nor a shape, a shape when HasShape or Shape is not empty, and
// Other, unchanged, when NotTensor.
type Type struct {
	ElemType  int32  // tensor_type.elem_type (1.1)
	Shape     []Dim  // tensor_type.shape.dim (1.2.1)
	HasShape  bool   // tensor_type.shape is present: without it the rank is unknown; with it and no dims, a scalar
	NotTensor bool   // the type has a field of another kind than tensor_type
	Other     []byte // when NotTensor: the encoded fields of the other kind(s)
}

// Dim is TensorShapeProto.Dimension: a fixed size, or a named one. A
// dimension with neither reads as Dim{} and is written as dim_value 0.
type Dim struct {
	Value int64  // dim_value (1), 0 or more
	Param string // dim_param (2): a symbolic size ("batch"); Value is then 0
}

// Tensor is TensorProto. Its values are in exactly one of the typed
// fields or RawData (little-endian), or in a file beside the model
// (External, with DataLocation 1): Floats and Int64s find them. As read,
// its dims are checked against Limits; Marshal always writes DataType.
type Tensor struct {
	Dims         []int64       // 1
	DataType     int32         // 2
	FloatData    []float32     // 4
	Int32Data    []int32       // 5
	StringData   [][]byte      // 6
	Int64Data    []int64       // 7
	Name         string        // 8
	RawData      []byte        // 9
	DoubleData   []float64     // 10
	Uint64Data   []uint64      // 11
	DocString    string        // 12
	External     []StringEntry // 13
	DataLocation int32         // 14: 0 DEFAULT, 1 EXTERNAL
}
