package overlay

import (
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/memtable"
)

// TestIterConcurrentWrites reads a merged view at a snapshot while a
// writer keeps adding versions above it to the active memtable (new keys,
// new versions of old keys, tombstones): the view must stay exactly the
// one at the snapshot, in both directions. Run it with -race.
func TestIterConcurrentWrites(t *testing.T) {
	rng := rand.New(rand.NewSource(testSeed(t)))
	const nkeys = 300
	key := func(i int) []byte { return fmt.Appendf(nil, "k%04d", i) }
	active := memtable.New(8 << 20)
	var tree []entry
	var want []string // "key=value" of the view at snap
	seq := uint64(0)
	for i := range nkeys {
		switch rng.Intn(3) {
		case 0: // in the tree only
			tree = append(tree, entry{key: string(key(i)), value: "tree"})
			want = append(want, string(key(i))+"=tree")
		case 1: // in the memtable, over a tree entry or not
			seq++
			v := fmt.Sprintf("mem%d", seq)
			if err := active.Add(key(i), seq, engine.KindSet, []byte(v)); err != nil {
				t.Fatal(err)
			}
			if rng.Intn(2) == 0 {
				tree = append(tree, entry{key: string(key(i)), value: "tree"})
			}
			want = append(want, string(key(i))+"="+v)
		}
	}
	snap := seq
	iters := 200
	if testing.Short() {
		iters = 50
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		wrng := rand.New(rand.NewSource(rng.Int63()))
		s := snap
		for !stop.Load() {
			s++
			kind := engine.KindSet
			if wrng.Intn(3) == 0 {
				kind = engine.KindDelete
			}
			if err := active.Add(key(wrng.Intn(nkeys)), s, kind, []byte("late")); err != nil {
				if errors.Is(err, memtable.ErrArenaFull) {
					return
				}
				t.Error(err)
				return
			}
		}
	}()
	treeLayer := newSliceLayer(tree)
	var mem MemLayer
	var it Iter
	for range iters {
		mem.Reset(active, snap)
		it.Reset([]Layer{&mem, treeLayer}, nil, nil)
		var fwd, bwd []string
		for ok := it.First(); ok; ok = it.Next() {
			fwd = append(fwd, string(it.Key())+"="+string(it.Value()))
		}
		for ok := it.Last(); ok; ok = it.Prev() {
			bwd = append(bwd, string(it.Key())+"="+string(it.Value()))
		}
		slices.Reverse(bwd)
		if !slices.Equal(fwd, want) || !slices.Equal(bwd, want) || it.Error() != nil {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("view at snapshot %d changed under writes (Error %v):\nforward  %q\nbackward %q\nwant     %q", snap, it.Error(), fwd, bwd, want)
		}
	}
	stop.Store(true)
	wg.Wait()
}
