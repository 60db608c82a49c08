package overlay

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/memtable"
)

const benchKeys = 100_000

// benchLayers returns a tree of benchKeys keys (a sorted slice) under two
// memtables (frozen, then active) that together hold memPct percent of
// those keys as newer versions, 1 in 20 of them tombstones.
func benchLayers(b *testing.B, memPct int) []Layer {
	b.Helper()
	es := make([]entry, benchKeys)
	val := string(make([]byte, 64))
	for i := range es {
		es[i] = entry{key: fmt.Sprintf("key%08d", i), value: val}
	}
	tree := newSliceLayer(es)
	rng := rand.New(rand.NewSource(1))
	active, frozen := memtable.New(64<<20), memtable.New(64<<20)
	active.Seed(1)
	frozen.Seed(2)
	seq := uint64(0)
	for _, i := range rng.Perm(benchKeys)[:benchKeys*memPct/100] {
		seq++
		sl := frozen
		if i%2 == 0 {
			sl = active
		}
		kind, v := engine.KindSet, []byte(val)
		if rng.Intn(20) == 0 {
			kind, v = engine.KindDelete, nil
		}
		if err := sl.Add([]byte(es[i].key), seq, kind, v); err != nil {
			b.Fatal(err)
		}
	}
	return []Layer{Mem(active, math.MaxUint64), Mem(frozen, math.MaxUint64), tree}
}

func BenchmarkNext(b *testing.B) {
	for _, pct := range []int{0, 10} {
		b.Run(fmt.Sprintf("layers=3/mem=%d%%", pct), func(b *testing.B) {
			it := New(benchLayers(b, pct), nil, nil)
			it.First()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if !it.Next() {
					it.First()
				}
			}
		})
	}
	b.Run("layers=1", func(b *testing.B) {
		it := New(benchLayers(b, 0)[2:], nil, nil)
		it.First()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if !it.Next() {
				it.First()
			}
		}
	})
}

func BenchmarkPrev(b *testing.B) {
	for _, pct := range []int{0, 10} {
		b.Run(fmt.Sprintf("layers=3/mem=%d%%", pct), func(b *testing.B) {
			it := New(benchLayers(b, pct), nil, nil)
			it.Last()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if !it.Prev() {
					it.Last()
				}
			}
		})
	}
}
