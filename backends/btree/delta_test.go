package btree

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// TestDeltaLeaves changes a checkpointed tree through every path of delta
// leaves (entries replacing a page's, tombstones, entries replacing
// tombstones, long keys and large values with pending data, a delta
// merged into a whole leaf, a delta split) and compares the engine with a
// map after each phase, with a snapshot taken in the middle, and after a
// reopen and the checker. It also checks what deltas are for: changing
// one entry of every leaf of a clean tree costs a small fraction of a
// page per leaf of dirty memory.
func TestDeltaLeaves(t *testing.T) {
	fs := vfs.NewMem()
	opts := testOptions(fs)
	opts.MemTableSize = 64 << 20 // no checkpoint but the ones asked for
	opts.Extra[OptCheckpointInterval] = "0"
	opts.Extra[OptIdleCheckpoint] = "0"
	opts.Extra[OptWriteBuffer] = "false" // the tree's own write path
	db := mustOpen(t, "db", opts)
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	model := map[string]string{}
	set := func(k, v string) {
		t.Helper()
		must(t, "Set", db.Set([]byte(k), []byte(v), engine.NoSync))
		model[k] = v
	}
	del := func(k string) {
		t.Helper()
		must(t, "Delete", db.Delete([]byte(k), engine.NoSync))
		delete(model, k)
	}
	verify := func(phase string) {
		t.Helper()
		got, err := dump(db)
		if err != nil {
			t.Fatalf("%s: %v", phase, err)
		}
		if d := diff(got, model); d != "" {
			t.Fatalf("%s: %s", phase, d)
		}
		if keys := db.Metrics().Extra["btree.keys"]; int(keys) != len(model) {
			t.Fatalf("%s: %v keys counted, %d in the model", phase, keys, len(model))
		}
	}
	key := func(i int) string { return fmt.Sprintf("k%05d", i) }
	long := strings.Repeat("L", db.s.pg.l.MaxInlineKey()+10)
	const n = 4000
	for i := 0; i < n; i++ {
		set(key(i), fmt.Sprintf("v%d-%040d", i, i))
	}
	for i := 0; i < 40; i++ {
		set(fmt.Sprintf("%s%03d", long, i), "long-key")
	}
	must(t, "Flush", db.Flush())
	m := db.Metrics()
	leaves := m.Extra["btree.pages.leaf"]
	if m.MemTableBytes != 0 || db.s.cur.Load().root.n != nil {
		t.Fatalf("dirty after Flush: %d bytes", m.MemTableBytes)
	}

	// One entry of every leaf: deltas of one entry each.
	for i := 0; i < n; i += 10 {
		set(key(i), "changed")
	}
	dirty := float64(db.Metrics().MemTableBytes)
	if limit := leaves * float64(db.s.pg.l.PageSize) / 4; dirty > limit {
		t.Errorf("changing one entry per leaf made %.0f bytes dirty for %v leaves, more than %.0f", dirty, leaves, limit)
	}
	t.Logf("%v leaves; one change each: %.0f dirty bytes (%.0f per leaf)", leaves, dirty, dirty/leaves)
	verify("entries replacing the pages'")

	// Tombstones, then entries replacing them; long keys; large values.
	for i := 1; i < n; i += 10 {
		del(key(i))
	}
	for i := 0; i < 40; i += 3 {
		del(fmt.Sprintf("%s%03d", long, i))
	}
	sn, err := db.NewSnapshot()
	must(t, "NewSnapshot", err)
	snapModel := maps.Clone(model)
	verify("tombstones")
	for i := 1; i < n; i += 20 {
		set(key(i), "back")
	}
	for i := 0; i < 40; i += 6 {
		set(fmt.Sprintf("%s%03d", long, i), strings.Repeat("B", 3000))
	}
	for i := 2; i < n; i += 50 {
		set(key(i), strings.Repeat("x", 2500)) // a value in an overflow run
	}
	verify("entries replacing tombstones, large values")

	// Many entries into a few leaves: deltas merged into whole leaves,
	// and split.
	for i := 0; i < 600; i++ {
		set(fmt.Sprintf("k%05d-%03d", 1000, i), fmt.Sprintf("dense-%d", i))
	}
	verify("merged and split deltas")
	got, err := dump(sn)
	must(t, "snapshot dump", err)
	if d := diff(got, snapModel); d != "" {
		t.Fatalf("snapshot: %s", d)
	}
	must(t, "snapshot Close", sn.Close())

	// Through a checkpoint, and through a reopen and the checker.
	must(t, "Flush", db.Flush())
	verify("after Flush")
	for i := 3; i < n; i += 30 {
		del(key(i))
	}
	must(t, "Close", db.Close())
	db = nil
	if _, err := CheckWithStats(fs, "db", nil); err != nil {
		t.Fatalf("Check: %v", err)
	}
	db = mustOpen(t, "db", opts)
	verify("after reopen")
}

// TestDeleteRebalances builds a tree of several levels with long keys
// (few per branch) and deletes most of it, in random and in ascending
// order, so that leaves and branches underflow and are merged with or
// share entries with their siblings, through checkpoints (deltas of clean
// leaves) and not; the engine must match a map throughout, and the tree
// must shrink (merged leaves: a quarter of the leaves or fewer).
func TestDeleteRebalances(t *testing.T) {
	seed := testSeed(t)
	for _, order := range []string{"random", "ascending"} {
		t.Run(order, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 13))
			fs := vfs.NewMem()
			db := mustOpen(t, "db", testOptions(fs))
			defer db.Close()
			prefix := strings.Repeat("p", 180)
			n := 3000
			if testing.Short() {
				n = 1500
			}
			model := map[string]string{}
			for _, i := range rng.Perm(n) {
				k := fmt.Sprintf("%s%06d", prefix, i)
				must(t, "Set", db.Set([]byte(k), []byte(fmt.Sprint(i)), engine.NoSync))
				model[k] = fmt.Sprint(i)
			}
			must(t, "Flush", db.Flush())
			tall := db.Metrics().Extra["btree.height"]
			leaves := db.Metrics().Extra["btree.pages.leaf"]
			if tall < 3 {
				t.Fatalf("height %v: the test needs branches under the root", tall)
			}
			victims := rng.Perm(n)
			if order == "ascending" {
				slices.Sort(victims)
			}
			for j, i := range victims[:n*19/20] {
				k := fmt.Sprintf("%s%06d", prefix, i)
				must(t, "Delete", db.Delete([]byte(k), engine.NoSync))
				delete(model, k)
				if j%400 == 0 {
					got, err := dump(db)
					must(t, "dump", err)
					if d := diff(got, model); d != "" {
						t.Fatalf("after %d deletes: %s", j+1, d)
					}
				}
				if j%700 == 0 {
					must(t, "Flush", db.Flush())
				}
			}
			got, err := dump(db)
			must(t, "dump", err)
			if d := diff(got, model); d != "" {
				t.Fatalf("at the end: %s", d)
			}
			must(t, "Flush", db.Flush())
			m := db.Metrics().Extra
			if m["btree.height"] > tall || m["btree.pages.leaf"] > leaves/4 {
				t.Errorf("after deleting 95%% of the keys: height %v (%v before), %v leaves (%v before)",
					m["btree.height"], tall, m["btree.pages.leaf"], leaves)
			}
			must(t, "Close", db.Close())
			must(t, "Check", Check(fs, "db", nil))
		})
	}
}
