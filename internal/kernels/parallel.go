package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// pool is the persistent set of worker goroutines. Worker w runs the
// chunks meant for it, so that consecutive kernels find the data a chunk
// wrote in the same core's cache; but a chunk its worker has not started
// by the time the caller is done with its own, the caller runs itself
// (the worker may be waking up, or its core taken by another process).
type pool struct {
	mu      sync.Mutex
	threads int
	workers []*worker
}

// A task is work that ParallelChunks splits: run does items [lo, hi) as
// chunk c. Kernels called every training step implement it on a struct
// from a taskPool, because a closure handed to the workers is allocated
// on the heap at every call.
type task interface{ run(c, lo, hi int) }

// chunkFunc makes a function a task.
type chunkFunc func(c, lo, hi int)

func (f chunkFunc) run(c, lo, hi int) { f(c, lo, hi) }

// rangeFunc makes a function of a range a task.
type rangeFunc func(lo, hi int)

func (f rangeFunc) run(_, lo, hi int) { f(lo, hi) }

// chunkTask is one chunk of a ParallelChunks call.
type chunkTask struct {
	t             task
	chunk, lo, hi int
}

// taskPool recycles the structs of one kind of task, so that a kernel
// called every step allocates none once warm.
type taskPool[T any] struct{ pool sync.Pool }

// get returns a zeroed *T.
func (p *taskPool[T]) get() *T {
	if t, ok := p.pool.Get().(*T); ok {
		return t
	}
	return new(T)
}

// put zeroes t, dropping what it points to, and keeps it for reuse.
func (p *taskPool[T]) put(t *T) {
	var zero T
	*t = zero
	p.pool.Put(t)
}

// worker is one goroutine of the pool. Waking a parked goroutine takes the
// scheduler several microseconds, as long as a small kernel runs, so after
// each chunk a worker polls for the next one for a while (spinTime) before
// it parks on wake.
type worker struct {
	next   chunkTask     // written by the caller before it bumps posted
	posted atomic.Uint64 // how many tasks have been given to this worker
	// claimed is the number of the last posted task that the worker or
	// the caller has taken to run: whoever moves it from n-1 to n runs
	// task n.
	claimed  atomic.Uint64
	sleeping atomic.Bool   // set while the worker is parked, or about to
	wake     chan struct{} // capacity 1: a wake-up is never lost nor blocks
}

// spinTime is how long an idle worker polls for work before parking, and
// spinCheck how many polls go between looks at the clock, each of which
// also yields the processor (with GOMAXPROCS 1 the caller needs it).
const (
	spinTime  = 50 * time.Microsecond
	spinCheck = 256
)

func (w *worker) run() {
	var done uint64
	for {
		if w.posted.Load() != done {
			done++
			// Unless the caller took it; then next may already hold a
			// later task, posted after this one was done.
			if w.claimed.CompareAndSwap(done-1, done) {
				t := w.next
				t.t.run(t.chunk, t.lo, t.hi)
				pending.Add(-1)
			}
			continue
		}
		if w.idle(done) {
			w.sleeping.Store(true)
			// A task posted after the poll above finds sleeping set and
			// sends a wake-up; one posted before is seen here.
			if w.posted.Load() == done {
				<-w.wake
			}
			w.sleeping.Store(false)
		}
	}
}

// idle polls for a task after done for up to spinTime and reports whether
// none came.
func (w *worker) idle(done uint64) bool {
	start := time.Now()
	for {
		for range spinCheck {
			if w.posted.Load() != done {
				return false
			}
		}
		runtime.Gosched()
		if time.Since(start) > spinTime {
			return true
		}
	}
}

// post gives the worker a chunk.
func (w *worker) post(t chunkTask) {
	w.next = t
	w.posted.Add(1)
	if w.sleeping.Load() {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// steal runs the chunk last posted to the worker, t, on the calling
// goroutine, if the worker has not started it.
func (w *worker) steal(t chunkTask) {
	if n := w.posted.Load(); w.claimed.CompareAndSwap(n-1, n) {
		t.t.run(t.chunk, t.lo, t.hi)
		pending.Add(-1)
	}
}

var (
	workers pool
	// busy is set while a Parallel call is running, so that a Parallel
	// call made from inside a worker runs inline instead of deadlocking.
	busy atomic.Bool
	// pending counts the running call's chunks still out with workers;
	// one call runs at a time.
	pending atomic.Int64
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
		w := &worker{wake: make(chan struct{}, 1)}
		workers.workers = append(workers.workers, w)
		go w.run()
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
func Parallel(n int, fn func(lo, hi int)) { parallelTask(n, rangeFunc(fn)) }

// ParallelChunks is Parallel that also passes the chunk index, so callers
// can give each chunk its own scratch space or partial sums.
func ParallelChunks(n int, fn func(chunk, lo, hi int)) { parallelTask(n, chunkFunc(fn)) }

// parallelTask is ParallelChunks for a task.
func parallelTask(n int, t task) {
	if n <= 0 {
		return
	}
	chunks := Chunks(n)
	if chunks == 1 || !busy.CompareAndSwap(false, true) {
		for c := 0; c < chunks; c++ {
			lo, hi := ChunkRange(n, chunks, c)
			t.run(c, lo, hi)
		}
		return
	}
	defer busy.Store(false)
	// The workers finish before this call returns, even if the caller's
	// own chunk panics: their task may be pooled and reused.
	defer waitForWorkers()
	pending.Store(int64(chunks - 1))
	for c := 1; c < chunks; c++ {
		lo, hi := ChunkRange(n, chunks, c)
		workers.workers[c-1].post(chunkTask{t: t, chunk: c, lo: lo, hi: hi})
	}
	lo, hi := ChunkRange(n, chunks, 0)
	t.run(0, lo, hi)
	for c := 1; c < chunks; c++ {
		lo, hi := ChunkRange(n, chunks, c)
		workers.workers[c-1].steal(chunkTask{t: t, chunk: c, lo: lo, hi: hi})
	}
}

// itemCounter hands out the items of a call, one at a time, to whichever
// of its chunks asks next: for work of long items that keeps no results
// by chunk (the forward pass of a batch, image by image), so that a
// thread the machine slows down (another process on its core) takes
// fewer items, instead of the call waiting for it to finish half.
type itemCounter struct{ next atomic.Int64 }

// take returns the next of n items, and false once all are taken.
func (c *itemCounter) take(n int) (int, bool) {
	i := int(c.next.Add(1) - 1)
	return i, i < n
}

// eachThread runs fn once on each thread a call of n items uses, for
// work whose threads take their items as they go (itemCounter).
func eachThread(n int, fn func()) { ParallelChunks(Chunks(n), func(_, _, _ int) { fn() }) }

// blocks runs fn on the blocks of size items of [0, n) that c hands this
// thread, one after another, until none are left.
func (c *itemCounter) blocks(n, size int, fn func(lo, hi int)) {
	count := (n + size - 1) / size
	for b, ok := c.take(count); ok; b, ok = c.take(count) {
		fn(b*size, min(n, (b+1)*size))
	}
}

// waitForWorkers waits until the running call's chunks are done, by
// polling: the workers are running (or about to), and polling yields now
// and then so that they run even on one processor.
func waitForWorkers() {
	for i := 1; pending.Load() != 0; i++ {
		if i%spinCheck == 0 {
			runtime.Gosched()
		}
	}
}

// minParallelWork is the least work (in elements touched) worth splitting
// across threads: below it, waking a worker costs more than it saves.
const minParallelWork = 1 << 15

// parallelFor is Parallel for n items of cost elements each, run on one
// thread when the total is small.
func parallelFor(n, cost int, fn func(lo, hi int)) { parallelForTask(n, cost, rangeFunc(fn)) }

// parallelForTask is parallelFor for a task.
func parallelForTask(n, cost int, t task) {
	if n*cost < minParallelWork {
		if n > 0 {
			t.run(0, 0, n)
		}
		return
	}
	parallelTask(n, t)
}

// ChunkRange returns the half-open range [lo, hi) of chunk c when n items
// are split into chunks nearly equal contiguous parts.
func ChunkRange(n, chunks, c int) (lo, hi int) {
	return n * c / chunks, n * (c + 1) / chunks
}
