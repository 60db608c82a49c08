package btree

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"unsafe"

	"github.com/lightningdb/lightning/backends/btree/internal/page"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/cache"
	"github.com/lightningdb/lightning/engine/vfs"
)

// pager reads and writes the pages of the data file.
//
// Reads (read, readRun) are safe for concurrent use. The allocation state
// (pageCount, free, pending) belongs to the checkpoint in progress (one at
// a time: the one running, or, between checkpoints, whoever holds the
// store's writer mutex); dropped and droppedN belong to the writers
// (under the writer mutex). Metrics read the mirrors nPages, nFree and
// nPending.
type pager struct {
	f     vfs.File
	l     page.Layout
	cache *cache.PageCache[pageMeta] // clean pages by (id, LSN); nil: none

	// reuseGen counts the times pages were released for reuse (see
	// store.releasePending). A lock-free reader that fails to verify a
	// page compares it with the value it saw before loading its root: if
	// it moved, the failure may be a reused page and the read is retried.
	reuseGen atomic.Uint64

	// Allocation state.
	pageCount uint64   // every page id in use is below it
	free      []uint64 // reusable now, sorted descending (alloc takes the lowest)
	pending   []pendingFree
	dropped   []uint64 // pages the tree stopped using since the last checkpoint began
	droppedN  [numKinds]uint64

	// Mirrors of the allocation state for Metrics.
	nPages, nFree, nPending atomic.Int64

	// Counters.
	pagesRead    atomic.Uint64
	bytesWritten atomic.Uint64
}

// readStat counts the page cache hits and misses of one read operation,
// added to the striped counters once at its end.
type readStat struct{ hits, misses uint64 }

// mirror updates the allocation mirrors.
func (p *pager) mirror() {
	p.nPages.Store(int64(p.pageCount))
	p.nFree.Store(int64(len(p.free)))
	p.nPending.Store(int64(p.freeCount() - len(p.free)))
}

// pendingFree is a batch of pages freed by checkpoint tag: they are not in
// that checkpoint's tree, but versions older than it may still reach them.
type pendingFree struct {
	tag uint64
	ids []uint64
}

// read returns the verified page ref, of type typ (0: any), from the cache
// or the file, with its digest or leaf index if it has one (leaf and
// branch pages) and its level, counting the hit or miss in st. The returned bytes are shared
// and must not be modified.
func (p *pager) read(ref page.Ref, typ page.Type, st *readStat) (pageView, error) {
	if b, m, ok := p.cache.Get(ref.ID, ref.LSN); ok {
		st.hits++
		return pageView{b: b, pageMeta: m}, nil
	}
	st.misses++
	b, err := p.readUncached(ref, typ)
	if err != nil {
		return pageView{}, err
	}
	v := view(&p.l, b)
	p.cachePut(ref.ID, ref.LSN, v)
	return v, nil
}

// pageView is a verified page as readers use it: its bytes, its digest
// or leaf index (see pageMeta) and its level (-1 unless a leaf or branch
// page). Its bytes may be shared with the page cache and other readers:
// nobody modifies them.
type pageView struct {
	b []byte
	pageMeta
}

// pageMeta is what the page cache keeps with a page's bytes: its digest
// or, for a leaf, its index (see leafIndex), and its level. It is two
// words, so that a cache entry (its key, version, block and this) fits
// one 64-byte cache line and a lookup returns it in registers: aux points
// to the digest, or to the first entry of the index when ixLen > 0.
type pageMeta struct {
	aux   unsafe.Pointer // *digest (nil: none), or &index[0]
	ixLen uint32         // entries of the index; 0: aux is a digest
	level int32
}

// metaOf returns the pageMeta of a page of level with digest d or index
// ix (at most one of them non-nil).
func metaOf(level int, d *digest, ix leafIndex) pageMeta {
	if len(ix) > 0 {
		return pageMeta{aux: unsafe.Pointer(&ix[0]), ixLen: uint32(len(ix)), level: int32(level)}
	}
	return pageMeta{aux: unsafe.Pointer(d), level: int32(level)}
}

// digest returns the page's digest, nil if it has none.
func (m pageMeta) digest() *digest {
	if m.ixLen != 0 {
		return nil
	}
	return (*digest)(m.aux)
}

// index returns the leaf page's index, nil if it has none.
func (m pageMeta) index() leafIndex {
	if m.ixLen == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(m.aux), m.ixLen)
}

// newPageCache returns a cache of at most budget bytes of pages of
// pageSize bytes, each with its digest or index.
func newPageCache(budget int64, pageSize int) (*cache.PageCache[pageMeta], error) {
	c, err := cache.NewPageCache[pageMeta](budget, pageSize, maxDigest(pageSize)) // an index is no larger (maxIndexKeys)
	if err != nil {
		return nil, fmt.Errorf("%w: page cache: %v", engine.ErrInvalidOptions, err)
	}
	return c, nil
}

// cachePut caches v, the page id written by checkpoint lsn. From now on
// v's bytes and digest are shared with every reader and must not be
// modified.
func (p *pager) cachePut(id, lsn uint64, v pageView) {
	p.cache.Put(id, lsn, v.b, v.pageMeta)
}

// view returns the pageView of the verified page b: a leaf gets an index
// (and then no digest, so that the page costs the cache one or the other)
// or a digest, a branch a digest.
func view(l *page.Layout, b []byte) pageView {
	switch page.Type(b[24]) {
	case page.TypeLeaf:
		if ix := makeLeafIndex(l, b); ix != nil {
			return pageView{b: b, pageMeta: metaOf(0, nil, ix)}
		}
		return pageView{b: b, pageMeta: metaOf(0, makeDigest(l, b), nil)}
	case page.TypeBranch:
		return pageView{b: b, pageMeta: metaOf(page.Level(b), makeDigest(l, b), nil)}
	}
	return pageView{b: b, pageMeta: pageMeta{level: -1}}
}

// readUncached reads and verifies page ref from the file into a new
// buffer.
func (p *pager) readUncached(ref page.Ref, typ page.Type) ([]byte, error) {
	b := make([]byte, p.l.PageSize)
	if err := p.readAt(b, ref.ID); err != nil {
		return nil, err
	}
	if _, err := p.l.Check(b, ref, typ); err != nil {
		return nil, err
	}
	p.pagesRead.Add(1)
	return b, nil
}

// readAt reads len(b) bytes at page id; reading past the end of the file
// is corruption (a reference to a page that was never written).
func (p *pager) readAt(b []byte, id uint64) error {
	if id >= 1<<48 {
		return engine.Corruptf(p.l.File, -1, "page id %d out of range", id)
	}
	off := p.l.Offset(id)
	n, err := p.f.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, errEOF) {
		return engine.Corruptf(p.l.File, off, "page %d: short read of %d bytes (file too short)", id, n)
	}
	return fmt.Errorf("btree: reading page %d: %w", id, err)
}

// readRun appends the n bytes held by the overflow run ref to dst. A run
// of one page goes through the cache; longer runs are read in one call and
// not cached.
func (p *pager) readRun(dst []byte, ref page.Ref, n int) ([]byte, error) {
	k := p.l.OverflowPages(n)
	if k == 1 {
		var st readStat
		v, err := p.read(ref, page.TypeOverflow, &st)
		if err != nil {
			return dst, err
		}
		return p.appendPayload(dst, v.b, ref, 0, n)
	}
	buf := make([]byte, k*p.l.PageSize)
	if err := p.readAt(buf, ref.ID); err != nil {
		return dst, err
	}
	for i := 0; i < k; i++ {
		b := buf[i*p.l.PageSize : (i+1)*p.l.PageSize]
		if _, err := p.l.Check(b, page.Ref{ID: ref.ID + uint64(i), LSN: ref.LSN}, page.TypeOverflow); err != nil {
			return dst, err
		}
		var err error
		if dst, err = p.appendPayload(dst, b, ref, i, n); err != nil {
			return dst, err
		}
	}
	p.pagesRead.Add(uint64(k))
	return dst, nil
}

func (p *pager) appendPayload(dst, b []byte, ref page.Ref, idx, n int) ([]byte, error) {
	first, total, payload := page.OverflowData(b)
	if first != ref.ID || total != n {
		return dst, engine.Corruptf(p.l.File, p.l.Offset(ref.ID+uint64(idx)),
			"overflow page of run %d holding %d bytes, reference says run %d of %d bytes", first, total, ref.ID, n)
	}
	return append(dst, payload...), nil
}

// alloc returns a page id to write: the lowest free one, or a new one at
// the end of the file.
func (p *pager) alloc() uint64 {
	if n := len(p.free); n > 0 {
		id := p.free[n-1]
		p.free = p.free[:n-1]
		return id
	}
	id := p.pageCount
	p.pageCount++
	return id
}

// allocRun returns the first id of n consecutive pages, from the free set
// if it holds such a run, else at the end of the file.
func (p *pager) allocRun(n int) uint64 {
	if n == 1 {
		return p.alloc()
	}
	// Look for n consecutive ids, lowest first (free is descending).
	run := 1
	for i := len(p.free) - 1; i > 0; i-- {
		if p.free[i-1] == p.free[i]+1 {
			run++
			if run == n {
				id := p.free[i+n-2]
				p.free = slices.Delete(p.free, i-1, i-1+n)
				return id
			}
		} else {
			run = 1
		}
	}
	id := p.pageCount
	p.pageCount += uint64(n)
	return id
}

// pageKind indexes the per-type page counts of the tree.
type pageKind int

const (
	kindBranch pageKind = iota
	kindLeaf
	kindOverflow
	numKinds
)

func nodeKind(level int) pageKind {
	if level == 0 {
		return kindLeaf
	}
	return kindBranch
}

// drop records that the tree no longer uses page id, a node page of kind.
func (p *pager) drop(id uint64, kind pageKind) {
	p.dropped = append(p.dropped, id)
	p.droppedN[kind]++
}

// dropRun records that the tree no longer uses the overflow run ref of n
// bytes.
func (p *pager) dropRun(ref page.Ref, n int) {
	if _, pending := ref.IsPending(); pending || ref.IsZero() {
		return
	}
	for i := 0; i < p.l.OverflowPages(n); i++ {
		p.dropped = append(p.dropped, ref.ID+uint64(i))
		p.droppedN[kindOverflow]++
	}
}

// release moves the pending batches whose tag is at most upTo to the free
// set, and reports whether it moved any.
func (p *pager) release(upTo uint64) bool {
	moved := false
	keep := p.pending[:0]
	for _, b := range p.pending {
		if b.tag <= upTo {
			p.free = append(p.free, b.ids...)
			moved = true
		} else {
			keep = append(keep, b)
		}
	}
	clear(p.pending[len(keep):])
	p.pending = keep
	if moved {
		// Readers must see the new generation before any released page
		// can be overwritten.
		p.reuseGen.Add(1)
		sortDesc(p.free)
	}
	return moved
}

// freeCount returns the number of pages free or pending (what the next
// free list will hold besides the dropped pages).
func (p *pager) freeCount() int {
	n := len(p.free)
	for _, b := range p.pending {
		n += len(b.ids)
	}
	return n
}

// sortDesc sorts ids in descending order and returns them.
func sortDesc(ids []uint64) []uint64 {
	slices.SortFunc(ids, func(a, b uint64) int {
		switch {
		case a > b:
			return -1
		case a < b:
			return 1
		}
		return 0
	})
	return ids
}
