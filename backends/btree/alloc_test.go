package btree

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/backends/btree/internal/page"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// reach collects the pages version root c (at level) needs: node pages,
// delta bases, every key run of a delta's base (a merge reads them), and
// the runs of the entries the version holds.
func reach(s *store, c child, level int, out map[uint64]string, why string) error {
	l := &s.pg.l
	var st readStat
	addRun := func(r page.Ref, n int, w string) {
		if r.IsZero() {
			return
		}
		if _, p := r.IsPending(); p {
			return
		}
		for i := 0; i < l.OverflowPages(n); i++ {
			out[r.ID+uint64(i)] = w
		}
	}
	if c.n == nil {
		if c.ref.IsZero() {
			return nil
		}
		v, err := s.readView(c.ref, level, &st)
		if err != nil {
			return fmt.Errorf("%s: page %v: %w", why, c.ref, err)
		}
		out[c.ref.ID] = why + "/page"
		p := v.b
		if level == 0 {
			for i := 0; i < page.Count(p); i++ {
				cell := l.LeafCell(p, i)
				addRun(cell.KeyRef, cell.KeyLen, why+"/leafkey")
				addRun(cell.ValueRef, cell.ValueLen, why+"/leafval")
			}
			return nil
		}
		for i := 0; i < page.Count(p); i++ {
			_, kl, kr := l.BranchKey(p, i)
			addRun(kr, kl, why+"/brkey")
		}
		for i := 0; i <= page.Count(p); i++ {
			if err := reach(s, child{ref: l.BranchChild(p, i)}, level-1, out, why); err != nil {
				return err
			}
		}
		return nil
	}
	n := c.n
	if level == 0 {
		if n.delta() {
			bp, _, err := s.baseOf(n, &st)
			if err != nil {
				return fmt.Errorf("%s: base: %w", why, err)
			}
			if n.under == nil {
				out[n.base.ID] = why + "/base"
			}
			for i := 0; i < page.Count(bp); i++ {
				cell := l.LeafCell(bp, i)
				addRun(cell.KeyRef, cell.KeyLen, why+"/basekey")
			}
			cells, err := s.entries(n, nil, &st)
			if err != nil {
				return err
			}
			for _, cs := range cells {
				cell := l.LeafCellAt(cs.b, 0)
				addRun(cell.KeyRef, cell.KeyLen, why+"/entkey")
				addRun(cell.ValueRef, cell.ValueLen, why+"/entval")
			}
			return nil
		}
		for i := 0; i < n.count(); i++ {
			cell := l.LeafCell(n.p, i)
			addRun(cell.KeyRef, cell.KeyLen, why+"/nkey")
			addRun(cell.ValueRef, cell.ValueLen, why+"/nval")
		}
		return nil
	}
	for i := 0; i < n.count(); i++ {
		_, kl, kr := l.BranchKey(n.p, i)
		addRun(kr, kl, why+"/nbrkey")
	}
	for i := 0; i <= n.count(); i++ {
		if err := reach(s, s.kidOf(n.p, &n.kids, i), level-1, out, why); err != nil {
			return err
		}
	}
	return nil
}

// checkAlloc checks, under mu with no checkpoint in flight: free, pending
// and dropped hold no id twice; the current version needs no free or
// pending page; pinned versions need no free page.
func checkAlloc(s *store, pinned []*version) error {
	pg := &s.pg
	seen := map[uint64]string{}
	add := func(id uint64, w string) error {
		if o, ok := seen[id]; ok {
			return fmt.Errorf("page %d listed twice: %s and %s", id, o, w)
		}
		seen[id] = w
		return nil
	}
	free := map[uint64]bool{}
	pend := map[uint64]bool{}
	for _, id := range pg.free {
		free[id] = true
		if err := add(id, "free"); err != nil {
			return err
		}
	}
	for _, b := range pg.pending {
		for _, id := range b.ids {
			pend[id] = true
			if err := add(id, fmt.Sprintf("pending%d", b.tag)); err != nil {
				return err
			}
		}
	}
	for _, id := range pg.dropped {
		if err := add(id, "dropped"); err != nil {
			return err
		}
	}
	for _, id := range s.freelistPages {
		if err := add(id, "freelistpage"); err != nil {
			return err
		}
	}
	v := s.cur.Load()
	need := map[uint64]string{}
	if err := reach(s, v.root, v.height-1, need, "cur"); err != nil {
		return err
	}
	for id, w := range need {
		if free[id] || pend[id] {
			return fmt.Errorf("current version needs page %d (%s), which is %s", id, w, seen[id])
		}
	}
	for _, pv := range pinned {
		need := map[uint64]string{}
		if err := reach(s, pv.root, pv.height-1, need, fmt.Sprintf("pin%d", pv.ckpt)); err != nil {
			return err
		}
		for id, w := range need {
			if free[id] {
				return fmt.Errorf("pinned version needs page %d (%s), which is free", id, w)
			}
		}
	}
	return nil
}

// TestAllocationInvariants runs a seeded random history (long keys in
// overflow runs in part of the key space, large values, batches, deletes,
// iterators, snapshots, flushes) with checkpoints in the background, and
// every 13 operations, with no checkpoint in flight, checks the
// allocation state (checkAlloc): no page is listed free, pending, dropped
// or in the free list twice, the current version needs no free or pending
// page, and no pinned snapshot needs a free page. It then checks the data
// against a model, and the file with Check after Close and a reopen. It
// covers copies of deltas made while a checkpoint is in flight: both the
// merged copies (bases with key runs) and those keeping their base page.
// It runs on the tree's own write path (where every write makes such
// copies while a checkpoint is in flight) with and without checkpoint
// workers, and through the write buffer.
func TestAllocationInvariants(t *testing.T) {
	verifyWrites = true
	defer func() { verifyWrites = false }()
	seed := testSeed(t)
	for _, tc := range []struct{ workers, buffered string }{{"0", "false"}, {"2", "false"}, {"0", "true"}} {
		t.Run("w"+tc.workers+"/write_buffer="+tc.buffered, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			fs := vfs.NewMem()
			opts := testOptions(fs)
			opts.Extra[OptCheckpointWorkers] = tc.workers
			opts.Extra[OptWriteBuffer] = tc.buffered
			db := mustOpen(t, "db", opts)
			model := map[string]string{}
			var snaps []*snapshot
			var snapModels []map[string]string
			long := strings.Repeat("L", db.s.pg.l.MaxInlineKey()+20)
			key := func() string {
				i := rng.IntN(3000)
				// Long keys only in the upper third of the key space.
				if i >= 2000 && rng.IntN(4) == 0 {
					return fmt.Sprintf("k%05d%s", i, long)
				}
				return fmt.Sprintf("k%05d", i)
			}
			checks := 0
			nops := 15000
			if testing.Short() {
				nops = 4000
			}
			for op := 0; op < nops; op++ {
				k := key()
				switch r := rng.IntN(100); {
				case r < 30:
					must(t, "Delete", db.Delete([]byte(k), engine.NoSync))
					delete(model, k)
				case r < 36:
					b := engine.NewBatch()
					for j := rng.IntN(40); j >= 0; j-- {
						k := key()
						if rng.IntN(3) == 0 {
							b.Delete([]byte(k))
							delete(model, k)
						} else {
							v := strings.Repeat("b", rng.IntN(80))
							b.Set([]byte(k), []byte(v))
							model[k] = v
						}
					}
					must(t, "Apply", db.Apply(b, engine.NoSync))
				case r < 37:
					it, err := db.NewIter(engine.IterOptions{})
					must(t, "iter", err)
					cnt := 0
					for ok := it.First(); ok; ok = it.Next() {
						cnt++
					}
					must(t, "iter close", it.Close())
					if cnt != len(model) {
						t.Fatalf("op %d: iter %d keys, want %d", op, cnt, len(model))
					}
				case r < 38 && rng.IntN(10) == 0:
					must(t, "Flush", db.Flush())
				default:
					v := strings.Repeat(string(rune('a'+rng.IntN(26))), rng.IntN(60))
					if rng.IntN(30) == 0 {
						v = strings.Repeat("V", 1200+rng.IntN(3000))
					}
					must(t, "Set", db.Set([]byte(k), []byte(v), engine.NoSync))
					model[k] = v
				}
				if op%97 == 0 {
					if len(snaps) < 3 {
						sn, err := db.NewSnapshot()
						must(t, "snap", err)
						snaps = append(snaps, sn.(*snapshot))
						mc := make(map[string]string, len(model))
						for a, b := range model {
							mc[a] = b
						}
						snapModels = append(snapModels, mc)
					} else {
						j := rng.IntN(len(snaps))
						got, err := dump(snaps[j])
						if err != nil {
							t.Fatalf("op %d: snapshot dump: %v", op, err)
						}
						if d := diff(got, snapModels[j]); d != "" {
							t.Fatalf("op %d: snapshot: %s", op, d)
						}
						snaps[j].Close()
						snaps = append(snaps[:j], snaps[j+1:]...)
						snapModels = append(snapModels[:j], snapModels[j+1:]...)
					}
				}
				if op%13 == 0 {
					s := db.s
					s.mu.Lock()
					if s.flight == nil && s.failed == nil {
						var pinned []*version
						for _, sn := range snaps {
							pinned = append(pinned, sn.rv.v)
						}
						if err := checkAlloc(s, pinned); err != nil {
							s.mu.Unlock()
							t.Fatalf("op %d (ckpt %d): %v", op, s.meta.Checkpoint, err)
						}
						checks++
					}
					if s.failed != nil {
						err := s.failed
						s.mu.Unlock()
						t.Fatalf("op %d: failed: %v", op, err)
					}
					s.mu.Unlock()
				}
			}
			got, err := dump(db)
			must(t, "dump", err)
			if d := diff(got, model); d != "" {
				t.Fatalf("final: %s", d)
			}
			for _, sn := range snaps {
				sn.Close()
			}
			t.Logf("checks %d, checkpoints %d, retries %d", checks, db.s.checkpoints.Load(), db.s.retries.Load())
			must(t, "Close", db.Close())
			if err := Check(fs, "db", testOptions(fs)); err != nil {
				t.Fatalf("Check: %v", err)
			}
			db = mustOpen(t, "db", testOptions(fs))
			got, err = dump(db)
			must(t, "dump", err)
			if d := diff(got, model); d != "" {
				t.Fatalf("reopen: %s", d)
			}
			must(t, "Close", db.Close())
		})
	}
}
