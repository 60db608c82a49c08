// Package percpu holds counters sharded per P (the runtime's processors,
// at most GOMAXPROCS running at once), so that goroutines on different
// cores that count the same thing write different cache lines: an atomic
// add on a line another core just wrote costs a cache-line transfer, which
// on the read path of a storage engine can cost more than the read.
//
// Counters are sums of per-shard atomic counters. RefCount is a reference
// count built the same way, for objects that many readers pin briefly and
// that are freed once retired and unpinned.
//
// Shards are chosen by the current P, read with the runtime's procPin
// (what sync.Pool uses; the runtime keeps it linkable, go.dev/issue/67401).
// A goroutine may move to another P between two calls: that only changes
// which shard it writes, never a sum.
//
// Stable only at v1.
package percpu

import (
	"runtime"
	"sync/atomic"
	_ "unsafe" // for go:linkname
)

//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

// shardIndex returns the shard of the current P among n.
func shardIndex(n int) int {
	p := procPin()
	procUnpin()
	return int(uint(p) % uint(n))
}

// shards returns the number of shards to use: GOMAXPROCS at creation,
// capped so that an object with per-P counters stays small.
func shards() int { return min(max(runtime.GOMAXPROCS(0), 1), maxShards) }

// maxShards caps the shards of one object. Ps beyond it share shards.
const maxShards = 64

// MaxCounters is the number of counters a Counters holds.
const MaxCounters = 14

// counterShard is one P's counters: 14 words and a 16-byte gap before the
// next shard's, so that no 64-byte line holds counters of two shards
// whatever the alignment of the array (128 bytes per shard).
type counterShard struct {
	c [MaxCounters]atomic.Uint64
	_ [16]byte
}

// Counters is a set of MaxCounters uint64 counters, numbered from 0,
// sharded per P. Add is exact: Sum includes every Add that returned
// before it started. The zero value is not usable; call NewCounters. All
// methods are safe for concurrent use.
type Counters struct {
	shards []counterShard
}

// NewCounters returns zeroed counters.
func NewCounters() *Counters { return &Counters{shards: make([]counterShard, shards())} }

// Add adds delta to counter i (0 <= i < MaxCounters).
func (c *Counters) Add(i int, delta uint64) {
	c.shards[shardIndex(len(c.shards))].c[i].Add(delta)
}

// Sum returns the total of counter i.
func (c *Counters) Sum(i int) uint64 {
	var t uint64
	for s := range c.shards {
		t += c.shards[s].c[i].Load()
	}
	return t
}
