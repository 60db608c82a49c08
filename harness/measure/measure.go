package measure

import (
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry shared by every histogram of the harness, so any two
// merge exactly: values in nanoseconds, 1 ns to 60 s, 3 significant
// digits (a recorded value is known to within 0.1%).
const (
	LowestNS  = 1
	HighestNS = int64(60 * time.Second)
	SigFigs   = 3
)

// NewHistogram returns an empty dense histogram of the shared geometry.
func NewHistogram() *hdr.Histogram { return hdr.New(LowestNS, HighestNS, SigFigs) }

// NewPacked returns an empty sparse histogram of the shared geometry.
func NewPacked() *hdr.PackedHistogram { return hdr.NewPacked(LowestNS, HighestNS, SigFigs) }

// Status is the outcome of one operation.
type Status uint8

// Operation outcomes.
const (
	// OK: the operation succeeded.
	OK Status = iota
	// NotFound: a read (or the read of a read-modify-write) found no such
	// key. Counted apart from OK and from errors.
	NotFound
	// Failed: the engine returned an error.
	Failed
)

// Counts are the outcomes of the operations of one op type.
type Counts struct {
	OK       uint64 `json:"ok"`
	NotFound uint64 `json:"not_found"`
	Errors   uint64 `json:"errors"`
}

// Total returns OK + NotFound + Errors.
func (c Counts) Total() uint64 { return c.OK + c.NotFound + c.Errors }

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.OK += o.OK
	c.NotFound += o.NotFound
	c.Errors += o.Errors
}

func (c *Counts) count(s Status) {
	switch s {
	case OK:
		c.OK++
	case NotFound:
		c.NotFound++
	default:
		c.Errors++
	}
}

// OpInterval is what one op type did in one interval: outcome counts and
// sparse histograms of service time and, in open-loop runs, intended
// latency (nil otherwise). Histograms hold every operation of the interval
// whatever its outcome.
type OpInterval struct {
	Counts
	Service  *hdr.PackedHistogram
	Intended *hdr.PackedHistogram
}

// Interval is one slice of the measured time series.
type Interval struct {
	// Index is the interval's position: it covers [Index*length,
	// (Index+1)*length) after the measurement started, except the last,
	// which ends at End.
	Index int
	// Start and End are offsets from the start of measurement.
	Start, End time.Duration
	// Ops are per op type; an op type without operations has zero counts
	// and nil histograms.
	Ops [NumOps]OpInterval
}

// Total returns the operations of every type in the interval.
func (iv *Interval) Total() uint64 {
	var n uint64
	for i := range iv.Ops {
		n += iv.Ops[i].Total()
	}
	return n
}

// Throughput returns completed operations of every type per second.
func (iv *Interval) Throughput() float64 {
	if d := iv.End - iv.Start; d > 0 {
		return float64(iv.Total()) / d.Seconds()
	}
	return 0
}

// OpThroughput returns completed operations of type op per second.
func (iv *Interval) OpThroughput(op Op) float64 {
	if d := iv.End - iv.Start; d > 0 {
		return float64(iv.Ops[op].Total()) / d.Seconds()
	}
	return 0
}

// merge adds o's counts and histograms to iv.Ops[op].
func (oi *OpInterval) merge(o *OpInterval) {
	oi.Counts.Add(o.Counts)
	oi.Service = mergePacked(oi.Service, o.Service)
	oi.Intended = mergePacked(oi.Intended, o.Intended)
}

func mergePacked(dst, src *hdr.PackedHistogram) *hdr.PackedHistogram {
	if src == nil {
		return dst
	}
	if dst == nil {
		return src.Clone()
	}
	dst.Merge(src)
	return dst
}

// Dense returns a dense copy of a sparse histogram (nil for nil), for
// percentile queries and merging.
func Dense(p *hdr.PackedHistogram) *hdr.Histogram {
	if p == nil {
		return nil
	}
	h := NewHistogram()
	p.MergeInto(h)
	return h
}
