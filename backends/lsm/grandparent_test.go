package lsm

import (
	"math/rand/v2"
	"testing"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/backends/lsm/internal/manifest"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

func gpFile(lo, hi string, size uint64) *manifest.FileMeta {
	return &manifest.FileMeta{
		Size:     size,
		Smallest: base.MakeKey([]byte(lo), 1, engine.KindSet),
		Largest:  base.MakeKey([]byte(hi), 1, engine.KindSet),
	}
}

func TestGrandparentLimit(t *testing.T) {
	files := []*manifest.FileMeta{gpFile("b", "c", 10), gpFile("d", "e", 10), gpFile("f", "g", 10), gpFile("h", "i", 10)}
	for _, tc := range []struct {
		name  string
		limit uint64
		keys  string // one-letter user keys, in order
		cuts  string // "x" where cut returns true (and the caller resets), "." elsewhere
	}{
		{"no limit", 0, "abcdefghij", ".........."},
		{"cut past the limit", 15, "abcdefghij", ".....x...x"},
		{"a tight limit cuts after each file", 5, "abcdefghij", "...x.x.x.x"},
		{"files below the first key do not count", 15, "ghi", "..."},
		{"the file holding the first key counts", 15, "ghij", "...x"},
		{"a file counts once a key passes it", 15, "ccdeeffj", ".....x.x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &grandparentLimit{files: files, limit: tc.limit}
			var got []byte
			for _, k := range tc.keys {
				c := g.cut([]byte{byte(k)})
				if c {
					g.reset()
					got = append(got, 'x')
				} else {
					got = append(got, '.')
				}
			}
			if string(got) != tc.cuts {
				t.Errorf("cuts %s, want %s", got, tc.cuts)
			}
		})
	}
}

// TestGrandparentCuts compacts into level 1 over a level 2 of many small
// tables with a limit of one target file: compaction outputs are cut by
// the limit, and the data reads back.
func TestGrandparentCuts(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 5))
	fs := vfs.NewMem()
	o := smallOptions(t, fs, map[string]string{"lsm.grandparent_overlap": "1", "lsm.l1_size": "32KiB", "lsm.target_file_size": "8KiB"})
	d := mustOpen(t, "db", o)
	defer d.Close()
	m := model{}
	n := 6000
	if testing.Short() {
		n = 3000
	}
	for i := range n {
		w := randOp(rng, i, 3000, 200)
		if err := w.do(d, false); err != nil {
			t.Fatal(err)
		}
		w.apply(m)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	mustMatch(t, "after the writes", d, m)
	cuts := d.Metrics().Extra["lsm.compaction.grandparent_cuts"]
	if cuts == 0 {
		_, _, files := tableEntries(t, d)
		t.Fatalf("no output was cut by the grandparent limit (levels %v)", files)
	}
	t.Logf("%v outputs cut by the grandparent limit", cuts)
}
