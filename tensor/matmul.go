package tensor

import (
	"fmt"
	"slices"

	"github.com/convnet/convnet/internal/kernels"
)

// MatMul returns the matrix product of a and b with the semantics of
// torch.matmul and numpy.matmul (ONNX MatMul):
//
//   - both 1-D (k and k): their dot product, a tensor of no dimensions
//     (shape [], one element, as torch.dot; Item reads it);
//   - both 2-D (n×k and k×m): the n×m matrix product;
//   - a 1-D (k) and b at least 2-D: a is taken as the 1×k matrix and the
//     added dimension is removed from the result (…×m);
//   - b 1-D (k) and a at least 2-D: b is taken as the k×1 matrix and the
//     added dimension is removed from the result (…×n);
//   - otherwise the last two dimensions of each are the matrices and the
//     dimensions before them are batch dimensions, which broadcast as in
//     Add: a 10×1×n×k times a 4×k×m is 10×4×n×m.
//
// The gradients of both inputs are the products with the output gradient
// (g·bᵀ and aᵀ·g for each matrix pair), summed over the batch dimensions
// an input was broadcast along. It panics, naming MatMul, for an input of
// no dimensions, inner sizes that differ, or batch dimensions that do not
// broadcast.
func MatMul(a, b *Tensor) *Tensor {
	if a.Dim() == 0 || b.Dim() == 0 {
		panic(fmt.Sprintf("tensor.MatMul: both inputs need at least one dimension, got %v and %v", a.shape, b.shape))
	}
	// The operands as batches of matrices: a is …×n×k, b is …×k×m.
	aVec, bVec := a.Dim() == 1, b.Dim() == 1
	var aBatch, bBatch []int
	var n, k, m, kb int
	if aVec {
		n, k = 1, a.shape[0]
	} else {
		aBatch = a.shape[:a.Dim()-2]
		n, k = a.shape[a.Dim()-2], a.shape[a.Dim()-1]
	}
	if bVec {
		kb, m = b.shape[0], 1
	} else {
		bBatch = b.shape[:b.Dim()-2]
		kb, m = b.shape[b.Dim()-2], b.shape[b.Dim()-1]
	}
	if k != kb {
		panic(fmt.Sprintf("tensor.MatMul: shapes %v and %v do not multiply (inner sizes %d and %d)", a.shape, b.shape, k, kb))
	}
	for i := 1; i <= min(len(aBatch), len(bBatch)); i++ {
		if da, db := aBatch[len(aBatch)-i], bBatch[len(bBatch)-i]; da != db && da != 1 && db != 1 {
			panic(fmt.Sprintf("tensor.MatMul: the batch dimensions of %v and %v do not broadcast", a.shape, b.shape))
		}
	}
	batch := broadcastShape("MatMul", aBatch, bBatch, nil)
	shape := slices.Clone(batch)
	if !aVec {
		shape = append(shape, n)
	}
	if !bVec {
		shape = append(shape, m)
	}
	plan := newMatmulPlan(batch, aBatch, bBatch, n, k, m)
	s := scopeOf(a, b, nil)
	plan.bf16 = s.bf16()
	out := s.empty(shape...)
	plan.forward(a.data, b.data, out.data)
	recordReading(out, readsInputs, func(g []float32) {
		if da, fresh := gradOut(a); da != nil {
			plan.gradA(g, b.data, da, fresh)
		}
		if db, fresh := gradOut(b); db != nil {
			plan.gradB(a.data, g, db, fresh)
		}
	}, a, b)
	return out
}

// matmulPlan is a batched product of n×k by k×m matrices: for batch i,
// output matrix i is a's matrix aIdx[i] times b's matrix bIdx[i].
type matmulPlan struct {
	n, k, m    int
	aIdx, bIdx []int
	// aAll says a's matrices are the batch's in order (aIdx[i] == i) and
	// b has one matrix: the whole product is one (batch*n)×k times k×m.
	aAll bool
	// bf16 makes the products bf16 (the scope's Precision).
	bf16 bool
}

func newMatmulPlan(batch, aBatch, bBatch []int, n, k, m int) *matmulPlan {
	p := &matmulPlan{n: n, k: k, m: m}
	count := numel(batch)
	if numel(bBatch) == 1 && numel(aBatch) == count {
		p.aAll = true
	}
	p.aIdx, p.bIdx = make([]int, count), make([]int, count)
	r := len(batch)
	sa := broadcastStrides(aBatch, batch, make([]int, r))
	sb := broadcastStrides(bBatch, batch, make([]int, r))
	idx := make([]int, r)
	offA, offB := 0, 0
	for i := range count {
		p.aIdx[i], p.bIdx[i] = offA, offB
		// The next multi-index, last dimension fastest.
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			offA += sa[d]
			offB += sb[d]
			if idx[d] < batch[d] {
				break
			}
			offA -= sa[d] * batch[d]
			offB -= sb[d] * batch[d]
			idx[d] = 0
		}
	}
	return p
}

// forward writes the products into c.
func (p *matmulPlan) forward(a, b, c []float32) {
	n, k, m := p.n, p.k, p.m
	if p.aAll {
		kernels.GemmIn(p.bf16, false, false, len(p.aIdx)*n, m, k, 1, a, k, b, m, 0, c, m)
		return
	}
	for i := range p.aIdx {
		kernels.GemmIn(p.bf16, false, false, n, m, k, 1, a[p.aIdx[i]*n*k:], k, b[p.bIdx[i]*k*m:], m, 0, c[i*n*m:], m)
	}
}

// gradA adds g·bᵀ of each batch into da (or stores it, if fresh).
func (p *matmulPlan) gradA(g, b, da []float32, fresh bool) {
	n, k, m := p.n, p.k, p.m
	beta := float32(1)
	if fresh {
		beta = 0
	}
	if p.aAll {
		kernels.GemmIn(p.bf16, false, true, len(p.aIdx)*n, k, m, 1, g, m, b, m, beta, da, k)
		return
	}
	if fresh {
		clear(da)
	}
	for i := range p.aIdx {
		kernels.GemmIn(p.bf16, false, true, n, k, m, 1, g[i*n*m:], m, b[p.bIdx[i]*k*m:], m, 1, da[p.aIdx[i]*n*k:], k)
	}
}

// gradB adds aᵀ·g of each batch into db (or stores it, if fresh).
func (p *matmulPlan) gradB(a, g, db []float32, fresh bool) {
	n, k, m := p.n, p.k, p.m
	beta := float32(1)
	if fresh {
		beta = 0
	}
	if p.aAll {
		kernels.GemmIn(p.bf16, true, false, k, m, len(p.aIdx)*n, 1, a, k, g, m, beta, db, m)
		return
	}
	if fresh {
		clear(db)
	}
	for i := range p.aIdx {
		kernels.GemmIn(p.bf16, true, false, k, m, n, 1, a[p.aIdx[i]*n*k:], k, g[i*n*m:], m, 1, db[p.bIdx[i]*k*m:], m)
	}
}
