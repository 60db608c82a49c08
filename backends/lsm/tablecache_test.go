package lsm

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/backends/lsm/internal/sstable"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// writeTestTables writes n one-key tables (table i holds "k<i>") in dir.
func writeTestTables(t *testing.T, fs vfs.FS, dir string, n int) {
	t.Helper()
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		path := filepath.Join(dir, tableName(uint64(i)))
		f, err := fs.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := sstable.NewWriter(f, path, sstable.WriterOptions{FileNum: uint64(i)})
		if err := w.Add(base.MakeKey(fmt.Appendf(nil, "k%d", i), 1, engine.KindSet), []byte("v")); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTableCacheConcurrent reads tables through a small table cache from
// several goroutines while entries are evicted by capacity and by evict:
// a pinned table is never closed under its reader, the cache stays within
// its capacity, and close closes every table.
func TestTableCacheConcurrent(t *testing.T) {
	seed := testSeed(t)
	fs := vfs.NewMem()
	const tables, capacity = 40, 5
	writeTestTables(t, fs, "db", tables)
	c := newTableCache(fs, "db", capacity, sstable.ReaderOptions{})
	reads := 20000
	if testing.Short() {
		reads = 4000
	}
	var mu sync.Mutex
	var seen []*sstable.Reader // every Reader handed out
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(g)))
			for range reads / 4 {
				num := 1 + r.Uint64N(tables)
				if r.IntN(50) == 0 {
					c.evict(num)
					continue
				}
				ref, err := c.get(num)
				if err != nil {
					t.Error(err)
					return
				}
				key := fmt.Appendf(nil, "k%d", num)
				v, _, ok, err := ref.r.Get(key, base.MaxSeq)
				if err != nil || !ok || string(v) != "v" {
					t.Errorf("table %d: Get = %q, %v, %v (closed under its reader?)", num, v, ok, err)
				}
				if r.IntN(100) == 0 {
					mu.Lock()
					seen = append(seen, ref.r)
					mu.Unlock()
				}
				c.release(ref)
			}
		}()
	}
	wg.Wait()
	if n := c.open(); n > capacity {
		t.Errorf("%d tables open, capacity %d", n, capacity)
	}
	if c.opens.Load() <= capacity {
		t.Errorf("only %d opens for %d tables through a cache of %d: nothing was evicted?", c.opens.Load(), tables, capacity)
	}
	c.close()
	for _, r := range seen {
		if _, _, _, err := r.Get([]byte("k1"), base.MaxSeq); !errors.Is(err, engine.ErrClosed) {
			t.Fatalf("after close, table %d is still open (Get: %v)", r.FileNum(), err)
		}
	}
	if _, err := c.get(1); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("get after close: %v, want ErrClosed", err)
	}
}

// TestTableCacheEvictWhilePinned evicts a pinned table: it stays open
// until released, and a later get opens it again.
func TestTableCacheEvictWhilePinned(t *testing.T) {
	fs := vfs.NewMem()
	writeTestTables(t, fs, "db", 2)
	c := newTableCache(fs, "db", 16, sstable.ReaderOptions{})
	defer c.close()
	ref, err := c.get(1)
	if err != nil {
		t.Fatal(err)
	}
	c.evict(1)
	if _, _, ok, err := ref.r.Get([]byte("k1"), base.MaxSeq); !ok || err != nil {
		t.Fatalf("pinned table after evict: %v, %v", ok, err)
	}
	ref2, err := c.get(1)
	if err != nil {
		t.Fatal(err)
	}
	if ref2.r == ref.r {
		t.Error("get after evict returned the evicted Reader")
	}
	c.release(ref)
	if _, _, _, err := ref.r.Get([]byte("k1"), base.MaxSeq); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("evicted table still open after its last release: %v", err)
	}
	if _, _, ok, err := ref2.r.Get([]byte("k1"), base.MaxSeq); !ok || err != nil {
		t.Errorf("reopened table: %v, %v", ok, err)
	}
	c.release(ref2)
	if c.opens.Load() != 2 {
		t.Errorf("%d opens, want 2", c.opens.Load())
	}
	// A missing table is corruption and is not cached.
	if _, err := c.get(99); !errors.Is(err, engine.ErrCorruption) {
		t.Errorf("missing table: %v, want corruption", err)
	}
	if n := c.open(); n != 1 {
		t.Errorf("%d tables cached, want 1", n)
	}
}
