package measure

import (
	"math"
	"slices"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Recorder is one worker's measurement state: a dense histogram per op
// type (service time, and intended latency in open-loop runs) and outcome
// counts for the current interval. When an operation ends in a later
// interval, the current one is packed into sparse histograms and handed to
// the Collector, and the dense ones are reset. A Recorder is owned by one
// worker goroutine.
type Recorder struct {
	c        *Collector
	worker   int
	origin   int64 // clock reading (ns) where interval 0 starts
	length   int64 // interval length, ns
	cur      int
	nextEdge int64
	service  [NumOps]*hdr.Histogram
	intended [NumOps]*hdr.Histogram
	counts   [NumOps]Counts
	dirty    bool
}

// Record adds one operation: its type, the clock reading (ns, same clock
// as the Collector's origin) when it ended, its service time, its
// intended latency (ignored in closed-loop runs) and its outcome. Values
// over 60 s are recorded as 60 s (the Collector counts them in Clamped).
func (r *Recorder) Record(op Op, end, service, intended int64, s Status) {
	if end >= r.nextEdge {
		r.advance(end)
	}
	r.counts[op].count(s)
	r.service[op].RecordValue(r.clamp(service))
	if r.intended[op] != nil {
		r.intended[op].RecordValue(r.clamp(intended))
	}
	r.dirty = true
}

func (r *Recorder) clamp(v int64) int64 {
	if v > HighestNS {
		r.c.clamped.Add(1)
		return HighestNS
	}
	return max(v, 0)
}

// advance hands the current interval over and moves to the one holding
// clock reading t.
func (r *Recorder) advance(t int64) {
	next := int((t - r.origin) / r.length)
	if t < r.origin {
		next = 0
	}
	r.emit(next)
	r.cur = next
	r.nextEdge = r.origin + int64(next+1)*r.length
}

// emit packs and sends the current interval (if it has anything) and
// tells the Collector this worker has moved on to interval next.
func (r *Recorder) emit(next int) {
	var iv *Interval
	if r.dirty {
		iv = &Interval{Index: r.cur}
		for op := range NumOps {
			if r.counts[op].Total() == 0 {
				continue
			}
			o := &iv.Ops[op]
			o.Counts = r.counts[op]
			o.Service = NewPacked()
			o.Service.MergeFrom(r.service[op])
			r.service[op].Reset()
			if r.intended[op] != nil {
				o.Intended = NewPacked()
				o.Intended.MergeFrom(r.intended[op])
				r.intended[op].Reset()
			}
			r.counts[op] = Counts{}
		}
		r.dirty = false
	}
	r.c.add(r.worker, iv, next)
}

// Close hands over the last interval and tells the Collector this worker
// is done. The Recorder must not be used afterwards.
func (r *Recorder) Close() { r.emit(math.MaxInt) }

// Collector merges the intervals of every worker of a phase into one time
// series and run totals. An interval is final once every worker has moved
// past it. Recorders call it about once per interval each, under a mutex;
// Latest may be called from any goroutine.
type Collector struct {
	origin   int64
	length   int64
	openLoop bool
	clamped  atomicCounter

	mu     sync.Mutex
	passed []int // per worker: every interval < passed[w] is complete
	open   map[int]*Interval
	final  []*Interval
	latest *Interval
	totals [NumOps]OpTotals
}

// OpTotals are the merged results of one op type over a whole phase.
type OpTotals struct {
	Counts
	// Service holds the service time of every measured operation, in ns.
	Service *hdr.Histogram
	// Intended holds latency from the intended start (open loop only).
	Intended *hdr.Histogram
}

// NewCollector returns a Collector for workers workers whose interval 0
// starts at clock reading origin (ns) and whose intervals are length
// long. openLoop adds intended-latency histograms.
func NewCollector(workers int, origin int64, length time.Duration, openLoop bool) *Collector {
	c := &Collector{origin: origin, length: int64(length), openLoop: openLoop,
		passed: make([]int, workers), open: map[int]*Interval{}}
	for op := range NumOps {
		c.totals[op].Service = NewHistogram()
		if openLoop {
			c.totals[op].Intended = NewHistogram()
		}
	}
	return c
}

// Recorder returns the recorder of worker w.
func (c *Collector) Recorder(w int) *Recorder {
	r := &Recorder{c: c, worker: w, origin: c.origin, length: c.length, nextEdge: c.origin + c.length}
	for op := range NumOps {
		r.service[op] = NewHistogram()
		if c.openLoop {
			r.intended[op] = NewHistogram()
		}
	}
	return r
}

func (c *Collector) add(w int, iv *Interval, next int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if iv != nil {
		acc := c.open[iv.Index]
		if acc == nil {
			acc = &Interval{Index: iv.Index}
			c.open[iv.Index] = acc
		}
		for op := range NumOps {
			o := &iv.Ops[op]
			if o.Total() == 0 {
				continue
			}
			acc.Ops[op].merge(o)
			t := &c.totals[op]
			t.Counts.Add(o.Counts)
			o.Service.MergeInto(t.Service)
			if o.Intended != nil && t.Intended != nil {
				o.Intended.MergeInto(t.Intended)
			}
		}
	}
	c.passed[w] = next
	low := slices.Min(c.passed)
	for idx, acc := range c.open {
		if idx < low {
			c.finalize(acc)
			delete(c.open, idx)
		}
	}
}

func (c *Collector) finalize(iv *Interval) {
	iv.Start = time.Duration(int64(iv.Index) * c.length)
	iv.End = iv.Start + time.Duration(c.length)
	c.final = append(c.final, iv)
	if c.latest == nil || iv.Index > c.latest.Index {
		c.latest = iv
	}
}

// Latest returns the most recent final interval, or nil. The caller must
// not modify it.
func (c *Collector) Latest() *Interval {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.latest
}

// Clamped returns how many values were over 60 s and recorded as 60 s.
func (c *Collector) Clamped() uint64 { return c.clamped.Load() }

// Finish returns the time series -- one Interval per index from 0 to the
// last with operations, empty ones included, the last cut at end (clock
// reading, ns) -- and the per-op totals. Call it after every Recorder is
// closed.
func (c *Collector) Finish(end int64) ([]Interval, [NumOps]OpTotals) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for idx, acc := range c.open { // only if a Recorder was not closed
		c.finalize(acc)
		delete(c.open, idx)
	}
	slices.SortFunc(c.final, func(a, b *Interval) int { return a.Index - b.Index })
	var out []Interval
	for _, iv := range c.final {
		for len(out) < iv.Index {
			s := time.Duration(int64(len(out)) * c.length)
			out = append(out, Interval{Index: len(out), Start: s, End: s + time.Duration(c.length)})
		}
		out = append(out, *iv)
	}
	if n := len(out); n > 0 {
		if e := time.Duration(end - c.origin); e > out[n-1].Start && e < out[n-1].End {
			out[n-1].End = e
		}
	}
	return out, c.totals
}
