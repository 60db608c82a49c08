package reports

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/harness/measure"
)

func TestHgrmRoundTrip(t *testing.T) {
	rep := synthReport(t, "mem")
	for _, o := range rep.Runs[1].Ops {
		h := mustHist(t, o.Service)
		var buf bytes.Buffer
		if err := WriteHgrm(&buf, h); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(buf.String(), " Value\tPercentile\tTotalCount\t1/(1-Percentile)\n") ||
			!strings.Contains(buf.String(), "#[Max     =") {
			t.Fatalf("%s: not in .hgrm format:\n%s", o.Op, buf.String())
		}
		pts, err := ParseHgrm(o.Op+".hgrm", buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		last := pts[len(pts)-1]
		if last.Percentile != 1 || last.Count != h.TotalCount() || last.Value != float64(h.Max())/1e3 {
			t.Errorf("%s: last line %+v, histogram max %d count %d", o.Op, last, h.Max(), h.TotalCount())
		}
		for _, p := range pts {
			if p.Percentile == 0 || p.Percentile == 1 {
				continue
			}
			// Each line: Count values are at or below Value, which
			// covers the line's percentile.
			frac := float64(p.Count) / float64(h.TotalCount())
			want := float64(h.ValueAtPercentile(frac*100)) / 1e3
			if math.Abs(p.Value-want) > 0.0015 || frac < p.Percentile-1e-6 {
				t.Errorf("%s: line %+v: histogram has %.3f at the line's rank %.6f", o.Op, p, want, frac)
			}
		}
	}
}

// javaHgrm is a distribution in the layout of HdrHistogram's Java
// outputPercentileDistribution (which wrk2 and YCSB print too).
const javaHgrm = `       Value     Percentile TotalCount 1/(1-Percentile)

       0.056 0.000000000000          1           1.00
       0.101 0.500000000000        503           2.00
       0.130 0.750000000000        751           4.00
       0.907 0.990625000000        991         106.67
       1.215 1.000000000000       1000
#[Mean    =        0.112, StdDeviation   =        0.071]
#[Max     =        1.215, Total count    =         1000]
#[Buckets =           27, SubBuckets     =         2048]
`

func TestParseHgrmJava(t *testing.T) {
	// Java omits 1/(1-p) on the 100% line.
	pts, err := ParseHgrm("java.hgrm", []byte(javaHgrm))
	if err != nil {
		t.Fatal(err)
	}
	want := []HgrmPoint{{0.056, 0, 1}, {0.101, 0.5, 503}, {0.130, 0.75, 751}, {0.907, 0.990625, 991}, {1.215, 1, 1000}}
	if len(pts) != len(want) {
		t.Fatalf("got %d points, want %d", len(pts), len(want))
	}
	for i := range want {
		if pts[i] != want[i] {
			t.Errorf("point %d: %+v, want %+v", i, pts[i], want[i])
		}
	}
	// The curve: x = 1/(1-p) for p < 1, then the maximum at x = count.
	curve := HgrmPercentilePoints(pts)
	wantCurve := []Point{{1, 0.056}, {2, 0.101}, {4, 0.130}, {1 / (1 - 0.990625), 0.907}, {1000, 1.215}}
	if len(curve) != len(wantCurve) {
		t.Fatalf("curve %v", curve)
	}
	for i := range wantCurve {
		if math.Abs(curve[i].X-wantCurve[i].X) > 1e-9 || curve[i].Y != wantCurve[i].Y {
			t.Errorf("curve point %d: %+v, want %+v", i, curve[i], wantCurve[i])
		}
	}
}

func TestParseHgrmErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		offset     int64
	}{
		{"empty", "", 0},
		{"only comments", "# nothing\n\n", 0},
		{"three fields below 100%", "1.0 0.5 10\n", 0},
		{"two fields", "1.0 1\n", 0},
		{"words", "a b c d\n", 0},
		{"negative value", "-1 0.5 10 2.00\n", 0},
		{"nan value", "NaN 0.5 10 2.00\n", 0},
		{"percentile over 1", "1 1.5 10 2.00\n", 0},
		{"negative count", "1 0.5 -3 2.00\n", 0},
		{"decreasing value", "2 0.1 1 1.11\n1 0.5 2 2.00\n", 13},
		{"decreasing percentile", "1 0.5 1 2.00\n2 0.1 2 1.11\n", 13},
		{"decreasing count", "1 0.1 5 1.11\n2 0.5 2 2.00\n", 13},
		{"bad inverse", "1 0.5 1 x\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseHgrm("f.hgrm", []byte(tc.data))
			var ce *engine.CorruptionError
			if !errors.Is(err, engine.ErrCorruption) || !errors.As(err, &ce) {
				t.Fatalf("error %v is not a corruption error", err)
			}
			if ce.File != "f.hgrm" || ce.Offset != tc.offset {
				t.Errorf("error at %s:%d, want f.hgrm:%d (%v)", ce.File, ce.Offset, tc.offset, err)
			}
		})
	}
}

func TestPercentilePoints(t *testing.T) {
	if PercentilePoints(nil) != nil || PercentilePoints(measure.NewHistogram()) != nil {
		t.Error("points for an empty histogram")
	}
	h := measure.NewHistogram()
	h.RecordValue(1500)
	pts := PercentilePoints(h)
	if len(pts) != 1 || pts[0] != (Point{1, 1.5}) {
		t.Errorf("one value: %v", pts)
	}
	for v := int64(1); v <= 100000; v++ {
		h.RecordValue(v * 10)
	}
	pts = PercentilePoints(h)
	for i := 1; i < len(pts); i++ {
		if pts[i].X <= pts[i-1].X || pts[i].Y < pts[i-1].Y {
			t.Fatalf("curve not increasing at %d: %v %v", i, pts[i-1], pts[i])
		}
	}
	if last := pts[len(pts)-1]; last.X != float64(h.TotalCount()) || last.Y != float64(h.Max())/1e3 {
		t.Errorf("last point %v, want (%d, %v)", last, h.TotalCount(), float64(h.Max())/1e3)
	}
}
