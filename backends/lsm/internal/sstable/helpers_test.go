package sstable

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

var (
	seedFlag   = flag.Uint64("seed", 0, "seed for randomized tests (0: time-based)")
	updateFlag = flag.Bool("update", false, "rewrite the golden files in testdata")
)

// newRand returns a seeded generator and logs the seed, so a failure can be
// replayed with -seed.
func newRand(t testing.TB) *rand.Rand {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
}

// entry is one model entry.
type entry struct {
	key   base.InternalKey
	value []byte
}

func (e entry) String() string { return fmt.Sprintf("%s=%q", e.key, e.value) }

// genParams shape random tables.
type genParams struct {
	n           int // about this many entries
	alphabet    string
	maxKeyLen   int
	maxVersions int
	maxValueLen int
}

var defaultGen = genParams{n: 600, alphabet: "abcd", maxKeyLen: 12, maxVersions: 4, maxValueLen: 40}

// genEntries returns sorted entries with random user keys (a small
// alphabet gives long shared prefixes), several versions per key, about a
// fifth of them deletions.
func genEntries(r *rand.Rand, p genParams) []entry {
	seen := map[string]bool{}
	var users [][]byte
	target := max(p.n/max(1, (p.maxVersions+1)/2), 1)
	for try := 0; len(users) < target && try < 100*target; try++ {
		k := make([]byte, 1+r.IntN(p.maxKeyLen))
		for i := range k {
			k[i] = p.alphabet[r.IntN(len(p.alphabet))]
		}
		if !seen[string(k)] {
			seen[string(k)] = true
			users = append(users, k)
		}
	}
	slices.SortFunc(users, bytes.Compare)
	var es []entry
	for _, u := range users {
		nv := 1 + r.IntN(p.maxVersions)
		seq := uint64(1 + r.IntN(1000))
		for range nv {
			kind := engine.KindSet
			var v []byte
			if r.IntN(5) == 0 {
				kind = engine.KindDelete
			} else {
				v = make([]byte, r.IntN(p.maxValueLen+1))
				for i := range v {
					v[i] = byte('A' + r.IntN(26))
				}
			}
			es = append(es, entry{base.MakeKey(u, seq, kind), v})
			seq -= uint64(1 + r.IntN(int(seq)))
			if seq == 0 {
				break
			}
		}
	}
	return es
}

// writeTable writes es to name on fs and returns the Meta.
func writeTable(t testing.TB, fs vfs.FS, name string, es []entry, opts WriterOptions) Meta {
	t.Helper()
	f, err := fs.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(f, name, opts)
	for _, e := range es {
		if err := w.Add(e.key, e.value); err != nil {
			t.Fatalf("Add(%s): %v", e.key, err)
		}
	}
	m, err := w.Close()
	if err != nil {
		t.Fatalf("Close: %v", err)
	}
	return m
}

func openTable(t testing.TB, fs vfs.FS, name string, fileNum uint64, opts ReaderOptions) *Reader {
	t.Helper()
	f, err := fs.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(f, name, fileNum, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return r
}

// modelGet is Get on the model.
func modelGet(es []entry, user []byte, seq uint64) (entry, bool) {
	i, _ := slices.BinarySearchFunc(es, base.SeekKey(user, seq), func(e entry, k base.InternalKey) int {
		return base.Compare(e.key, k)
	})
	if i < len(es) && bytes.Equal(es[i].key.UserKey, user) {
		return es[i], true
	}
	return entry{}, false
}

// modelSeekGE returns the index of the first entry with user key >= u.
func modelSeekGE(es []entry, u []byte) int {
	i, _ := slices.BinarySearchFunc(es, u, func(e entry, u []byte) int {
		if bytes.Compare(e.key.UserKey, u) < 0 {
			return -1
		}
		return 1
	})
	return i
}

// inBounds filters es to user keys in [lower, upper).
func inBounds(es []entry, lower, upper []byte) []entry {
	var out []entry
	for _, e := range es {
		if lower != nil && bytes.Compare(e.key.UserKey, lower) < 0 {
			continue
		}
		if upper != nil && bytes.Compare(e.key.UserKey, upper) >= 0 {
			continue
		}
		out = append(out, e)
	}
	return out
}

// sameEntry compares the iterator's position with an entry.
func sameEntry(it *Iter, e entry) bool {
	return base.Compare(it.Key(), e.key) == 0 && it.Key().Trailer == e.key.Trailer && bytes.Equal(it.Value(), e.value)
}

// collect runs the iterator forward (or backward) to the end.
func collect(t testing.TB, it *Iter, forward bool) []entry {
	t.Helper()
	var out []entry
	var ok bool
	if forward {
		ok = it.First()
	} else {
		ok = it.Last()
	}
	for ; ok; ok = step(it, forward) {
		k := it.Key()
		out = append(out, entry{base.InternalKey{UserKey: slices.Clone(k.UserKey), Trailer: k.Trailer}, slices.Clone(it.Value())})
	}
	if err := it.Error(); err != nil {
		t.Fatalf("iteration error: %v", err)
	}
	return out
}

func step(it *Iter, forward bool) bool {
	if forward {
		return it.Next()
	}
	return it.Prev()
}

func reversed(es []entry) []entry {
	out := slices.Clone(es)
	slices.Reverse(out)
	return out
}

// equalEntries reports the first difference between two entry lists.
func equalEntries(got, want []entry) error {
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if base.Compare(g.key, w.key) != 0 || !bytes.Equal(g.value, w.value) {
			return fmt.Errorf("entry %d: got %s, want %s", i, g, w)
		}
	}
	if len(got) != len(want) {
		return fmt.Errorf("got %d entries, want %d", len(got), len(want))
	}
	return nil
}

// randUserKey returns a key near the model's: an existing one, a mutation
// of one, or a random one.
func randUserKey(r *rand.Rand, es []entry, p genParams) []byte {
	switch r.IntN(3) {
	case 0:
		return slices.Clone(es[r.IntN(len(es))].key.UserKey)
	case 1:
		k := slices.Clone(es[r.IntN(len(es))].key.UserKey)
		if r.IntN(2) == 0 && len(k) > 1 {
			return k[:len(k)-1]
		}
		return append(k, p.alphabet[r.IntN(len(p.alphabet))])
	}
	k := make([]byte, r.IntN(p.maxKeyLen+2))
	for i := range k {
		k[i] = p.alphabet[r.IntN(len(p.alphabet))]
	}
	return k
}
