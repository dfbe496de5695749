// Package pb reads and writes the ONNX protobuf messages that convnet
// uses (onnx.proto of ONNX 1.12, as Debian's libonnx-dev ships it in
// /usr/include/onnx/onnx.proto), by hand with protowire: a handful of
// messages, bounded as they are read, so that a file from a stranger
// cannot make the reader allocate more than its own size allows or
// recurse without end.
//
// Fields convnet does not use (training info, functions, sparse tensors,
// sequence and map types) are skipped when read and never written.
package pb

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

// Attribute is AttributeProto.
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
// type and the shape. A Type with ElemType 0 and no Shape is some other
// kind (sequence, map), which convnet does not run.
type Type struct {
	ElemType  int32 // tensor_type.elem_type (1.1)
	Shape     []Dim // tensor_type.shape.dim (1.2.1); nil: unknown rank
	HasShape  bool  // tensor_type.shape is present (a scalar has no dims)
	NotTensor bool  // the type is not tensor_type
}

// Dim is TensorShapeProto.Dimension: a fixed size, or a named one.
type Dim struct {
	Value int64  // dim_value (1)
	Param string // dim_param (2): a symbolic size ("batch"); Value is then 0
}

// Tensor is TensorProto. Its values are in exactly one of the typed
// fields or RawData (little-endian), or in a file beside the model
// (External, with DataLocation 1).
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
	DataLocation int32         // 14
}
