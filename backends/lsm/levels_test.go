package lsm

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lightningdb/lightning/backends/lsm/internal/manifest"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/compress"
	"github.com/lightningdb/lightning/engine/vfs"
)

// tableEntries sums the entries of every table of the current Version,
// read from the tables' properties, and returns the per-level file counts.
func tableEntries(t *testing.T, d *DB) (entries, deletions uint64, files [manifest.NumLevels]int) {
	t.Helper()
	d.mu.Lock()
	v := d.current
	v.Retain()
	d.mu.Unlock()
	defer func() { d.addObsolete(v.Release()) }()
	for level, fs := range v.Levels {
		files[level] = len(fs)
		for _, f := range fs {
			e, err := d.tc.get(f.FileNum)
			if err != nil {
				t.Fatal(err)
			}
			p := e.r.Properties()
			entries += p.Entries
			deletions += p.Deletions
			d.tc.release(e)
		}
	}
	return entries, deletions, files
}

// TestLevels fills several levels with overwrites and deletes, checks the
// content against a model throughout and after reopening, and checks that
// compaction dropped shadowed versions: after Compact with no snapshot
// open, the tables hold exactly one entry per live key and no deletion.
func TestLevels(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 3))
	n := 6000
	if testing.Short() {
		n = 3000
	}
	fs := vfs.NewMem()
	// Every table goes through the block pipeline (lsm.block_workers):
	// the inline path is what every other test uses.
	o := smallOptions(t, fs, map[string]string{"lsm.block_workers": "2"})
	d := mustOpen(t, "db", o)
	m := model{}
	deepest := 0
	for i := range n {
		w := randOp(rng, i, 2000, 400)
		if err := w.do(d, false); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		w.apply(m)
		if i%1000 == 999 {
			mustMatch(t, fmt.Sprintf("after %d writes", i+1), d, m)
			_, _, files := tableEntries(t, d)
			for l, c := range files {
				if c > 0 {
					deepest = max(deepest, l)
				}
			}
		}
	}
	if deepest < 2 {
		t.Errorf("the data reached only level %d; want at least 2 levels below L0", deepest)
	}
	met := d.Metrics()
	if met.Compactions == 0 || met.Extra["lsm.compaction.dropped"] == 0 {
		t.Errorf("compactions %d, entries dropped %v: want both > 0", met.Compactions, met.Extra["lsm.compaction.dropped"])
	}
	if err := d.Compact(); err != nil {
		t.Fatal(err)
	}
	entries, dels, files := tableEntries(t, d)
	if entries != uint64(len(m)) || dels != 0 {
		t.Errorf("after Compact: tables hold %d entries (%d deletions) for %d live keys; want one entry per key, no deletion (levels %v)",
			entries, dels, len(m), files)
	}
	mustMatch(t, "after Compact", d, m)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = mustOpen(t, "db", smallOptions(t, fs, map[string]string{"lsm.max_open_files": "16"}))
	mustMatch(t, "after reopen (16 open tables at most)", d, m)
	if got := d.tc.open(); got > 16 {
		t.Errorf("%d tables open, limit 16", got)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotsAcrossCompactions holds snapshots while the data is
// overwritten, deleted and compacted many times: each snapshot keeps
// reading its own version; once closed, compaction drops what it kept.
func TestSnapshotsAcrossCompactions(t *testing.T) {
	fs := vfs.NewMem()
	d := mustOpen(t, "db", smallOptions(t, fs, nil))
	defer d.Close()
	const nkeys = 300
	var snaps []engine.Snapshot
	var models []model
	m := model{}
	for round := range 8 {
		for i := range nkeys {
			k := fmt.Sprintf("key%05d", i)
			if (i+round)%5 == 0 {
				if err := d.Delete([]byte(k), engine.NoSync); err != nil {
					t.Fatal(err)
				}
				delete(m, k)
				continue
			}
			v := fmt.Sprintf("r%d-%s-%0200d", round, k, i)
			if err := d.Set([]byte(k), []byte(v), engine.NoSync); err != nil {
				t.Fatal(err)
			}
			m[k] = v
		}
		s, err := d.NewSnapshot()
		if err != nil {
			t.Fatal(err)
		}
		snaps, models = append(snaps, s), append(models, m.clone())
		if err := d.Compact(); err != nil {
			t.Fatal(err)
		}
		for j, s := range snaps {
			mustMatch(t, fmt.Sprintf("round %d, snapshot %d", round, j), s, models[j])
		}
	}
	mustMatch(t, "the DB", d, m)
	entries, _, _ := tableEntries(t, d)
	if entries <= uint64(len(m)) {
		t.Errorf("tables hold %d entries with 8 snapshots open over %d live keys: snapshots' versions were dropped", entries, len(m))
	}
	for _, s := range snaps {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Compact(); err != nil {
		t.Fatal(err)
	}
	if entries, dels, _ := tableEntries(t, d); entries != uint64(len(m)) || dels != 0 {
		t.Errorf("after closing the snapshots and compacting: %d entries, %d deletions, want %d and 0", entries, dels, len(m))
	}
	if _, err := snaps[0].Get([]byte("key00001"), nil); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("Get on a closed snapshot: %v, want ErrClosed", err)
	}
}

// TestManyFiles reopens a database of thousands of tables with a small
// table cache.
func TestManyFiles(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 600
	}
	fs := vfs.NewMem()
	extra := map[string]string{
		"lsm.target_file_size":      "1KiB",
		"lsm.block_size":            "256",
		"lsm.l1_size":               "1GiB", // everything stays in L1
		"lsm.l0_compaction_trigger": "1",
	}
	d := mustOpen(t, "db", smallOptions(t, fs, extra))
	m := model{}
	for i := range n * 3 {
		k := fmt.Sprintf("key%07d", i)
		v := fmt.Sprintf("%0300d", i)
		if err := d.Set([]byte(k), []byte(v), engine.NoSync); err != nil {
			t.Fatal(err)
		}
		m[k] = v
	}
	if err := d.Compact(); err != nil {
		t.Fatal(err)
	}
	_, _, files := tableEntries(t, d)
	if files[1] < n/2 {
		t.Fatalf("only %d tables in L1, want at least %d", files[1], n/2)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	extra["lsm.max_open_files"] = "32"
	d = mustOpen(t, "db", smallOptions(t, fs, extra))
	defer d.Close()
	mustMatch(t, fmt.Sprintf("reopened with %d tables", files[1]), d, m)
	if got := d.tc.open(); got > 32 {
		t.Errorf("%d tables open, limit 32", got)
	}
	if opened := d.tc.opens.Load(); opened < uint64(files[1]) {
		t.Errorf("opened %d tables to read %d", opened, files[1])
	}
}

// TestFlushedTablesAreValid checks every table a flush writes with the
// sstable reader directly: keys in order, properties matching the
// MANIFEST's metadata.
func TestFlushedTablesAreValid(t *testing.T) {
	fs := vfs.NewMem()
	d := mustOpen(t, "db", smallOptions(t, fs, map[string]string{"lsm.l0_compaction_trigger": "100", "lsm.l0_stop_writes_trigger": "100"}))
	defer d.Close()
	for i := range 3000 {
		if err := d.Set([]byte(fmt.Sprintf("k%06d", i%700)), []byte(fmt.Sprintf("%0100d", i)), engine.NoSync); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	l0 := append([]*manifest.FileMeta(nil), d.current.Levels[0]...)
	d.mu.Unlock()
	if len(l0) < 3 {
		t.Fatalf("%d L0 tables, want several", len(l0))
	}
	for i, f := range l0 {
		if i > 0 && l0[i-1].LargestSeq >= f.SmallestSeq {
			t.Errorf("L0 tables %s and %s overlap in sequence numbers", l0[i-1], f)
		}
		e, err := d.tc.get(f.FileNum)
		if err != nil {
			t.Fatal(err)
		}
		p := e.r.Properties()
		if p.SmallestSeq != f.SmallestSeq || p.LargestSeq != f.LargestSeq || uint64(e.r.Size()) != f.Size {
			t.Errorf("table %s: properties seq [%d,%d] size %d disagree with the MANIFEST", f, p.SmallestSeq, p.LargestSeq, e.r.Size())
		}
		it := e.r.NewIter(nil, nil)
		var prev []byte
		for ok := it.First(); ok; ok = it.Next() {
			k := it.Key()
			if prev != nil && string(prev) >= string(k.UserKey) {
				t.Fatalf("table %s: key %q after %q (a flush with no snapshot keeps one version per key)", f, k.UserKey, prev)
			}
			prev = append(prev[:0], k.UserKey...)
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		d.tc.release(e)
	}
}

// TestCompressionPerLevel checks that each level's tables use its codec.
func TestCompressionPerLevel(t *testing.T) {
	fs := vfs.NewMem()
	d := mustOpen(t, "db", smallOptions(t, fs, map[string]string{
		"lsm.compression_per_level": "none,zstd", "lsm.l0_compaction_trigger": "100", "lsm.l0_stop_writes_trigger": "100",
	}))
	defer d.Close()
	m := fill(t, d, 500, "a")
	codecs := func() map[int]compress.Codec {
		d.mu.Lock()
		v := d.current
		d.mu.Unlock()
		out := map[int]compress.Codec{}
		for level, files := range v.Levels {
			for _, f := range files {
				e, err := d.tc.get(f.FileNum)
				if err != nil {
					t.Fatal(err)
				}
				out[level] = e.r.Properties().Codec
				d.tc.release(e)
			}
		}
		return out
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := codecs(); got[0] != compress.None || len(got) != 1 {
		t.Errorf("after Flush: codecs by level %v, want L0 none", got)
	}
	if err := d.Compact(); err != nil {
		t.Fatal(err)
	}
	if got := codecs(); got[1] != compress.Zstd || len(got) != 1 {
		t.Errorf("after Compact: codecs by level %v, want L1 zstd", got)
	}
	mustMatch(t, "after Compact", d, m)
}
