package compare

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// columns are the table's headings, shared by the text and Markdown
// renderers.
func (r *Result) columns() []string {
	return []string{"benchmark", "op", "metric", "baseline", "new", "change", fmtPct(r.Options.Confidence) + " CI", "p", "runs", "verdict"}
}

// cells renders row as the table's cells; verdict is rendered by the
// caller.
func (r *Result) cells(row *Row) []string {
	return []string{
		row.Benchmark(), row.Op, row.Metric.String(),
		r.fmtValue(row.Base, row.Metric), r.fmtValue(row.New, row.Metric),
		fmt.Sprintf("%+.1f%%", 100*row.Change()),
		fmt.Sprintf("[%+.1f%%, %+.1f%%]", 100*(row.Low-1), 100*(row.High-1)),
		fmtP(row.P),
		fmt.Sprintf("%d/%d", row.Base.N, row.New.N),
	}
}

// fmtValue renders a side's median with its spread.
func (r *Result) fmtValue(s Summary, m Metric) string {
	var v string
	switch {
	case r.RatioMode():
		v = sig3(s.Median) + "x"
	case m.Latency():
		v = fmtNS(s.Median)
	default:
		v = fmtSI(s.Median)
	}
	pct := 100 * s.Spread
	if pct < 10 {
		return v + " ±" + strconv.FormatFloat(pct, 'f', 1, 64) + "%"
	}
	return v + " ±" + strconv.FormatFloat(pct, 'f', 0, 64) + "%"
}

// sig3 renders v with about three significant digits, without exponent
// for values from 0.001 up.
func sig3(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 100 || a == 0:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case a >= 0.1:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// fmtSI renders a rate with an SI suffix: 950, 12.5k, 1.23M.
func fmtSI(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e9:
		return sig3(v/1e9) + "G"
	case a >= 1e6:
		return sig3(v/1e6) + "M"
	case a >= 1e3:
		return sig3(v/1e3) + "k"
	}
	return sig3(v)
}

// fmtNS renders nanoseconds as a duration: 850ns, 1.23µs, 45.6ms, 1.20s.
func fmtNS(ns float64) string {
	switch a := math.Abs(ns); {
	case a >= 1e9:
		return sig3(ns/1e9) + "s"
	case a >= 1e6:
		return sig3(ns/1e6) + "ms"
	case a >= 1e3:
		return sig3(ns/1e3) + "µs"
	}
	return sig3(ns) + "ns"
}

// fmtP renders a p-value: 0.043, or <0.001.
func fmtP(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return strconv.FormatFloat(p, 'f', 3, 64)
}

// shortVerdict is the verdict cell of the text table.
func (r *Result) shortVerdict(row *Row) string {
	switch row.Verdict {
	case Regression:
		return "REGRESSION"
	case Improvement:
		return "improvement"
	case TooFewRuns:
		return "too few runs"
	}
	if row.P < r.Options.Alpha {
		return "~ (below " + fmtPct(r.Options.MinEffect) + ")"
	}
	return "~"
}

// Headline returns the one-line summary: "1 regression, 2 improvements,
// 5 no change, 0 too few runs".
func (r *Result) Headline() string {
	plural := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.Itoa(n) + " " + many
	}
	return fmt.Sprintf("%s, %s, %d no change, %d too few runs",
		plural(r.Count(Regression), "regression", "regressions"),
		plural(r.Count(Improvement), "improvement", "improvements"),
		r.Count(NoChange), r.Count(TooFewRuns))
}

// method describes how the result was computed, in one sentence.
func (r *Result) method() string {
	o := &r.Options
	mode := "absolute figures, median of the runs of each side"
	if r.RatioMode() {
		mode = fmt.Sprintf("ratio mode: each run's figures divided by those of the reference backend %s in the same report, median of those ratios on each side", o.Reference)
	}
	effect := "no minimum effect"
	if o.MinEffect > 0 {
		effect = "minimum effect " + fmtPct(o.MinEffect)
	}
	return fmt.Sprintf("%s; Mann-Whitney U test, two-sided, alpha %s; %s; %s bootstrap interval of the ratio of medians (%d resamples, seed %d)",
		mode, fmtG(o.Alpha), effect, fmtPct(o.Confidence), o.Resamples, o.Seed)
}

// sideLine describes one side's inputs.
func sideLine(s *SideInfo) string {
	const maxFiles = 3
	files := strings.Join(s.Files[:min(len(s.Files), maxFiles)], ", ")
	if len(s.Files) > maxFiles {
		files += fmt.Sprintf(", and %d more", len(s.Files)-maxFiles)
	}
	return fmt.Sprintf("%d runs in %d reports (%s); commit %s; %s",
		s.Runs, len(s.Files), files, strings.Join(s.Commits, ", "), strings.Join(s.Machines, "; "))
}

// geoLine returns "ops/s -29.3%, p50 +41.4%" over the metrics with rows.
func (r *Result) geoLine() string {
	var parts []string
	for _, m := range r.Options.Metrics {
		if g, ok := r.GeoMeanRatio(m); ok {
			parts = append(parts, fmt.Sprintf("%s %+.1f%%", m, 100*(g-1)))
		}
	}
	return strings.Join(parts, ", ")
}

// legend explains the table's columns.
func (r *Result) legend() []string {
	unit := "ops/s and latency (service time)"
	if r.RatioMode() {
		unit = "ratios to " + r.Options.Reference + " (x)"
	}
	return []string{
		fmt.Sprintf("baseline/new: median of the runs' %s, ± robust spread of the runs (1.4826·MAD/median)", unit),
		"change: median(new)/median(baseline) − 1, with the bootstrap interval of that change; p: Mann-Whitney U, two-sided",
		"ops/s: higher is better; p50, p99, p99.9 latency: lower is better; ~: no significant change",
	}
}

// tooFewReasons returns the distinct reasons of the TooFewRuns rows.
func (r *Result) tooFewReasons() []string {
	var out []string
	for i := range r.Rows {
		if r.Rows[i].Verdict == TooFewRuns {
			out = appendOnce(out, r.Rows[i].Reason)
		}
	}
	return out
}

// WriteText writes the result as an aligned text table with a summary
// above and the legend, one-sided benchmarks and notes below.
func WriteText(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "lbench compare: %s\n", r.Headline())
	fmt.Fprintf(bw, "baseline: %s\n", sideLine(&r.Baseline))
	fmt.Fprintf(bw, "new:      %s\n", sideLine(&r.New))
	fmt.Fprintf(bw, "method:   %s\n\n", r.method())
	if len(r.Rows) == 0 {
		fmt.Fprintln(bw, "nothing to compare: no benchmark op was measured on both sides")
	} else {
		tw := tabwriter.NewWriter(bw, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(r.columns(), "\t"))
		for i := range r.Rows {
			row := &r.Rows[i]
			fmt.Fprintln(tw, strings.Join(append(r.cells(row), r.shortVerdict(row)), "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(bw, "\ngeomean change: %s\n", r.geoLine())
		for _, l := range r.legend() {
			fmt.Fprintln(bw, l)
		}
	}
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(bw, "\n%s:\n", title)
		for _, s := range items {
			fmt.Fprintf(bw, "  %s\n", s)
		}
	}
	list("too few runs", r.tooFewReasons())
	list("only in baseline", r.OnlyBaseline)
	list("only in new", r.OnlyNew)
	list("notes", r.Notes)
	return bw.Flush()
}

// mdEscape escapes text for a Markdown table cell.
func mdEscape(s string) string {
	return strings.NewReplacer(`|`, `\|`, `*`, `\*`, `_`, `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;").Replace(s)
}

// WriteMarkdown writes the result as GitHub-flavoured Markdown for a CI
// comment: a heading with the verdict, the table (regressions in bold),
// and the method, inputs and notes in a collapsed section.
func WriteMarkdown(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w)
	reg := r.Count(Regression)
	switch {
	case reg > 0:
		plural := "s"
		if reg == 1 {
			plural = ""
		}
		fmt.Fprintf(bw, "### lbench compare: %d regression%s\n\n", reg, plural)
	case len(r.Rows) == 0:
		fmt.Fprint(bw, "### lbench compare: nothing compared\n\n")
	default:
		fmt.Fprint(bw, "### lbench compare: no regression\n\n")
	}
	fmt.Fprintf(bw, "%s.\n\n", r.Headline())
	if len(r.Rows) > 0 {
		cols := r.columns()
		fmt.Fprintf(bw, "| %s |\n", strings.Join(cols, " | "))
		align := []string{":--", ":--", ":--", "--:", "--:", "--:", ":-:", "--:", "--:", ":--"}
		fmt.Fprintf(bw, "|%s|\n", strings.Join(align, "|"))
		for i := range r.Rows {
			row := &r.Rows[i]
			cells := r.cells(row)
			for j := range cells {
				cells[j] = mdEscape(cells[j])
			}
			v := mdEscape(r.shortVerdict(row))
			switch row.Verdict {
			case Regression:
				v, cells[5] = "**regression**", "**"+cells[5]+"**"
			case Improvement:
				v = "improvement"
			}
			fmt.Fprintf(bw, "| %s | %s |\n", strings.Join(cells, " | "), v)
		}
		fmt.Fprintf(bw, "\nGeomean change: %s.\n", mdEscape(r.geoLine()))
	}
	fmt.Fprint(bw, "\n<details><summary>Method, inputs and notes</summary>\n\n")
	fmt.Fprintf(bw, "- baseline: %s\n", mdEscape(sideLine(&r.Baseline)))
	fmt.Fprintf(bw, "- new: %s\n", mdEscape(sideLine(&r.New)))
	fmt.Fprintf(bw, "- method: %s\n", mdEscape(r.method()))
	for _, l := range r.legend() {
		fmt.Fprintf(bw, "- %s\n", mdEscape(l))
	}
	for _, s := range r.tooFewReasons() {
		fmt.Fprintf(bw, "- too few runs: %s\n", mdEscape(s))
	}
	for _, s := range r.OnlyBaseline {
		fmt.Fprintf(bw, "- only in baseline: %s\n", mdEscape(s))
	}
	for _, s := range r.OnlyNew {
		fmt.Fprintf(bw, "- only in new: %s\n", mdEscape(s))
	}
	for _, s := range r.Notes {
		fmt.Fprintf(bw, "- note: %s\n", mdEscape(s))
	}
	fmt.Fprint(bw, "\n</details>\n")
	return bw.Flush()
}
