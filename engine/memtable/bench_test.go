package memtable

import (
	"encoding/binary"
	"math"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

// The benchmarks use YCSB-shaped keys ("user" + 19 digits of a hashed
// number, 23 bytes) and 100-byte values, as in the reference benchmark.

const (
	benchEntries = 1 << 20
	benchKeyLen  = 23
)

// benchNodeBytes is a generous capacity per benchmark entry: the arena
// takes 92% of it, and a node is a 24-byte header, 2 links of 8 bytes on
// average, a 23-byte key and a 100-byte value, rounded up to 8 (about 168
// bytes on average).
const benchNodeBytes = 192

// appendBenchKey appends the benchmark key number i to dst: "user" and 19
// decimal digits of a SplitMix64 hash of i. It does not allocate when dst
// has room.
func appendBenchKey(dst []byte, i uint64) []byte {
	x := i + 0x9e3779b97f4a7c15
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	x %= 1e19
	var d [benchKeyLen]byte
	copy(d[:], "user")
	for j := benchKeyLen - 1; j >= 4; j-- {
		d[j] = byte('0' + x%10)
		x /= 10
	}
	return append(dst, d[:]...)
}

var bench struct {
	once sync.Once
	// keys holds the benchEntries keys back to back, so that fetching one
	// is a single cache miss (not a slice header and then the key).
	keys  []byte
	list  *Skiplist
	value []byte
}

// benchKeyAt returns key number i of the contiguous key buffer.
func benchKeyAt(keys []byte, i uint64) []byte {
	return keys[i*benchKeyLen : (i+1)*benchKeyLen : (i+1)*benchKeyLen]
}

// benchList returns a skiplist holding benchEntries keys (in random order)
// and the keys, back to back (see benchKeyAt).
func benchList(b *testing.B) (*Skiplist, []byte) {
	bench.once.Do(func() {
		bench.value = make([]byte, 100)
		bench.keys = make([]byte, 0, benchEntries*benchKeyLen)
		for i := range uint64(benchEntries) {
			bench.keys = appendBenchKey(bench.keys, i)
		}
		s := New(benchEntries * benchNodeBytes)
		s.Seed(1)
		for i := range uint64(benchEntries) {
			if err := s.Add(benchKeyAt(bench.keys, i), i, engine.KindSet, bench.value); err != nil {
				b.Fatal(err)
			}
		}
		bench.list = s
	})
	return bench.list, bench.keys
}

// benchSink keeps BenchmarkGetBaseline's loads alive.
var benchSink atomic.Uint64

// BenchmarkGet looks up random present keys in a list of 1M entries; run
// with -cpu 1,2 for one and two goroutines. Each op first fetches its key
// from a 23 MiB buffer, a cache miss that a caller holding its key would
// not pay: BenchmarkGetBaseline measures that fetch alone, to subtract.
func BenchmarkGet(b *testing.B) {
	s, keys := benchList(b)
	var next atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1) * 7919
		for pb.Next() {
			i = i*6364136223846793005 + 1442695040888963407
			k := benchKeyAt(keys, (i>>33)%benchEntries)
			if _, _, ok := s.Get(k, math.MaxUint64); !ok {
				b.Fatal("key not found")
			}
		}
	})
}

// BenchmarkGetBaseline is BenchmarkGet without the Get: it draws the same
// random key numbers and reads every byte of each key. Its time is the part
// of BenchmarkGet (and BenchmarkGetMiss) that is the benchmark's, not the
// skiplist's. The loads of successive keys are independent, so the CPU may
// overlap their misses more than it can inside Get: the subtraction gives
// an upper bound of Get's own cost, not an exact figure.
func BenchmarkGetBaseline(b *testing.B) {
	_, keys := benchList(b)
	var next atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1) * 7919
		var sum uint64
		for pb.Next() {
			i = i*6364136223846793005 + 1442695040888963407
			k := benchKeyAt(keys, (i>>33)%benchEntries)
			sum += binary.LittleEndian.Uint64(k) ^ binary.LittleEndian.Uint64(k[8:]) ^
				binary.LittleEndian.Uint64(k[benchKeyLen-8:])
		}
		benchSink.Add(sum)
	})
}

// BenchmarkGetMiss looks up absent keys in a list of 1M entries: a present
// key, fetched as in BenchmarkGet, with "user" changed to "usex".
func BenchmarkGetMiss(b *testing.B) {
	s, keys := benchList(b)
	var next atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1) * 7919
		var k [benchKeyLen]byte
		for pb.Next() {
			i = i*6364136223846793005 + 1442695040888963407
			copy(k[:], benchKeyAt(keys, (i>>33)%benchEntries))
			k[3] = 'x'
			if _, _, ok := s.Get(k[:], math.MaxUint64); ok {
				b.Fatal("absent key found")
			}
		}
	})
}

// BenchmarkAdd inserts b.N new random keys with 100-byte values into a
// fresh list, from one goroutine per -cpu. The reported time includes
// building each key (see BenchmarkKeyGen).
func BenchmarkAdd(b *testing.B) {
	value := make([]byte, 100)
	s := New(b.N*benchNodeBytes + 1<<20)
	var next atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		k := make([]byte, 0, benchKeyLen)
		for pb.Next() {
			i := next.Add(1)
			if err := s.Add(appendBenchKey(k, i), i, engine.KindSet, value); err != nil {
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
		for i := range uint64(benchEntries) {
			if err := s.Add(benchKeyAt(keys, i), i, engine.KindSet, value); err != nil {
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
		k := make([]byte, 0, benchKeyLen)
		for pb.Next() {
			i := next.Add(1)
			if err := s.Add(appendBenchKey(k, i), i, engine.KindSet, value); err != nil {
				b.Fatal(err)
			}
		}
	})
	addBench.next = next.Load() + 1
}

// BenchmarkKeyGen measures building one benchmark key, to subtract from
// BenchmarkAdd.
func BenchmarkKeyGen(b *testing.B) {
	k := make([]byte, 0, benchKeyLen)
	for i := 0; i < b.N; i++ {
		k = appendBenchKey(k[:0], uint64(i))
	}
	benchSink.Add(uint64(k[benchKeyLen-1]))
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
