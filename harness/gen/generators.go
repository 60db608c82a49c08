package gen

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
)

// Number is a generator of integers. Implementations are owned by one
// worker (not safe for concurrent use) unless they say otherwise.
type Number interface {
	Next() uint64
}

// Constant always returns its value.
type Constant uint64

// Next returns c.
func (c Constant) Next() uint64 { return uint64(c) }

// Uniform draws uniformly from [min, max] (YCSB's UniformLongGenerator).
type Uniform struct {
	r   *Rand
	min uint64
	n   uint64
}

// NewUniform returns a uniform generator over [min, max]; max >= min.
func NewUniform(r *Rand, min, max uint64) *Uniform { return &Uniform{r: r, min: min, n: max - min + 1} }

// Next returns the next value.
func (u *Uniform) Next() uint64 { return u.min + u.r.Uint64n(u.n) }

// Hotspot is YCSB's HotspotIntegerGenerator: the first hotData fraction of
// [min, max] is the hot set and receives hotOpn of the draws, uniformly;
// the rest of the draws go uniformly to the cold set.
type Hotspot struct {
	r         *Rand
	min       uint64
	hot, cold uint64
	hotOpn    float64
}

// NewHotspot returns a hotspot generator over [min, max]. Fractions are in
// [0, 1]. An empty hot (or cold) set sends every draw to the other set
// (YCSB would divide by zero).
func NewHotspot(r *Rand, min, max uint64, hotData, hotOpn float64) *Hotspot {
	n := max - min + 1
	hot := uint64(float64(n) * hotData)
	h := &Hotspot{r: r, min: min, hot: hot, cold: n - hot, hotOpn: hotOpn}
	if h.hot == 0 {
		h.hotOpn = 0
	}
	if h.cold == 0 {
		h.hotOpn = 1
	}
	return h
}

// Next returns the next value.
func (h *Hotspot) Next() uint64 {
	if h.r.Float64() < h.hotOpn {
		return h.min + h.r.Uint64n(h.hot)
	}
	return h.min + h.hot + h.r.Uint64n(h.cold)
}

// Sequential cycles through [min, max] in order (YCSB's
// SequentialGenerator). YCSB shares one counter among threads; here each
// worker owns one, started at its own offset (NewSequential's start) so
// that workers together still sweep the whole range.
type Sequential struct {
	min, n, next uint64
}

// NewSequential returns a generator cycling through [min, max], whose
// first value is min + start mod (max-min+1).
func NewSequential(min, max, start uint64) *Sequential {
	n := max - min + 1
	return &Sequential{min: min, n: n, next: start % n}
}

// Next returns the next value.
func (s *Sequential) Next() uint64 {
	v := s.min + s.next
	if s.next++; s.next == s.n {
		s.next = 0
	}
	return v
}

// Exponential is YCSB's ExponentialGenerator: exponentially distributed
// values with gamma chosen so that percentile percent of the draws fall
// below frac*items. YCSB's core workload reads key last - value, so keys
// near the newest are the most popular.
type Exponential struct {
	r     *Rand
	gamma float64
}

// NewExponential returns an exponential generator such that percentile %
// of the values are below rangeItems.
func NewExponential(r *Rand, percentile, rangeItems float64) *Exponential {
	return &Exponential{r: r, gamma: -math.Log(1-percentile/100) / rangeItems}
}

// Next returns the next value, rounded down.
func (e *Exponential) Next() uint64 {
	// 1 - Float64() is in (0, 1], so the log is finite.
	return uint64(-math.Log(1-e.r.Float64()) / e.gamma)
}

// Mean returns the distribution's mean, 1/gamma.
func (e *Exponential) Mean() float64 { return 1 / e.gamma }

// Counter hands out start, start+1, ... (YCSB's CounterGenerator, but
// owned by one worker: the load phase gives each worker its own range).
type Counter struct{ next uint64 }

// NewCounter returns a counter whose first value is start.
func NewCounter(start uint64) *Counter { return &Counter{next: start} }

// Next returns the next value.
func (c *Counter) Next() uint64 { v := c.next; c.next++; return v }

// ErrWindowFull is returned by AckCounter.Acknowledge when a value is more
// than the window ahead of the oldest unacknowledged one.
var ErrWindowFull = errors.New("gen: too many unacknowledged inserts")

// AckWindow is the number of values an AckCounter tracks past its last
// acknowledged one (YCSB's WINDOW_SIZE, 2^20).
const AckWindow = 1 << 20

// AckCounter is YCSB's AcknowledgedCounterGenerator: Next hands out new key
// numbers to inserters, and Last is the largest value v such that every
// value up to v has been acknowledged -- so readers only pick keys whose
// insert has finished. It is shared by all workers and safe for
// concurrent use; it is lock-free: Next is one atomic add, Acknowledge
// marks a slot in a sliding window of AckWindow flags and, if no other
// goroutine is doing it, advances Last over the contiguous run of marked
// slots (re-checking after it lets go, so no acknowledgement is left
// behind, which YCSB's tryLock version can do until the next insert).
type AckCounter struct {
	next      atomic.Uint64
	_         [56]byte
	limit     atomic.Int64
	_         [56]byte
	advancing atomic.Bool
	window    []atomic.Uint32
}

// NewAckCounter returns a counter whose first value is start; Last is
// start-1 until start is acknowledged.
func NewAckCounter(start uint64) *AckCounter {
	c := &AckCounter{window: make([]atomic.Uint32, AckWindow)}
	c.next.Store(start)
	c.limit.Store(int64(start) - 1)
	return c
}

// Next returns a fresh value. Every value handed out must eventually be
// acknowledged, or Last stops advancing at it.
func (c *AckCounter) Next() uint64 { return c.next.Add(1) - 1 }

// Last returns the largest value up to which everything is acknowledged.
func (c *AckCounter) Last() int64 { return c.limit.Load() }

// Issued returns how many values Next has handed out plus the start.
func (c *AckCounter) Issued() uint64 { return c.next.Load() }

// Acknowledge records that value v (from Next) is done. It returns
// ErrWindowFull if v is AckWindow or more past Last, and an error if v was
// already acknowledged.
func (c *AckCounter) Acknowledge(v uint64) error {
	if int64(v) <= c.limit.Load() {
		return fmt.Errorf("gen: value %d acknowledged twice", v)
	}
	if int64(v)-c.limit.Load() > AckWindow {
		return fmt.Errorf("%w: %d is %d past the last acknowledged %d", ErrWindowFull, v, int64(v)-c.limit.Load(), c.limit.Load())
	}
	if !c.window[v%AckWindow].CompareAndSwap(0, 1) {
		return fmt.Errorf("gen: value %d acknowledged twice", v)
	}
	for c.advancing.CompareAndSwap(false, true) {
		l := c.limit.Load()
		for {
			s := &c.window[uint64(l+1)%AckWindow]
			if s.Load() == 0 {
				break
			}
			s.Store(0)
			l++
		}
		c.limit.Store(l)
		c.advancing.Store(false)
		// An acknowledgement of l+1 that came while we held the flag found
		// it taken and left: take another turn for it.
		if c.window[uint64(l+1)%AckWindow].Load() == 0 {
			break
		}
	}
	return nil
}

// SkewedLatest is YCSB's SkewedLatestGenerator: a zipfian over recency,
// Last - zipfian(Last+1) over the acknowledged values of an AckCounter,
// so the newest acknowledged value is the most popular. The zipfian grows
// with the counter, extending zeta incrementally. (YCSB draws over Last
// items, so it never returns value 0; this draws over all Last+1.)
type SkewedLatest struct {
	basis *AckCounter
	z     *Zipfian
}

// NewSkewedLatest returns a latest generator over basis with skew theta.
// basis.Last() must be >= 0.
func NewSkewedLatest(r *Rand, basis *AckCounter, theta float64) *SkewedLatest {
	n := uint64(max(basis.Last(), 0)) + 1
	return &SkewedLatest{basis: basis, z: NewZipfian(r, 0, n-1, theta)}
}

// Next returns the next value.
func (s *SkewedLatest) Next() uint64 {
	last := uint64(max(s.basis.Last(), 0))
	return last - s.z.NextN(last+1)
}
