package lsm

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/engine/vfs/errorfs"
)

// crashPoint is a crash clone taken just before one FS operation.
type crashPoint struct {
	fs             *vfs.MemFS
	acked, started int64 // writes acknowledged before, and started after, the clone
	op             errorfs.Op
}

// cloner is an errorfs injector that fails nothing: before every every-th
// operation it takes a crash clone of the disk (keeping only synced data),
// so a test can check that recovery works wherever a crash strikes —
// inside a flush, a compaction, a MANIFEST rotation, a WAL rotation.
type cloner struct {
	mem            *vfs.MemFS
	every          int64
	acked, started atomic.Int64
	on             atomic.Bool
	mu             sync.Mutex
	points         []crashPoint
}

func (c *cloner) MaybeError(op errorfs.Op) error {
	if !c.on.Load() || op.Index%c.every != 0 {
		return nil
	}
	a := c.acked.Load()
	clone := c.mem.CrashClone(vfs.CrashOptions{})
	s := c.started.Load()
	c.mu.Lock()
	c.points = append(c.points, crashPoint{clone, a, s, op})
	c.mu.Unlock()
	return nil
}

// TestCrashEverywhere runs a workload of Sync writes that flushes, compacts
// and rewrites its MANIFEST many times, crash-clones the disk before every
// every-th FS operation (foreground and background), and recovers each
// clone: it must show exactly the writes acknowledged before the clone,
// plus possibly the one in flight.
func TestCrashEverywhere(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 11))
	nwrites, every := 1500, int64(3)
	if testing.Short() {
		nwrites, every = 600, 5
	}
	mem := vfs.NewMem()
	cl := &cloner{mem: mem, every: every}
	fs := errorfs.Wrap(mem, cl)
	// Odd seeds write tables through the block pipeline.
	extra := map[string]string{"lsm.manifest_size": "512", "lsm.block_workers": fmt.Sprint(seed % 2 * 2)}
	t.Logf("lsm.block_workers=%s", extra["lsm.block_workers"])
	d := mustOpen(t, "db", smallOptions(t, fs, extra))
	var history []op
	cl.on.Store(true)
	for i := range nwrites {
		o := randOp(rng, i, 300, 1600)
		history = append(history, o)
		cl.started.Add(1)
		if err := o.do(d, true); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		cl.acked.Add(1)
		if i%500 == 499 {
			if err := d.Compact(); err != nil {
				t.Fatalf("Compact: %v", err)
			}
		}
	}
	cl.on.Store(false)
	met := d.Metrics()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d crash points; %d flushes, %d compactions, %v MANIFEST rotations",
		len(cl.points), met.Flushes, met.Compactions, met.Extra["lsm.manifest.rotations"])
	if met.Flushes < 5 || met.Compactions < 3 || met.Extra["lsm.manifest.rotations"] < 1 {
		t.Fatalf("the workload did not exercise flushes, compactions and MANIFEST rotations: %v", met)
	}

	probe := make([]string, 300)
	for i := range probe {
		probe[i] = fmt.Sprintf("key%05d", i)
	}
	states := []model{{}}
	for _, o := range history {
		m := states[len(states)-1].clone()
		o.apply(m)
		states = append(states, m)
	}
	for _, p := range cl.points {
		d, err := Open("db", smallOptions(t, p.fs, extra))
		if err != nil {
			t.Fatalf("crash before %v (acked %d): Open: %v", p.op, p.acked, err)
		}
		var diffs []string
		for k := p.acked; k <= p.started; k++ {
			diff, err := diffState(d, states[k], probe)
			if err != nil {
				t.Fatalf("crash before %v: reading: %v", p.op, err)
			}
			if diff == "" {
				diffs = nil
				break
			}
			diffs = append(diffs, fmt.Sprintf("as after %d writes: %s", k, diff))
		}
		if diffs != nil {
			t.Fatalf("crash before %v (writes acked %d, started %d): recovered state matches no valid prefix:\n%v", p.op, p.acked, p.started, diffs)
		}
		if err := d.Close(); err != nil {
			t.Fatalf("crash before %v: Close: %v", p.op, err)
		}
	}
}
