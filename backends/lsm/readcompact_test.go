package lsm

import (
	"fmt"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// TestReadTriggeredCompaction leaves level 0 below its file-count trigger
// after a few flushes, then only reads: with read_compaction_interval on,
// the wasted level-0 probes ask for a compaction that empties level 0,
// and every key still reads back; with it off, level 0 stays as it was.
func TestReadTriggeredCompaction(t *testing.T) {
	for _, tc := range []struct {
		interval string
		want     bool // level 0 compacted by read pressure
	}{{"250ms", true}, {"0", false}} {
		t.Run("interval="+tc.interval, func(t *testing.T) {
			o := smallOptions(t, vfs.NewMem(), map[string]string{
				"lsm.l0_compaction_trigger":    "8",
				"lsm.l0_stop_writes_trigger":   "16",
				"lsm.read_compaction_interval": tc.interval,
			})
			o.MemTableSize = 1 << 20
			d := mustOpen(t, "db", o)
			defer d.Close()
			const keys = 600
			for round := range 3 {
				for i := round; i < keys; i += 3 {
					k := fmt.Appendf(nil, "key%05d", i)
					if err := d.Set(k, fmt.Appendf(nil, "value %d", i), engine.NoSync); err != nil {
						t.Fatal(err)
					}
				}
				if err := d.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			files := func() float64 { return d.Metrics().Extra["lsm.l0.files"] }
			if files() != 3 {
				t.Fatalf("level 0 has %v files after 3 flushes, want 3", files())
			}
			// Read every key (each misses in the level-0 files that do not
			// hold it) until level 0 is empty or the wait is over: 20 s
			// when a compaction is due (the rule needs 1000 wasted probes
			// within one 250 ms interval: about 700 Gets, which even a
			// CI machine running every package's tests at once does), 0.5 s
			// to see that none comes when it is off.
			wait := 20 * time.Second
			if !tc.want {
				wait = time.Second / 2
			}
			deadline := time.Now().Add(wait)
			for time.Now().Before(deadline) && files() > 0 {
				for i := range keys {
					v, err := d.Get(fmt.Appendf(nil, "key%05d", i), nil)
					if err != nil || string(v) != fmt.Sprintf("value %d", i) {
						t.Fatalf("Get key%05d = %q, %v", i, v, err)
					}
				}
			}
			m := d.Metrics()
			got := m.Extra["lsm.l0.files"] == 0
			if got != tc.want {
				t.Errorf("level 0 emptied by reads: %v, want %v (metrics: l0 files %v, read-triggered compactions %v)",
					got, tc.want, m.Extra["lsm.l0.files"], m.Extra["lsm.compaction.read_triggered"])
			}
			if rt := m.Extra["lsm.compaction.read_triggered"]; (rt > 0) != tc.want {
				t.Errorf("lsm.compaction.read_triggered = %v", rt)
			}
			for i := range keys {
				if v, err := d.Get(fmt.Appendf(nil, "key%05d", i), nil); err != nil || string(v) != fmt.Sprintf("value %d", i) {
					t.Fatalf("after: Get key%05d = %q, %v", i, v, err)
				}
			}
		})
	}
}
