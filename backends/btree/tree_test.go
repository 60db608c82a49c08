package btree

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lightningdb/lightning/backends/btree/internal/page"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/checksum"
	"github.com/lightningdb/lightning/engine/vfs"
)

func TestSeparator(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"a", "b", "b"},
		{"abc", "abd", "abd"},
		{"abc", "abdzzz", "abd"},
		{"ab", "abc", "abc"},
		{"ab", "abcdef", "abc"},
		{"", "x", "x"},
		{"user1234", "user2", "user2"},
		{"user1234", "user1235000", "user1235"},
	} {
		got := string(separator([]byte(tc.a), []byte(tc.b)))
		if got != tc.want {
			t.Errorf("separator(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
		if !(tc.a < got && got <= tc.b) {
			t.Errorf("separator(%q, %q) = %q is not in (a, b]", tc.a, tc.b, got)
		}
	}
}

func TestParseSettings(t *testing.T) {
	for _, tc := range []struct {
		extra map[string]string
		ps    int
		ok    bool
		unbuf bool // btree.write_buffer off
	}{
		{nil, 0, true, false},
		{map[string]string{"lsm.level_ratio": "10"}, 0, true, false},
		{map[string]string{OptPageSize: "16384"}, 16384, true, false},
		{map[string]string{OptPageSize: "4096"}, 4096, true, false},
		{map[string]string{OptPageSize: "65536"}, 65536, true, false},
		{map[string]string{OptPageSize: "2048"}, 0, false, false},
		{map[string]string{OptPageSize: "10000"}, 0, false, false},
		{map[string]string{OptPageSize: "x"}, 0, false, false},
		{map[string]string{"btree.nope": "1"}, 0, false, false},
		{map[string]string{OptCheckpointInterval: "250ms"}, 0, true, false},
		{map[string]string{OptCheckpointInterval: "0"}, 0, true, false},
		{map[string]string{OptCheckpointInterval: "-1s"}, 0, false, false},
		{map[string]string{OptIdleCheckpoint: "2s"}, 0, true, false},
		{map[string]string{OptIdleCheckpoint: "0"}, 0, true, false},
		{map[string]string{OptIdleCheckpoint: "-1ms"}, 0, false, false},
		{map[string]string{OptIdleCheckpoint: "soon"}, 0, false, false},
		{map[string]string{OptCheckpointInterval: "soon"}, 0, false, false},
		{map[string]string{OptCheckpointWorkers: "0"}, 0, true, false},
		{map[string]string{OptCheckpointWorkers: "4"}, 0, true, false},
		{map[string]string{OptCheckpointWorkers: "64"}, 0, true, false},
		{map[string]string{OptCheckpointWorkers: "65"}, 0, false, false},
		{map[string]string{OptCheckpointWorkers: "-1"}, 0, false, false},
		{map[string]string{OptCheckpointWorkers: "two"}, 0, false, false},
		{map[string]string{OptWriteBuffer: "true"}, 0, true, false},
		{map[string]string{OptWriteBuffer: "false"}, 0, true, true},
		{map[string]string{OptWriteBuffer: "0"}, 0, true, true},
		{map[string]string{OptWriteBuffer: "maybe"}, 0, false, false},
		{map[string]string{OptMemTables: "2"}, 0, true, false},
		{map[string]string{OptMemTables: "16"}, 0, true, false},
		{map[string]string{OptMemTables: "1"}, 0, false, false},
		{map[string]string{OptMemTables: "17"}, 0, false, false},
		{map[string]string{OptMemTables: "three"}, 0, false, false},
	} {
		st, err := parseSettings(tc.extra)
		if (err == nil) != tc.ok || st.pageSize != tc.ps || tc.ok && st.writeBuffer == tc.unbuf {
			t.Errorf("parseSettings(%v) = %+v, %v; want page size %d ok %v", tc.extra, st, err, tc.ps, tc.ok)
		}
		if err != nil && !errors.Is(err, engine.ErrInvalidOptions) {
			t.Errorf("parseSettings(%v): %v is not ErrInvalidOptions", tc.extra, err)
		}
		want := DefaultMemTables
		if v, ok := tc.extra[OptMemTables]; ok && tc.ok {
			want, _ = strconv.Atoi(v)
		}
		if tc.ok && st.memTables != want {
			t.Errorf("parseSettings(%v): %d memtables, want %d", tc.extra, st.memTables, want)
		}
	}
}

// TestCheckpointTimer checks that dirty data gets a checkpoint without a
// Flush when the interval passes.
func TestCheckpointTimer(t *testing.T) {
	fs := vfs.NewMem()
	opts := testOptions(fs)
	opts.Extra[OptCheckpointInterval] = "10ms"
	db := mustOpen(t, "db", opts)
	defer db.Close()
	must(t, "Set", db.Set([]byte("k"), []byte("v"), engine.NoSync))
	// Wait (without a time limit of our own: the test binary's timeout
	// applies) until the timer has checkpointed.
	for db.Metrics().Extra["btree.checkpoints"] == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if db.Metrics().Extra["btree.dirty_bytes"] != 0 {
		t.Fatal("dirty bytes left after the timed checkpoint")
	}
}

// TestIdleCheckpoint checks that dirty data gets a checkpoint once writes
// pause for the idle time, with the interval trigger off, and that
// neither trigger runs when both are off.
func TestIdleCheckpoint(t *testing.T) {
	for _, idle := range []string{"20ms", "0"} {
		fs := vfs.NewMem()
		opts := testOptions(fs)
		opts.MemTableSize = 64 << 20 // no checkpoint on size
		opts.Extra[OptCheckpointInterval] = "0"
		opts.Extra[OptIdleCheckpoint] = idle
		db := mustOpen(t, "db", opts)
		for i := 0; i < 100; i++ {
			must(t, "Set", db.Set(fmt.Appendf(nil, "k%03d", i), []byte("v"), engine.NoSync))
		}
		if idle == "0" {
			time.Sleep(100 * time.Millisecond)
			if n := db.Metrics().Extra["btree.checkpoints"]; n != 0 {
				t.Errorf("idle trigger off: %v checkpoints", n)
			}
			must(t, "Close", db.Close())
			continue
		}
		// Wait (without a time limit of our own: the test binary's
		// timeout applies) until the timer has checkpointed.
		for db.Metrics().Extra["btree.checkpoints"] == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		if db.Metrics().Extra["btree.dirty_bytes"] != 0 {
			t.Error("dirty bytes left after the idle checkpoint")
		}
		for i := 0; i < 100; i++ {
			v, err := db.Get(fmt.Appendf(nil, "k%03d", i), nil)
			if err != nil || string(v) != "v" {
				t.Fatalf("Get k%03d after the idle checkpoint: %q, %v", i, v, err)
			}
		}
		must(t, "Close", db.Close())
	}
}

// TestPageSizeOption checks that a new file takes the configured page size
// and an existing one keeps its own.
func TestPageSizeOption(t *testing.T) {
	fs := vfs.NewMem()
	opts := testOptions(fs)
	opts.Extra[OptPageSize] = "16384"
	db := mustOpen(t, "db", opts)
	must(t, "Set", db.Set([]byte("k"), []byte("v"), engine.NoSync))
	if got := db.Metrics().Extra["btree.page_size"]; got != 16384 {
		t.Errorf("page size %v", got)
	}
	must(t, "Close", db.Close())
	opts.Extra[OptPageSize] = "8192"
	if _, err := Open("db", opts); !errors.Is(err, engine.ErrInvalidOptions) {
		t.Fatalf("reopen with another page size: %v", err)
	}
	delete(opts.Extra, OptPageSize)
	db = mustOpen(t, "db", opts)
	if got := db.Metrics().Extra["btree.page_size"]; got != 16384 {
		t.Errorf("page size after reopen %v", got)
	}
	must(t, "Close", db.Close())
}

// keyGen makes keys for the randomized tests: short keys from a small
// space (so writes overwrite and delete), and long keys sharing a prefix
// longer than the inline part of a cell, so that comparisons must read
// overflow runs.
type keyGen struct {
	rng  *rand.Rand
	long string
}

func newKeyGen(rng *rand.Rand, l *page.Layout) *keyGen {
	return &keyGen{rng: rng, long: strings.Repeat("L", l.MaxInlineKey()+20)}
}

func (g *keyGen) key() []byte {
	n := g.rng.IntN(3000)
	switch g.rng.IntN(10) {
	case 0:
		return []byte(fmt.Sprintf("%s%05d", g.long, n%200))
	case 1:
		return []byte{byte(n), byte(n >> 8)}
	default:
		return []byte(fmt.Sprintf("key%05d", n))
	}
}

func (g *keyGen) value() []byte {
	var n int
	switch g.rng.IntN(20) {
	case 0:
		n = 1000 + g.rng.IntN(20000) // overflow runs of one to several pages
	case 1:
		n = 0
	default:
		n = g.rng.IntN(120)
	}
	v := make([]byte, n)
	for i := range v {
		v[i] = byte('a' + g.rng.IntN(26))
	}
	return v
}

// TestRandomized runs a seeded random history of writes, reads, iterators,
// snapshots, flushes and reopens on the engine and on a map, and compares
// every result. After every reopen the checker walks the file.
func TestRandomized(t *testing.T) {
	seed := testSeed(t)
	for _, kind := range []string{"crc32c", "xxh3"} {
		for _, buffered := range []bool{true, false} {
			name := kind + "/direct"
			if buffered {
				name = kind + "/buffered"
			}
			t.Run(name, func(t *testing.T) {
				testRandomized(t, seed, kind, buffered)
			})
		}
	}
}

type snapState struct {
	sn    engine.Snapshot
	state map[string]string
}

func testRandomized(t *testing.T, seed uint64, kind string, buffered bool) {
	rng := rand.New(rand.NewPCG(seed, 7))
	fs := vfs.NewMem()
	opts := testOptions(fs)
	opts.Checksum = kind
	opts.Extra[OptWriteBuffer] = strconv.FormatBool(buffered)
	if kind == "xxh3" {
		// One run of each seed seals pages on checkpoint workers.
		opts.Extra[OptCheckpointWorkers] = "3"
	}
	db := mustOpen(t, "db", opts)
	l, _ := page.NewLayout("", 4096, checksum.CRC32C)
	g := newKeyGen(rng, &l)
	model := map[string]string{}
	var snaps []snapState
	ops := 5000
	if testing.Short() {
		ops = 1500
	}
	defer func() {
		for _, s := range snaps {
			s.sn.Close()
		}
		if db != nil {
			db.Close()
		}
	}()
	reopens := 0
	for i := 0; i < ops; i++ {
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("op %d: %s", i, fmt.Sprintf(format, args...))
		}
		switch r := rng.IntN(100); {
		case r < 40:
			k, v := g.key(), g.value()
			if err := db.Set(k, v, engine.WriteOptions{Sync: rng.IntN(10) == 0}); err != nil {
				fail("Set: %v", err)
			}
			model[string(k)] = string(v)
		case r < 58:
			k := g.key()
			if len(model) > 0 && rng.IntN(2) == 0 {
				keys := slices.Sorted(maps.Keys(model))
				k = []byte(keys[rng.IntN(len(keys))])
			}
			if err := db.Delete(k, engine.NoSync); err != nil {
				fail("Delete: %v", err)
			}
			delete(model, string(k))
		case r < 68:
			b := engine.NewBatch()
			staged := maps.Clone(model)
			for j := rng.IntN(60); j >= 0; j-- {
				k := g.key()
				if rng.IntN(3) == 0 {
					b.Delete(k)
					delete(staged, string(k))
				} else {
					v := g.value()
					b.Set(k, v)
					staged[string(k)] = string(v)
				}
			}
			if err := db.Apply(b, engine.NoSync); err != nil {
				fail("Apply: %v", err)
			}
			model = staged
		case r < 80:
			k := g.key()
			got, err := db.Get(k, []byte("prefix"))
			want, ok := model[string(k)]
			switch {
			case !ok && !errors.Is(err, engine.ErrNotFound):
				fail("Get(%q) = %v, want not found", trunc(k), err)
			case ok && (err != nil || string(got) != "prefix"+want):
				fail("Get(%q) = %d bytes, %v; want %d bytes", trunc(k), len(got), err, len(want))
			}
		case r < 90:
			if err := checkIter(db, model, g, rng); err != nil {
				fail("iterator: %v", err)
			}
		case r < 95:
			if len(snaps) < 3 {
				sn, err := db.NewSnapshot()
				if err != nil {
					fail("NewSnapshot: %v", err)
				}
				snaps = append(snaps, snapState{sn, maps.Clone(model)})
			} else {
				j := rng.IntN(len(snaps))
				got, err := dump(snaps[j].sn)
				if err != nil {
					fail("snapshot: %v", err)
				}
				if d := diff(got, snaps[j].state); d != "" {
					fail("snapshot: %s", d)
				}
				if err := checkIter(snaps[j].sn, snaps[j].state, g, rng); err != nil {
					fail("snapshot iterator: %v", err)
				}
				must(t, "snapshot Close", snaps[j].sn.Close())
				snaps = slices.Delete(snaps, j, j+1)
			}
		case r < 99:
			if err := db.Flush(); err != nil {
				fail("Flush: %v", err)
			}
		default:
			for _, s := range snaps {
				must(t, "snapshot Close", s.sn.Close())
			}
			snaps = nil
			must(t, "Close", db.Close())
			db = nil
			if _, err := CheckWithStats(fs, "db", nil); err != nil {
				fail("Check after Close: %v", err)
			}
			db = mustOpen(t, "db", opts)
			reopens++
		}
	}
	got, err := dump(db)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(got, model); d != "" {
		t.Fatalf("final state: %s", d)
	}
	must(t, "Flush", db.Flush()) // the buffered writes into the tree
	if int64(len(model)) != db.s.cur.Load().keys {
		t.Fatalf("key count %d, model %d", db.s.cur.Load().keys, len(model))
	}
	m := db.Metrics()
	for _, s := range snaps {
		must(t, "snapshot Close", s.sn.Close())
	}
	snaps = nil
	must(t, "Close", db.Close())
	db = nil
	st, err := CheckWithStats(fs, "db", nil)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	t.Logf("%d keys, %d reopens, %d checkpoints; file: %+v", len(model), reopens, uint64(m.Extra["btree.checkpoints"]), st)
	if st.OverflowPages == 0 || st.Height < 2 {
		t.Errorf("the history did not exercise overflow runs and branches: %+v", st)
	}
}

// checkIter compares an iterator with random bounds over r with the
// sorted model, with seeks and walks in both directions.
func checkIter(r engine.Reader, model map[string]string, g *keyGen, rng *rand.Rand) error {
	var lower, upper []byte
	if rng.IntN(2) == 0 {
		lower = g.key()
	}
	if rng.IntN(2) == 0 {
		upper = g.key()
	}
	var keys []string
	for k := range model {
		if (lower == nil || k >= string(lower)) && (upper == nil || k < string(upper)) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	it, err := r.NewIter(engine.IterOptions{Lower: lower, Upper: upper})
	if err != nil {
		return err
	}
	defer it.Close()
	pos := -1
	check := func(what string, ok bool) error {
		want := pos >= 0 && pos < len(keys)
		if ok != want || it.Valid() != want {
			return fmt.Errorf("%s in [%q, %q): valid %v, want %v (pos %d of %d)", what, trunc(lower), trunc(upper), ok, want, pos, len(keys))
		}
		if ok && (string(it.Key()) != keys[pos] || string(it.Value()) != model[keys[pos]]) {
			return fmt.Errorf("%s: at %q, want %q", what, trunc(it.Key()), trunc([]byte(keys[pos])))
		}
		return it.Error()
	}
	for step := 0; step < 40; step++ {
		var err error
		switch rng.IntN(6) {
		case 0:
			pos = 0
			err = check("First", it.First())
		case 1:
			pos = len(keys) - 1
			err = check("Last", it.Last())
		case 2:
			k := g.key()
			pos, _ = slices.BinarySearch(keys, string(k))
			err = check("SeekGE", it.SeekGE(k))
		case 3:
			k := g.key()
			pos, _ = slices.BinarySearch(keys, string(k))
			pos--
			err = check("SeekLT", it.SeekLT(k))
		default:
			if pos < 0 || pos >= len(keys) {
				continue
			}
			n := rng.IntN(30)
			fwd := rng.IntN(2) == 0
			for j := 0; j < n && pos >= 0 && pos < len(keys); j++ {
				if fwd {
					pos++
					err = check("Next", it.Next())
				} else {
					pos--
					err = check("Prev", it.Prev())
				}
				if err != nil {
					break
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// TestLargeKeysAndValues stores keys and values at the limits around the
// inline thresholds and far over them, reopens, and reads them back.
func TestLargeKeysAndValues(t *testing.T) {
	fs := vfs.NewMem()
	opts := testOptions(fs)
	opts.MaxKeySize = 64 << 10
	opts.MaxValueSize = 1 << 20
	db := mustOpen(t, "db", opts)
	l := &db.s.pg.l
	want := map[string]string{}
	var n int
	for _, klen := range []int{1, l.MaxInlineKey() - 1, l.MaxInlineKey(), l.MaxInlineKey() + 1, 5000, 64 << 10} {
		for _, vlen := range []int{0, 1, 900, 1016, 1100, l.OverflowPayload(), l.OverflowPayload() + 1, 1 << 20} {
			k := bytes.Repeat([]byte{byte('a' + n%26)}, klen)
			k[len(k)-1] = byte(n)
			v := bytes.Repeat([]byte{byte(n)}, vlen)
			must(t, "Set", db.Set(k, v, engine.NoSync))
			want[string(k)] = string(v)
			n++
		}
	}
	got, err := dump(db)
	must(t, "dump", err)
	if d := diff(got, want); d != "" {
		t.Fatal(d)
	}
	must(t, "Close", db.Close())
	must(t, "Check", Check(fs, "db", nil))
	db = mustOpen(t, "db", opts)
	got, err = dump(db)
	must(t, "dump after reopen", err)
	if d := diff(got, want); d != "" {
		t.Fatal(d)
	}
	// Delete everything: the tree empties and every page is free again.
	for k := range want {
		must(t, "Delete", db.Delete([]byte(k), engine.NoSync))
	}
	must(t, "Flush", db.Flush())
	must(t, "Close", db.Close())
	st, err := CheckWithStats(fs, "db", nil)
	must(t, "Check", err)
	if st.Keys != 0 || st.Height != 0 || st.LeafPages+st.BranchPages+st.OverflowPages != 0 {
		t.Fatalf("after deleting everything: %+v", st)
	}
}

// TestGetAllocs checks that Get does not allocate when dst has room, both
// on in-memory (dirty) nodes and on cached clean pages.
func TestGetAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	for _, buffered := range []bool{true, false} {
		fs := vfs.NewMem()
		opts := testOptions(fs)
		opts.Extra[OptWriteBuffer] = strconv.FormatBool(buffered)
		db := mustOpen(t, "db", opts)
		for i := 0; i < 2000; i++ {
			must(t, "Set", db.Set([]byte(fmt.Sprintf("key%05d", i)), []byte(fmt.Sprintf("value%05d", i)), engine.NoSync))
		}
		dst := make([]byte, 0, 64)
		get := func() {
			if _, err := db.Get([]byte("key01234"), dst); err != nil {
				t.Fatal(err)
			}
		}
		// Before Flush: a memtable or dirty nodes of the tree.
		if n := testing.AllocsPerRun(100, get); n != 0 {
			t.Errorf("write_buffer=%v: Get before Flush: %v allocations", buffered, n)
		}
		must(t, "Flush", db.Flush())
		get() // the page cache admits what it is given at once
		if n := testing.AllocsPerRun(100, get); n != 0 {
			t.Errorf("write_buffer=%v: Get on cached pages: %v allocations", buffered, n)
		}
		must(t, "Close", db.Close())
	}
}
