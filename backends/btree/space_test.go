package btree

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// TestSpaceReuse overwrites every key ten times (in key order and in
// random order) and checks that the free list lets the file reuse space:
// after the tenth round the data file is within 2x its size after the
// first.
func TestSpaceReuse(t *testing.T) {
	seed := testSeed(t)
	n := 20000
	if testing.Short() {
		n = 2500
	}
	for _, order := range []string{"sequential", "random"} {
		t.Run(order, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 3))
			fs := vfs.NewMem()
			opts := testOptions(fs)
			opts.MemTableSize = 256 << 10
			db := mustOpen(t, "db", opts)
			defer db.Close()
			path := filepath.Join("db", DataFile)
			var first int64
			perm := rng.Perm(n)
			val := make([]byte, 100)
			for round := 1; round <= 10; round++ {
				if order == "random" {
					rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
				}
				for i := 0; i < n; i++ {
					k := i
					if order == "random" {
						k = perm[i]
					}
					for j := range val {
						val[j] = byte('a' + (k+round+j)%26)
					}
					must(t, "Set", db.Set([]byte(fmt.Sprintf("user%08d", k)), val, engine.NoSync))
				}
				must(t, "Flush", db.Flush())
				size := fileSize(t, fs, path)
				if round == 1 {
					first = size
				}
				t.Logf("round %2d: file %7d bytes (%.2fx round 1), free pages %v", round, size, float64(size)/float64(first), db.Metrics().Extra["btree.pages.free"])
				if size > 2*first {
					t.Fatalf("round %d: file of %d bytes is more than twice its size after round 1 (%d)", round, size, first)
				}
			}
			must(t, "Close", db.Close())
			must(t, "Check", Check(fs, "db", nil))
		})
	}
}

// TestSnapshotPinsPages keeps a snapshot open while every key is
// overwritten through many checkpoints: the pages it reads must not be
// reused under it. Once it is closed, the next checkpoints reuse them.
func TestSnapshotPinsPages(t *testing.T) {
	fs := vfs.NewMem()
	opts := testOptions(fs)
	db := mustOpen(t, "db", opts)
	defer db.Close()
	const n = 3000
	write := func(tag string) {
		for i := 0; i < n; i++ {
			must(t, "Set", db.Set([]byte(fmt.Sprintf("k%05d", i)), []byte(fmt.Sprintf("%s-%d-%080d", tag, i, i)), engine.NoSync))
		}
		must(t, "Flush", db.Flush())
	}
	write("old")
	sn, err := db.NewSnapshot()
	must(t, "NewSnapshot", err)
	it, err := db.NewIter(engine.IterOptions{})
	must(t, "NewIter", err)
	if !it.First() {
		t.Fatal("empty iterator")
	}
	for round := 0; round < 5; round++ {
		write(fmt.Sprint("new", round))
		if free := db.Metrics().Extra["btree.pages.free"]; free != 0 {
			t.Fatalf("round %d: %v pages free while a snapshot pins the old version", round, free)
		}
	}
	// The snapshot and the iterator still read the old version.
	for i := 0; i < n; i++ {
		v, err := sn.Get([]byte(fmt.Sprintf("k%05d", i)), nil)
		if err != nil || string(v) != fmt.Sprintf("old-%d-%080d", i, i) {
			t.Fatalf("snapshot Get(%d) = %q, %v", i, v, err)
		}
	}
	count := 1
	for it.Next() {
		if want := fmt.Sprintf("old-%d-%080d", count, count); string(it.Value()) != want {
			t.Fatalf("iterator at %q: %q", it.Key(), it.Value())
		}
		count++
	}
	must(t, "iterator Close", it.Close())
	if count != n {
		t.Fatalf("iterator saw %d keys", count)
	}
	must(t, "snapshot Close", sn.Close())
	pagesBefore := db.Metrics().Extra["btree.pages.total"]
	write("after")
	write("after2")
	m := db.Metrics()
	if m.Extra["btree.pages.total"] != pagesBefore {
		t.Errorf("file grew from %v to %v pages after the pins were released", pagesBefore, m.Extra["btree.pages.total"])
	}
	if m.Extra["btree.readers"] != 0 {
		t.Errorf("%v readers registered after closing all", m.Extra["btree.readers"])
	}
}

// TestConcurrentGetsDuringCheckpoints reads without pins while a writer
// overwrites and checkpoints constantly, so pages freed under the readers
// are reused: a read must never report corruption or a wrong value.
func TestConcurrentGetsDuringCheckpoints(t *testing.T) {
	fs := vfs.NewMem()
	opts := testOptions(fs)
	opts.MemTableSize = 64 << 10
	db := mustOpen(t, "db", opts)
	defer db.Close()
	const n = 2000
	val := func(i, round int) string { return fmt.Sprintf("%d-%d-%060d", i, round, i) }
	for i := 0; i < n; i++ {
		must(t, "Set", db.Set([]byte(fmt.Sprintf("k%05d", i)), []byte(val(i, 0)), engine.NoSync))
	}
	rounds := 12
	if testing.Short() {
		rounds = 4
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	errc := make(chan error, 4)
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			buf := make([]byte, 0, 128)
			for {
				select {
				case <-done:
					return
				default:
				}
				i := rng.IntN(n)
				v, err := db.Get([]byte(fmt.Sprintf("k%05d", i)), buf[:0])
				if err != nil {
					errc <- fmt.Errorf("Get(%d): %w", i, err)
					return
				}
				var gi, round int
				if _, err := fmt.Sscanf(string(v), "%d-%d-", &gi, &round); err != nil || gi != i || string(v) != val(i, round) {
					errc <- fmt.Errorf("Get(%d) = %q", i, v)
					return
				}
			}
		}(g)
	}
	for round := 1; round <= rounds; round++ {
		for i := 0; i < n; i++ {
			if err := db.Set([]byte(fmt.Sprintf("k%05d", i)), []byte(val(i, round)), engine.NoSync); err != nil {
				t.Error(err)
				break
			}
		}
	}
	close(done)
	wg.Wait()
	close(errc)
	for err := range errc {
		if errors.Is(err, engine.ErrCorruption) {
			t.Errorf("a lock-free read reported a reused page as corruption: %v", err)
		} else {
			t.Error(err)
		}
	}
	m := db.Metrics()
	t.Logf("%v checkpoints, %v pages free, %v reads retried", m.Extra["btree.checkpoints"], m.Extra["btree.pages.free"], m.Extra["btree.read_retries"])
}

// TestGetRetriesOnReusedPage makes a lock-free Get read an old version
// whose pages were reused meanwhile: reading that version directly is a
// detected mismatch (never wrong data), and Get retries on the current
// version and returns the right value.
func TestGetRetriesOnReusedPage(t *testing.T) {
	fs := vfs.NewMem()
	db := mustOpen(t, "db", testOptions(fs))
	defer db.Close()
	db.s.pg.cache = nil // every read goes to the file
	const n = 500
	write := func(round int) {
		for i := 0; i < n; i++ {
			must(t, "Set", db.Set([]byte(fmt.Sprintf("k%04d", i)), []byte(fmt.Sprintf("v%d-%d", round, i)), engine.NoSync))
		}
		must(t, "Flush", db.Flush())
	}
	write(0)
	old := db.s.cur.Load()
	// Two more checkpoints: the first frees the old pages, the second
	// reuses them.
	write(1)
	write(2)
	write(3)
	if _, err := db.s.get(old, []byte("k0001"), nil, &readStat{}); !errors.Is(err, engine.ErrCorruption) {
		t.Fatalf("reading a version whose pages were reused: %v, want a detected mismatch", err)
	}
	fired := false
	testHookGetVersion = func() {
		if !fired {
			fired = true
			write(4)
			write(5)
		}
	}
	defer func() { testHookGetVersion = nil }()
	v, err := db.Get([]byte("k0007"), nil)
	if err != nil || string(v) != "v5-7" {
		t.Fatalf("Get = %q, %v; want v5-7", v, err)
	}
	if r := db.Metrics().Extra["btree.read_retries"]; r < 1 {
		t.Fatalf("read_retries = %v, want >= 1", r)
	}
}

// TestLargerThanCache reads a data set many times the cache's size: every
// read goes through cache misses and evictions, and the memory held by the
// tree after a checkpoint is only the cache (no decoded nodes are kept).
func TestLargerThanCache(t *testing.T) {
	fs := vfs.NewMem()
	opts := testOptions(fs)
	opts.CacheSize = 64 << 10 // 12 pages of 4 KiB with their digests
	n := 20000
	if testing.Short() {
		n = 4000
	}
	db := mustOpen(t, "db", opts)
	defer db.Close()
	rng := rand.New(rand.NewPCG(9, 9))
	for _, i := range rng.Perm(n) {
		must(t, "Set", db.Set([]byte(fmt.Sprintf("k%07d", i)), []byte(fmt.Sprintf("v%07d-%040d", i, i)), engine.NoSync))
	}
	must(t, "Flush", db.Flush())
	if v := db.s.cur.Load(); v.root.n != nil {
		t.Fatal("the root is still an in-memory node after a checkpoint")
	}
	for _, i := range rng.Perm(n) {
		v, err := db.Get([]byte(fmt.Sprintf("k%07d", i)), nil)
		if err != nil || string(v) != fmt.Sprintf("v%07d-%040d", i, i) {
			t.Fatalf("Get(%d) = %q, %v", i, v, err)
		}
	}
	got, err := dump(db)
	must(t, "dump", err)
	if len(got) != n {
		t.Fatalf("%d keys, want %d", len(got), n)
	}
	m := db.Metrics()
	if m.CacheBytes > uint64(opts.CacheSize) || m.CacheMisses == 0 {
		t.Fatalf("cache holds %d bytes (limit %d), %d misses", m.CacheBytes, opts.CacheSize, m.CacheMisses)
	}
	t.Logf("file %d bytes, cache %d bytes, %d misses, %v pages read", m.DiskSize, m.CacheBytes, m.CacheMisses, m.Extra["btree.pages.read"])
}

// TestReadOnlyReplaysWAL opens, read-only, a directory whose last writes
// are only in the WAL (a crash before any checkpoint): they are visible,
// and nothing on disk changes.
func TestReadOnlyReplaysWAL(t *testing.T) {
	mem := vfs.NewMem()
	opts := testOptions(mem)
	db := mustOpen(t, "db", opts)
	for i := 0; i < 100; i++ {
		must(t, "Set", db.Set([]byte(fmt.Sprintf("k%03d", i)), []byte("v"), engine.Sync))
	}
	crashed := mem.CrashClone(vfs.CrashOptions{})
	must(t, "Close", db.Close())
	before := crashed.String()
	ro := opts.Clone()
	ro.FS = crashed
	ro.ReadOnly = true
	db = mustOpen(t, "db", ro)
	got, err := dump(db)
	must(t, "dump", err)
	if len(got) != 100 {
		t.Fatalf("%d keys after read-only replay", len(got))
	}
	if err := db.Set([]byte("x"), []byte("y"), engine.NoSync); !errors.Is(err, engine.ErrReadOnly) {
		t.Fatalf("Set on a read-only engine: %v", err)
	}
	must(t, "Close", db.Close())
	if after := crashed.String(); after != before {
		t.Fatalf("a read-only open changed the disk:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
