package lsm

import (
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/lightningdb/lightning/backends/lsm/internal/sstable"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// tableCache keeps up to capacity tables open, least recently used out.
// An entry is reference counted: the cache holds one reference while the
// entry is in its map, and every user one while it reads; the Reader is
// closed when the last reference goes, so eviction never closes a table
// under a reader. A table that fails to open is not cached (the next use
// retries).
type tableCache struct {
	fs       vfs.FS
	dir      string
	opts     sstable.ReaderOptions
	capacity int

	mu     sync.Mutex
	m      map[uint64]*tableEntry
	lru    tableEntry // sentinel of a circular list, most recent after it
	closed bool

	opens atomic.Uint64 // tables opened (cache misses)
}

type tableEntry struct {
	num        uint64
	r          *sstable.Reader
	err        error
	loaded     chan struct{} // closed once r or err is set
	ready      atomic.Bool   // loaded is closed
	refs       atomic.Int32
	prev, next *tableEntry
}

func newTableCache(fs vfs.FS, dir string, capacity int, opts sstable.ReaderOptions) *tableCache {
	c := &tableCache{fs: fs, dir: dir, opts: opts, capacity: capacity, m: map[uint64]*tableEntry{}}
	c.lru.prev, c.lru.next = &c.lru, &c.lru
	return c
}

// tableName returns the file name of table num.
func tableName(num uint64) string { return fmt.Sprintf("%06d.sst", num) }

func (c *tableCache) unlink(e *tableEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (c *tableCache) pushFront(e *tableEntry) {
	e.prev, e.next = &c.lru, c.lru.next
	e.prev.next, e.next.prev = e, e
}

// get returns the open table num with a reference the caller must drop
// with release.
func (c *tableCache) get(num uint64) (*tableEntry, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, fmt.Errorf("lsm: table cache: %w", engine.ErrClosed)
	}
	if e := c.m[num]; e != nil {
		e.refs.Add(1)
		if c.lru.next != e {
			c.unlink(e)
			c.pushFront(e)
		}
		c.mu.Unlock()
		if !e.ready.Load() {
			<-e.loaded
		}
		if e.err != nil {
			err := e.err
			c.release(e)
			return nil, err
		}
		return e, nil
	}
	e := &tableEntry{num: num, loaded: make(chan struct{})}
	e.refs.Store(2) // the cache's and the caller's
	c.m[num] = e
	c.pushFront(e)
	var victims []*tableEntry
	for len(c.m) > c.capacity {
		v := c.lru.prev
		if v == e {
			break
		}
		c.unlink(v)
		delete(c.m, v.num)
		victims = append(victims, v)
	}
	c.mu.Unlock()
	for _, v := range victims {
		c.release(v)
	}

	path := filepath.Join(c.dir, tableName(num))
	f, err := c.fs.Open(path)
	if err == nil {
		e.r, err = sstable.Open(f, path, num, c.opts)
		c.opens.Add(1)
	} else {
		if vfs.IsNotExist(err) {
			err = &engine.CorruptionError{File: path, Offset: -1, Reason: "table listed in the MANIFEST is missing", Err: err}
		} else {
			err = fmt.Errorf("lsm: opening table: %w", err)
		}
	}
	e.err = err
	e.ready.Store(true)
	close(e.loaded)
	if err != nil {
		c.mu.Lock()
		if c.m[num] == e {
			c.unlink(e)
			delete(c.m, num)
			c.mu.Unlock()
			c.release(e) // the cache's reference
		} else {
			c.mu.Unlock()
		}
		c.release(e)
		return nil, err
	}
	return e, nil
}

// release drops a reference; the last one closes the table.
func (c *tableCache) release(e *tableEntry) {
	if e.refs.Add(-1) == 0 && e.r != nil {
		_ = e.r.Close() // a read-only file: nothing to lose
	}
}

// evict drops table num from the cache (its file is being deleted).
func (c *tableCache) evict(num uint64) {
	c.mu.Lock()
	e := c.m[num]
	if e != nil {
		c.unlink(e)
		delete(c.m, num)
	}
	c.mu.Unlock()
	if e != nil {
		c.release(e)
	}
}

// open returns the number of tables open in the cache.
func (c *tableCache) open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// close evicts everything and refuses later gets.
func (c *tableCache) close() {
	c.mu.Lock()
	c.closed = true
	var all []*tableEntry
	for _, e := range c.m {
		all = append(all, e)
	}
	c.m = map[uint64]*tableEntry{}
	c.lru.prev, c.lru.next = &c.lru, &c.lru
	c.mu.Unlock()
	for _, e := range all {
		c.release(e) // a table still loading is released by its loader
	}
}
