package pth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// Limits of the unpickler. A pickle that reaches one is refused; none is
// near what a state_dict of any real model needs.
const (
	maxStack = 1 << 22 // values on the stack at once
	maxMemo  = 1 << 22 // memo entries
	maxMarks = 1 << 12 // MARKs open at once: the nesting depth of tuples, lists and dicts being built
)

// The values the unpickler builds. Python's int, float, str, bytes and None
// become int64, float64, string, bytesVal and none; the containers are
// tuple, *list and *dict (sets become *list). Nothing is ever imported or
// called: a global is a *global naming it, and a call (REDUCE, NEWOBJ) of
// one is a *call recording the callable and, for the allow-listed ones,
// its arguments. Only collections.OrderedDict is "called", making a *dict.
type (
	none     struct{}
	bytesVal string
	// bigInt is an int outside int64's range; its value is not kept.
	bigInt struct{}
	tuple  []any
	list   struct{ items []any }
	dict   struct {
		keys, vals []any
		index      map[any]int // position of each hashable key
	}
	global struct{ module, name string }
	call   struct {
		fn   *global
		args tuple // nil unless fn is allowed
	}
	// persID is the object a persistent id (BINPERSID) stands for: in a
	// torch.save file, a storage. The id is checked when a tensor uses it.
	persID struct{ pid any }
)

func (g *global) String() string { return g.module + "." + g.name }

func newDict() *dict { return &dict{index: map[any]int{}} }

// set sets d[k] = v as Python does: a key already present keeps its place.
// Keys that are not hashable here (tuples) are appended without checking.
func (d *dict) set(k, v any) {
	switch k.(type) {
	case string, int64, float64, bool, none, bytesVal, *bigInt, *list, *dict, *global, *call, *persID:
		if i, ok := d.index[k]; ok {
			d.vals[i] = v
			return
		}
		d.index[k] = len(d.keys)
	}
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
}

// get returns d[k] for a string key.
func (d *dict) get(k string) (any, bool) {
	i, ok := d.index[k]
	if !ok {
		return nil, false
	}
	return d.vals[i], true
}

// The globals a state_dict's pickle may name. Any other is recorded as a
// *global and refused where its value would be used.
const (
	gOrderedDict        = "collections.OrderedDict"
	gRebuildTensorV2    = "torch._utils._rebuild_tensor_v2"
	gRebuildTensor      = "torch._utils._rebuild_tensor"
	gRebuildParam       = "torch._utils._rebuild_parameter"
	gRebuildParamWState = "torch._utils._rebuild_parameter_with_state"
)

// storageTypes maps each allowed torch storage class to the safetensors
// dtype of its elements and their size in bytes.
var storageTypes = map[string]struct {
	dtype string
	size  int
}{
	"torch.FloatStorage":    {"F32", 4},
	"torch.DoubleStorage":   {"F64", 8},
	"torch.HalfStorage":     {"F16", 2},
	"torch.BFloat16Storage": {"BF16", 2},
	"torch.LongStorage":     {"I64", 8},
	"torch.IntStorage":      {"I32", 4},
	"torch.ShortStorage":    {"I16", 2},
	"torch.CharStorage":     {"I8", 1},
	"torch.ByteStorage":     {"U8", 1},
	"torch.BoolStorage":     {"BOOL", 1},
}

func allowed(name string) bool {
	switch name {
	case gOrderedDict, gRebuildTensorV2, gRebuildTensor, gRebuildParam, gRebuildParamWState:
		return true
	}
	_, ok := storageTypes[name]
	return ok
}

// GlobalError reports a pickle whose needed part names a Python global
// outside pth's allow-list (collections.OrderedDict, the torch._utils
// functions that rebuild tensors and parameters, and torch's storage
// classes). pth never imports or calls anything; it refuses the file.
type GlobalError struct {
	Global string // module.name, such as "os.system"
}

func (e *GlobalError) Error() string {
	return "refusing to load the Python global " + e.Global + " (only a state_dict's tensors are read)"
}

// unpickler is a stack machine for the pickle opcodes of protocols 2 to 5
// that torch.save and Python's pickler emit for plain data, without the
// text opcodes of protocols 0 and 1, the extension registry or out-of-band
// buffers.
type unpickler struct {
	data  []byte
	pos   int
	stack []any
	marks []int
	memo  map[uint32]any
}

type pickleError struct {
	pos int
	msg string
}

func (e *pickleError) Error() string { return fmt.Sprintf("data.pkl: %s (at byte %d)", e.msg, e.pos) }

// unpickle runs the pickle in data and returns the object it builds.
func unpickle(data []byte) (any, error) {
	u := &unpickler{data: data, memo: map[uint32]any{}}
	return u.run()
}

func (u *unpickler) fail(start int, format string, args ...any) error {
	return &pickleError{pos: start, msg: fmt.Sprintf(format, args...)}
}

var errTruncated = errors.New("truncated")

// read returns the next n bytes.
func (u *unpickler) read(n uint64) ([]byte, error) {
	if n > uint64(len(u.data)-u.pos) {
		return nil, errTruncated
	}
	b := u.data[u.pos : u.pos+int(n)]
	u.pos += int(n)
	return b, nil
}

// readLine returns the bytes up to the next newline, which it skips.
func (u *unpickler) readLine() (string, error) {
	for i := u.pos; i < len(u.data); i++ {
		if u.data[i] == '\n' {
			s := string(u.data[u.pos:i])
			u.pos = i + 1
			return s, nil
		}
	}
	return "", errTruncated
}

func (u *unpickler) readUint(n int) (uint64, error) {
	b, err := u.read(uint64(n))
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

func (u *unpickler) push(v any) error {
	if len(u.stack) >= maxStack {
		return fmt.Errorf("more than %d values on the stack", maxStack)
	}
	u.stack = append(u.stack, v)
	return nil
}

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 || (len(u.marks) > 0 && len(u.stack) <= u.marks[len(u.marks)-1]) {
		return nil, errors.New("stack underflow")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 || (len(u.marks) > 0 && len(u.stack) <= u.marks[len(u.marks)-1]) {
		return nil, errors.New("stack underflow")
	}
	return u.stack[len(u.stack)-1], nil
}

// popMark pops the values pushed since the last MARK, and the MARK.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, errors.New("no MARK")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := u.stack[m:]
	u.stack = u.stack[:m]
	return items, nil
}

func (u *unpickler) memoize(i uint32) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	if _, ok := u.memo[i]; !ok && len(u.memo) >= maxMemo {
		return fmt.Errorf("more than %d memo entries", maxMemo)
	}
	u.memo[i] = v
	return nil
}

func (u *unpickler) get(i uint32) error {
	v, ok := u.memo[i]
	if !ok {
		return fmt.Errorf("memo entry %d is not set", i)
	}
	return u.push(v)
}

func (u *unpickler) run() (any, error) {
	for {
		start := u.pos
		if u.pos >= len(u.data) {
			return nil, u.fail(start, "truncated: the pickle ends without STOP")
		}
		op := u.data[u.pos]
		u.pos++
		stop, err := u.step(op)
		if err == errTruncated {
			return nil, u.fail(start, "truncated: opcode 0x%02x needs more bytes", op)
		}
		if err != nil {
			return nil, u.fail(start, "opcode 0x%02x: %v", op, err)
		}
		if stop {
			v, err := u.pop()
			if err != nil {
				return nil, u.fail(start, "STOP: %v", err)
			}
			return v, nil
		}
	}
}

// step runs one opcode; it reports whether it was STOP.
func (u *unpickler) step(op byte) (bool, error) {
	switch op {
	case 0x80: // PROTO
		b, err := u.read(1)
		if err != nil {
			return false, err
		}
		if b[0] > 5 {
			return false, fmt.Errorf("unsupported pickle protocol %d", b[0])
		}
	case 0x95: // FRAME: a length, then the frame's opcodes inline
		if _, err := u.read(8); err != nil {
			return false, err
		}
	case '.': // STOP
		return true, nil
	case '(': // MARK
		if len(u.marks) >= maxMarks {
			return false, fmt.Errorf("more than %d nested MARKs", maxMarks)
		}
		u.marks = append(u.marks, len(u.stack))
	case '0': // POP
		if len(u.marks) > 0 && u.marks[len(u.marks)-1] == len(u.stack) {
			_, err := u.popMark()
			return false, err
		}
		_, err := u.pop()
		return false, err
	case '1': // POP_MARK
		_, err := u.popMark()
		return false, err
	case '2': // DUP
		v, err := u.top()
		if err != nil {
			return false, err
		}
		return false, u.push(v)

	case 'N': // NONE
		return false, u.push(none{})
	case 0x88: // NEWTRUE
		return false, u.push(true)
	case 0x89: // NEWFALSE
		return false, u.push(false)
	case 'J': // BININT
		v, err := u.readUint(4)
		if err != nil {
			return false, err
		}
		return false, u.push(int64(int32(uint32(v))))
	case 'K': // BININT1
		v, err := u.readUint(1)
		if err != nil {
			return false, err
		}
		return false, u.push(int64(v))
	case 'M': // BININT2
		v, err := u.readUint(2)
		if err != nil {
			return false, err
		}
		return false, u.push(int64(v))
	case 0x8a: // LONG1
		n, err := u.readUint(1)
		if err != nil {
			return false, err
		}
		b, err := u.read(n)
		if err != nil {
			return false, err
		}
		return false, u.push(long(b))
	case 0x8b: // LONG4
		n, err := u.readUint(4)
		if err != nil {
			return false, err
		}
		if int32(n) < 0 {
			return false, errors.New("negative LONG4 length")
		}
		b, err := u.read(n)
		if err != nil {
			return false, err
		}
		return false, u.push(long(b))
	case 'G': // BINFLOAT, big-endian
		b, err := u.read(8)
		if err != nil {
			return false, err
		}
		return false, u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))

	case 'X', 0x8c, 0x8d, 'T', 'U': // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8, BINSTRING, SHORT_BINSTRING
		b, err := u.readCounted(op)
		if err != nil {
			return false, err
		}
		if (op == 'X' || op == 0x8c || op == 0x8d) && !utf8.Valid(b) {
			return false, errors.New("string is not valid UTF-8")
		}
		return false, u.push(string(b))
	case 'B', 'C', 0x8e, 0x96: // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
		b, err := u.readCounted(op)
		if err != nil {
			return false, err
		}
		return false, u.push(bytesVal(b))

	case ')': // EMPTY_TUPLE
		return false, u.push(tuple{})
	case 't': // TUPLE
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		return false, u.push(append(tuple{}, items...))
	case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
		n := int(op - 0x84)
		if len(u.stack) < n || (len(u.marks) > 0 && len(u.stack)-n < u.marks[len(u.marks)-1]) {
			return false, errors.New("stack underflow")
		}
		t := append(tuple{}, u.stack[len(u.stack)-n:]...)
		u.stack = u.stack[:len(u.stack)-n]
		return false, u.push(t)
	case ']', 0x8f: // EMPTY_LIST, EMPTY_SET
		return false, u.push(&list{})
	case 'l', 0x91: // LIST, FROZENSET
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		return false, u.push(&list{items: append([]any{}, items...)})
	case 'a': // APPEND
		v, err := u.pop()
		if err != nil {
			return false, err
		}
		return false, u.appendTo([]any{v})
	case 'e', 0x90: // APPENDS, ADDITEMS
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		return false, u.appendTo(items)
	case '}': // EMPTY_DICT
		return false, u.push(newDict())
	case 'd': // DICT
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		if len(items)%2 != 0 {
			return false, errors.New("odd number of items for DICT")
		}
		d := newDict()
		for i := 0; i < len(items); i += 2 {
			d.set(items[i], items[i+1])
		}
		return false, u.push(d)
	case 's': // SETITEM
		v, err := u.pop()
		if err != nil {
			return false, err
		}
		k, err := u.pop()
		if err != nil {
			return false, err
		}
		return false, u.setItems([]any{k, v})
	case 'u': // SETITEMS
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		if len(items)%2 != 0 {
			return false, errors.New("odd number of items for SETITEMS")
		}
		return false, u.setItems(items)

	case 'q': // BINPUT
		i, err := u.readUint(1)
		if err != nil {
			return false, err
		}
		return false, u.memoize(uint32(i))
	case 'r': // LONG_BINPUT
		i, err := u.readUint(4)
		if err != nil {
			return false, err
		}
		return false, u.memoize(uint32(i))
	case 0x94: // MEMOIZE
		return false, u.memoize(uint32(len(u.memo)))
	case 'h': // BINGET
		i, err := u.readUint(1)
		if err != nil {
			return false, err
		}
		return false, u.get(uint32(i))
	case 'j': // LONG_BINGET
		i, err := u.readUint(4)
		if err != nil {
			return false, err
		}
		return false, u.get(uint32(i))

	case 'c': // GLOBAL
		module, err := u.readLine()
		if err != nil {
			return false, err
		}
		name, err := u.readLine()
		if err != nil {
			return false, err
		}
		return false, u.push(&global{module, name})
	case 0x93: // STACK_GLOBAL
		name, err := u.pop()
		if err != nil {
			return false, err
		}
		module, err := u.pop()
		if err != nil {
			return false, err
		}
		m, ok1 := module.(string)
		n, ok2 := name.(string)
		if !ok1 || !ok2 {
			return false, errors.New("STACK_GLOBAL needs two strings")
		}
		return false, u.push(&global{m, n})
	case 'R': // REDUCE
		args, err := u.pop()
		if err != nil {
			return false, err
		}
		fn, err := u.pop()
		if err != nil {
			return false, err
		}
		v, err := apply(fn, args)
		if err != nil {
			return false, err
		}
		return false, u.push(v)
	case 0x81: // NEWOBJ: cls.__new__(cls, *args)
		args, err := u.pop()
		if err != nil {
			return false, err
		}
		cls, err := u.pop()
		if err != nil {
			return false, err
		}
		v, err := newObj(cls, args)
		if err != nil {
			return false, err
		}
		return false, u.push(v)
	case 0x92: // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
		if _, err := u.pop(); err != nil { // kwargs
			return false, err
		}
		args, err := u.pop()
		if err != nil {
			return false, err
		}
		cls, err := u.pop()
		if err != nil {
			return false, err
		}
		v, err := newObj(cls, args)
		if err != nil {
			return false, err
		}
		return false, u.push(v)
	case 'b': // BUILD: the state of the object below it (an OrderedDict's
		// _metadata, a Parameter's attributes) is not needed.
		if _, err := u.pop(); err != nil {
			return false, err
		}
		_, err := u.top()
		return false, err
	case 'Q': // BINPERSID
		pid, err := u.pop()
		if err != nil {
			return false, err
		}
		return false, u.push(&persID{pid})
	default:
		return false, fmt.Errorf("unsupported pickle opcode 0x%02x", op)
	}
	return false, nil
}

// readCounted reads the length prefix of a string or bytes opcode, then
// that many bytes.
func (u *unpickler) readCounted(op byte) ([]byte, error) {
	var width int
	switch op {
	case 0x8c, 'U', 'C':
		width = 1
	case 'X', 'T', 'B':
		width = 4
	default:
		width = 8
	}
	n, err := u.readUint(width)
	if err != nil {
		return nil, err
	}
	if op == 'T' && int32(n) < 0 {
		return nil, errors.New("negative BINSTRING length")
	}
	return u.read(n)
}

// long decodes a little-endian two's-complement integer of LONG1 or LONG4.
func long(b []byte) any {
	if len(b) > 8 {
		// Wider than int64 unless it is only sign extension.
		ext := byte(0)
		if b[len(b)-1]&0x80 != 0 {
			ext = 0xff
		}
		for _, c := range b[8:] {
			if c != ext {
				return &bigInt{}
			}
		}
		if (b[7]&0x80 != 0) != (ext == 0xff) {
			return &bigInt{}
		}
		b = b[:8]
	}
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	if n := len(b); n > 0 && n < 8 && b[n-1]&0x80 != 0 {
		v |= ^uint64(0) << (8 * n) // sign-extend
	}
	return int64(v)
}

func (u *unpickler) appendTo(items []any) error {
	target, err := u.top()
	if err != nil {
		return err
	}
	switch t := target.(type) {
	case *list:
		t.items = append(t.items, items...)
	case *call:
		// An object of a class pth does not know: its items are dropped.
	default:
		return fmt.Errorf("cannot append to %s", typeName(target))
	}
	return nil
}

func (u *unpickler) setItems(items []any) error {
	target, err := u.top()
	if err != nil {
		return err
	}
	switch t := target.(type) {
	case *dict:
		for i := 0; i < len(items); i += 2 {
			t.set(items[i], items[i+1])
		}
	case *call:
		// An object of a class pth does not know: its items are dropped.
	default:
		return fmt.Errorf("cannot set items of %s", typeName(target))
	}
	return nil
}

// apply is REDUCE: fn(*args). It calls nothing: an OrderedDict becomes a
// *dict, any other global a *call recording it (with its arguments if it
// is on the allow-list).
func apply(fn, args any) (any, error) {
	a, ok := args.(tuple)
	if !ok {
		return nil, fmt.Errorf("REDUCE arguments are %s, not a tuple", typeName(args))
	}
	switch f := fn.(type) {
	case *global:
		name := f.String()
		if name == gOrderedDict {
			return orderedDict(a)
		}
		if allowed(name) {
			return &call{fn: f, args: a}, nil
		}
		return &call{fn: f}, nil
	case *call:
		// Calling the result of a call: as unknown as its origin.
		return &call{fn: f.fn}, nil
	}
	return nil, fmt.Errorf("REDUCE calls %s, not a global", typeName(fn))
}

// newObj is NEWOBJ: cls.__new__(cls, *args).
func newObj(cls, args any) (any, error) {
	if _, ok := args.(tuple); !ok {
		return nil, fmt.Errorf("NEWOBJ arguments are %s, not a tuple", typeName(args))
	}
	g, ok := cls.(*global)
	if !ok {
		return nil, fmt.Errorf("NEWOBJ of %s, not a class", typeName(cls))
	}
	if g.String() == gOrderedDict {
		return newDict(), nil
	}
	return &call{fn: g}, nil
}

// orderedDict is OrderedDict(*args): OrderedDict() or OrderedDict(pairs).
func orderedDict(args tuple) (*dict, error) {
	d := newDict()
	switch len(args) {
	case 0:
		return d, nil
	case 1:
		l, ok := args[0].(*list)
		if !ok {
			return nil, fmt.Errorf("OrderedDict of %s", typeName(args[0]))
		}
		for _, item := range l.items {
			var pair []any
			switch p := item.(type) {
			case tuple:
				pair = p
			case *list:
				pair = p.items
			}
			if len(pair) != 2 {
				return nil, fmt.Errorf("OrderedDict item is %s, not a pair", typeName(item))
			}
			d.set(pair[0], pair[1])
		}
		return d, nil
	}
	return nil, fmt.Errorf("OrderedDict with %d arguments", len(args))
}

// typeName describes a value for error messages, in Python's terms.
func typeName(v any) string {
	switch v := v.(type) {
	case none:
		return "None"
	case bool:
		return "a bool"
	case int64, *bigInt:
		return "an int"
	case float64:
		return "a float"
	case string:
		return "a str"
	case bytesVal:
		return "a bytes"
	case tuple:
		return "a tuple"
	case *list:
		return "a list"
	case *dict:
		return "a dict"
	case *global:
		return "the global " + v.String()
	case *call:
		return "an object made by " + v.fn.String()
	case *persID:
		return "a persistent id"
	}
	return fmt.Sprintf("%T", v)
}
