package kernels

import "math"

// add sets y += x; len(y) must be at least len(x).
func add(x, y []float32) {
	y = y[:len(x)]
	for i := addVector(x, y, y); i < len(x); i++ {
		y[i] += x[i]
	}
}

// Add sets y += x, split across threads when they are large.
func Add(x, y []float32) { AddInto(x, y, y) }

// addConst adds c to every element of y.
func addConst(c float32, y []float32) {
	for i := range y {
		y[i] += c
	}
}

// copyRows sets dst[r*ldd+j] = max(src[r*lds+j]+add, floor) for rows rows
// of w elements, and returns the sum of the src elements it read. A floor
// of 0 is a ReLU; noFloor leaves the values as they are (NaN stays NaN
// either way).
func copyRows(dst []float32, ldd int, src []float32, lds, rows, w int, add, floor float32) float32 {
	if s, ok := copyRowsVector(dst, ldd, src, lds, rows, w, add, floor); ok {
		return s
	}
	var total float32
	for r := 0; r < rows; r++ {
		d, s := dst[r*ldd:r*ldd+w], src[r*lds:r*lds+w]
		total += sum(s)
		for j, v := range s {
			d[j] = max(v+add, floor)
		}
	}
	return total
}

// noFloor is copyRows' floor that changes nothing.
var noFloor = float32(math.Inf(-1))

// sum returns the sum of x's elements.
func sum(x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// BytesToUnit sets dst[i] = float32(src[i])/255, the scaling of pixels
// that torchvision's ToTensor does.
func BytesToUnit(src []uint8, dst []float32) {
	dst = dst[:len(src)]
	for i := bytesToUnitVector(src, dst); i < len(src); i++ {
		dst[i] = float32(src[i]) / 255
	}
}

// Scale sets y = a*y.
func Scale(a float32, y []float32) {
	for i := range y {
		y[i] *= a
	}
}

// AddBiasRows adds b to every row of the rows×len(b) matrix y.
func AddBiasRows(b, y []float32) {
	n := len(b)
	for i := 0; i+n <= len(y); i += n {
		add(b, y[i:i+n])
	}
}

// SumRows adds the column sums of the rows×len(db) matrix dy into db.
func SumRows(dy, db []float32) {
	n := len(db)
	for i := 0; i+n <= len(dy); i += n {
		add(dy[i:i+n], db)
	}
}

// elemOp names an element-wise kernel run by an elemTask.
type elemOp uint8

const (
	opZero elemOp = iota
	opRelu
	opReluBackward
	opTanh
	opTanhBackward
	opAdd
)

// elemTask runs an element-wise kernel over [0, n) in blocks of block
// elements, the blocks split across threads when there are enough.
type elemTask struct {
	op           elemOp
	x, y, dy, dx []float32
	add          bool
	n, block     int
}

var elemTasks taskPool[elemTask]

// start runs the task and gives it back.
func (t *elemTask) start() {
	parallelForTask((t.n+t.block-1)/t.block, t.block, t)
	elemTasks.put(t)
}

func (t *elemTask) run(_, lo, hi int) {
	lo, hi = lo*t.block, min(hi*t.block, t.n)
	switch t.op {
	case opZero:
		clear(t.y[lo:hi])
	case opRelu:
		relu(t.x[lo:hi], t.y[lo:hi])
	case opReluBackward:
		y, dy, dx := t.y[lo:hi], t.dy[lo:hi], t.dx[lo:hi]
		for i := reluBackwardVector(y, dy, dx, t.add); i < len(y); i++ {
			switch v := y[i]; {
			case v > 0 && t.add:
				dx[i] += dy[i]
			case v > 0:
				dx[i] = dy[i]
			case !t.add:
				dx[i] = 0
			}
		}
	case opTanh:
		tanh(t.x[lo:hi], t.y[lo:hi])
	case opAdd:
		x, y, z := t.x[lo:hi], t.y[lo:hi], t.dx[lo:hi]
		for i := addVector(x, y, z); i < len(x); i++ {
			z[i] = x[i] + y[i]
		}
	case opTanhBackward:
		y, dy, dx := t.y[lo:hi], t.dy[lo:hi], t.dx[lo:hi]
		i := tanhBackwardVector(y, dy, dx, t.add)
		for ; i < len(y) && t.add; i++ {
			dx[i] += dy[i] * (1 - y[i]*y[i])
		}
		for ; i < len(y); i++ {
			dx[i] = dy[i] * (1 - y[i]*y[i])
		}
	}
}

// elementBlock is how many elements element-wise work hands a thread at a
// time (tanh's, which costs more per element, tanhBlock).
const (
	elementBlock = 1 << 14
	tanhBlock    = 1 << 12
)

// Zero sets x to zero, split across threads when x is large.
func Zero(x []float32) {
	t := elemTasks.get()
	t.op, t.y, t.n, t.block = opZero, x, len(x), elementBlock
	t.start()
}

// Relu sets y = max(x, 0).
func Relu(x, y []float32) {
	t := elemTasks.get()
	t.op, t.x, t.y, t.n, t.block = opRelu, x, y[:len(x)], len(x), elementBlock
	t.start()
}

// ReluBackward computes the gradient of Relu, dy where y > 0 and 0
// elsewhere, given the output y, and adds it into dx (add) or stores it.
func ReluBackward(y, dy, dx []float32, add bool) {
	t := elemTasks.get()
	t.op, t.y, t.dy, t.dx, t.add, t.n, t.block = opReluBackward, y, dy[:len(y)], dx[:len(y)], add, len(y), elementBlock
	t.start()
}

// AddInto sets z = x + y, split across threads when they are large; z
// may be x or y.
func AddInto(x, y, z []float32) {
	if len(x) < 2*elementBlock {
		// On this thread, with no pooled task (see packWeightPanels).
		y, z = y[:len(x)], z[:len(x)]
		for i := addVector(x, y, z); i < len(x); i++ {
			z[i] = x[i] + y[i]
		}
		return
	}
	t := elemTasks.get()
	t.op, t.x, t.y, t.dx, t.n, t.block = opAdd, x, y[:len(x)], z[:len(x)], len(x), elementBlock
	t.start()
}

// Tanh sets y = tanh(x).
func Tanh(x, y []float32) {
	t := elemTasks.get()
	t.op, t.x, t.y, t.n, t.block = opTanh, x, y[:len(x)], len(x), tanhBlock
	t.start()
}

// TanhBackward computes the gradient of Tanh, dy*(1-y²), given the output
// y, and adds it into dx (add) or stores it.
func TanhBackward(y, dy, dx []float32, add bool) {
	t := elemTasks.get()
	t.op, t.y, t.dy, t.dx, t.add, t.n, t.block = opTanhBackward, y, dy[:len(y)], dx[:len(y)], add, len(y), elementBlock
	t.start()
}

// Activation is an element-wise function that an operation applies to its
// own output in the same pass (see Conv.Act), rather than in one more pass
// over memory.
type Activation uint8

const (
	Identity Activation = iota
	ActReLU             // max(x, 0), as Relu
	ActTanh             // tanh(x), as Tanh
)

// apply sets y = a(y) on the calling thread: for a worker's own chunk.
func (a Activation) apply(y []float32) {
	switch a {
	case ActReLU:
		relu(y, y)
	case ActTanh:
		tanh(y, y)
	}
}

// relu sets y = max(x, 0) on the calling thread; y may be x.
func relu(x, y []float32) {
	y = y[:len(x)]
	if _, ok := copyRowsVector(y, len(x), x, len(x), 1, len(x), 0, 0); ok {
		return // max(v+0, 0) is max(v, 0), -0 and NaN included
	}
	for i, v := range x {
		y[i] = max(v, 0)
	}
}

// tanh sets y = tanh(x) on the calling thread; y may be x.
func tanh(x, y []float32) {
	y = y[:len(x)]
	for i := tanhVector(x, y); i < len(x); i++ {
		y[i] = Tanh32(x[i])
	}
}

// Apply sets y = a(y), split across threads when y is large.
func (a Activation) Apply(y []float32) {
	switch a {
	case ActReLU:
		Relu(y, y)
	case ActTanh:
		Tanh(y, y)
	}
}

// dot returns the sum of x[i]*y[i]; len(y) must be at least len(x).
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// Transpose writes the cols×rows transpose of the rows×cols matrix a into
// t, in cache-sized tiles.
func Transpose(a []float32, rows, cols int, t []float32) {
	const tile = 32
	for i0 := 0; i0 < rows; i0 += tile {
		for j0 := 0; j0 < cols; j0 += tile {
			for i := i0; i < min(i0+tile, rows); i++ {
				row := a[i*cols : (i+1)*cols]
				for j := j0; j < min(j0+tile, cols); j++ {
					t[j*rows+i] = row[j]
				}
			}
		}
	}
}
