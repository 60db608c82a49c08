package btree

import (
	"sync/atomic"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/checksum"
)

// Metrics implements engine.Engine. Flushes counts checkpoints. Stalls
// and StallTime count the writes that waited: with the write buffer, for
// room in the memtables (the active one was full while the previous one
// was still being merged into the tree); without it, for the previous
// checkpoint, having found the dirty bytes past Options.MemTableSize (the
// writers queued behind such a write wait too). MemTableBytes is the
// bytes in memtables plus the dirty bytes of the tree: those of the
// checkpoint being written and those made since it began. Besides the
// common fields it reports, in Extra:
//
//	btree.height                  levels of the current tree
//	btree.keys                    keys in the current tree (not counting the write buffer)
//	btree.page_size               bytes per page
//	btree.pages.total             pages of the data file in use or free
//	btree.pages.branch            branch pages of the last checkpoint's tree
//	btree.pages.leaf              leaf pages of the last checkpoint's tree
//	btree.pages.overflow          overflow pages of the last checkpoint's tree
//	btree.pages.free              pages reusable now
//	btree.pages.pending           pages freed but still reachable by a pinned version
//	btree.pages.read              pages read from the file (cache misses)
//	btree.checkpoints             checkpoints since Open
//	btree.checkpoint.seconds      total time spent in checkpoints
//	btree.checkpoint.last_pages   pages written by the last checkpoint
//	btree.checkpoint.pages        pages written by all checkpoints
//	btree.dirty_bytes             bytes made dirty since the last checkpoint
//	btree.readers                 open iterators and snapshots
//	btree.read_retries            Gets retried after meeting a page reused under them
//	btree.cache.hit_ratio         page cache hits / lookups
//	btree.cache.pages             pages the page cache can hold
//	btree.cache.evictions         pages the page cache evicted
//	btree.buffer.bytes            memory of the memtables (write buffer): arena in use plus index
//	btree.buffer.merges           merges of memtables into the tree (each takes every full memtable)
//	btree.buffer.merged_memtables memtables those merges took
//	btree.buffer.merged_keys      keys those merges wrote into the tree
//	btree.buffer.merge.seconds    total time spent merging
//	btree.buffer.mid_merge_checkpoints  checkpoints started in the middle of a merge (dirty budget, or a quarter of the cache in clean leaves made deltas)
//
// The counts by page type describe the tree as of the last checkpoint
// (dirty nodes are not pages yet).
func (db *DB) Metrics() engine.Metrics {
	s := db.s
	v := s.cur.Load()
	m := engine.Metrics{
		Backend:          Name,
		Checksum:         checksum.Implementation(s.pg.l.Kind),
		Sets:             db.sets.Load(),
		Deletes:          db.deletes.Load(),
		Batches:          db.batches.Load(),
		Iterators:        db.iters.Load(),
		UserBytesWritten: db.userBytes.Load(),
		DiskBytesWritten: s.pg.bytesWritten.Load(),
		Flushes:          s.checkpoints.Load(),
		Stalls:           db.stalls.Load(),
		StallTime:        time.Duration(db.stallNanos.Load()),
	}
	if db.log != nil {
		m.WALBytes = db.log.Metrics().Bytes
	}
	gets, hits, misses := s.reads.sum()
	m.Gets, m.CacheHits, m.CacheMisses, m.CacheBytes = gets, hits, misses, uint64(s.pg.cache.Bytes())
	if m.UserBytesWritten > 0 {
		m.WriteAmp = float64(m.WALBytes+m.DiskBytesWritten) / float64(m.UserBytesWritten)
	}
	if m.Gets > 0 {
		m.ReadAmp = float64(hits+misses) / float64(m.Gets)
	}
	s.mu.Lock()
	dirty := s.dirty + s.inFlightDirty.Load()
	meta := s.meta
	s.mu.Unlock()
	total, free, pending := uint64(s.pg.nPages.Load()), s.pg.nFree.Load(), s.pg.nPending.Load()
	m.DiskSize = total * uint64(s.pg.l.PageSize)
	m.MemTableBytes = uint64(max(dirty, 0))
	var bufBytes int64
	if wb := db.buf; wb != nil {
		bufBytes = wb.bytes()
		m.MemTableBytes += uint64(bufBytes)
	}
	m.Extra = map[string]float64{
		"btree.height":                float64(v.height),
		"btree.keys":                  float64(v.keys),
		"btree.page_size":             float64(s.pg.l.PageSize),
		"btree.pages.total":           float64(total),
		"btree.pages.branch":          float64(meta.BranchPages),
		"btree.pages.leaf":            float64(meta.LeafPages),
		"btree.pages.overflow":        float64(meta.OverflowPages),
		"btree.pages.free":            float64(free),
		"btree.pages.pending":         float64(pending),
		"btree.pages.read":            float64(s.pg.pagesRead.Load()),
		"btree.checkpoints":           float64(s.checkpoints.Load()),
		"btree.checkpoint.seconds":    time.Duration(s.ckptNanos.Load()).Seconds(),
		"btree.checkpoint.last_pages": float64(s.lastCkptPages.Load()),
		"btree.checkpoint.pages":      float64(s.ckptPagesWritten.Load()),
		"btree.dirty_bytes":           float64(dirty),
		"btree.readers":               float64(s.readers.count()),
		"btree.read_retries":          float64(s.retries.Load()),
		"btree.cache.hit_ratio":       m.CacheHitRatio(),
		"btree.cache.pages":           float64(s.pg.cache.Capacity()),
		"btree.cache.evictions":       float64(s.pg.cache.Evictions()),
		"btree.buffer.bytes":          float64(bufBytes),
	}
	if wb := db.buf; wb != nil {
		m.Extra["btree.buffer.merges"] = float64(wb.merges.Load())
		m.Extra["btree.buffer.merged_memtables"] = float64(wb.mergedTables.Load())
		m.Extra["btree.buffer.merged_keys"] = float64(wb.mergedKeys.Load())
		m.Extra["btree.buffer.merge.seconds"] = time.Duration(wb.mergeNanos.Load()).Seconds()
		m.Extra["btree.buffer.mid_merge_checkpoints"] = float64(wb.midMergeCkpts.Load())
	}
	return m
}

// stripes is the number of cache lines the hot counters are spread over.
const stripes = 16

// readCounters are the counters every read updates, striped so that
// readers on different cores rarely write one cache line: a Get picks a
// stripe from its key, other readers from the page id.
type readCounters struct {
	s [stripes]struct {
		gets, hits, misses atomic.Uint64
		_                  [40]byte
	}
}

// stripeOf returns a stripe for key: a cheap mix of its length and its
// first and last bytes.
func stripeOf(key []byte) int {
	var h uint64 = uint64(len(key))
	if n := len(key); n > 0 {
		h = h*31 + uint64(key[0])
		h = h*31 + uint64(key[n-1])
		h = h*31 + uint64(key[n/2])
	}
	return int((h * 0x9e3779b97f4a7c15) >> 60)
}

func (r *readCounters) add(stripe int, gets, hits, misses uint64) {
	s := &r.s[stripe&(stripes-1)]
	if gets != 0 {
		s.gets.Add(gets)
	}
	if hits != 0 {
		s.hits.Add(hits)
	}
	if misses != 0 {
		s.misses.Add(misses)
	}
}

func (r *readCounters) sum() (gets, hits, misses uint64) {
	for i := range r.s {
		gets += r.s[i].gets.Load()
		hits += r.s[i].hits.Load()
		misses += r.s[i].misses.Load()
	}
	return
}
