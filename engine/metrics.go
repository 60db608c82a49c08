package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Metrics is a point-in-time copy of an engine's counters. Fields a backend
// does not track stay zero; backend-specific figures go in Extra.
type Metrics struct {
	// Backend is the registered name of the backend.
	Backend string
	// Checksum names the checksum implementation in use, e.g.
	// "crc32c/sse4.2" or "crc32c/portable".
	Checksum string

	// Operation counts since Open.
	Gets, Sets, Deletes, Batches, Iterators uint64

	// UserBytesWritten counts key and value bytes accepted by writes.
	UserBytesWritten uint64
	// WALBytes counts bytes appended to the write-ahead log.
	WALBytes uint64
	// DiskBytesWritten counts bytes written to data files (flushes,
	// compactions, checkpoints), excluding the WAL.
	DiskBytesWritten uint64
	// DiskSize is the current size of the engine's live files.
	DiskSize uint64

	// Block/page cache.
	CacheHits, CacheMisses uint64
	CacheBytes             uint64

	// ReadAmp is files or pages touched per Get (average); WriteAmp is
	// (WALBytes + DiskBytesWritten) / UserBytesWritten.
	ReadAmp, WriteAmp float64

	// Background work.
	Flushes, Compactions uint64
	// Write stalls: how many writes waited for background work, and how long.
	Stalls    uint64
	StallTime time.Duration

	// MemTableBytes is the memory held by memtables or dirty pages.
	MemTableBytes uint64

	// Extra holds backend-specific figures by name ("lsm.l0.files").
	Extra map[string]float64
}

// CacheHitRatio returns hits/(hits+misses), or 0 with no lookups.
func (m Metrics) CacheHitRatio() float64 {
	if t := m.CacheHits + m.CacheMisses; t > 0 {
		return float64(m.CacheHits) / float64(t)
	}
	return 0
}

// String renders the metrics one "name value" pair per line, in a fixed
// order, for logs and reports.
func (m Metrics) String() string {
	var sb strings.Builder
	p := func(name string, v any) { fmt.Fprintf(&sb, "%-22s %v\n", name, v) }
	p("backend", m.Backend)
	p("checksum", m.Checksum)
	p("gets", m.Gets)
	p("sets", m.Sets)
	p("deletes", m.Deletes)
	p("batches", m.Batches)
	p("iterators", m.Iterators)
	p("user_bytes_written", m.UserBytesWritten)
	p("wal_bytes", m.WALBytes)
	p("disk_bytes_written", m.DiskBytesWritten)
	p("disk_size", m.DiskSize)
	p("cache_hits", m.CacheHits)
	p("cache_misses", m.CacheMisses)
	p("cache_hit_ratio", fmt.Sprintf("%.4f", m.CacheHitRatio()))
	p("cache_bytes", m.CacheBytes)
	p("read_amp", fmt.Sprintf("%.3f", m.ReadAmp))
	p("write_amp", fmt.Sprintf("%.3f", m.WriteAmp))
	p("flushes", m.Flushes)
	p("compactions", m.Compactions)
	p("stalls", m.Stalls)
	p("stall_time", m.StallTime)
	p("memtable_bytes", m.MemTableBytes)
	for _, k := range slices.Sorted(maps.Keys(m.Extra)) {
		p(k, m.Extra[k])
	}
	return sb.String()
}
