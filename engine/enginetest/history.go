package enginetest

import (
	"fmt"
	"strings"
)

// history is the write history a recovered state is checked against: a
// base state and the writes issued after it, in order.
//
// A recovered state is valid if it equals the state after some prefix
// writes[:j] with j >= durable, in which every acknowledged write is
// applied and every failed write (one whose call returned an error, so its
// fate is unknown) is either applied as a whole or not at all.
type history struct {
	base    *model
	writes  []hwrite
	durable int // writes[:durable] are durable: a Sync write or Flush acknowledged them
}

type hwrite struct {
	w      write
	failed bool   // the call returned an error
	note   string // what else happened just before (Flush, crash point...)
}

// maxUncertain bounds the failed writes checkState enumerates (2^n states).
const maxUncertain = 10

func newHistory(base *model) *history { return &history{base: base.clone()} }

func (h *history) add(w write, err error) {
	h.writes = append(h.writes, hwrite{w: w, failed: err != nil})
	if err == nil && w.sync {
		h.durable = len(h.writes)
	}
}

// markDurable records that every write so far is durable (an acknowledged
// Flush).
func (h *history) markDurable() { h.durable = len(h.writes) }

func (h *history) note(s string) {
	if len(h.writes) > 0 {
		n := &h.writes[len(h.writes)-1].note
		if *n != "" {
			*n += "; "
		}
		*n += s
	}
}

// prefix is the history cut after n writes (a crash point), of which the
// first durable were durable at that point.
func (h *history) prefix(n, durable int) *history {
	return &history{base: h.base, writes: h.writes[:n:n], durable: min(durable, n)}
}

// match returns the prefix length whose state equals got, or an error
// describing the history and the closest valid state.
func (h *history) match(got *model) (int, error) {
	type cand struct {
		m     *model
		state string // which failed writes are applied
	}
	cands := []cand{{m: h.base.clone()}}
	best, bestDiff, bestJ := cands[0], -1, 0
	uncertain := 0
	check := func(j int) bool {
		if j < h.durable {
			return false
		}
		for _, c := range cands {
			if c.m.equal(got) {
				return true
			}
			if d := countDiff(c.m, got); bestDiff < 0 || d < bestDiff {
				best, bestDiff, bestJ = c, d, j
			}
		}
		return false
	}
	if check(0) {
		return 0, nil
	}
	for j, hw := range h.writes {
		if hw.failed {
			uncertain++
			if uncertain > maxUncertain {
				return 0, fmt.Errorf("enginetest: more than %d failed writes in one history; cannot check", maxUncertain)
			}
			n := len(cands)
			for i := 0; i < n; i++ {
				c := cands[i]
				applied := c.m.clone()
				applied.apply(hw.w)
				cands[i].state += fmt.Sprintf(" #%d:lost", j)
				cands = append(cands, cand{m: applied, state: c.state + fmt.Sprintf(" #%d:applied", j)})
			}
		} else {
			for _, c := range cands {
				c.m.apply(hw.w)
			}
		}
		if check(j + 1) {
			return j + 1, nil
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "recovered state matches no valid prefix of the history: writes #0..#%d are durable and must all be there,\n", h.durable-1)
	fmt.Fprintf(&sb, "and nothing may appear without every earlier write.\n")
	fmt.Fprintf(&sb, "closest valid state: after writes #0..#%d%s; recovered state vs it (want = valid state):\n", bestJ-1, best.state)
	sb.WriteString(best.m.diff(got, 20))
	sb.WriteString("\nhistory:\n")
	sb.WriteString(h.render(bestJ))
	return 0, fmt.Errorf("%s", sb.String())
}

// render prints the writes around the durable point and around mark.
func (h *history) render(mark int) string {
	show := make([]bool, len(h.writes))
	for _, c := range []int{0, h.durable, mark, len(h.writes)} {
		for i := c - 10; i < c+10; i++ {
			if i >= 0 && i < len(h.writes) {
				show[i] = true
			}
		}
	}
	var sb strings.Builder
	skipped := false
	for i, hw := range h.writes {
		if !show[i] {
			skipped = true
			continue
		}
		if skipped {
			sb.WriteString("  ...\n")
			skipped = false
		}
		status := "ok"
		if hw.failed {
			status = "FAILED"
		}
		fmt.Fprintf(&sb, "  #%-4d %-6s %s", i, status, hw.w)
		if hw.note != "" {
			fmt.Fprintf(&sb, "   [%s]", hw.note)
		}
		if i == h.durable-1 {
			sb.WriteString("   <- last durable write")
		}
		if i == mark-1 && mark != h.durable {
			sb.WriteString("   <- closest match ends here")
		}
		sb.WriteByte('\n')
	}
	if skipped {
		sb.WriteString("  ...\n")
	}
	if len(h.writes) == 0 {
		sb.WriteString("  (no writes)\n")
	}
	return sb.String()
}

func countDiff(a, b *model) int {
	n := 0
	for k, v := range a.m {
		if w, ok := b.m[k]; !ok || string(v) != string(w) {
			n++
		}
	}
	for k := range b.m {
		if _, ok := a.m[k]; !ok {
			n++
		}
	}
	return n
}
