package memengine

import (
	"runtime"
	"sync/atomic"
	_ "unsafe" // for go:linkname
)

// procPin and procUnpin are the runtime's functions behind sync.Pool's
// per-P caches: procPin disables preemption and returns the id of the
// current P (logical processor); procUnpin re-enables preemption. The
// runtime keeps them linkable on purpose (go.dev/issue/67401).
//
//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

// perPCounter is a counter for hot read paths, sharded per P: each Add
// writes the shard of the P running it, so concurrent readers on different
// cores write different cache lines and no line moves between cores. Adds
// are atomic, so Load (the sum of the shards) is exact for every Add that
// returned before it, and a P id beyond the shards (GOMAXPROCS raised after
// Open) just shares a shard.
type perPCounter struct {
	shards []shard
}

// shard is padded to 128 bytes: two cache lines, because neighbouring
// lines are prefetched together on common x86 parts.
type shard struct {
	n atomic.Uint64
	_ [120]byte
}

func newPerPCounter() *perPCounter {
	return &perPCounter{shards: make([]shard, runtime.GOMAXPROCS(0))}
}

// Add adds one.
func (c *perPCounter) Add() {
	p := procPin()
	c.shards[uint(p)%uint(len(c.shards))].n.Add(1)
	procUnpin()
}

// Load returns the sum of the shards.
func (c *perPCounter) Load() uint64 {
	var s uint64
	for i := range c.shards {
		s += c.shards[i].n.Load()
	}
	return s
}
