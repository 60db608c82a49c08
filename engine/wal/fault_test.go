package wal

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/engine/vfs/errorfs"
)

// A failed fsync fails every waiting writer, and the log refuses
// everything afterwards; what was acknowledged survives a crash.
func TestFailedSyncIsSticky(t *testing.T) {
	for _, kind := range []errorfs.OpKind{errorfs.OpSync, errorfs.OpWrite} {
		t.Run(kind.String(), func(t *testing.T) {
			mem := vfs.NewMem()
			fs := errorfs.Wrap(mem, errorfs.OpKinds(errorfs.Nth(5), kind))
			l := mustOpen(t, fs, Options{SyncInterval: -1})
			const writers = 16
			var mu sync.Mutex
			acked := map[[2]int]bool{}
			var failures []error
			var wg sync.WaitGroup
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; i < 1000; i++ {
						_, err := l.WriteRecord(rec(w, i, 200), true)
						mu.Lock()
						if err != nil {
							failures = append(failures, err)
							mu.Unlock()
							return
						}
						acked[[2]int{w, i}] = true
						mu.Unlock()
					}
					t.Errorf("writer %d: no failure in 1000 writes", w)
				}(w)
			}
			wg.Wait()
			if len(failures) != writers {
				t.Fatalf("%d writers failed, want %d", len(failures), writers)
			}
			for _, err := range failures {
				if !errors.Is(err, ErrFailed) || !errors.Is(err, errorfs.ErrInjected) {
					t.Fatalf("writer error %v does not wrap ErrFailed and the injected error", err)
				}
			}
			if _, err := l.WriteRecord([]byte("late"), false); !errors.Is(err, ErrFailed) {
				t.Fatalf("WriteRecord after failure: %v", err)
			}
			if err := l.Sync(); !errors.Is(err, ErrFailed) {
				t.Fatalf("Sync after failure: %v", err)
			}
			if _, err := l.Rotate(); !errors.Is(err, ErrFailed) {
				t.Fatalf("Rotate after failure: %v", err)
			}
			if err := l.DeleteObsolete(1); !errors.Is(err, ErrFailed) {
				t.Fatalf("DeleteObsolete after failure: %v", err)
			}
			if err := l.Close(); !errors.Is(err, ErrFailed) {
				t.Fatalf("Close after failure: %v", err)
			}
			got, _ := replayAll(t, mem.CrashClone(vfs.CrashOptions{}))
			seen := map[[2]int]bool{}
			next := make([]int, writers)
			for _, r := range got {
				w, s := recID(r.payload)
				if s != next[w] {
					t.Fatalf("writer %d: seq %d after %d", w, s, next[w]-1)
				}
				next[w]++
				seen[[2]int{w, s}] = true
			}
			for k := range acked {
				if !seen[k] {
					t.Fatalf("acknowledged record %v lost", k)
				}
			}
			t.Logf("%d acknowledged, %d durable", len(acked), len(got))
		})
	}
}

// sweepWorkload opens a log, writes synced records with a rotation and a
// deletion of obsolete segments, and closes it, stopping at the first
// failure. It returns the records acknowledged and the first error.
func sweepWorkload(fs vfs.FS) (acked [][]byte, all [][]byte, err error) {
	l, err := Open(fs, dir, Options{SegmentSize: MinSegmentSize, SyncInterval: -1, RecycleSegments: 1})
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if cerr := l.Close(); err == nil {
			err = cerr
		}
	}()
	for i := 0; i < 60; i++ {
		p := rec(9, i, 3000)
		all = append(all, p)
		if _, err := l.WriteRecord(p, true); err != nil {
			return acked, all, err
		}
		acked = append(acked, p)
		switch i {
		case 20:
			if _, err := l.Rotate(); err != nil {
				return acked, all, err
			}
		case 40:
			if err := l.DeleteObsolete(l.CurrentSegment()); err != nil {
				return acked, all, err
			}
		}
	}
	return acked, all, nil
}

// TestFaultSweep fails each file operation of a workload in turn and
// checks that the failure is reported, that a crash afterwards keeps a
// prefix of the log with every acknowledged record after the last
// deletion, and that the crashed log reopens and goes on.
func TestFaultSweep(t *testing.T) {
	counter := &errorfs.Counter{}
	if _, _, err := sweepWorkload(errorfs.Wrap(vfs.NewMem(), counter)); err != nil {
		t.Fatal(err)
	}
	total := counter.Count()
	t.Logf("workload does %d operations", total)
	for n := int64(0); n < total; n++ {
		mem := vfs.NewMem()
		acked, all, err := sweepWorkload(errorfs.Wrap(mem, errorfs.OnIndex(n)))
		if !errors.Is(err, errorfs.ErrInjected) {
			t.Fatalf("op %d: failure not reported: %v", n, err)
		}
		crashed := mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 50, Seed: n})
		got, _ := replayAll(t, crashed)
		// The log is a run of consecutive records ending at or after the
		// last acknowledged one (a deletion may have removed a prefix).
		if len(got) > 0 {
			_, first := recID(got[0].payload)
			for i, r := range got {
				if !bytes.Equal(r.payload, all[first+i]) {
					t.Fatalf("op %d: record %d is not record %d of the workload", n, i, first+i)
				}
			}
			if first+len(got) < len(acked) {
				t.Fatalf("op %d: log ends at record %d, %d were acknowledged", n, first+len(got), len(acked))
			}
		} else if len(acked) > 0 {
			t.Fatalf("op %d: no records survive, %d were acknowledged", n, len(acked))
		}
		l, err := Open(crashed, dir, Options{})
		if err != nil {
			t.Fatalf("op %d: reopening after the failure: %v", n, err)
		}
		if _, err := l.WriteRecord([]byte("after"), true); err != nil {
			t.Fatalf("op %d: %v", n, err)
		}
		if err := l.Close(); err != nil {
			t.Fatalf("op %d: %v", n, err)
		}
		again, _ := replayAll(t, crashed)
		if len(again) != len(got)+1 || string(again[len(again)-1].payload) != "after" {
			t.Fatalf("op %d: %d records after reopening, want %d", n, len(again), len(got)+1)
		}
	}
}

// Close while sync writers wait for an fsync, and while others wait for
// room in the pending buffer: the sync writers admitted before Close get
// their records made durable and succeed, the blocked ones get ErrClosed,
// and the log replays exactly the records whose writers succeeded.
func TestCloseWhileWritersWait(t *testing.T) {
	gate := make(chan struct{})
	mem := vfs.NewMem()
	l := mustOpen(t, gateFS(mem, gate), Options{SyncInterval: -1, MaxPending: 2048})
	const writers = 12
	type result struct {
		p   []byte
		err error
	}
	results := make(chan result, writers)
	for w := range writers {
		go func() {
			p := rec(w, 0, 1000)
			_, err := l.WriteRecord(p, true)
			results <- result{p, err}
		}()
	}
	// Wait until some writers are admitted (their first fsync is held at
	// the gate) and the rest are blocked on the pending bound.
	deadline := time.Now().Add(30 * time.Second)
	for l.Metrics().Records < 2 {
		if time.Now().After(deadline) {
			t.Fatal("writers not admitted")
		}
		time.Sleep(time.Millisecond)
	}
	closed := make(chan error)
	go func() { closed <- l.Close() }()
	for {
		l.mu.Lock()
		c := l.closed
		l.mu.Unlock()
		if c {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(gate)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	var ok [][]byte
	for range writers {
		r := <-results
		switch {
		case r.err == nil:
			ok = append(ok, r.p)
		case !errors.Is(r.err, ErrClosed):
			t.Fatalf("writer: %v, want success or ErrClosed", r.err)
		}
	}
	got, st := replayAll(t, mem.CrashClone(vfs.CrashOptions{}))
	if st.Torn || len(got) != len(ok) {
		t.Fatalf("%d records durable (torn %v), %d writers succeeded", len(got), st.Torn, len(ok))
	}
	for _, p := range ok {
		found := false
		for _, r := range got {
			found = found || bytes.Equal(r.payload, p)
		}
		if !found {
			t.Fatal("a successful writer's record is missing")
		}
	}
	t.Logf("%d of %d writers admitted before Close", len(ok), writers)
}
