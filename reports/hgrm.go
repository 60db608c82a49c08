package reports

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/lightningdb/lightning/engine"
)

// HgrmTicks is the number of percentile steps per halving of the
// remaining distance to 100% in .hgrm files (HdrHistogram's usual 5).
const HgrmTicks = 5

// WriteHgrm writes h (ns) as an HdrHistogram percentile distribution
// (.hgrm) with values in microseconds, in the format of
// hdrhistogram-go's PercentilesPrint (HdrHistogram's
// outputPercentileDistribution): a header line, one "Value Percentile
// TotalCount 1/(1-Percentile)" line per step, and "#[...]" footer lines.
func WriteHgrm(w io.Writer, h *hdr.Histogram) error {
	_, err := h.PercentilesPrint(w, HgrmTicks, 1e3)
	return err
}

// HgrmPoint is one line of a percentile distribution: the value (in the
// file's unit; microseconds for the files of this package), the
// percentile as a fraction in [0, 1], and the count of values at or
// below it.
type HgrmPoint struct {
	Value      float64
	Percentile float64
	Count      int64
}

// ParseHgrm reads a percentile distribution in HdrHistogram's .hgrm
// format (as WriteHgrm, HdrHistogram's Java outputPercentileDistribution
// or wrk2 print it); file names it in errors. Blank lines, "#" lines and
// the "Value Percentile ..." header are skipped; every other line must
// hold a value, a percentile in [0, 1], a count and 1/(1-percentile) (a
// number or "inf"; the 100% line may omit it, as Java's does), with
// values, percentiles and counts never
// decreasing. Any other text is an error matching engine.ErrCorruption at
// the offset of the bad line. A file with no data line is also an error.
func ParseHgrm(file string, data []byte) ([]HgrmPoint, error) {
	var pts []HgrmPoint
	off := 0
	for len(data) > 0 {
		line := data
		next := len(data)
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, next = data[:i], i+1
		}
		lineOff := int64(off)
		data, off = data[next:], off+next
		t := strings.TrimSpace(string(line))
		if t == "" || t[0] == '#' || strings.HasPrefix(t, "Value") {
			continue
		}
		f := strings.Fields(t)
		if len(f) == 3 {
			f = append(f, "inf") // HdrHistogram's Java omits 1/(1-p) on the 100% line
		}
		if len(f) != 4 {
			return nil, engine.Corruptf(file, lineOff, "hgrm line has %d fields, want 4 (value percentile count 1/(1-p)): %q", len(f), clip(t))
		}
		v, err1 := strconv.ParseFloat(f[0], 64)
		p, err2 := strconv.ParseFloat(f[1], 64)
		c, err3 := strconv.ParseInt(f[2], 10, 64)
		inv := f[3]
		_, err4 := strconv.ParseFloat(inv, 64)
		if inv == "inf" || inv == "Infinity" {
			err4 = nil
		}
		switch {
		case err1 != nil || err2 != nil || err3 != nil || err4 != nil:
			return nil, engine.Corruptf(file, lineOff, "hgrm line is not numbers: %q", clip(t))
		case math.IsNaN(v) || math.IsInf(v, 0) || v < 0:
			return nil, engine.Corruptf(file, lineOff, "hgrm value %q out of range", f[0])
		case !(p >= 0 && p <= 1):
			return nil, engine.Corruptf(file, lineOff, "hgrm percentile %q not in [0, 1]", f[1])
		case c < 0:
			return nil, engine.Corruptf(file, lineOff, "hgrm count %d negative", c)
		case len(strings.Fields(t)) == 3 && p != 1:
			return nil, engine.Corruptf(file, lineOff, "hgrm line without 1/(1-p) below 100%%: %q", clip(t))
		}
		if n := len(pts); n > 0 {
			prev := pts[n-1]
			if v < prev.Value || p < prev.Percentile || c < prev.Count {
				return nil, engine.Corruptf(file, lineOff, "hgrm line decreases (value, percentile or count below the line before)")
			}
		}
		pts = append(pts, HgrmPoint{Value: v, Percentile: p, Count: c})
	}
	if len(pts) == 0 {
		return nil, engine.Corruptf(file, 0, "no percentile lines in hgrm file")
	}
	return pts, nil
}

// hgrmName returns the file name of one op's distribution:
// "<workload>_<backend>_<phase>[_r<k>]_<op>[_intended].hgrm" (_r<k> for
// repeat k of a repeated run).
func hgrmName(r *Run, op string, intended bool) string {
	s := fmt.Sprintf("%s_%s_%s%s_%s", sanitize(r.Workload), sanitize(r.Backend), r.Phase, r.repeatSuffix(), op)
	if intended {
		s += "_intended"
	}
	return s + ".hgrm"
}
