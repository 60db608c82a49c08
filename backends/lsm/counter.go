package lsm

import (
	"runtime"
	"sync/atomic"
	_ "unsafe" // for go:linkname
)

// The runtime's per-P pinning, as used by sync.Pool: procPin disables
// preemption and returns the current P's id; procUnpin re-enables it. The
// runtime keeps both linkable (go.dev/issue/67401).
//
//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

// readCounters are the counters of the read path, sharded per P so that
// concurrent Gets on different cores write different cache lines. Adds
// are atomic: a sum is exact for every Add that returned before it.
type readCounters struct {
	shards []readShard
}

// readShard is padded to 128 bytes (two cache lines: adjacent lines are
// prefetched together on common x86 parts).
type readShard struct {
	gets, tables, rowHits atomic.Uint64
	_                     [128 - 24]byte
}

func newReadCounters() readCounters {
	return readCounters{shards: make([]readShard, runtime.GOMAXPROCS(0))}
}

// add counts one Get that consulted tables tables and hit the row cache
// if rowHit.
func (c *readCounters) add(tables int, rowHit bool) {
	p := procPin()
	s := &c.shards[uint(p)%uint(len(c.shards))]
	s.gets.Add(1)
	if tables > 0 {
		s.tables.Add(uint64(tables))
	}
	if rowHit {
		s.rowHits.Add(1)
	}
	procUnpin()
}

// sums returns the totals.
func (c *readCounters) sums() (gets, tables, rowHits uint64) {
	for i := range c.shards {
		s := &c.shards[i]
		gets += s.gets.Load()
		tables += s.tables.Load()
		rowHits += s.rowHits.Load()
	}
	return gets, tables, rowHits
}
