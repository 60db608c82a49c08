package sstable

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine"
)

// summaryShapes generate user keys of the shapes that stress the summary:
// a long shared prefix, keys shorter than the prefix plus 8 bytes, keys
// that are prefixes of others, and many keys equal in the 8 summarized
// bytes.
var summaryShapes = []struct {
	name string
	key  func(r *rand.Rand) []byte
}{
	{"ycsb", func(r *rand.Rand) []byte { return fmt.Appendf(nil, "user%d", r.Uint64()) }},
	{"long prefix", func(r *rand.Rand) []byte { return fmt.Appendf(nil, "tenant-0042/table/%04d", r.IntN(3000)) }},
	{"equal middles", func(r *rand.Rand) []byte { return fmt.Appendf(nil, "p/%08d/%d", r.IntN(4), r.IntN(1000)) }},
	{"short and prefixes", func(r *rand.Rand) []byte {
		b := make([]byte, 1+r.IntN(10))
		for i := range b {
			b[i] = "ab\x00\xff"[r.IntN(4)]
		}
		return b
	}},
}

// TestIndexSummary checks summary searches against a model over index
// blocks of every shape, for present, absent and out-of-range targets.
func TestIndexSummary(t *testing.T) {
	r := newRand(t)
	for _, shape := range summaryShapes {
		t.Run(shape.name, func(t *testing.T) {
			var keys [][]byte
			for range 500 {
				u := shape.key(r)
				keys = append(keys, base.MakeKey(u, uint64(r.IntN(100)), engine.KindSet).Append(nil))
			}
			slices.SortFunc(keys, base.CompareEncoded)
			keys = slices.CompactFunc(keys, func(a, b []byte) bool { return base.CompareEncoded(a, b) == 0 })
			bw := blockWriter{restartInterval: 1}
			for _, k := range keys {
				bw.add(k, []byte("h"))
			}
			block := bw.finish()
			var it blockIter
			if err := it.init("f", 0, block, true); err != nil {
				t.Fatal(err)
			}
			s, err := buildSummary(&it)
			if err != nil || s == nil {
				t.Fatalf("buildSummary: %v, %v", s, err)
			}
			for i := range 3000 {
				var u []byte
				switch i % 3 {
				case 0:
					k := keys[r.IntN(len(keys))]
					u = k[:len(k)-base.TrailerLen]
				case 1:
					u = shape.key(r)
				default:
					u = []byte{"\x00zA"[r.IntN(3)]}
				}
				target := base.SeekKey(u, uint64(r.IntN(110))).Append(nil)
				want, _ := slices.BinarySearchFunc(keys, target, base.CompareEncoded)
				got, ok := s.search(&it, u, target)
				if !ok || got != want {
					t.Fatalf("search(%s) = %d, %v; want %d", fmtKey(target), got, ok, want)
				}
			}
		})
	}
}

func TestIndexSummaryDeclines(t *testing.T) {
	key := func(u string) []byte { return base.MakeKey([]byte(u), 1, engine.KindSet).Append(nil) }
	build := func(interval int, keys ...[]byte) (*indexSummary, error) {
		bw := blockWriter{restartInterval: interval}
		for _, k := range keys {
			bw.add(k, nil)
		}
		var it blockIter
		if err := it.init("f", 0, bw.finish(), true); err != nil {
			t.Fatal(err)
		}
		return buildSummary(&it)
	}
	if s, err := build(2, key("a"), key("b"), key("c")); s != nil || err != nil {
		t.Errorf("entries between restart points: %v, %v; want no summary", s, err)
	}
	if s, err := build(1); s != nil || err != nil {
		t.Errorf("empty block: %v, %v; want no summary", s, err)
	}
	if _, err := build(1, key("ab"), key("ad"), key("ac")); !errors.Is(err, engine.ErrCorruption) {
		t.Errorf("keys out of order: %v, want corruption", err)
	}
	if _, err := build(1, key("ab1"), key("b"), key("ab2")); !errors.Is(err, engine.ErrCorruption) {
		t.Errorf("key outside the first..last prefix: %v, want corruption", err)
	}
}
