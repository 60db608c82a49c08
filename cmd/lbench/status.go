package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lightningdb/lightning/harness"
	"github.com/lightningdb/lightning/harness/measure"
)

// statusPrinter shows a phase's live status on stderr once per status
// period: on a terminal one line rewritten in place (with a progress bar
// in the load phase), otherwise one plain line per period. Its methods
// are called by the harness's status goroutine, one at a time, and finish
// after the phase returned.
type statusPrinter struct {
	w     io.Writer
	quiet bool
	tty   bool
	label string
	live  bool // a line is on screen without its newline
}

func newStatusPrinter(w io.Writer, quiet bool, label string) *statusPrinter {
	return &statusPrinter{w: w, quiet: quiet, tty: isTerminal(w), label: label}
}

// show prints one status.
func (p *statusPrinter) show(s harness.Status) {
	if p.quiet {
		return
	}
	line := formatStatus(p.label, s, p.tty)
	if p.tty {
		// A line rewritten in place must not wrap.
		fmt.Fprintf(p.w, "\r\x1b[K%s", clipRunes(line, termWidth(p.w)-1))
		p.live = true
		return
	}
	fmt.Fprintln(p.w, line)
}

// finish ends an in-place line.
func (p *statusPrinter) finish() {
	if p.live {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.live = false
	}
}

// formatStatus renders a status: in the load phase the progress (as a bar
// when bar is set), in the run phase the per-op rates and latencies.
//
//	load smoke/mem [#########...........]  45%  4500/10000  123.4k ops/s  4s
//	run smoke/mem 3s 81.2k ops/s | READ 32.1k/s p50 1.2µs p99 5.1µs | UPDATE ...
func formatStatus(label string, s harness.Status, bar bool) string {
	var sb strings.Builder
	sb.WriteString(label)
	el := s.Elapsed.Round(time.Second)
	if s.Phase == "load" && s.Total > 0 {
		frac := min(float64(s.Done)/float64(s.Total), 1)
		if bar {
			const width = 24
			n := int(frac * width)
			fmt.Fprintf(&sb, " [%s%s]", strings.Repeat("#", n), strings.Repeat(".", width-n))
		}
		fmt.Fprintf(&sb, " %3.0f%% %d/%d %s ops/s %v", 100*frac, s.Done, s.Total, siRate(s.OpsPerSec), el)
		return sb.String()
	}
	fmt.Fprintf(&sb, " %v %s ops/s", el, siRate(s.OpsPerSec))
	if s.Warmup {
		sb.WriteString(" (warm-up)")
	}
	for _, op := range measure.Ops() {
		o := s.Ops[op]
		if o.OpsPerSec == 0 && o.P50 == 0 {
			continue
		}
		fmt.Fprintf(&sb, " | %s %s/s", op, siRate(o.OpsPerSec))
		if o.P50 > 0 {
			fmt.Fprintf(&sb, " p50 %v p99 %v", roundLatency(o.P50), roundLatency(o.P99))
		}
	}
	return sb.String()
}

// clipRunes cuts s to at most n runes (n <= 0: no limit).
func clipRunes(s string, n int) string {
	if n <= 0 {
		return s
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// roundLatency keeps three significant digits of a latency.
func roundLatency(d time.Duration) time.Duration {
	for r := time.Duration(1); r < time.Hour; r *= 10 {
		if d < 1000*r {
			return d.Round(r)
		}
	}
	return d
}
