package lsm

import (
	"flag"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
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
	cpu := cpuTime()
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
	reportCPU(b, cpu)
	m := d.Metrics()
	b.ReportMetric(float64(m.Stalls), "stalls")
}

// BenchmarkSet measures inserts of new keys without sync (load phase).
func BenchmarkSet(b *testing.B) { benchSet(b, false) }

// BenchmarkSetSync measures inserts with Sync: every write waits for an
// fsync, shared by concurrent writers (group commit).
func BenchmarkSetSync(b *testing.B) { benchSet(b, true) }

// fixture is a directory holding a database of benchRecords records,
// flushed and compacted, shared by the read benchmarks. Each benchmark
// opens it with its own settings (row cache on or off); one DB is open at
// a time (the directory lock) and stays open while consecutive benchmarks
// use the same settings.
var fixture struct {
	once sync.Once
	dir  string
	err  error
	name string // settings of the open DB
	db   *DB
}

// benchDir keeps the read benchmarks' database in a directory across
// runs (built there by the first run), so that comparisons of two builds
// do not rebuild it every time.
var benchDir = flag.String("lsm.benchdir", "", "directory of the read benchmarks' database, kept across runs (default: a temporary one)")

func loadFixture(b *testing.B) {
	fixture.once.Do(func() {
		if *benchDir != "" {
			fixture.dir = *benchDir
			if _, err := vfs.Default.Stat(filepath.Join(fixture.dir, "CURRENT")); err == nil {
				return // built by an earlier run
			}
		} else if fixture.dir, fixture.err = os.MkdirTemp("", "lsm-bench-"); fixture.err != nil {
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
					d.Close()
					return
				}
				batch.Reset()
			}
		}
		if fixture.err = d.Compact(); fixture.err != nil {
			d.Close()
			return
		}
		fixture.err = d.Close()
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
}

// fixtureDB returns the fixture opened with the lsm settings extra (name
// identifies them), its caches warmed by one scan of every record.
func fixtureDB(b *testing.B, name string, extra map[string]string) *DB {
	loadFixture(b)
	if fixture.db != nil && fixture.name == name {
		return fixture.db
	}
	if fixture.db != nil {
		if err := fixture.db.Close(); err != nil {
			b.Fatal(err)
		}
		fixture.db = nil
	}
	o := benchOptions()
	o.Extra = extra
	d, err := Open(fixture.dir, o)
	if err != nil {
		b.Fatal(err)
	}
	it, err := d.NewIter(engine.IterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	if err := it.Close(); err != nil || n != benchRecords {
		b.Fatalf("warming scan: %d records, %v", n, err)
	}
	d.bcache.Wait()
	fixture.db, fixture.name = d, name
	return d
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.db != nil {
		fixture.db.Close()
	}
	if fixture.dir != "" && *benchDir == "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// benchSeeds gives every goroutine of every benchmark round its own
// stream: a round that replayed the keys of the previous one would find
// them in the row cache.
var benchSeeds atomic.Uint64

var noRowCache = map[string]string{"lsm.row_cache_size": "0"}

func benchGet(b *testing.B, d *DB, gen1 func(r *gen.Rand) func() int64) {
	keys := gen.YCSBKeys()
	before := d.Metrics()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		next := gen1(gen.NewRand(benchSeeds.Add(1), 7))
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
	reportCPU(b, cpu)
	after := d.Metrics()
	if n := after.Gets - before.Gets; n > 0 {
		b.ReportMetric(float64(after.CacheMisses-before.CacheMisses)/float64(n), "misses/op")
		b.ReportMetric((after.Extra["lsm.row_cache.hits"]-before.Extra["lsm.row_cache.hits"])/float64(n), "rowhits/op")
	}
}

func uniformKeys(r *gen.Rand) func() int64 {
	return func() int64 { return int64(r.Uint64n(benchRecords)) }
}

func zipfKeys(r *gen.Rand) func() int64 {
	z := gen.NewScrambledZipfian(r, 0, benchRecords-1, 0.99)
	return func() int64 { return int64(z.Next()) }
}

// BenchmarkGet measures point reads of present keys, uniformly at random,
// on benchRecords records after a flush and compaction, with the default
// row cache.
func BenchmarkGet(b *testing.B) { benchGet(b, fixtureDB(b, "default", nil), uniformKeys) }

// BenchmarkGetZipf measures point reads with YCSB's scrambled zipfian
// distribution (workload C), with the default row cache.
func BenchmarkGetZipf(b *testing.B) { benchGet(b, fixtureDB(b, "default", nil), zipfKeys) }

// BenchmarkGetTables measures the table read path alone: uniform point
// reads without a row cache, every block in the block cache.
func BenchmarkGetTables(b *testing.B) { benchGet(b, fixtureDB(b, "norow", noRowCache), uniformKeys) }

// BenchmarkScan measures a seek and 100 Nexts from a random key.
func BenchmarkScan(b *testing.B) {
	d := fixtureDB(b, "default", nil)
	keys := gen.YCSBKeys()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		r := gen.NewRand(benchSeeds.Add(1), 9)
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
	b.StopTimer()
	reportCPU(b, cpu)
}

// reportCPU reports the process's CPU time since start per operation
// (background work included): see cpuTime.
func reportCPU(b *testing.B, start time.Duration) {
	if start > 0 && b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}
