package commit

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/memtable"
	"github.com/lightningdb/lightning/internal/testseed"
)

func TestBatchNeed(t *testing.T) {
	es := memtable.EntrySize
	for _, tc := range []struct {
		name                   string
		build                  func(b *engine.Batch)
		wantNeed, wantN, wantU int
	}{
		{"empty", func(*engine.Batch) {}, 0, 0, 0},
		{"one set", func(b *engine.Batch) { b.Set([]byte("key"), []byte("value")) }, es(3, 5), 1, 8},
		{"one delete", func(b *engine.Batch) { b.Delete([]byte("key")) }, es(3, 0), 1, 3},
		{"mixed", func(b *engine.Batch) {
			b.Set([]byte("a"), make([]byte, 1000))
			b.Delete([]byte("bb"))
			b.Set([]byte("a"), nil)
		}, es(1, 1000) + es(2, 0) + es(1, 0), 3, 1004},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := engine.NewBatch()
			tc.build(b)
			need, n, user := BatchNeed(b)
			if need != tc.wantNeed || n != tc.wantN || user != tc.wantU {
				t.Errorf("BatchNeed = (%d, %d, %d), want (%d, %d, %d)", need, n, user, tc.wantNeed, tc.wantN, tc.wantU)
			}
		})
	}
}

func TestCapacityFor(t *testing.T) {
	for _, tc := range []struct {
		need, count int
		want        int
		wantErr     bool
	}{
		// byArena = (need+1024)/96*104 + 208; byIndex = (count*4/3+2)*104 + 104.
		{0, 0, 1248, false},
		{256, 1, 1560, false},
		{36800, 100, 41184, false}, // 100 entries of EntrySize(16, 100) = 368
		{0, 3000, 416312, false},   // many small entries: the index decides
		{1 << 20, 10, 1137240, false},
		{1 << 32, 1, 0, true},
		{int(memtable.MaxCapacity), 1, 0, true},
	} {
		t.Run(fmt.Sprintf("need=%d,count=%d", tc.need, tc.count), func(t *testing.T) {
			c, err := CapacityFor(tc.need, tc.count)
			if tc.wantErr {
				if !errors.Is(err, ErrBatchTooLarge) {
					t.Fatalf("CapacityFor = %d, %v; want an error wrapping ErrBatchTooLarge", c, err)
				}
				return
			}
			if err != nil || c != tc.want {
				t.Fatalf("CapacityFor = %d, %v; want %d", c, err, tc.want)
			}
			// The promise: an empty Table of that capacity admits the batch.
			if !NewTable(c, 0).Fits(tc.need, tc.count) {
				t.Errorf("an empty Table of capacity %d does not fit need %d, count %d", c, tc.need, tc.count)
			}
		})
	}
}

func TestFitsEmpty(t *testing.T) {
	for _, tc := range []struct {
		standard, need, count int
		want                  bool
	}{
		{1560, 256, 1, true},
		{1559, 256, 1, false},
		{64 << 20, 1 << 20, 10, true},
		{1 << 20, 1 << 20, 10, false},
		{416312, 0, 3000, true},
		{416311, 0, 3000, false},
		{int(memtable.MaxCapacity), 1 << 32, 1, false}, // too large for any memtable
	} {
		if got := FitsEmpty(tc.standard, tc.need, tc.count); got != tc.want {
			t.Errorf("FitsEmpty(%d, %d, %d) = %v, want %v", tc.standard, tc.need, tc.count, got, tc.want)
		}
	}
}

func TestCapacity(t *testing.T) {
	for _, tc := range []struct {
		standard, need, count int
		want                  int
		tooLarge              bool
	}{
		{64 << 20, 256, 1, 64 << 20, false},    // fits the standard size
		{1559, 256, 1, 1560, false},            // its own, CapacityFor's size
		{1 << 20, 1 << 20, 10, 1137240, false}, // its own: CapacityFor's
		{int(memtable.MaxCapacity), 1 << 32, 1, 0, true},
	} {
		got, err := Capacity(tc.standard, tc.need, tc.count)
		if got != tc.want || errors.Is(err, ErrBatchTooLarge) != tc.tooLarge {
			t.Errorf("Capacity(%d, %d, %d) = %d, %v; want %d, too large %v", tc.standard, tc.need, tc.count, got, err, tc.want, tc.tooLarge)
		}
		if want, err := CapacityFor(tc.need, tc.count); !tc.tooLarge && got != tc.standard && (err != nil || got != want) {
			t.Errorf("Capacity(%d, %d, %d) = %d, CapacityFor says %d", tc.standard, tc.need, tc.count, got, want)
		}
	}
}

func TestTableBookkeeping(t *testing.T) {
	tb := NewTable(1<<16, 7)
	if tb.LogNum() != 7 || !tb.Empty() || tb.Ops() != 0 || tb.MaxSeq() != 0 {
		t.Fatalf("new Table: LogNum %d, Empty %v, Ops %d, MaxSeq %d", tb.LogNum(), tb.Empty(), tb.Ops(), tb.MaxSeq())
	}
	b := engine.NewBatch()
	b.Set([]byte("a"), []byte("1"))
	b.Set([]byte("b"), []byte("2"))
	need, count, _ := BatchNeed(b)
	tb.Reserve(need, count, 11)
	if tb.Empty() || tb.Ops() != 2 || tb.MaxSeq() != 11 {
		t.Fatalf("after Reserve: Empty %v, Ops %d, MaxSeq %d", tb.Empty(), tb.Ops(), tb.MaxSeq())
	}
	waited := make(chan struct{})
	go func() { tb.Wait(); close(waited) }()
	select {
	case <-waited:
		t.Fatal("Wait returned before Unreserve")
	case <-time.After(10 * time.Millisecond):
	}
	if err := tb.Apply(b, 10); err != nil {
		t.Fatal(err)
	}
	tb.Unreserve(need, count)
	<-waited
	if v, kind, ok := tb.Skiplist().Get([]byte("b"), 11); !ok || kind != engine.KindSet || string(v) != "2" {
		t.Errorf("Get(b, 11) = %q, %v, %v", v, kind, ok)
	}
	if _, _, ok := tb.Skiplist().Get([]byte("b"), 10); ok {
		t.Errorf("Get(b, 10) found the entry numbered 11")
	}
}

// TestReserveNeverArenaFull fills small Tables to the brim with random
// batches, from several writers reserving under a mutex and inserting
// outside it as the pipeline does: an Apply after Fits said yes must never
// fail, and at the end not even the smallest entry fits.
func TestReserveNeverArenaFull(t *testing.T) {
	seed := testseed.Seed(t)
	for _, writers := range []int{1, 4} {
		for _, capacity := range []int{4 << 10, 64 << 10} {
			t.Run(fmt.Sprintf("writers=%d,capacity=%d", writers, capacity), func(t *testing.T) {
				fill(t, seed, writers, capacity)
			})
		}
	}
}

func fill(t *testing.T, seed uint64, writers, capacity int) {
	tb := NewTable(capacity, 0)
	var (
		mu      sync.Mutex // the commit mutex
		nextSeq uint64     = 1
		misses  int
	)
	r := rand.New(rand.NewPCG(seed, uint64(writers*capacity)))
	minNeed := memtable.EntrySize(1, 0)
	// next builds a batch; after many misses only small ones, ending with
	// single one-byte deletions, so that the Table fills to the brim.
	next := func(b *engine.Batch) {
		b.Reset()
		ops, maxVal := 1+r.IntN(8), 300
		switch {
		case misses > 200:
			b.Delete([]byte{byte(r.IntN(256))})
			return
		case misses > 100:
			ops, maxVal = 1, 20
		}
		for range ops {
			key := make([]byte, 1+r.IntN(24))
			for i := range key {
				key[i] = byte('a' + r.IntN(4))
			}
			if r.IntN(5) == 0 {
				b.Delete(key)
			} else {
				b.Set(key, make([]byte, r.IntN(maxVal)))
			}
		}
	}
	// insert admits b as the pipeline does: reserve under mu, insert
	// outside it. It reports whether b fitted.
	insert := func(b *engine.Batch) (bool, error) {
		mu.Lock()
		need, count, _ := BatchNeed(b)
		if !tb.Fits(need, count) {
			mu.Unlock()
			return false, nil
		}
		seq := nextSeq
		nextSeq += uint64(count)
		tb.Reserve(need, count, nextSeq-1)
		mu.Unlock()
		err := tb.Apply(b, seq)
		tb.Unreserve(need, count)
		if errors.Is(err, memtable.ErrArenaFull) {
			err = fmt.Errorf("Fits admitted a batch that met ErrArenaFull: %w", err)
		}
		return true, err
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := engine.NewBatch()
			for {
				mu.Lock()
				if misses > 300 {
					mu.Unlock()
					return
				}
				next(b)
				mu.Unlock()
				ok, err := insert(b)
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					mu.Lock()
					misses++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Other writers' reservations may have refused the last small
	// batches: top up alone with the smallest ones until none fits.
	b := engine.NewBatch()
	for {
		b.Reset()
		b.Delete([]byte{byte(r.IntN(256))})
		ok, err := insert(b)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
	}
	tb.Wait()
	sl := tb.Skiplist()
	if sl.Len() != tb.Ops() || tb.MaxSeq() != nextSeq-1 {
		t.Errorf("skiplist holds %d entries, Ops %d; MaxSeq %d, last sequence %d", sl.Len(), tb.Ops(), tb.MaxSeq(), nextSeq-1)
	}
	if tb.Fits(minNeed, 1) || sl.Size()+minNeed <= sl.Capacity() && sl.Len() < sl.Capacity()/indexRatio*3/4 {
		t.Errorf("the Table is not full: %d entries, %d of %d bytes", sl.Len(), sl.Size(), sl.Capacity())
	}
	t.Logf("%d entries, %d of %d bytes used, %d misses", sl.Len(), sl.Size(), sl.Capacity(), misses)
}
