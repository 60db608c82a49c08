package measure

import (
	"testing"
	"time"
)

func TestOpNames(t *testing.T) {
	cases := []struct {
		op         Op
		name, ycsb string
	}{
		{Read, "read", "READ"}, {Update, "update", "UPDATE"}, {Insert, "insert", "INSERT"},
		{Scan, "scan", "SCAN"}, {ReadModifyWrite, "readmodifywrite", "READ-MODIFY-WRITE"},
	}
	for _, c := range cases {
		if c.op.Name() != c.name || c.op.String() != c.ycsb {
			t.Errorf("%d: %s %s", c.op, c.op.Name(), c.op)
		}
		for _, s := range []string{c.name, c.ycsb} {
			if op, ok := ParseOp(s); !ok || op != c.op {
				t.Errorf("ParseOp(%q) = %v %v", s, op, ok)
			}
		}
	}
	if _, ok := ParseOp("get"); ok {
		t.Error("ParseOp(get)")
	}
	if Op(9).Name() == "" || Op(9).String() == "" {
		t.Error("out-of-range op has no name")
	}
}

func TestCollectorIntervals(t *testing.T) {
	const origin, length = 1000, 100
	c := NewCollector(2, origin, length*time.Nanosecond, false)
	r0, r1 := c.Recorder(0), c.Recorder(1)
	r0.Record(Read, 1050, 10, 0, OK)
	r1.Record(Read, 1010, 20, 0, NotFound)
	r0.Record(Update, 1150, 30, 0, Failed) // r0 moves to interval 1
	if c.Latest() != nil {
		t.Fatal("interval 0 final while worker 1 is still in it")
	}
	r1.Record(Scan, 1390, 40, 0, OK) // r1 moves to interval 3
	if l := c.Latest(); l == nil || l.Index != 0 || l.Ops[Read].Total() != 2 {
		t.Fatalf("latest after both passed interval 0: %+v", l)
	}
	r0.Record(Read, 1420, 2*HighestNS, 0, OK) // clamped
	r0.Close()
	r1.Close()
	ivs, totals := c.Finish(1450)
	if len(ivs) != 5 {
		t.Fatalf("%d intervals, want 5 (0..4)", len(ivs))
	}
	want := []uint64{2, 1, 0, 1, 1}
	for i, iv := range ivs {
		if iv.Index != i || iv.Total() != want[i] {
			t.Errorf("interval %d: index %d, %d ops, want %d", i, iv.Index, iv.Total(), want[i])
		}
		if iv.Start != time.Duration(i*length) {
			t.Errorf("interval %d starts at %v", i, iv.Start)
		}
	}
	if ivs[4].End != 450 || ivs[3].End != 400 {
		t.Errorf("ends %v %v, want the last cut at 450ns", ivs[3].End, ivs[4].End)
	}
	if got := ivs[0].Throughput(); got != 2/(100e-9) {
		t.Errorf("throughput %v", got)
	}
	if got := ivs[0].OpThroughput(Read); got != 2/(100e-9) {
		t.Errorf("read throughput %v", got)
	}
	if totals[Read].Counts != (Counts{OK: 2, NotFound: 1}) || totals[Update].Errors != 1 || totals[Scan].OK != 1 {
		t.Errorf("totals %+v", totals)
	}
	if totals[Read].Service.TotalCount() != 3 || totals[Read].Service.Max() < HighestNS*999/1000 {
		t.Errorf("read histogram: %d values, max %d", totals[Read].Service.TotalCount(), totals[Read].Service.Max())
	}
	if c.Clamped() != 1 {
		t.Errorf("clamped %d", c.Clamped())
	}
	if totals[Read].Intended != nil || ivs[0].Ops[Read].Intended != nil {
		t.Error("intended histograms in a closed-loop collector")
	}
	if h := Dense(ivs[0].Ops[Read].Service); h.TotalCount() != 2 || h.Min() != 10 || Dense(nil) != nil {
		t.Errorf("dense copy of interval 0 reads: %v", h)
	}
}

func TestCollectorOpenLoop(t *testing.T) {
	c := NewCollector(1, 0, time.Second, true)
	r := c.Recorder(0)
	for i := range 1000 {
		r.Record(Insert, int64(i), int64(i+1), int64(2*i+5), OK)
	}
	r.Close()
	ivs, totals := c.Finish(1000)
	if len(ivs) != 1 || ivs[0].End != 1000 {
		t.Fatalf("intervals %+v", ivs)
	}
	s, in := totals[Insert].Service, totals[Insert].Intended
	if s.TotalCount() != 1000 || in.TotalCount() != 1000 {
		t.Fatalf("counts %d %d", s.TotalCount(), in.TotalCount())
	}
	for _, p := range []float64{1, 50, 99, 100} {
		if in.ValueAtPercentile(p) < s.ValueAtPercentile(p) {
			t.Errorf("p%g: intended below service", p)
		}
	}
	if ivs[0].Ops[Insert].Intended.TotalCount() != 1000 {
		t.Error("interval intended histogram")
	}
}

func TestCountsAdd(t *testing.T) {
	var c Counts
	c.Add(Counts{1, 2, 3})
	c.count(OK)
	c.count(NotFound)
	c.count(Failed)
	if c != (Counts{2, 3, 4}) || c.Total() != 9 {
		t.Errorf("%+v", c)
	}
}
