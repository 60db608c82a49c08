package lsm

import (
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/lightningdb/lightning/backends/lsm/internal/sstable"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/internal/percpu"
)

// tableCache keeps up to capacity tables open.
//
// The hit path takes no lock and writes no shared cache line: a lock-free
// map lookup (sync.Map), a pin of the entry's percpu.RefCount, a check
// that the entry was not evicted meanwhile, and a CLOCK reference bit set
// only when it is clear. Misses, eviction and Close run under mu.
// Eviction is CLOCK (second chance): the hand clears set bits and evicts
// the first entry whose bit is clear. An evicted entry leaves the map,
// then is retired; its Reader is closed when its last pin goes, so
// eviction never closes a table under a reader. A table that fails to
// open is not cached (the next use retries).
type tableCache struct {
	fs       vfs.FS
	dir      string
	opts     sstable.ReaderOptions
	capacity int

	m sync.Map // file number -> *tableEntry; changed under mu

	mu     sync.Mutex
	ring   tableEntry // sentinel of the CLOCK ring
	hand   *tableEntry
	n      int // entries in the ring
	closed bool

	opens atomic.Uint64 // tables opened (cache misses)
}

type tableEntry struct {
	num    uint64
	r      *sstable.Reader
	err    error
	loaded chan struct{} // closed once r or err is set
	ready  atomic.Bool   // loaded is closed
	rc     *percpu.RefCount
	used   atomic.Bool // CLOCK reference bit

	prev, next *tableEntry // the ring, under mu
}

// tableRef is a pinned open table: r stays open until release.
type tableRef struct {
	r     *sstable.Reader
	e     *tableEntry
	shard int
}

func newTableCache(fs vfs.FS, dir string, capacity int, opts sstable.ReaderOptions) *tableCache {
	c := &tableCache{fs: fs, dir: dir, opts: opts, capacity: capacity}
	c.ring.prev, c.ring.next = &c.ring, &c.ring
	c.hand = &c.ring
	return c
}

// tableName returns the file name of table num.
func tableName(num uint64) string { return fmt.Sprintf("%06d.sst", num) }

// get returns table num, open and pinned; the caller must release it.
func (c *tableCache) get(num uint64) (tableRef, error) {
	if v, ok := c.m.Load(num); ok {
		e := v.(*tableEntry)
		s := e.rc.Acquire()
		if !e.rc.Retired() {
			if !e.used.Load() {
				e.used.Store(true)
			}
			return c.ready(e, s)
		}
		c.unpin(e, s)
	}
	return c.getSlow(num)
}

// ready waits for a pinned entry to be loaded and returns it, or its
// error (dropping the pin).
func (c *tableCache) ready(e *tableEntry, s int) (tableRef, error) {
	if !e.ready.Load() {
		<-e.loaded
	}
	if e.err != nil {
		c.unpin(e, s)
		return tableRef{}, e.err
	}
	return tableRef{r: e.r, e: e, shard: s}, nil
}

// getSlow is get's miss path: under mu, find the entry or add one, and
// open the table.
func (c *tableCache) getSlow(num uint64) (tableRef, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return tableRef{}, fmt.Errorf("lsm: table cache: %w", engine.ErrClosed)
	}
	if v, ok := c.m.Load(num); ok {
		// Entries leave the map under mu before they are retired: this
		// one is live.
		e := v.(*tableEntry)
		s := e.rc.Acquire()
		e.used.Store(true)
		c.mu.Unlock()
		return c.ready(e, s)
	}
	e := &tableEntry{num: num, loaded: make(chan struct{}), rc: percpu.NewRefCount()}
	s := e.rc.Acquire()
	c.m.Store(num, e)
	c.link(e)
	var victims []*tableEntry
	for c.n > c.capacity {
		v := c.victim(e)
		if v == nil {
			break
		}
		c.remove(v)
		victims = append(victims, v)
	}
	c.mu.Unlock()
	for _, v := range victims {
		c.retire(v)
	}

	path := filepath.Join(c.dir, tableName(num))
	f, err := c.fs.Open(path)
	if err == nil {
		e.r, err = sstable.Open(f, path, num, c.opts)
		c.opens.Add(1)
	} else if vfs.IsNotExist(err) {
		err = &engine.CorruptionError{File: path, Offset: -1, Reason: "table listed in the MANIFEST is missing", Err: err}
	} else {
		err = fmt.Errorf("lsm: opening table: %w", err)
	}
	e.err = err
	e.ready.Store(true)
	close(e.loaded)
	if err != nil {
		c.evictEntry(e)
		c.unpin(e, s)
		return tableRef{}, err
	}
	return tableRef{r: e.r, e: e, shard: s}, nil
}

// link adds e to the ring just behind the hand (the last place the hand
// reaches). Under mu.
func (c *tableCache) link(e *tableEntry) {
	e.next = c.hand
	e.prev = c.hand.prev
	e.prev.next, e.next.prev = e, e
	c.n++
}

// victim moves the hand to the next entry to evict, never keep, clearing
// reference bits on the way. Under mu.
func (c *tableCache) victim(keep *tableEntry) *tableEntry {
	for range 2*c.n + 2 {
		h := c.hand
		c.hand = h.next
		if h == &c.ring || h == keep {
			continue
		}
		if h.used.Load() {
			h.used.Store(false)
			continue
		}
		return h
	}
	return nil
}

// remove takes e out of the map and the ring. Under mu.
func (c *tableCache) remove(e *tableEntry) {
	c.m.Delete(e.num)
	if c.hand == e {
		c.hand = e.next
	}
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	c.n--
}

// retire retires an entry removed from the map.
func (c *tableCache) retire(e *tableEntry) {
	if e.rc.Retire() {
		c.free(e)
	}
}

// unpin drops a pin taken on e.
func (c *tableCache) unpin(e *tableEntry, s int) {
	if e.rc.Release(s) {
		c.free(e)
	}
}

// free closes an entry's table: it is retired and unpinned.
func (c *tableCache) free(e *tableEntry) {
	if e.r != nil {
		_ = e.r.Close() // a read-only file: nothing to lose
	}
}

// release drops a reference returned by get.
func (c *tableCache) release(t tableRef) { c.unpin(t.e, t.shard) }

// evictEntry drops e from the cache if it is still there.
func (c *tableCache) evictEntry(e *tableEntry) {
	c.mu.Lock()
	v, ok := c.m.Load(e.num)
	mine := ok && v.(*tableEntry) == e
	if mine {
		c.remove(e)
	}
	c.mu.Unlock()
	if mine {
		c.retire(e)
	}
}

// evict drops table num from the cache (its file is being deleted).
func (c *tableCache) evict(num uint64) {
	c.mu.Lock()
	var e *tableEntry
	if v, ok := c.m.Load(num); ok {
		e = v.(*tableEntry)
		c.remove(e)
	}
	c.mu.Unlock()
	if e != nil {
		c.retire(e)
	}
}

// open returns the number of tables open in the cache.
func (c *tableCache) open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// close evicts everything and refuses later gets.
func (c *tableCache) close() {
	c.mu.Lock()
	c.closed = true
	var all []*tableEntry
	for e := c.ring.next; e != &c.ring; e = e.next {
		all = append(all, e)
	}
	for _, e := range all {
		c.remove(e)
	}
	c.mu.Unlock()
	for _, e := range all {
		c.retire(e) // a table still loading is closed by its loader's release
	}
}
