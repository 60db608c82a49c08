package memtable

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
)

var seedFlag = flag.Uint64("seed", 0, "seed for randomized tests (0: time-based)")

// newRand returns a seeded generator and logs the seed, so a failure can
// be replayed with -seed.
func newRand(t testing.TB) *rand.Rand {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
}

// entry is one internal key and its value, as the model holds it.
type entry struct {
	key   string
	seq   uint64
	kind  engine.Kind
	value string
}

func (e entry) String() string { return fmt.Sprintf("%q#%d,%s=%q", e.key, e.seq, e.kind, e.value) }

func compareEntry(a, b entry) int {
	if c := cmp.Compare(a.key, b.key); c != 0 {
		return c
	}
	return cmp.Compare(b.seq, a.seq)
}

// model is a sorted slice of entries: the obviously correct reference.
type model struct{ es []entry }

func (m *model) find(key string, seq uint64) (int, bool) {
	return slices.BinarySearchFunc(m.es, entry{key: key, seq: seq}, compareEntry)
}

func (m *model) add(e entry) bool {
	i, found := m.find(e.key, e.seq)
	if found {
		return false
	}
	m.es = slices.Insert(m.es, i, e)
	return true
}

// get mirrors Skiplist.Get.
func (m *model) get(key string, seq uint64) (entry, bool) {
	i, _ := m.find(key, seq)
	if i < len(m.es) && m.es[i].key == key {
		return m.es[i], true
	}
	return entry{}, false
}

// seekGE returns the index of the first entry >= (key, seq), len if none.
func (m *model) seekGE(key string, seq uint64) int {
	i, _ := m.find(key, seq)
	return i
}

// seekLT returns the index of the last entry with user key < key, -1 if none.
func (m *model) seekLT(key string) int {
	return sort.Search(len(m.es), func(i int) bool { return m.es[i].key >= key }) - 1
}

func current(it *Iterator) entry {
	return entry{string(it.Key()), it.Seq(), it.Kind(), string(it.Value())}
}

// checkAt checks that it is at m.es[i] (or invalid, for i out of range).
func checkAt(t testing.TB, what string, it *Iterator, ok bool, m *model, i int) {
	t.Helper()
	if i < 0 || i >= len(m.es) {
		if ok || it.Valid() {
			t.Fatalf("%s: at %v, want exhausted", what, current(it))
		}
		return
	}
	if !ok || !it.Valid() {
		t.Fatalf("%s: exhausted, want %v", what, m.es[i])
	}
	if got := current(it); got != m.es[i] {
		t.Fatalf("%s: at %v, want %v", what, got, m.es[i])
	}
}

// checkAll walks the whole list both ways against the model.
func checkAll(t testing.TB, s *Skiplist, m *model) {
	t.Helper()
	if s.Len() != len(m.es) {
		t.Fatalf("Len %d, model has %d", s.Len(), len(m.es))
	}
	it := s.NewIter()
	ok := it.First()
	for i := range m.es {
		checkAt(t, fmt.Sprintf("forward %d", i), it, ok, m, i)
		ok = it.Next()
	}
	checkAt(t, "forward end", it, ok, m, len(m.es))
	ok = it.Last()
	for i := len(m.es) - 1; i >= 0; i-- {
		checkAt(t, fmt.Sprintf("backward %d", i), it, ok, m, i)
		ok = it.Prev()
	}
	checkAt(t, "backward end", it, ok, m, -1)
	checkLinks(t, s)
}

// checkLinks checks every link word of every level: it points to a node
// that sorts after its owner, its prefix length c is no more than the two
// keys share, and its abbreviation is the successor's at c. Each level is
// a sorted sublist of the one below.
func checkLinks(t testing.TB, s *Skiplist) {
	t.Helper()
	h := int(s.height.Load())
	below := map[uint32]bool{}
	for lvl := 0; lvl < h; lvl++ {
		here := map[uint32]bool{}
		for x := uint32(headOff); ; {
			w := s.linkPtr(x, lvl).Load()
			n := linkNode(w)
			if n == 0 {
				if w != 0 {
					t.Fatalf("level %d: link word %#x to no node", lvl, w)
				}
				break
			}
			if lvl > 0 && !below[n] {
				t.Fatalf("level %d: node %d is not linked at level %d", lvl, n, lvl-1)
			}
			if int(s.buf[uint64(n)+offHeight]) <= lvl {
				t.Fatalf("level %d: node %d of height %d linked", lvl, n, s.buf[uint64(n)+offHeight])
			}
			xk, nk := s.key(x), s.key(n)
			if x != headOff && s.cmp(x, nk, s.seq(n)) >= 0 {
				t.Fatalf("level %d: %q#%d does not sort before its successor %q#%d", lvl, xk, s.seq(x), nk, s.seq(n))
			}
			c := int(w>>linkPrefixShift) & maxLinkPrefix
			if lcp := commonPrefix(xk, nk); c > lcp {
				t.Fatalf("level %d: link %q -> %q says %d shared bytes, they share %d", lvl, xk, nk, c, lcp)
			}
			if a := abbrev(nk, c); w>>linkAbbrevShift != a {
				t.Fatalf("level %d: link %q -> %q abbreviation %#x, want %#x", lvl, xk, nk, w>>linkAbbrevShift, a)
			}
			here[n] = true
			x = n
		}
		below = here
	}
}

// checkProbe checks Get and the seeks for one probe key against the model,
// plus a step either way from each seek.
func checkProbe(t testing.TB, s *Skiplist, m *model, key string, seq uint64) {
	t.Helper()
	want, wantOK := m.get(key, seq)
	v, kind, ok := s.Get([]byte(key), seq)
	if ok != wantOK || (ok && (string(v) != want.value || kind != want.kind)) {
		t.Fatalf("Get(%q, %d) = %q,%v,%v; want %v,%v", key, seq, v, kind, ok, want, wantOK)
	}
	it := s.NewIter()
	i := m.seekGE(key, ^uint64(0))
	checkAt(t, fmt.Sprintf("SeekGE(%q)", key), it, it.SeekGE([]byte(key)), m, i)
	if i < len(m.es) {
		checkAt(t, fmt.Sprintf("SeekGE(%q).Prev", key), it, it.Prev(), m, i-1)
	}
	i = m.seekGE(key, seq)
	checkAt(t, fmt.Sprintf("SeekGESeq(%q,%d)", key, seq), it, it.SeekGESeq([]byte(key), seq), m, i)
	if i < len(m.es) {
		checkAt(t, fmt.Sprintf("SeekGESeq(%q,%d).Next", key, seq), it, it.Next(), m, i+1)
	}
	i = m.seekLT(key)
	checkAt(t, fmt.Sprintf("SeekLT(%q)", key), it, it.SeekLT([]byte(key)), m, i)
	if i >= 0 {
		checkAt(t, fmt.Sprintf("SeekLT(%q).Next", key), it, it.Next(), m, i+1)
	}
}

// valueFor derives a value from the internal key, so that readers can
// check any entry they see for tearing.
func valueFor(key []byte, seq uint64) []byte {
	v := fmt.Appendf(nil, "%s/%d/", key, seq)
	return append(v, bytes.Repeat([]byte{byte(seq)}, int(seq%23))...)
}
