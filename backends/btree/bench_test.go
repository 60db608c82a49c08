package btree

import (
	"encoding/binary"
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

var benchKeys = flag.Int("btree.benchkeys", 1_000_000, "keys loaded by the btree benchmarks")

// benchKey returns YCSB's key for record i: "user" and the FNV-1a hash of
// i, 23 bytes or so.
func benchKey(dst []byte, i int) []byte {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(i))
	h.Write(b[:])
	return fmt.Appendf(dst[:0], "user%d", h.Sum64())
}

var bench struct {
	once sync.Once
	db   *DB
	err  error
}

// benchDB returns an engine on a MemFS loaded with *benchKeys records of
// 100-byte values, checkpointed, with a cache that holds them all. It is
// shared by the benchmarks of one run.
func benchDB(b *testing.B) *DB {
	b.Helper()
	bench.once.Do(func() {
		opts := &engine.Options{FS: vfs.NewMem(), CacheSize: 1 << 30, Logger: quietLogger{}}
		db, err := Open("bench", opts)
		if err != nil {
			bench.err = err
			return
		}
		batch := engine.NewBatch()
		val := make([]byte, 100)
		var key []byte
		for i := 0; i < *benchKeys; i++ {
			key = benchKey(key, i)
			batch.Set(key, val)
			if batch.Len() == 1000 || i == *benchKeys-1 {
				if err := db.Apply(batch, engine.NoSync); err != nil {
					bench.err = err
					return
				}
				batch.Reset()
			}
		}
		bench.err = db.Flush()
		bench.db = db
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.db
}

// BenchmarkGet reads random existing keys from one goroutine and from
// GOMAXPROCS goroutines, with a warm cache.
func BenchmarkGet(b *testing.B) {
	db := benchDB(b)
	keys := make([][]byte, 1<<16)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range keys {
		keys[i] = benchKey(nil, rng.IntN(*benchKeys))
	}
	for _, k := range keys { // warm the cache
		if _, err := db.Get(k, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("serial", func(b *testing.B) {
		dst := make([]byte, 0, 256)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := db.Get(keys[i&(len(keys)-1)], dst); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			dst := make([]byte, 0, 256)
			i := rand.IntN(len(keys))
			for pb.Next() {
				if _, err := db.Get(keys[i&(len(keys)-1)], dst); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}

// BenchmarkSet overwrites random existing keys (WAL on, no sync).
func BenchmarkSet(b *testing.B) {
	db := benchDB(b)
	rng := rand.New(rand.NewPCG(3, 4))
	val := make([]byte, 100)
	var key []byte
	b.ReportAllocs()
	for b.Loop() {
		key = benchKey(key, rng.IntN(*benchKeys))
		if err := db.Set(key, val, engine.NoSync); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad inserts keys in YCSB order into an empty engine (WAL on,
// no sync), one Set per key.
func BenchmarkLoad(b *testing.B) {
	db, err := Open("load", &engine.Options{FS: vfs.NewMem(), Logger: quietLogger{}})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	val := make([]byte, 100)
	var key []byte
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		key = benchKey(key, i)
		if err := db.Set(key, val, engine.NoSync); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScan seeks to a random key and reads the next 100 (YCSB E's
// scans).
func BenchmarkScan(b *testing.B) {
	db := benchDB(b)
	rng := rand.New(rand.NewPCG(5, 6))
	var key []byte
	b.ReportAllocs()
	for b.Loop() {
		key = benchKey(key, rng.IntN(*benchKeys))
		it, err := db.NewIter(engine.IterOptions{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for ok := it.SeekGE(key); ok && n < 100; ok = it.Next() {
			n++
		}
		if err := it.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
