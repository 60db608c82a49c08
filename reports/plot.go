package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lightningdb/lightning/engine/vfs"
)

// Plot size: 10 x 6 inches, 960 x 576 pixels in PNG.
const (
	plotWidth  = 10 * vg.Inch
	plotHeight = 6 * vg.Inch
)

// Point is one point of a plotted line.
type Point struct{ X, Y float64 }

// Series is one labelled line of a plot.
type Series struct {
	Label  string
	Points []Point
	// Dashed draws the line dashed (intended latency next to service
	// time).
	Dashed bool
}

// PercentilePoints returns the latency-by-percentile curve of h (ns) for
// LatencyPlot: X is 1/(1-p) for the percentile p (a fraction), Y the
// latency in microseconds, at the percentile steps of a .hgrm file, and a
// last point at X = count for the maximum (the worst of count values is
// the 1-in-count percentile). An empty histogram has no points.
func PercentilePoints(h *hdr.Histogram) []Point {
	if h == nil || h.TotalCount() == 0 {
		return nil
	}
	var hp []HgrmPoint
	for _, b := range h.CumulativeDistributionWithTicks(HgrmTicks) {
		hp = append(hp, HgrmPoint{Value: float64(b.ValueAt) / 1e3, Percentile: b.Quantile / 100, Count: b.Count})
	}
	return HgrmPercentilePoints(hp)
}

// HgrmPercentilePoints turns the lines of a .hgrm file (values in µs)
// into a latency-by-percentile curve, as PercentilePoints does.
func HgrmPercentilePoints(hp []HgrmPoint) []Point {
	var pts []Point
	var total int64
	var maxV float64
	for _, p := range hp {
		total, maxV = max(total, p.Count), max(maxV, p.Value)
		if p.Percentile >= 1 {
			continue
		}
		x := 1 / (1 - p.Percentile)
		if n := len(pts); n > 0 && x <= pts[n-1].X {
			pts[n-1].Y = max(pts[n-1].Y, p.Value)
			continue
		}
		pts = append(pts, Point{X: x, Y: p.Value})
	}
	if n := len(pts); n == 0 || float64(total) > pts[n-1].X {
		pts = append(pts, Point{X: max(float64(total), 1), Y: maxV})
	}
	return pts
}

// LatencyPlot draws latency by percentile: X is 1/(1-p) on a log scale
// labelled 0%, 50%, 90%, 99%, 99.9%, ...; Y is latency (series values in
// microseconds) on a log scale labelled with units ("10ns", "1µs",
// "1ms"); one line per series.
func LatencyPlot(title string, series []Series) (*plot.Plot, error) {
	p := newPlot(title, "percentile (log scale of 1/(1-p))", "latency (log scale)")
	maxX, minY, maxY := 1.0, math.Inf(1), 0.0
	n := 0
	for _, s := range series {
		for _, pt := range s.Points {
			maxX = max(maxX, pt.X)
			minY, maxY = min(minY, pt.Y), max(maxY, pt.Y)
			n++
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("reports: latency plot %q has no data", title)
	}
	const floor = 1e-3 // 1 ns in µs: log scales need positive values
	minY, maxY = max(minY, floor), max(maxY, floor)
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Min = 1
	p.X.Max = math.Pow(10, math.Ceil(math.Log10(maxX)+1e-9))
	p.X.Max = max(p.X.Max, 100)
	p.X.Tick.Marker = percentileTicks(p.X.Max)
	p.Y.Min = math.Pow(10, math.Floor(math.Log10(minY)))
	p.Y.Max = math.Pow(10, math.Ceil(math.Log10(maxY)+1e-9))
	if p.Y.Max/maxY < 3 { // room for the legend above the tail
		p.Y.Max *= 10
	}
	p.Y.Tick.Marker = logTicks{}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = vg.Points(12)
	for i, s := range series {
		if len(s.Points) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(s.Points))
		for j, pt := range s.Points {
			xys[j] = plotter.XY{X: max(pt.X, 1), Y: max(pt.Y, floor)}
		}
		if err := addLine(p, xys, s, i, false); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// ThroughputPlot draws throughput over time: X seconds since the start of
// measurement, Y operations per second, one line per series (a step line
// when the series holds each interval's start and end, as WritePlots
// draws them).
func ThroughputPlot(title string, series []Series) (*plot.Plot, error) {
	p := newPlot(title, "time (s)", "throughput (ops/s)")
	maxY := 0.0
	n := 0
	for _, s := range series {
		for _, pt := range s.Points {
			maxY = max(maxY, pt.Y)
			n++
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("reports: throughput plot %q has no data", title)
	}
	p.X.Min = 0
	p.X.Tick.Marker = siTicks{}
	p.Y.Min = 0
	p.Y.Max = max(maxY*1.35, 1) // room for the legend
	p.Y.Tick.Marker = siTicks{}
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Points(8)
	for i, s := range series {
		if len(s.Points) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(s.Points))
		for j, pt := range s.Points {
			xys[j] = plotter.XY{X: pt.X, Y: pt.Y}
		}
		if err := addLine(p, xys, s, i, true); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// BarPlot draws grouped bars: one group per category (workloads), one bar
// per group member (backends) in each, labelled with its value. vals[g][c]
// is member g's value in category c; NaN leaves the bar out.
func BarPlot(title, xlabel, ylabel string, categories, groups []string, vals [][]float64) (*plot.Plot, error) {
	p := newPlot(title, xlabel, ylabel)
	if len(categories) == 0 || len(groups) == 0 || len(vals) != len(groups) {
		return nil, fmt.Errorf("reports: bar plot %q has no data", title)
	}
	maxY := 0.0
	for _, row := range vals {
		if len(row) != len(categories) {
			return nil, fmt.Errorf("reports: bar plot %q: %d values for %d categories", title, len(row), len(categories))
		}
		for _, v := range row {
			if !math.IsNaN(v) {
				maxY = max(maxY, v)
			}
		}
	}
	p.Y.Min = 0
	p.Y.Max = max(maxY*1.3, 1)
	p.Y.Tick.Marker = siTicks{}
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Points(8)
	p.NominalX(categories...)
	slot := (plotWidth - 1.5*vg.Inch) / vg.Length(len(categories))
	width := min(slot*0.8/vg.Length(len(groups)), 60)
	for g, name := range groups {
		vs := make(plotter.Values, len(categories))
		var lxy plotter.XYs
		var labels []string
		for c, v := range vals[g] {
			if math.IsNaN(v) {
				continue
			}
			vs[c] = v
			lxy = append(lxy, plotter.XY{X: float64(c), Y: v})
			labels = append(labels, siLabel(v))
		}
		bars, err := plotter.NewBarChart(vs, width)
		if err != nil {
			return nil, err
		}
		bars.Color = plotutil.Color(g)
		bars.LineStyle.Width = 0
		offset := (vg.Length(g) - vg.Length(len(groups)-1)/2) * width
		bars.Offset = offset
		p.Add(bars)
		p.Legend.Add(name, bars)
		if len(lxy) > 0 {
			lb, err := plotter.NewLabels(plotter.XYLabels{XYs: lxy, Labels: labels})
			if err != nil {
				return nil, err
			}
			for i := range lb.TextStyle {
				lb.TextStyle[i].XAlign = draw.XCenter
				lb.TextStyle[i].Font.Size = vg.Points(9)
				lb.TextStyle[i].Font.Variant = "Sans"
			}
			lb.Offset = vg.Point{X: offset, Y: vg.Points(3)}
			p.Add(lb)
		}
	}
	return p, nil
}

// newPlot returns a plot with the common style.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(15)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(12)
		a.Tick.Label.Font.Size = vg.Points(10)
	}
	p.Legend.TextStyle.Font.Size = vg.Points(11)
	p.Legend.Padding = vg.Points(4)
	p.Legend.YOffs = -vg.Points(6)
	for _, st := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
		&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		st.Font.Variant = "Sans"
	}
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 220}
	g.Horizontal.Color = color.Gray{Y: 220}
	p.Add(g)
	return p
}

// addLine adds a series as the i-th line of p, with the i-th dash pattern
// if dashes.
func addLine(p *plot.Plot, xys plotter.XYs, s Series, i int, dashes bool) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return fmt.Errorf("reports: line %q: %w", s.Label, err)
	}
	l.Color = plotutil.Color(i)
	l.Width = vg.Points(2)
	switch {
	case s.Dashed:
		l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	case dashes:
		// Lines that coincide (a 50/50 mix) stay visible.
		l.Dashes = plotutil.Dashes(i)
	}
	p.Add(l)
	p.Legend.Add(s.Label, l)
	return nil
}

// percentileTicks labels 1/(1-p) at 1 (0%), 2 (50%), 10 (90%), 100 (99%),
// ... up to maxX.
func percentileTicks(maxX float64) plot.ConstantTicks {
	ts := plot.ConstantTicks{{Value: 1, Label: "0%"}, {Value: 2, Label: "50%"}}
	for x, nines := 10.0, 1; x <= maxX*1.0001; x, nines = x*10, nines+1 {
		label := "90"
		switch {
		case nines == 2:
			label = "99"
		case nines > 2:
			label = "99." + strings.Repeat("9", nines-2)
		}
		ts = append(ts, plot.Tick{Value: x, Label: label + "%"})
		for m := 2.0; m < 10; m++ {
			if x*m < maxX {
				ts = append(ts, plot.Tick{Value: x * m})
			}
		}
	}
	for m := 3.0; m < 10; m++ {
		ts = append(ts, plot.Tick{Value: m})
	}
	return ts
}

// logTicks labels powers of ten of a latency axis in microseconds as
// durations ("100ns", "1µs", "10ms"), with minor ticks between, and also
// labels 2 and 5 times them when the axis spans at most two decades.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) || math.IsInf(hi, 0) {
		return nil
	}
	few := math.Log10(hi/lo) <= 2.01
	var ts []plot.Tick
	for d := math.Pow(10, math.Floor(math.Log10(lo))); d <= hi*1.0001; d *= 10 {
		for m := 1.0; m < 10; m++ {
			v := d * m
			if v < lo*0.9999 || v > hi*1.0001 {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (few && (m == 2 || m == 5)) {
				t.Label = durationLabel(v)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// durationLabel renders a value in microseconds as a duration: 0.1 is
// "100ns", 1500 is "1.5ms".
func durationLabel(us float64) string {
	return time.Duration(math.Round(us * 1e3)).String()
}

// siTicks labels about 4 to 10 round values (1, 2 or 5 times a power of
// ten apart) with SI suffixes ("1.5M"), with unlabelled minor ticks
// between.
type siTicks struct{}

// Ticks implements plot.Ticker.
func (siTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) || math.IsNaN(hi-lo) {
		return nil
	}
	step := math.Pow(10, math.Floor(math.Log10((hi-lo)/6)))
	for _, m := range []float64{1, 2, 5, 10} {
		if (hi-lo)/(step*m) < 10 {
			step *= m
			break
		}
	}
	var ts []plot.Tick
	minor := step / 2
	for i := math.Ceil(lo / minor); i*minor <= hi*(1+1e-9); i++ {
		v := i * minor
		t := plot.Tick{Value: v}
		if math.Mod(i, 2) == 0 {
			t.Label = siLabel(v)
		}
		ts = append(ts, t)
	}
	return ts
}

// siLabel renders v with an SI suffix and three significant digits:
// 950, 12.5k, 477k, 14.4M, 1.2G.
func siLabel(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return trimFloat(v/1e9) + "G"
	case a >= 1e6:
		return trimFloat(v/1e6) + "M"
	case a >= 1e3:
		return trimFloat(v/1e3) + "k"
	}
	return trimFloat(v)
}

// trimFloat renders v with three significant digits (at least the
// integer part), trailing zeros dropped.
func trimFloat(v float64) string {
	prec := 0
	switch a := math.Abs(v); {
	case a < 10:
		prec = 2
	case a < 100:
		prec = 1
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if prec > 0 {
		s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// SavePlot writes p as name.png and name.svg under dir on fs and returns
// the two file names. A panic inside the plotting library (it panics on
// some degenerate data) is returned as an error naming the plot.
func SavePlot(fs vfs.FS, dir, name string, p *plot.Plot) (files []string, err error) {
	for _, format := range []string{"png", "svg"} {
		var buf bytes.Buffer
		if err := render(p, format, &buf); err != nil {
			return files, fmt.Errorf("reports: plot %s: %w", name, err)
		}
		file := name + "." + format
		if err := vfs.WriteFileSync(fs, filepath.Join(dir, file), buf.Bytes()); err != nil {
			return files, err
		}
		files = append(files, file)
	}
	return files, nil
}

func render(p *plot.Plot, format string, buf *bytes.Buffer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("drawing failed: %v", r)
		}
	}()
	wt, err := p.WriterTo(plotWidth, plotHeight, format)
	if err != nil {
		return err
	}
	_, err = wt.WriteTo(buf)
	return err
}
