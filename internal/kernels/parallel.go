package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// pool is the persistent set of worker goroutines. Worker w receives the
// chunks meant for it on its own channel, so the assignment of work to
// goroutines is fixed.
type pool struct {
	mu      sync.Mutex
	threads int
	workers []chan task
}

// task is one chunk of a Parallel call: fn(chunk, lo, hi).
type task struct {
	fn            func(chunk, lo, hi int)
	chunk, lo, hi int
}

var (
	workers pool
	// busy is set while a Parallel call is running, so that a Parallel
	// call made from inside a worker runs inline instead of deadlocking.
	busy atomic.Bool
	// done counts the running call's chunks; one call runs at a time.
	done sync.WaitGroup
)

func init() { SetThreads(runtime.NumCPU()) }

// SetThreads sets how many goroutines Parallel uses (at least 1). It must
// not be called while a Parallel call is running.
func SetThreads(n int) {
	if n < 1 {
		n = 1
	}
	workers.mu.Lock()
	defer workers.mu.Unlock()
	for len(workers.workers) < n-1 {
		ch := make(chan task)
		workers.workers = append(workers.workers, ch)
		go func() {
			for t := range ch {
				t.fn(t.chunk, t.lo, t.hi)
				done.Done()
			}
		}()
	}
	workers.threads = n
}

// Threads reports the number of goroutines Parallel uses.
func Threads() int {
	workers.mu.Lock()
	defer workers.mu.Unlock()
	return workers.threads
}

// Chunks returns how many chunks Parallel splits n items into: one per
// thread, but never more than n.
func Chunks(n int) int {
	t := Threads()
	if n < t {
		return max(n, 1)
	}
	return t
}

// Parallel calls fn(lo, hi) for contiguous ranges that together cover
// [0, n), one range per chunk (see Chunks), and waits for all of them.
// Chunk c covers ChunkRange(n, Chunks(n), c). Nested calls run inline.
func Parallel(n int, fn func(lo, hi int)) {
	ParallelChunks(n, func(_, lo, hi int) { fn(lo, hi) })
}

// ParallelChunks is Parallel that also passes the chunk index, so callers
// can give each chunk its own scratch space or partial sums.
func ParallelChunks(n int, fn func(chunk, lo, hi int)) {
	if n <= 0 {
		return
	}
	chunks := Chunks(n)
	if chunks == 1 || !busy.CompareAndSwap(false, true) {
		for c := 0; c < chunks; c++ {
			lo, hi := ChunkRange(n, chunks, c)
			fn(c, lo, hi)
		}
		return
	}
	defer busy.Store(false)
	done.Add(chunks - 1)
	for c := 1; c < chunks; c++ {
		lo, hi := ChunkRange(n, chunks, c)
		workers.workers[c-1] <- task{fn: fn, chunk: c, lo: lo, hi: hi}
	}
	lo, hi := ChunkRange(n, chunks, 0)
	fn(0, lo, hi)
	done.Wait()
}

// minParallelWork is the least work (in elements touched) worth splitting
// across threads: below it, waking a worker costs more than it saves.
const minParallelWork = 1 << 15

// parallelFor is Parallel for n items of cost elements each, run on one
// thread when the total is small.
func parallelFor(n, cost int, fn func(lo, hi int)) {
	if n*cost < minParallelWork {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	Parallel(n, fn)
}

// ChunkRange returns the half-open range [lo, hi) of chunk c when n items
// are split into chunks nearly equal contiguous parts.
func ChunkRange(n, chunks, c int) (lo, hi int) {
	return n * c / chunks, n * (c + 1) / chunks
}
