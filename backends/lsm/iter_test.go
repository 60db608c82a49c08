package lsm

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine"
)

// sliceIter is an internalIterator over a sorted slice, for tests.
type sliceIter struct {
	keys []base.InternalKey
	i    int
}

func newSliceIter(entries ...string) *sliceIter {
	s := &sliceIter{i: -1}
	for _, e := range entries {
		s.add(e)
	}
	slices.SortFunc(s.keys, base.Compare)
	return s
}

// add parses "key#seq" (set, value "key#seq") or "key#seq!" (delete).
func (s *sliceIter) add(e string) {
	kind := engine.KindSet
	if strings.HasSuffix(e, "!") {
		kind, e = engine.KindDelete, strings.TrimSuffix(e, "!")
	}
	k, seqs, _ := strings.Cut(e, "#")
	var seq uint64
	fmt.Sscan(seqs, &seq)
	s.keys = append(s.keys, base.MakeKey([]byte(k), seq, kind))
}

func (s *sliceIter) valid() bool { return s.i >= 0 && s.i < len(s.keys) }
func (s *sliceIter) First() bool { s.i = 0; return s.valid() }
func (s *sliceIter) Last() bool  { s.i = len(s.keys) - 1; return s.valid() }
func (s *sliceIter) SeekGE(k []byte) bool {
	s.i = slices.IndexFunc(s.keys, func(x base.InternalKey) bool { return bytes.Compare(x.UserKey, k) >= 0 })
	if s.i < 0 {
		s.i = len(s.keys)
	}
	return s.valid()
}
func (s *sliceIter) SeekLT(k []byte) bool {
	s.i = -1
	for j, x := range s.keys {
		if bytes.Compare(x.UserKey, k) < 0 {
			s.i = j
		}
	}
	return s.valid()
}
func (s *sliceIter) Next() bool            { s.i++; return s.valid() }
func (s *sliceIter) Prev() bool            { s.i--; return s.valid() }
func (s *sliceIter) Valid() bool           { return s.valid() }
func (s *sliceIter) Key() base.InternalKey { return s.keys[s.i] }
func (s *sliceIter) Value() []byte         { return []byte(s.keys[s.i].String()) }
func (s *sliceIter) Error() error          { return nil }
func (s *sliceIter) Close() error          { return nil }

func render(it internalIterator, ok bool, next func() bool) string {
	var out []string
	for ; ok; ok = next() {
		k := it.Key()
		s := fmt.Sprintf("%s#%d", k.UserKey, k.Seq())
		if k.Kind() == engine.KindDelete {
			s += "!"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestCompactionIter(t *testing.T) {
	cases := []struct {
		name    string
		in      []string
		snaps   []uint64
		base    bool // nothing below the output level
		want    string
		dropped uint64
	}{
		{"newest only", []string{"a#1", "a#2", "a#3", "b#1"}, nil, false, "a#3 b#1", 2},
		{"snapshot keeps a version", []string{"a#1", "a#2", "a#5", "a#6"}, []uint64{2}, false, "a#6 a#2", 2},
		{"snapshots per stripe", []string{"a#1", "a#3", "a#4", "a#7", "a#9"}, []uint64{3, 7}, false, "a#9 a#7 a#3", 2},
		{"snapshot at the version", []string{"a#4", "a#5"}, []uint64{4}, false, "a#5 a#4", 0},
		{"tombstone kept above data", []string{"a#2", "a#3!"}, nil, false, "a#3!", 1},
		{"tombstone dropped at the base", []string{"a#2", "a#3!", "b#1"}, nil, true, "b#1", 2},
		{"tombstone under a snapshot stays", []string{"a#2", "a#5!"}, []uint64{3}, true, "a#5! a#2", 0},
		{"old tombstone below a snapshot goes", []string{"a#2", "a#3!", "a#6"}, []uint64{4}, true, "a#6", 2},
	}
	for _, c := range cases {
		ci := &compactionIter{in: newSliceIter(c.in...), snaps: c.snaps}
		if c.base {
			ci.dropTombstone = func([]byte) bool { return true }
		}
		got := render(ci.in, ci.first(), ci.next)
		if got != c.want || ci.dropped != c.dropped {
			t.Errorf("%s: got %q (dropped %d), want %q (dropped %d)", c.name, got, ci.dropped, c.want, c.dropped)
		}
	}
}

// TestMergingIter merges random runs and compares with a sorted union,
// both directions, after seeks.
func TestMergingIter(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	for round := range 200 {
		var all []string
		var kids []internalIterator
		seq := 1
		for range 1 + rng.IntN(5) {
			var entries []string
			for range rng.IntN(8) {
				e := fmt.Sprintf("k%d#%d", rng.IntN(10), seq)
				seq++
				if rng.IntN(4) == 0 {
					e += "!"
				}
				entries = append(entries, e)
			}
			all = append(all, entries...)
			kids = append(kids, newSliceIter(entries...))
		}
		ref := newSliceIter(all...)
		m := newMergingIter(kids)
		if got, want := render(m, m.First(), m.Next), render(ref, ref.First(), ref.Next); got != want {
			t.Fatalf("round %d forward:\n got %s\nwant %s", round, got, want)
		}
		if got, want := render(m, m.Last(), m.Prev), render(ref, ref.Last(), ref.Prev); got != want {
			t.Fatalf("round %d backward:\n got %s\nwant %s", round, got, want)
		}
		k := []byte(fmt.Sprintf("k%d", rng.IntN(11)))
		if got, want := render(m, m.SeekGE(k), m.Next), render(ref, ref.SeekGE(k), ref.Next); got != want {
			t.Fatalf("round %d SeekGE(%s):\n got %s\nwant %s", round, k, got, want)
		}
		if got, want := render(m, m.SeekLT(k), m.Prev), render(ref, ref.SeekLT(k), ref.Prev); got != want {
			t.Fatalf("round %d SeekLT(%s):\n got %s\nwant %s", round, k, got, want)
		}
		if m.SeekGE(k) && (m.Prev() || m.Error() == nil) {
			t.Fatalf("round %d: Prev in the forward direction did not fail with an error", round)
		}
	}
}
