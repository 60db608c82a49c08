package lsm

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/lightningdb/lightning/backends/lsm/internal/manifest"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/checksum"
	"github.com/lightningdb/lightning/engine/commit"
)

// stats are the DB's counters since Open.
type stats struct {
	stalls, stallNanos                    atomic.Uint64
	flushes, flushBytes                   atomic.Uint64
	compactions, moves                    atomic.Uint64
	readCompactions                       atomic.Uint64 // level-0 compactions asked for by read pressure
	compactBytesRead, compactBytesWritten atomic.Uint64
	compactDropped                        atomic.Uint64 // entries dropped by compactions
	grandparentCuts                       atomic.Uint64 // outputs cut by the grandparent overlap limit
	manifestRotations                     atomic.Uint64
}

// Metrics returns a point-in-time copy of the DB's counters. Besides the
// engine.Metrics fields it fills Extra with:
//
//	lsm.l<N>.files, lsm.l<N>.bytes       files and bytes per level
//	lsm.memtables.immutable              full memtables waiting for flush
//	lsm.bloom.checked, lsm.bloom.useful  filter probes, and probes that
//	                                     answered "absent" alone
//	lsm.cache.hit_ratio                  block cache hits / lookups
//	lsm.row_cache.hits                   Gets served by the row cache
//	lsm.tables.open                      tables in the table cache
//	lsm.index.pinned_bytes               index blocks pinned in open tables
//	lsm.flush.bytes                      bytes of tables written by flushes
//	lsm.compaction.bytes_read,
//	lsm.compaction.bytes_written         bytes in and out of compactions
//	lsm.compaction.moves                 files moved down without rewriting
//	lsm.compaction.read_triggered        level-0 compactions below the file-count
//	                                     trigger, asked for by read pressure
//	lsm.compaction.dropped               entries compactions dropped
//	lsm.compaction.grandparent_cuts      outputs ended early by the
//	                                     grandparent overlap limit
//	lsm.compaction.running               compactions in progress
//	lsm.snapshots                        open snapshots
//	lsm.manifest.rotations               MANIFEST rewrites
//	lsm.wal.syncs, lsm.wal.records_per_sync  WAL fsyncs and group commit
//
// Metrics is safe to call at any time, also after Close.
func (d *DB) Metrics() engine.Metrics {
	s := &d.stats
	gets, tables, rowHits := d.ops.sum(opGets), d.ops.sum(opTables), d.ops.sum(opRowHits)
	rs := d.rstats.Counts()
	m := engine.Metrics{
		Backend:          "lsm",
		Checksum:         checksum.Implementation(d.wopts.Checksum),
		Gets:             gets,
		Sets:             d.ops.sum(opSets),
		Deletes:          d.ops.sum(opDeletes),
		Batches:          d.ops.sum(opBatches),
		Iterators:        d.ops.sum(opIterators),
		UserBytesWritten: d.ops.sum(opUserBytes),
		DiskBytesWritten: s.flushBytes.Load() + s.compactBytesWritten.Load(),
		CacheHits:        rs.CacheHits,
		CacheMisses:      rs.CacheMisses,
		Flushes:          s.flushes.Load(),
		Compactions:      s.compactions.Load() + s.moves.Load(),
		Stalls:           s.stalls.Load(),
		StallTime:        time.Duration(s.stallNanos.Load()),
		Extra:            map[string]float64{},
	}
	if d.wal != nil {
		wm := d.wal.Metrics()
		m.WALBytes = wm.Bytes
		m.Extra["lsm.wal.syncs"] = float64(wm.Syncs)
		m.Extra["lsm.wal.records_per_sync"] = wm.RecordsPerSync()
	}
	if m.Gets > 0 {
		m.ReadAmp = float64(tables) / float64(m.Gets)
	}
	if m.UserBytesWritten > 0 {
		m.WriteAmp = float64(m.WALBytes+m.DiskBytesWritten) / float64(m.UserBytesWritten)
	}
	cm := d.bcache.Metrics()
	m.CacheBytes = uint64(cm.BytesUsed)
	m.Extra["lsm.cache.hit_ratio"] = m.CacheHitRatio()
	m.Extra["lsm.row_cache.hits"] = float64(rowHits)
	m.Extra["lsm.bloom.checked"] = float64(rs.FilterChecks)
	m.Extra["lsm.bloom.useful"] = float64(rs.FilterUseful)
	m.Extra["lsm.flush.bytes"] = float64(s.flushBytes.Load())
	m.Extra["lsm.compaction.bytes_read"] = float64(s.compactBytesRead.Load())
	m.Extra["lsm.compaction.bytes_written"] = float64(s.compactBytesWritten.Load())
	m.Extra["lsm.compaction.moves"] = float64(s.moves.Load())
	m.Extra["lsm.compaction.read_triggered"] = float64(s.readCompactions.Load())
	m.Extra["lsm.compaction.dropped"] = float64(s.compactDropped.Load())
	m.Extra["lsm.compaction.grandparent_cuts"] = float64(s.grandparentCuts.Load())
	m.Extra["lsm.manifest.rotations"] = float64(s.manifestRotations.Load())
	m.Extra["lsm.tables.open"] = float64(d.tc.open())
	m.Extra["lsm.index.pinned_bytes"] = float64(d.tc.opts.IndexBudget.Used())

	d.mu.Lock()
	v := d.current
	mems := append([]*commit.Table{d.mem}, d.imms...)
	m.Extra["lsm.memtables.immutable"] = float64(len(d.imms))
	m.Extra["lsm.compaction.running"] = float64(d.compacting)
	m.Extra["lsm.snapshots"] = float64(len(d.snapshots))
	var manifestSize int64
	if d.man != nil {
		manifestSize = d.man.Size()
	}
	d.mu.Unlock()
	for _, mt := range mems {
		m.MemTableBytes += uint64(mt.Skiplist().Size())
	}
	m.DiskSize = uint64(manifestSize)
	for level := range manifest.NumLevels {
		files, bytes := len(v.Levels[level]), v.LevelSize(level)
		m.DiskSize += bytes
		m.Extra[fmt.Sprintf("lsm.l%d.files", level)] = float64(files)
		m.Extra[fmt.Sprintf("lsm.l%d.bytes", level)] = float64(bytes)
	}
	return m
}
