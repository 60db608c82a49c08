package memtable

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

// The benchmarks use YCSB-shaped keys ("user" + 19 digits of a hashed
// number) and 100-byte values, as in the reference benchmark.

const benchEntries = 1 << 20

// benchNodeBytes is a generous average arena cost of a benchmark entry:
// 20-byte header, 1.33 links on average, 23-byte key, 100-byte value.
const benchNodeBytes = 176

func benchKey(i uint64) []byte {
	x := i + 0x9e3779b97f4a7c15
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return fmt.Appendf(nil, "user%019d", x%1e19)
}

var bench struct {
	once  sync.Once
	keys  [][]byte
	list  *Skiplist
	value []byte
}

// benchList returns a skiplist holding benchEntries keys (in random order)
// and the keys.
func benchList(b *testing.B) (*Skiplist, [][]byte) {
	bench.once.Do(func() {
		bench.value = make([]byte, 100)
		bench.keys = make([][]byte, benchEntries)
		for i := range bench.keys {
			bench.keys[i] = benchKey(uint64(i))
		}
		s := New(benchEntries * benchNodeBytes)
		s.Seed(1)
		for i, k := range bench.keys {
			if err := s.Add(k, uint64(i), engine.KindSet, bench.value); err != nil {
				b.Fatal(err)
			}
		}
		bench.list = s
	})
	return bench.list, bench.keys
}

// BenchmarkGet looks up random present keys in a list of 1M entries; run
// with -cpu 1,2 for one and two goroutines.
func BenchmarkGet(b *testing.B) {
	s, keys := benchList(b)
	var next atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1) * 7919
		for pb.Next() {
			i = i*6364136223846793005 + 1442695040888963407
			k := keys[(i>>33)%benchEntries]
			if _, _, ok := s.Get(k, math.MaxUint64); !ok {
				b.Fatal("key not found")
			}
		}
	})
}

// BenchmarkGetMiss looks up absent keys in a list of 1M entries.
func BenchmarkGetMiss(b *testing.B) {
	s, _ := benchList(b)
	var next atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1) << 40
		for pb.Next() {
			i++
			if _, _, ok := s.Get(benchKey(benchEntries+i), math.MaxUint64); ok {
				b.Fatal("absent key found")
			}
		}
	})
}

// BenchmarkAdd inserts b.N new random keys with 100-byte values into a
// fresh list, from one goroutine per -cpu. The reported time includes
// building each key (about 100 ns; see BenchmarkKeyGen).
func BenchmarkAdd(b *testing.B) {
	value := make([]byte, 100)
	s := New(b.N*benchNodeBytes + 1<<20)
	var next atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			if err := s.Add(benchKey(i), i, engine.KindSet, value); err != nil {
				b.Fatal(err)
			}
		}
	})
}

var addBench struct {
	list *Skiplist
	next uint64 // next key number to insert
	end  uint64 // key numbers the arena has room for
}

// BenchmarkAdd1M inserts new keys into a list that already holds at least
// 1M entries (the list is shared between runs and rebuilt only when its
// arena has no room for b.N more).
func BenchmarkAdd1M(b *testing.B) {
	_, keys := benchList(b)
	value := make([]byte, 100)
	if addBench.list == nil || addBench.next+uint64(b.N) > addBench.end {
		room := max(b.N, benchEntries)
		s := New((benchEntries+room)*benchNodeBytes + 1<<20)
		s.Seed(1)
		for i, k := range keys {
			if err := s.Add(k, uint64(i), engine.KindSet, value); err != nil {
				b.Fatal(err)
			}
		}
		addBench.list, addBench.next, addBench.end = s, benchEntries, uint64(benchEntries+room)
	}
	s := addBench.list
	var next atomic.Uint64
	next.Store(addBench.next)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			if err := s.Add(benchKey(i), i, engine.KindSet, value); err != nil {
				b.Fatal(err)
			}
		}
	})
	addBench.next = next.Load() + 1
}

// BenchmarkKeyGen measures building one benchmark key, to subtract from
// BenchmarkAdd.
func BenchmarkKeyGen(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_ = benchKey(uint64(i))
	}
}

// BenchmarkIterate walks a list of 1M entries forward and reports the time
// per entry.
func BenchmarkIterate(b *testing.B) {
	s, _ := benchList(b)
	it := s.NewIter()
	n := 0
	b.ResetTimer()
	for n < b.N {
		for ok := it.First(); ok && n < b.N; ok = it.Next() {
			n++
		}
	}
}

// BenchmarkIterateReverse walks backward (Prev searches from the head).
func BenchmarkIterateReverse(b *testing.B) {
	s, _ := benchList(b)
	it := s.NewIter()
	n := 0
	b.ResetTimer()
	for n < b.N {
		for ok := it.Last(); ok && n < b.N; ok = it.Prev() {
			n++
		}
	}
}
