package commit

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lightningdb/lightning/internal/testseed"
)

// visibleChecker is the visible sequence number; each Store checks that
// it only advances and never past a commit whose batch is not finished.
type visibleChecker struct {
	t        *testing.T
	v        atomic.Uint64
	finished []atomic.Bool // by sequence number: inserted, Finish called
	stores   atomic.Int64
	early    atomic.Int64 // Finish calls made while an earlier commit was unfinished
}

func (c *visibleChecker) Store(v uint64) {
	c.stores.Add(1)
	old := c.v.Load()
	if v <= old {
		c.t.Errorf("visible moved from %d to %d", old, v)
	}
	for s := old + 1; s <= v; s++ {
		if !c.finished[s].Load() {
			c.t.Errorf("visible moved to %d past unfinished sequence number %d", v, s)
			break
		}
	}
	c.v.Store(v)
}

// TestPublisherOrder runs writers that enqueue under a mutex, in sequence
// order, and finish in any order: the visible sequence number never passes
// an unfinished commit, every Finish returns with its own commit visible,
// and it ends at the last commit.
func TestPublisherOrder(t *testing.T) {
	seed := testseed.Seed(t)
	const writers = 8
	commits := 2000
	if testing.Short() {
		commits = 500
	}
	var (
		p       Publisher
		mu      sync.Mutex
		nextSeq uint64 = 1
	)
	vis := &visibleChecker{t: t, finished: make([]atomic.Bool, writers*commits*4+1)}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			for range commits {
				count := uint64(1 + r.IntN(4))
				mu.Lock()
				first := nextSeq
				last := first + count - 1
				nextSeq = last + 1
				c := p.Enqueue(last)
				mu.Unlock()
				// "Inserting": sometimes long enough for later commits to
				// finish first.
				if r.IntN(8) == 0 {
					time.Sleep(time.Duration(r.IntN(50)) * time.Microsecond)
				} else {
					runtime.Gosched()
				}
				if vis.v.Load() < first-1 {
					vis.early.Add(1)
				}
				for s := first; s <= last; s++ {
					vis.finished[s].Store(true)
				}
				p.Finish(c, vis)
				if v := vis.v.Load(); v < last {
					t.Errorf("Finish of the commit ending at %d returned with visible %d", last, v)
					return
				}
			}
		}()
	}
	wg.Wait()
	if v := vis.v.Load(); v != nextSeq-1 {
		t.Errorf("visible ends at %d, want the last sequence number %d", v, nextSeq-1)
	}
	t.Logf("%d commits, %d stores, %d finished before an earlier one", writers*commits, vis.stores.Load(), vis.early.Load())
}
