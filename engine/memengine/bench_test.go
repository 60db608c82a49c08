package memengine

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

// benchRecords is the reference record count of DESIGN.md.
const benchRecords = 1_000_000

// ycsbKey returns the key YCSB builds for record i: "user" followed by the
// decimal FNV-1a 64-bit hash of i (hashed insert order).
func ycsbKey(i uint64) []byte { return appendYCSBKey(nil, i) }

// appendYCSBKey appends ycsbKey(i) to dst, so benchmarks can build keys
// the way the harness does, without reading a big table of keys.
func appendYCSBKey(dst []byte, i uint64) []byte {
	const offset, prime = 0xCBF29CE484222325, 1099511628211
	h := uint64(offset)
	for range 8 {
		h ^= i & 0xff
		h *= prime
		i >>= 8
	}
	return strconv.AppendUint(append(dst, "user"...), h, 10)
}

var bench struct {
	once sync.Once
	db   *DB
}

// benchDB returns a DB loaded with benchRecords YCSB keys and 100-byte
// values, built once per test binary.
func benchDB(b *testing.B) *DB {
	b.Helper()
	bench.once.Do(func() {
		db, err := Open("", nil)
		if err != nil {
			panic(err)
		}
		value := make([]byte, 100)
		batch := engine.NewBatch()
		var key []byte
		for i := range benchRecords {
			key = appendYCSBKey(key[:0], uint64(i))
			batch.Set(key, value)
			if batch.Len() == 1000 {
				if err := db.Apply(batch, engine.NoSync); err != nil {
					panic(err)
				}
				batch.Reset()
			}
		}
		if err := db.Apply(batch, engine.NoSync); err != nil {
			panic(err)
		}
		bench.db = db
		runtime.GC() // start the timed part with the loading garbage gone
	})
	return bench.db
}

// BenchmarkGet reads random present keys (serial and from GOMAXPROCS
// goroutines) and absent keys. Building a key costs about 20 ns of the
// figure; see BenchmarkKeyGen.
func BenchmarkGet(b *testing.B) {
	db := benchDB(b)
	b.Run("serial", func(b *testing.B) {
		r := rand.New(rand.NewPCG(1, 2))
		dst := make([]byte, 0, 128)
		key := make([]byte, 0, 32)
		b.ResetTimer()
		for range b.N {
			var err error
			key = appendYCSBKey(key[:0], r.Uint64N(benchRecords))
			if dst, err = db.Get(key, dst[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		var seed sync.Mutex
		n := uint64(0)
		b.RunParallel(func(pb *testing.PB) {
			seed.Lock()
			n++
			r := rand.New(rand.NewPCG(n, 2))
			seed.Unlock()
			dst := make([]byte, 0, 128)
			key := make([]byte, 0, 32)
			for pb.Next() {
				var err error
				key = appendYCSBKey(key[:0], r.Uint64N(benchRecords))
				if dst, err = db.Get(key, dst[:0]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("absent", func(b *testing.B) {
		r := rand.New(rand.NewPCG(3, 4))
		dst := make([]byte, 0, 128)
		key := make([]byte, 0, 32)
		for range b.N {
			key = appendYCSBKey(key[:0], benchRecords+r.Uint64N(benchRecords))
			if _, err := db.Get(key, dst[:0]); err != engine.ErrNotFound {
				b.Fatal(err)
			}
		}
	})
	b.Run("tree", func(b *testing.B) {
		// The ordered tree alone: the path of snapshot reads of keys
		// written after the snapshot.
		r := rand.New(rand.NewPCG(5, 6))
		key := make([]byte, 0, 32)
		root := db.cur.Load().root
		for range b.N {
			key = appendYCSBKey(key[:0], r.Uint64N(benchRecords))
			if _, ok := get(root, key); !ok {
				b.Fatal("not found")
			}
		}
	})
}

// BenchmarkKeyGen is the key building part of BenchmarkGet.
func BenchmarkKeyGen(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	key := make([]byte, 0, 32)
	for range b.N {
		key = appendYCSBKey(key[:0], r.Uint64N(benchRecords))
	}
}

func BenchmarkSet(b *testing.B) {
	value := make([]byte, 100)
	for _, size := range []int{1000, benchRecords} {
		b.Run(fmt.Sprintf("records=%d", size), func(b *testing.B) {
			db, err := Open("", nil)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			batch := engine.NewBatch()
			for i := range size {
				batch.Set(ycsbKey(uint64(i)), value)
				if batch.Len() == 1000 {
					if err := db.Apply(batch, engine.NoSync); err != nil {
						b.Fatal(err)
					}
					batch.Reset()
				}
			}
			if err := db.Apply(batch, engine.NoSync); err != nil {
				b.Fatal(err)
			}
			keys := make([][]byte, 4096)
			for i := range keys {
				keys[i] = ycsbKey(uint64(i * size / len(keys)))
			}
			b.ResetTimer()
			for i := range b.N {
				if err := db.Set(keys[i%len(keys)], value, engine.NoSync); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkIterNext(b *testing.B) {
	db := benchDB(b)
	it, err := db.NewIter(engine.IterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer it.Close()
	it.First()
	b.ResetTimer()
	for range b.N {
		if !it.Next() {
			it.First()
		}
	}
}
