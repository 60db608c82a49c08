package compare

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lightningdb/lightning/engine/vfs"
)

// Plot geometry: each benchmark op gets a column about 1.3 inches wide.
const (
	plotHeight   = 6 * vg.Inch
	columnWidth  = 1.3 * vg.Inch
	minPlotWidth = 8 * vg.Inch
	maxPlotWidth = 40 * vg.Inch
)

// metricStyle gives each metric a colour (Okabe–Ito palette, readable
// by colour-blind readers) and a filled glyph shape.
var metricStyle = [numMetrics]struct {
	color color.RGBA
	shape draw.GlyphDrawer
}{
	Throughput: {color.RGBA{0x00, 0x72, 0xB2, 0xFF}, draw.CircleGlyph{}},
	P50:        {color.RGBA{0x00, 0x9E, 0x73, 0xFF}, draw.BoxGlyph{}},
	P99:        {color.RGBA{0xE6, 0x9F, 0x00, 0xFF}, draw.PyramidGlyph{}},
	P999:       {color.RGBA{0xCC, 0x79, 0xA7, 0xFF}, draw.CrossGlyph{}},
}

// errPoints feeds points with asymmetric error bars to gonum/plot.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

// NewPlot draws r: one column per benchmark op, in each a point per metric
// at its ratio new/baseline with the confidence interval as an error bar,
// a line at 1 (no change), dashed lines at the minimum effect, and rings
// around regressions (red) and improvements (green). It returns an error
// if r has no rows.
func NewPlot(r *Result) (*plot.Plot, error) {
	if len(r.Rows) == 0 {
		return nil, fmt.Errorf("compare: nothing to plot: no benchmark op was measured on both sides")
	}
	var cols []string
	col := map[string]int{}
	for i := range r.Rows {
		row := &r.Rows[i]
		name := row.Op + "\n" + row.Benchmark()
		if _, ok := col[name]; !ok {
			col[name] = len(cols)
			cols = append(cols, name)
		}
	}

	p := plot.New()
	p.Title.Text = "lbench compare: " + r.Headline()
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = "benchmark op  (ops/s: higher is better; latency percentiles: lower is better)"
	p.Y.Label.Text = fmt.Sprintf("new ÷ baseline (log scale), median with %s CI", fmtPct(r.Options.Confidence))
	if r.RatioMode() {
		p.Y.Label.Text = fmt.Sprintf("new ÷ baseline of the ratio to %s (log scale), median with %s CI", r.Options.Reference, fmtPct(r.Options.Confidence))
	}
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(12)
		a.Tick.Label.Font.Size = vg.Points(10)
	}
	for _, st := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
		&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		st.Font.Variant = "Sans"
	}
	grid := plotter.NewGrid()
	grid.Vertical.Width = 0
	grid.Horizontal.Color = color.Gray{Y: 220}
	p.Add(grid)

	// A log scale: a halving and a doubling are as far from 1, and the
	// wide intervals of tail latencies do not squash the others.
	lo, hi := 1-r.Options.MinEffect, 1+r.Options.MinEffect
	for i := range r.Rows {
		lo, hi = math.Min(lo, clampRatio(r.Rows[i].Low)), math.Max(hi, clampRatio(r.Rows[i].High))
	}
	span := hi / lo
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = ratioTicks{}
	p.Y.Min, p.Y.Max = lo/math.Pow(span, 0.05), hi*math.Pow(span, 0.35) // room for the legend
	p.X.Min, p.X.Max = -0.6, float64(len(cols))-0.4
	hline := func(y float64, c color.Color, dashes []vg.Length, label string) {
		f := plotter.NewFunction(func(float64) float64 { return y })
		f.Color, f.Width, f.Dashes = c, vg.Points(1.2), dashes
		p.Add(f)
		if label != "" {
			p.Legend.Add(label, f)
		}
	}
	hline(1, color.Gray{Y: 60}, nil, "no change (1.0)")
	if r.Options.MinEffect > 0 {
		dash := []vg.Length{vg.Points(5), vg.Points(4)}
		hline(1-r.Options.MinEffect, color.Gray{Y: 120}, dash, "±"+fmtPct(r.Options.MinEffect)+" minimum effect")
		hline(1+r.Options.MinEffect, color.Gray{Y: 120}, dash, "")
	}

	nm := len(r.Options.Metrics)
	var regs, imps plotter.XYs
	for mi, m := range r.Options.Metrics {
		var pts errPoints
		for i := range r.Rows {
			row := &r.Rows[i]
			if row.Metric != m {
				continue
			}
			x := float64(col[row.Op+"\n"+row.Benchmark()]) + (float64(mi)-float64(nm-1)/2)*0.7/float64(max(nm, 1))
			y := clampRatio(row.Ratio)
			pts.XYs = append(pts.XYs, plotter.XY{X: x, Y: y})
			pts.YErrors = append(pts.YErrors, struct{ Low, High float64 }{
				math.Max(0, y-clampRatio(row.Low)), math.Max(0, clampRatio(row.High)-y)})
			switch row.Verdict {
			case Regression:
				regs = append(regs, plotter.XY{X: x, Y: y})
			case Improvement:
				imps = append(imps, plotter.XY{X: x, Y: y})
			}
		}
		if len(pts.XYs) == 0 {
			continue
		}
		c := metricStyle[m].color
		bars, err := plotter.NewYErrorBars(pts)
		if err != nil {
			return nil, fmt.Errorf("compare: plot %s: %w", m, err)
		}
		bars.Color, bars.Width = c, vg.Points(1.5)
		sc, err := plotter.NewScatter(pts.XYs)
		if err != nil {
			return nil, fmt.Errorf("compare: plot %s: %w", m, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(4), Shape: metricStyle[m].shape}
		p.Add(bars, sc)
		label := m.String() + " latency"
		if m == Throughput {
			label = "throughput (ops/s)"
		}
		p.Legend.Add(label, sc)
	}
	ring := func(xys plotter.XYs, c color.Color, label string) error {
		// A ring twice the glyphs' size, drawn with a thick line.
		if len(xys) == 0 {
			return nil
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return fmt.Errorf("compare: plot: %w", err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(9), Shape: thickRing{}}
		p.Add(sc)
		p.Legend.Add(label, sc)
		return nil
	}
	if err := ring(regs, color.RGBA{0xD5, 0x5E, 0x00, 0xFF}, "regression"); err != nil {
		return nil, err
	}
	if err := ring(imps, color.Gray{Y: 40}, "improvement"); err != nil {
		return nil, err
	}
	p.NominalX(cols...)
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Legend.Padding = vg.Points(3)
	p.Legend.Left = false
	return p, nil
}

// minRatio is the smallest ratio plotted: a log scale cannot show 0.
const minRatio = 1e-3

func clampRatio(v float64) float64 { return math.Max(v, minRatio) }

// ratioTicks labels a log axis of ratios with round values: 1, 2, 5
// times powers of ten for wide ranges, finer steps (1.1, 1.2, 1.5 ...)
// for narrow ones, and linear ticks when even those give too few.
type ratioTicks struct{}

// Ticks implements plot.Ticker.
func (ratioTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) || math.IsInf(hi, 0) {
		return nil
	}
	for _, mant := range [][]float64{
		{1, 2, 5},
		{1, 1.5, 2, 3, 5, 7},
		{1, 1.1, 1.2, 1.3, 1.5, 1.7, 2, 2.5, 3, 4, 5, 6, 7, 8, 9},
	} {
		var ts []plot.Tick
		for d := math.Pow(10, math.Floor(math.Log10(lo))); d <= hi; d *= 10 {
			for _, m := range mant {
				if v := m * d; v >= lo && v <= hi {
					ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 3, 64)})
				}
			}
		}
		if len(ts) >= 4 {
			return ts
		}
	}
	return plot.DefaultTicks{}.Ticks(lo, hi)
}

// thickRing is a ring glyph drawn with a 2-point line.
type thickRing struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (thickRing) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(2)})
	var p vg.Path
	p.Move(vg.Point{X: pt.X + sty.Radius, Y: pt.Y})
	p.Arc(pt, sty.Radius, 0, 2*math.Pi)
	p.Close()
	c.Stroke(p)
}

// plotWidth returns the width of r's plot.
func plotWidth(r *Result) vg.Length {
	cols := map[string]bool{}
	for i := range r.Rows {
		cols[r.Rows[i].Op+" "+r.Rows[i].Benchmark()] = true
	}
	w := vg.Length(len(cols))*columnWidth + 2*vg.Inch
	return min(max(w, minPlotWidth), maxPlotWidth)
}

// WritePlot draws r (NewPlot) in format "png" or "svg" to w. A panic of
// the plotting library (it panics on some degenerate data) is returned as
// an error.
func WritePlot(w io.Writer, r *Result, format string) (err error) {
	if format != "png" && format != "svg" {
		return fmt.Errorf("%w: plot format %q (want png or svg)", ErrOptions, format)
	}
	p, err := NewPlot(r)
	if err != nil {
		return err
	}
	defer func() {
		if e := recover(); e != nil {
			err = fmt.Errorf("compare: drawing the plot failed: %v", e)
		}
	}()
	wt, err := p.WriterTo(plotWidth(r), plotHeight, format)
	if err != nil {
		return err
	}
	_, err = wt.WriteTo(w)
	return err
}

// SavePlot writes r's plot as name.png and name.svg in dir on fs (which
// must exist) and returns the file names written.
func SavePlot(fs vfs.FS, dir, name string, r *Result) ([]string, error) {
	var files []string
	for _, format := range []string{"png", "svg"} {
		var buf bytes.Buffer
		if err := WritePlot(&buf, r, format); err != nil {
			return files, err
		}
		file := name + "." + format
		if err := vfs.WriteFileSync(fs, filepath.Join(dir, file), buf.Bytes()); err != nil {
			return files, err
		}
		files = append(files, file)
	}
	return files, nil
}
