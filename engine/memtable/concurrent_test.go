package memtable

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

// TestConcurrentVersions has writers add new versions of a few shared keys
// (each sequence number once, from a global counter) while readers Get at
// random snapshots. It checks the point-lookup index's promise: a Get sees
// every Add that returned before it started, so Get(k, s) never returns a
// version older than the newest version <= s known complete when it began,
// and never one above s. At the end the list and every Get match a model.
func TestConcurrentVersions(t *testing.T) {
	r := newRand(t)
	const keys, writers, readers = 6, 4, 3
	perWriter := 3000
	if testing.Short() {
		perWriter = 800
	}
	s := New(32 << 20)
	seed := r.Uint64()
	var nextSeq atomic.Uint64
	// done[k] holds the sequence numbers of key k whose Add returned, as a
	// bit set read by readers (set after the Add returns).
	var done [keys][]atomic.Uint64
	for k := range done {
		done[k] = make([]atomic.Uint64, writers*perWriter/64+2)
	}
	key := func(k int) []byte { return fmt.Appendf(nil, "key-%d", k) }
	// newestDone returns the largest completed sequence number of key k
	// that is <= s (0 if none), scanning the bit set.
	newestDone := func(k int, s uint64) uint64 {
		limit := min(s, nextSeq.Load())
		for w := int(limit / 64); w >= 0; w-- {
			bits := done[k][w].Load()
			if uint64(w) == limit/64 {
				bits &= (2 << (limit % 64)) - 1
			}
			if bits != 0 {
				return uint64(w)*64 + uint64(63-lzcnt(bits))
			}
		}
		return 0
	}
	var wg sync.WaitGroup
	errc := make(chan error, writers+readers)
	stop := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wr := rand.New(rand.NewPCG(seed, uint64(w)))
			for range perWriter {
				k := wr.IntN(keys)
				seq := nextSeq.Add(1)
				kind := engine.KindSet
				if seq%5 == 0 {
					kind = engine.KindDelete
				}
				if err := s.Add(key(k), seq, kind, valueFor(key(k), seq)); err != nil {
					errc <- err
					return
				}
				done[k][seq/64].Or(1 << (seq % 64))
			}
		}()
	}
	var rwg sync.WaitGroup
	for rd := range readers {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			rr := rand.New(rand.NewPCG(seed, uint64(100+rd)))
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := rr.IntN(keys)
				snap := uint64(math.MaxUint64)
				if rr.IntN(2) == 0 {
					snap = rr.Uint64N(nextSeq.Load() + 2)
				}
				floor := newestDone(k, snap)
				v, _, ok := s.Get(key(k), snap)
				if !ok {
					if floor != 0 {
						errc <- fmt.Errorf("Get(key-%d, %d) found nothing; version %d was complete", k, snap, floor)
						return
					}
					continue
				}
				var got uint64
				if _, err := fmt.Sscanf(string(v), "key-%d/%d/", new(int), &got); err != nil || !bytes.Equal(v, valueFor(key(k), got)) {
					errc <- fmt.Errorf("Get(key-%d, %d) = %q: torn or foreign value", k, snap, v)
					return
				}
				if got > snap || got < floor {
					errc <- fmt.Errorf("Get(key-%d, %d) = version %d; version %d was complete", k, snap, got, floor)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	rwg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	m := &model{}
	it := s.NewIter()
	for ok := it.First(); ok; ok = it.Next() {
		if !m.add(current(it)) {
			t.Fatalf("entry %v twice", current(it))
		}
	}
	if len(m.es) != writers*perWriter {
		t.Fatalf("%d entries, want %d", len(m.es), writers*perWriter)
	}
	checkAll(t, s, m)
	for k := range keys {
		for _, snap := range []uint64{0, 1, nextSeq.Load() / 2, nextSeq.Load(), math.MaxUint64} {
			checkProbe(t, s, m, string(key(k)), snap)
		}
	}
}

func lzcnt(x uint64) int {
	n := 0
	for x&(1<<63) == 0 {
		x <<= 1
		n++
	}
	return n
}

// TestConcurrentFill has writers add until the arena or the index is
// full, racing for the last room. Every Add that succeeded must be there,
// every failed one must have left no trace, and a full list must stay
// consistent and readable.
func TestConcurrentFill(t *testing.T) {
	r := newRand(t)
	for _, tc := range []struct {
		name     string
		capacity int
		value    int
	}{
		{"index fills first", 64 << 10, 0},
		{"arena fills first", 64 << 10, 300},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const writers = 4
			s := New(tc.capacity)
			seed := r.Uint64()
			var mu sync.Mutex
			m := &model{}
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					wr := rand.New(rand.NewPCG(seed, uint64(w)))
					full := 0
					for i := 0; full < 50; i++ {
						// Shared keys, so versions and new keys race.
						k := fmt.Appendf(nil, "%04x", wr.IntN(2000))
						seq := uint64(w*1_000_000 + i)
						v := valueFor(k, seq)[:min(tc.value, len(valueFor(k, seq)))]
						v = append(v, bytes.Repeat([]byte{'.'}, tc.value-len(v))...)
						err := s.Add(k, seq, engine.KindSet, v)
						switch {
						case err == nil:
							mu.Lock()
							m.add(entry{string(k), seq, engine.KindSet, string(v)})
							mu.Unlock()
						case errors.Is(err, ErrArenaFull):
							full++
						default:
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			if s.Size() > s.Capacity() {
				t.Fatalf("Size %d over Capacity %d", s.Size(), s.Capacity())
			}
			distinct := map[string]bool{}
			for _, e := range m.es {
				distinct[e.key] = true
			}
			if n := s.keys.Load(); n > s.maxKeys || n < int64(len(distinct)) {
				t.Fatalf("%d index reservations for %d distinct keys, limit %d", n, len(distinct), s.maxKeys)
			}
			checkAll(t, s, m)
			for i := range 2000 {
				checkProbe(t, s, m, fmt.Sprintf("%04x", i), math.MaxUint64)
			}
			t.Logf("%d entries, %d distinct keys reserved of %d, arena %d of %d",
				s.Len(), s.keys.Load(), s.maxKeys, s.used.Load(), len(s.buf))
		})
	}
}
