package kernels

import "math"

// LogSoftmaxRows sets each row of the rows×cols matrix y to the log-softmax
// of the same row of x, computed stably (the row maximum is subtracted and
// the sum taken in float64).
func LogSoftmaxRows(x, y []float32, rows, cols int) {
	for i := 0; i < rows; i++ {
		xr, yr := x[i*cols:(i+1)*cols], y[i*cols:(i+1)*cols]
		m := xr[0]
		for _, v := range xr {
			m = max(m, v)
		}
		var s float64
		for _, v := range xr {
			s += math.Exp(float64(v - m))
		}
		// (v - m) - log s, not v - (m + log s): with large logits m + log s
		// rounds back to m and the probabilities no longer sum to 1.
		ls := float32(math.Log(s))
		for j, v := range xr {
			yr[j] = (v - m) - ls
		}
	}
}

// SoftmaxRows sets each row of y to the softmax of the same row of x.
func SoftmaxRows(x, y []float32, rows, cols int) {
	LogSoftmaxRows(x, y, rows, cols)
	for i, v := range y[:rows*cols] {
		y[i] = float32(math.Exp(float64(v)))
	}
}

// SoftmaxRowsBackward adds the gradient of softmax into dx, given its
// output y: dx = y * (dy - sum(dy*y)) per row.
func SoftmaxRowsBackward(y, dy, dx []float32, rows, cols int) {
	for i := 0; i < rows; i++ {
		yr, dyr, dxr := y[i*cols:(i+1)*cols], dy[i*cols:(i+1)*cols], dx[i*cols:(i+1)*cols]
		var s float32
		for j := range yr {
			s += dyr[j] * yr[j]
		}
		for j := range yr {
			dxr[j] += yr[j] * (dyr[j] - s)
		}
	}
}

// LogSoftmaxRowsBackward adds the gradient of log-softmax into dx, given
// its output y: dx = dy - exp(y) * sum(dy) per row.
func LogSoftmaxRowsBackward(y, dy, dx []float32, rows, cols int) {
	for i := 0; i < rows; i++ {
		yr, dyr, dxr := y[i*cols:(i+1)*cols], dy[i*cols:(i+1)*cols], dx[i*cols:(i+1)*cols]
		s := sum(dyr)
		for j := range yr {
			dxr[j] += dyr[j] - float32(math.Exp(float64(yr[j])))*s
		}
	}
}
