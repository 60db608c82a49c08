package gen

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/lightningdb/lightning/harness/measure"
	"github.com/lightningdb/lightning/harness/props"
)

// Shared is the part of a workload's generators that all workers of a run
// share: the key builder and the acknowledged insert counter. Everything
// per operation is in Worker.
type Shared struct {
	W    *props.Workload
	Keys KeyBuilder
	// Inserts hands out the key numbers of run-phase inserts, starting at
	// recordcount; requests only address keys up to Inserts.Last().
	Inserts *AckCounter
}

// NewShared prepares the shared generators of w. It checks the fields
// the generators depend on, so a hand-built Workload that props would have
// refused is an error here rather than a panic later.
func NewShared(w *props.Workload) (*Shared, error) {
	if err := checkWorkload(w); err != nil {
		return nil, err
	}
	kb := KeyBuilder{Prefix: w.KeyPrefix, ZeroPadding: w.ZeroPadding, Hashed: !w.OrderedInserts}
	if w.KeyFormat == "compact" {
		kb.Format = KeyCompact
	}
	return &Shared{W: w, Keys: kb, Inserts: NewAckCounter(uint64(w.RecordCount))}, nil
}

func checkWorkload(w *props.Workload) error {
	bad := func(what string, v any) error { return fmt.Errorf("gen: invalid workload: %s %v", what, v) }
	switch {
	case w.RecordCount < 1 || w.InsertStart < 0 || w.InsertCount < 1 || w.InsertStart+w.InsertCount > w.RecordCount:
		return bad("record range", [3]int64{w.RecordCount, w.InsertStart, w.InsertCount})
	case w.MinScanLength < 1 || w.MaxScanLength < w.MinScanLength:
		return bad("scan lengths", [2]int{w.MinScanLength, w.MaxScanLength})
	case w.ZipfianConstant <= 0 || w.ZipfianConstant >= 1:
		return bad("zipfian constant", w.ZipfianConstant)
	case w.ValueSize < 0 || (w.ValueSize == 0 && (w.FieldCount < 1 || w.FieldLength < 0 ||
		(w.FieldLengthDistribution != "constant" && (w.MinFieldLength > w.FieldLength || w.MinFieldLength < 0)))):
		return bad("value shape", [3]int{w.ValueSize, w.FieldCount, w.FieldLength})
	case w.HotspotDataFraction < 0 || w.HotspotDataFraction > 1 || w.HotspotOpnFraction < 0 || w.HotspotOpnFraction > 1:
		return bad("hotspot fractions", [2]float64{w.HotspotDataFraction, w.HotspotOpnFraction})
	case w.ExponentialPercentile <= 0 || w.ExponentialPercentile >= 100 || w.ExponentialFrac <= 0:
		return bad("exponential parameters", [2]float64{w.ExponentialPercentile, w.ExponentialFrac})
	}
	sum := 0.0
	for _, p := range w.Proportions {
		if p < 0 {
			return bad("proportions", w.Proportions)
		}
		sum += p
	}
	if sum <= 0 {
		return bad("proportions", w.Proportions)
	}
	switch w.RequestDistribution {
	case "uniform", "exponential", "sequential", "zipfian", "latest", "hotspot":
	default:
		return bad("requestdistribution", w.RequestDistribution)
	}
	switch w.ScanLengthDistribution {
	case "uniform", "zipfian":
	default:
		return bad("scanlengthdistribution", w.ScanLengthDistribution)
	}
	switch w.FieldLengthDistribution {
	case "constant", "uniform", "zipfian":
	default:
		if w.ValueSize == 0 {
			return bad("fieldlengthdistribution", w.FieldLengthDistribution)
		}
	}
	return nil
}

// Worker is one worker's generators: op chooser, request distribution,
// scan lengths, values. It is owned by one goroutine: no locks, no shared
// writes per operation (the only shared state read is Inserts.Last, one
// atomic load).
type Worker struct {
	R       *Rand
	scratch []uint64
	shared  *Shared
	ops     opChooser
	keys    Number       // request distribution (nil for exponential)
	exp     *Exponential // exponential request distribution
	scan    Number
	values  *Values
}

// NewWorker returns the generators of worker index (of workers), seeded
// with (seed, index).
func (s *Shared) NewWorker(seed uint64, index, workers int) *Worker {
	w := s.W
	r := NewRand(seed, uint64(index))
	g := &Worker{R: r, shared: s, ops: newOpChooser(w.Proportions)}
	lo := uint64(w.InsertStart)
	hi := uint64(w.InsertStart + w.InsertCount - 1)
	switch w.RequestDistribution {
	case "uniform":
		g.keys = NewUniform(r, lo, hi)
	case "exponential":
		g.exp = NewExponential(r, w.ExponentialPercentile, float64(w.RecordCount)*w.ExponentialFrac)
	case "sequential":
		g.keys = NewSequential(lo, hi, uint64(index)*(hi-lo+1)/uint64(workers))
	case "zipfian":
		// YCSB: size the scrambled space for the records inserts will add
		// (twice the expected count), so popularity does not shift as
		// records are inserted; draws past Inserts.Last are redrawn.
		expected := uint64(float64(w.OperationCount) * w.Proportions[measure.Insert] * 2)
		g.keys = NewScrambledZipfian(r, lo, hi+1+expected, w.ZipfianConstant)
	case "latest":
		g.keys = NewSkewedLatest(r, s.Inserts, w.ZipfianConstant)
	case "hotspot":
		g.keys = NewHotspot(r, lo, hi, w.HotspotDataFraction, w.HotspotOpnFraction)
	}
	minS, maxS := uint64(w.MinScanLength), uint64(w.MaxScanLength)
	if w.ScanLengthDistribution == "zipfian" {
		g.scan = NewZipfian(r, minS, maxS, w.ZipfianConstant)
	} else {
		g.scan = NewUniform(r, minS, maxS)
	}
	g.values = NewValues(r, w)
	return g
}

// NextOp returns the type of the next run operation.
func (g *Worker) NextOp() measure.Op { return g.ops.next(g.R) }

// NextKeynum returns the key number of the next read, update, scan or
// read-modify-write, as YCSB's CoreWorkload.nextKeynum: drawn from the
// request distribution and redrawn while past the last acknowledged
// insert (exponential: Last minus the draw, redrawn while negative). After
// 64 redraws it folds the draw into range instead of looping on.
func (g *Worker) NextKeynum() int64 {
	last := g.shared.Inserts.Last()
	if g.exp != nil {
		for range 64 {
			if v := last - int64(g.exp.Next()); v >= 0 {
				return v
			}
		}
		return int64(g.R.Uint64n(uint64(last) + 1))
	}
	var v uint64
	for range 64 {
		if v = g.keys.Next(); int64(v) <= last {
			return int64(v)
		}
	}
	return int64(v % (uint64(last) + 1))
}

// Filler is a Number that fills a batch faster than calls to Next can.
type Filler interface {
	Number
	Fill(dst []uint64)
}

// NextKeynums fills dst with key numbers, as len(dst) calls of NextKeynum
// would (same distribution and redraw rule), faster where the request
// distribution is a Filler.
func (g *Worker) NextKeynums(dst []int64) {
	f, ok := g.keys.(Filler)
	if !ok {
		for i := range dst {
			dst[i] = g.NextKeynum()
		}
		return
	}
	if cap(g.scratch) < len(dst) {
		g.scratch = make([]uint64, len(dst))
	}
	raw := g.scratch[:len(dst)]
	f.Fill(raw)
	last := g.shared.Inserts.Last()
	for i, v := range raw {
		if int64(v) <= last {
			dst[i] = int64(v)
		} else {
			dst[i] = g.NextKeynum()
		}
	}
}

// NextInsert returns the key number of the next run-phase insert. The
// caller must call Inserted with it once the insert is done (or failed).
func (g *Worker) NextInsert() int64 { return int64(g.shared.Inserts.Next()) }

// Inserted acknowledges an insert's key number.
func (g *Worker) Inserted(keynum int64) error { return g.shared.Inserts.Acknowledge(uint64(keynum)) }

// ScanLength returns the number of records of the next scan.
func (g *Worker) ScanLength() int { return int(g.scan.Next()) }

// Value returns the value for the next insert or update. The slice is
// valid until the next call; engines copy what they keep.
func (g *Worker) Value() []byte { return g.values.Next() }

// AppendKey appends the key of keynum.
func (g *Worker) AppendKey(dst []byte, keynum int64) []byte { return g.shared.Keys.Append(dst, keynum) }

// opChooser is YCSB's DiscreteGenerator over the op proportions, with the
// cumulative weights as uint64 thresholds so a draw is one Uint64 and a
// few compares.
type opChooser struct {
	n   int
	ops [measure.NumOps]measure.Op
	thr [measure.NumOps]uint64
}

func newOpChooser(p [measure.NumOps]float64) opChooser {
	var c opChooser
	sum := 0.0
	for _, v := range p {
		sum += v
	}
	cum := 0.0
	for _, op := range measure.Ops() {
		if p[op] <= 0 {
			continue
		}
		cum += p[op] / sum
		c.ops[c.n] = op
		if cum >= 1 {
			c.thr[c.n] = ^uint64(0)
		} else {
			c.thr[c.n] = uint64(cum * 0x1p64)
		}
		c.n++
	}
	if c.n > 0 {
		c.thr[c.n-1] = ^uint64(0)
	}
	return c
}

func (c *opChooser) next(r *Rand) measure.Op {
	if c.n == 1 {
		return c.ops[0]
	}
	u := r.Uint64()
	for i := 0; i < c.n-1; i++ {
		if u < c.thr[i] {
			return c.ops[i]
		}
	}
	return c.ops[c.n-1]
}

// Values makes record values: with lightning.valuesize one value of that
// many bytes, else a record of fieldcount fields in this frozen layout:
//
//	record := field{fieldcount}
//	field  := uvarint(len(name)) name uvarint(len(value)) value
//
// where name is fieldnameprefix + the field index ("field0") and the
// value's length comes from fieldlengthdistribution. Value bytes are
// random printable ASCII (' '..'~') like YCSB's RandomByteIterator, cut
// at a random offset from a per-worker buffer of 1 MiB plus the largest
// value, filled once: making a value costs one random number, not one per
// byte. Within one value the bytes are random; two values may share bytes
// if their offsets overlap, which only a compressor with a window over
// 1 MiB could exploit.
type Values struct {
	r        *Rand
	buf      []byte
	size     int
	names    [][]byte
	fieldLen Number
	rec      []byte
}

// NewValues returns the value maker of w drawing from r.
func NewValues(r *Rand, w *props.Workload) *Values {
	v := &Values{r: r, size: w.ValueSize}
	maxLen := w.ValueSize
	if w.ValueSize == 0 {
		maxLen = w.FieldLength
		for i := range w.FieldCount {
			v.names = append(v.names, []byte(w.FieldNamePrefix+strconv.Itoa(i)))
		}
		switch w.FieldLengthDistribution {
		case "uniform":
			v.fieldLen = NewUniform(r, uint64(w.MinFieldLength), uint64(w.FieldLength))
		case "zipfian":
			v.fieldLen = NewZipfian(r, uint64(w.MinFieldLength), uint64(w.FieldLength), w.ZipfianConstant)
		default:
			v.fieldLen = Constant(w.FieldLength)
		}
	}
	v.buf = make([]byte, maxLen+1<<20)
	FillPrintable(r, v.buf)
	return v
}

// FillPrintable fills b with random bytes in ' '..'~'.
func FillPrintable(r *Rand, b []byte) {
	for i := 0; i < len(b); i += 8 {
		x := r.Uint64()
		for j := i; j < i+8 && j < len(b); j++ {
			b[j] = ' ' + byte((uint32(byte(x))*95)>>8)
			x >>= 8
		}
	}
}

func (v *Values) slice(n int) []byte {
	off := int(v.r.Uint64n(uint64(len(v.buf) - n + 1)))
	return v.buf[off : off+n : off+n]
}

// Next returns the next value, valid until the next call.
func (v *Values) Next() []byte {
	if v.names == nil {
		return v.slice(v.size)
	}
	v.rec = v.rec[:0]
	for _, name := range v.names {
		n := int(v.fieldLen.Next())
		v.rec = binary.AppendUvarint(v.rec, uint64(len(name)))
		v.rec = append(v.rec, name...)
		v.rec = binary.AppendUvarint(v.rec, uint64(n))
		v.rec = append(v.rec, v.slice(n)...)
	}
	return v.rec
}
