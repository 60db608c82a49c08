package percpu

import "sync/atomic"

// refShard is one P's count of holders, alone on its cache lines.
type refShard struct {
	_ [56]byte
	n atomic.Int64
	_ [64]byte
}

// RefCount counts the holders of an object that is pinned and unpinned
// often and by many goroutines (a read state, an open table), and says
// when it may be freed: once it is retired (no new holder can find it)
// and every holder has let go. Pinning writes only the current P's shard.
//
// Protocol. A holder finds the object through some shared place (an
// atomic pointer, a map), calls Acquire, and then checks that the object
// is still there (or that Retired is false): if not, it calls Release
// and looks again. The owner first removes the object from that place,
// then calls Retire. Whoever's Retire or Release returns true frees the
// object: that happens exactly once, after Retire and after every
// holder's Release.
//
// Why it is exact although a sum over shards is not one atomic read: each
// holder increments and decrements the same shard, so no shard goes
// negative; a holder that acquired before the object was removed is
// counted in its shard until it releases; one that acquired after sees
// the removal and releases at once. The last decrement (in the order of
// the atomic operations) is followed by a sum that sees every other
// decrement, made by Retire's caller or by a Release that finds the
// object retired; a flag makes only one of them win.
//
// The zero value is not usable; call NewRefCount.
type RefCount struct {
	shards  []refShard
	retired atomic.Bool
	freed   atomic.Bool
}

// NewRefCount returns a count with no holders, not retired.
func NewRefCount() *RefCount { return &RefCount{shards: make([]refShard, shards())} }

// Acquire adds a holder and returns the shard to hand to Release.
func (r *RefCount) Acquire() int {
	s := shardIndex(len(r.shards))
	r.shards[s].n.Add(1)
	return s
}

// Release drops a holder taken by Acquire on shard s. It returns true if
// the caller must now free the object.
func (r *RefCount) Release(s int) bool {
	r.shards[s].n.Add(-1)
	if !r.retired.Load() {
		return false
	}
	return r.tryFree()
}

// Retire marks the object unreachable for new holders. It returns true if
// no holder is left: the caller must then free the object. A second
// Retire returns false.
func (r *RefCount) Retire() bool {
	if r.retired.Swap(true) {
		return false
	}
	return r.tryFree()
}

// Retired reports whether Retire was called.
func (r *RefCount) Retired() bool { return r.retired.Load() }

// Holders returns the number of holders now (a racy sum: for metrics and
// tests).
func (r *RefCount) Holders() int64 {
	var t int64
	for i := range r.shards {
		t += r.shards[i].n.Load()
	}
	return t
}

func (r *RefCount) tryFree() bool {
	if r.Holders() != 0 {
		return false
	}
	return r.freed.CompareAndSwap(false, true)
}
