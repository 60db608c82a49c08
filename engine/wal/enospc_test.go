package wal

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/engine/vfs/errorfs"
)

// diskFull fails every write, file creation and rename from the n-th write
// on with syscall.ENOSPC, as a device that filled up and stays full.
func diskFull(n int64) errorfs.Injector {
	var writes sync.Mutex
	seen := int64(0)
	full := false
	return errorfs.InjectorFunc(func(op errorfs.Op) error {
		switch op.Kind {
		case errorfs.OpWrite, errorfs.OpWriteAt, errorfs.OpCreate, errorfs.OpRename:
		default:
			return nil
		}
		writes.Lock()
		defer writes.Unlock()
		if op.Kind == errorfs.OpWrite || op.Kind == errorfs.OpWriteAt {
			if seen == n {
				full = true
			}
			seen++
		}
		if full {
			return syscall.ENOSPC
		}
		return nil
	})
}

// When the disk fills up, writers get a clear error (ErrFailed wrapping
// ENOSPC), the log refuses further writes, no acknowledged synced record is
// lost, and once space is back the log reopens where it ended.
func TestDiskFull(t *testing.T) {
	for _, n := range []int64{0, 1, 2, 5, 17, 40} {
		t.Run(fmt.Sprint("write", n), func(t *testing.T) {
			mem := vfs.NewMem()
			toggle := errorfs.NewToggle(diskFull(n))
			fs := errorfs.Wrap(mem, toggle)
			l := mustOpen(t, fs, Options{SegmentSize: MinSegmentSize, SyncInterval: -1})
			const writers = 8
			var mu sync.Mutex
			var acked []replayed
			var failures []error
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						p := rec(w, i, 1500)
						pos, err := l.WriteRecord(p, i%2 == 0)
						mu.Lock()
						if err != nil {
							failures = append(failures, err)
							mu.Unlock()
							return
						}
						if i%2 == 0 {
							acked = append(acked, replayed{pos, p})
						}
						mu.Unlock()
						if i%25 == 24 && w == 0 {
							if _, err := l.Rotate(); err != nil {
								mu.Lock()
								failures = append(failures, err)
								mu.Unlock()
								return
							}
						}
					}
				}()
			}
			wg.Wait()
			for _, err := range failures {
				if !errors.Is(err, ErrFailed) || !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("writer error %v: want ErrFailed wrapping ENOSPC", err)
				}
			}
			if err := l.Close(); !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Close: %v, want the ENOSPC failure", err)
			}
			// Power fails while the disk is full: every acknowledged synced
			// record survives, in a prefix of the log.
			crashed := mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 50, Seed: n})
			got, _ := replayAll(t, crashed)
			checkAcked(t, got, acked)
			t.Logf("%d synced records acknowledged, %d survive the crash", len(acked), len(got))

			// Reopening on the still-full disk fails clearly (sealing the
			// last segment needs a write) or works; either way nothing is
			// lost. Then space is freed and the log goes on.
			if l2, err := Open(fs, dir, Options{}); err == nil {
				l2.Close()
			} else if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Open on a full disk: %v, want ENOSPC", err)
			}
			toggle.Enable(false)
			l2 := mustOpen(t, fs, Options{})
			if _, err := l2.WriteRecord([]byte("after"), true); err != nil {
				t.Fatal(err)
			}
			if err := l2.Close(); err != nil {
				t.Fatal(err)
			}
			got, st := replayAll(t, mem)
			checkAcked(t, got, acked)
			if st.Torn || string(got[len(got)-1].payload) != "after" {
				t.Fatalf("after reopening: torn %v, %d records", st.Torn, len(got))
			}
		})
	}
}

// checkAcked checks that got holds, for each writer, a prefix of its
// records in order, including every record in acked.
func checkAcked(t *testing.T, got, acked []replayed) {
	t.Helper()
	next := map[int]int{}
	seen := map[Position]bool{}
	for _, r := range got {
		if string(r.payload) == "after" {
			continue
		}
		w, s := recID(r.payload)
		if s != next[w] {
			t.Fatalf("writer %d: record %d after %d", w, s, next[w]-1)
		}
		next[w]++
		seen[r.pos] = true
	}
	for _, a := range acked {
		if !seen[a.pos] {
			w, s := recID(a.payload)
			t.Fatalf("acknowledged record (writer %d, seq %d) at %v lost", w, s, a.pos)
		}
	}
}

// Close stops the flusher: no goroutine outlives its log, whether it was
// closed idle, with writers waiting, or after a failure.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := range 20 {
		mem := vfs.NewMem()
		var fs vfs.FS = mem
		if i%3 == 2 {
			fs = errorfs.Wrap(mem, errorfs.OpKinds(errorfs.Nth(int64(i%5)), errorfs.OpSync, errorfs.OpWrite))
		}
		l, err := Open(fs, dir, Options{SyncInterval: time.Millisecond, MaxPending: 4096})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 50; j++ {
					if _, err := l.WriteRecord(rec(w, j, 500), j%3 == 0); err != nil {
						return
					}
				}
			}()
		}
		if i%2 == 0 {
			l.Close() // while writers run: they end with ErrClosed
			wg.Wait()
		} else {
			wg.Wait()
			l.Close()
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after closing every log:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}
