package lsm

import (
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/harness/gen"
)

// Benchmarks use the operating system's file system (the reference
// configuration): YCSB keys ("user" + hashed number, about 23 bytes),
// 100-byte values, WAL on, a 256 MiB block cache.

const benchRecords = 1_000_000

func benchOptions() *engine.Options {
	return &engine.Options{CacheSize: 256 << 20}
}

var benchValue = func() []byte {
	v := make([]byte, 100)
	for i := range v {
		v[i] = byte('a' + i%26)
	}
	return v
}()

func benchSet(b *testing.B, sync bool) {
	d := mustOpen(b, b.TempDir(), benchOptions())
	defer d.Close()
	keys := gen.YCSBKeys()
	var next atomic.Int64
	wo := engine.WriteOptions{Sync: sync}
	b.SetBytes(int64(23 + len(benchValue)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var k []byte
		for pb.Next() {
			k = keys.Append(k[:0], next.Add(1))
			if err := d.Set(k, benchValue, wo); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	m := d.Metrics()
	b.ReportMetric(float64(m.Stalls), "stalls")
}

// BenchmarkSet measures inserts of new keys without sync (load phase).
func BenchmarkSet(b *testing.B) { benchSet(b, false) }

// BenchmarkSetSync measures inserts with Sync: every write waits for an
// fsync, shared by concurrent writers (group commit).
func BenchmarkSetSync(b *testing.B) { benchSet(b, true) }

// fixture is a database of benchRecords records, flushed and compacted,
// shared by the read benchmarks.
var fixture struct {
	once sync.Once
	dir  string
	db   *DB
	err  error
}

func loadFixture(b *testing.B) *DB {
	fixture.once.Do(func() {
		fixture.dir, fixture.err = os.MkdirTemp("", "lsm-bench-")
		if fixture.err != nil {
			return
		}
		d, err := Open(fixture.dir, benchOptions())
		if err != nil {
			fixture.err = err
			return
		}
		keys := gen.YCSBKeys()
		batch := engine.NewBatch()
		var k []byte
		for i := int64(0); i < benchRecords; i++ {
			k = keys.Append(k[:0], i)
			batch.Set(k, benchValue)
			if batch.Len() == 1000 {
				if fixture.err = d.Apply(batch, engine.NoSync); fixture.err != nil {
					return
				}
				batch.Reset()
			}
		}
		if fixture.err = d.Compact(); fixture.err != nil {
			return
		}
		fixture.db = d
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
	return fixture.db
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.db != nil {
		fixture.db.Close()
	}
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

func benchGet(b *testing.B, gen1 func(r *gen.Rand) func() int64) {
	d := loadFixture(b)
	keys := gen.YCSBKeys()
	var seed atomic.Uint64
	before := d.Metrics()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		next := gen1(gen.NewRand(seed.Add(1), 7))
		var k, v []byte
		var err error
		for pb.Next() {
			k = keys.Append(k[:0], next())
			if v, err = d.Get(k, v[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	after := d.Metrics()
	if n := after.Gets - before.Gets; n > 0 {
		b.ReportMetric(float64(after.CacheMisses-before.CacheMisses)/float64(n), "misses/op")
		b.ReportMetric((after.Extra["lsm.row_cache.hits"]-before.Extra["lsm.row_cache.hits"])/float64(n), "rowhits/op")
	}
}

// BenchmarkGet measures point reads of present keys, uniformly at random,
// on benchRecords records after a flush and compaction.
func BenchmarkGet(b *testing.B) {
	benchGet(b, func(r *gen.Rand) func() int64 {
		return func() int64 { return int64(r.Uint64n(benchRecords)) }
	})
}

// BenchmarkGetZipf measures point reads with YCSB's scrambled zipfian
// distribution (workload C).
func BenchmarkGetZipf(b *testing.B) {
	benchGet(b, func(r *gen.Rand) func() int64 {
		z := gen.NewScrambledZipfian(r, 0, benchRecords-1, 0.99)
		return func() int64 { return int64(z.Next()) }
	})
}

// BenchmarkScan measures a seek and 100 Nexts from a random key.
func BenchmarkScan(b *testing.B) {
	d := loadFixture(b)
	keys := gen.YCSBKeys()
	var seed atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := gen.NewRand(seed.Add(1), 9)
		var k []byte
		for pb.Next() {
			k = keys.Append(k[:0], int64(r.Uint64n(benchRecords)))
			it, err := d.NewIter(engine.IterOptions{})
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for ok := it.SeekGE(k); ok && n < 100; ok = it.Next() {
				n++
			}
			if err := it.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
