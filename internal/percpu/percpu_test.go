package percpu

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

func TestCountersSum(t *testing.T) {
	c := NewCounters()
	const goroutines, adds = 8, 10000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range adds {
				c.Add(g%MaxCounters, 1)
				c.Add(MaxCounters-1, uint64(i&1))
				if i%100 == 0 {
					runtime.Gosched() // move between Ps
				}
			}
		}()
	}
	wg.Wait()
	for i := range MaxCounters - 1 {
		want := uint64(0)
		for g := range goroutines {
			if g%MaxCounters == i {
				want += adds
			}
		}
		if got := c.Sum(i); got != want {
			t.Errorf("counter %d = %d, want %d", i, got, want)
		}
	}
	if got, want := c.Sum(MaxCounters-1), uint64(goroutines*adds/2); got != want {
		t.Errorf("last counter = %d, want %d", got, want)
	}
}

func TestRefCountSequential(t *testing.T) {
	for _, tc := range []struct {
		name string
		ops  string // a: acquire, r: release (last acquired), R: retire
		free int    // index of the op that must return true; -1: none
	}{
		{"retire alone", "R", 0},
		{"retire twice", "RR", 0},
		{"holder releases after retire", "aR r", 3},
		{"two holders", "aaRrr", 4},
		{"release before retire", "arR", 2},
		{"never retired", "aarr", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRefCount()
			var held []int
			for i, op := range tc.ops {
				var got bool
				switch op {
				case 'a':
					held = append(held, r.Acquire())
				case 'r':
					got = r.Release(held[len(held)-1])
					held = held[:len(held)-1]
				case 'R':
					got = r.Retire()
				default:
					continue
				}
				if got != (i == tc.free) {
					t.Fatalf("op %d (%c) returned %v", i, op, got)
				}
			}
		})
	}
}

// TestRefCountConcurrent swaps a current object while readers pin it the
// way the protocol says, and checks that no object is freed while pinned
// and that every retired object is freed exactly once.
func TestRefCountConcurrent(t *testing.T) {
	type obj struct {
		rc    *RefCount
		freed atomic.Int32
	}
	var cur atomic.Pointer[obj]
	cur.Store(&obj{rc: NewRefCount()})
	var frees, retired atomic.Int64
	free := func(o *obj) {
		if o.freed.Add(1) != 1 {
			t.Error("object freed twice")
		}
		frees.Add(1)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				o := cur.Load()
				s := o.rc.Acquire()
				if cur.Load() != o {
					if o.rc.Release(s) {
						free(o)
					}
					continue
				}
				if o.freed.Load() != 0 {
					t.Error("pinned object was freed")
				}
				runtime.Gosched()
				if o.freed.Load() != 0 {
					t.Error("pinned object was freed")
				}
				if o.rc.Release(s) {
					free(o)
				}
			}
		}()
	}
	n := 3000
	if testing.Short() {
		n = 500
	}
	for range n {
		old := cur.Swap(&obj{rc: NewRefCount()})
		retired.Add(1)
		if old.rc.Retire() {
			free(old)
		}
		runtime.Gosched()
	}
	close(stop)
	wg.Wait()
	if frees.Load() != retired.Load() {
		t.Errorf("%d objects retired, %d freed", retired.Load(), frees.Load())
	}
}

func BenchmarkRefCount(b *testing.B) {
	r := NewRefCount()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Release(r.Acquire())
		}
	})
}

func BenchmarkCounters(b *testing.B) {
	c := NewCounters()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Add(0, 1)
		}
	})
}
