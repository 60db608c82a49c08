package overlay

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/memtable"
)

// version is one entry added to a memtable.
type version struct {
	key string
	seq uint64
	del bool
	tag string // prefix of the value, to tell layers apart
}

func (v version) value() string { return fmt.Sprintf("%s%s@%d", v.tag, v.key, v.seq) }

func buildMem(t testing.TB, vs []version) *memtable.Skiplist {
	t.Helper()
	sl := memtable.New(1 << 20)
	for _, v := range vs {
		kind, val := engine.KindSet, []byte(v.value())
		if v.del {
			kind, val = engine.KindDelete, nil
		}
		if err := sl.Add([]byte(v.key), v.seq, kind, val); err != nil {
			t.Fatalf("Add(%q, %d): %v", v.key, v.seq, err)
		}
	}
	return sl
}

func TestMemVisibility(t *testing.T) {
	set := func(k string, seq uint64) entry { return entry{k, fmt.Sprintf("%s@%d", k, seq), false} }
	del := func(k string) entry { return entry{key: k, del: true} }
	hist := []version{
		{key: "a", seq: 1, del: false}, {key: "a", seq: 5, del: false}, {key: "a", seq: 9, del: true},
		{key: "b", seq: 7, del: false}, // only a newer version at low snapshots
		{key: "c", seq: 2, del: true}, {key: "c", seq: 3, del: false},
		{key: "d", seq: 4, del: false}, {key: "d", seq: 6, del: true}, {key: "d", seq: 8, del: false},
		{key: "e", seq: 10, del: false},
	}
	cases := []struct {
		name string
		vs   []version
		seq  uint64
		want []entry
	}{
		{"empty memtable", nil, math.MaxUint64, nil},
		{"snapshot below every version", hist, 0, nil},
		{"seq 1: one key visible", hist, 1, []entry{set("a", 1)}},
		{"seq 2: tombstone visible", hist, 2, []entry{set("a", 1), del("c")}},
		{"seq 4: newer versions hidden", hist, 4, []entry{set("a", 1), set("c", 3), set("d", 4)}},
		{"seq 6: key b (seq 7) skipped, d deleted", hist, 6, []entry{set("a", 5), set("c", 3), del("d")}},
		{"seq 7: b appears", hist, 7, []entry{set("a", 5), set("b", 7), set("c", 3), del("d")}},
		{"seq 9: a deleted, d rewritten", hist, 9, []entry{del("a"), set("b", 7), set("c", 3), set("d", 8)}},
		{"newest", hist, math.MaxUint64, []entry{del("a"), set("b", 7), set("c", 3), set("d", 8), set("e", 10)}},
		{"only the last key hidden", []version{{key: "a", seq: 1, del: false}, {key: "z", seq: 3, del: false}}, 2, []entry{set("a", 1)}},
		{"only the first key hidden", []version{{key: "a", seq: 3, del: false}, {key: "z", seq: 1, del: false}}, 2, []entry{set("z", 1)}},
		{"many hidden versions", []version{{key: "k", seq: 1, del: false}, {key: "k", seq: 2, del: false}, {key: "k", seq: 3, del: false}, {key: "k", seq: 4, del: false}, {key: "l", seq: 5, del: false}}, 1, []entry{set("k", 1)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := Mem(buildMem(t, tc.vs), tc.seq)
			got, err := walkLayer(l) // forward and backward
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("entries at seq %d = %v, want %v", tc.seq, got, tc.want)
			}
			// Every seek and both steps from every probe.
			for _, p := range []string{"", "a", "a\x00", "b", "bb", "c", "d", "d\x00", "e", "f", "k", "l", "z", "z\x00"} {
				i, _ := slices.BinarySearchFunc(tc.want, p, func(e entry, k string) int {
					switch {
					case e.key < k:
						return -1
					case e.key > k:
						return 1
					}
					return 0
				})
				check := func(what string, ok bool, j int) {
					t.Helper()
					if ok != (j >= 0 && j < len(tc.want)) {
						t.Fatalf("%s(%q) = %v, want index %d of %v", what, p, ok, j, tc.want)
					}
					if !ok {
						return
					}
					got := entry{string(l.Key()), string(l.Value()), l.Deleted()}
					if got != tc.want[j] {
						t.Fatalf("%s(%q) at %+v, want %+v", what, p, got, tc.want[j])
					}
				}
				check("SeekGE", l.SeekGE([]byte(p)), i)
				if l.Valid() {
					check("SeekGE+Prev", l.Prev(), i-1)
				}
				check("SeekLT", l.SeekLT([]byte(p)), i-1)
				if l.Valid() {
					check("SeekLT+Next", l.Next(), i)
				}
			}
		})
	}
}

func TestMemSeq(t *testing.T) {
	sl := buildMem(t, []version{{key: "a", seq: 3, del: false}, {key: "a", seq: 8, del: false}})
	var m MemLayer
	m.Reset(sl, 5)
	if !m.First() || m.Seq() != 3 {
		t.Fatalf("First at seq %d, want 3", m.Seq())
	}
	m.Reset(sl, 8)
	if !m.Last() || m.Seq() != 8 {
		t.Fatalf("Last at seq %d, want 8", m.Seq())
	}
	if m.Next() || m.Seq() != 0 || m.Key() != nil || m.Deleted() {
		t.Fatalf("past the end: Seq %d Key %q Deleted %v", m.Seq(), m.Key(), m.Deleted())
	}
	if m.Next() || m.Prev() {
		t.Fatal("Next or Prev on an invalid MemLayer moved it")
	}
}

func TestMemNil(t *testing.T) {
	for name, l := range map[string]Layer{"Mem(nil)": Mem(nil, 1), "zero MemLayer": new(MemLayer)} {
		moves := []func() bool{l.First, l.Last, l.Next, l.Prev,
			func() bool { return l.SeekGE([]byte("a")) }, func() bool { return l.SeekLT([]byte("a")) }}
		for i, mv := range moves {
			if mv() || l.Valid() {
				t.Fatalf("%s: move %d succeeded", name, i)
			}
		}
		if !errors.Is(l.Error(), ErrNilMemtable) {
			t.Fatalf("%s: Error() = %v, want ErrNilMemtable", name, l.Error())
		}
	}
}
