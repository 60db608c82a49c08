package btree

import (
	"encoding/binary"
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

var (
	benchKeys = flag.Int("btree.benchkeys", 1_000_000, "keys loaded by the btree benchmarks")
	benchFS   = flag.String("btree.benchfs", "os", `file system of the btree benchmarks: "os" (a directory under the temporary directory) or "mem" (vfs.MemFS)`)
)

// benchEnv returns the file system and a fresh directory for one engine
// of a benchmark, and a function that removes the directory. On "os" the
// engine runs on the operating system's files, as lbench does: MemFS
// keeps a synced copy of every file for crash cloning, so it copies the
// whole data file at the first write after each checkpoint's sync, which
// is a cost of the test FS, not of the engine.
func benchEnv(b *testing.B, name string) (vfs.FS, string, func()) {
	b.Helper()
	switch *benchFS {
	case "mem":
		return vfs.NewMem(), name, func() {}
	case "os":
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("lightning-btree-bench-%d-%s", os.Getpid(), name))
		return vfs.Default, dir, func() { removeAll(vfs.Default, dir) }
	}
	b.Fatalf("-btree.benchfs=%q: want os or mem", *benchFS)
	return nil, "", nil
}

// removeAll removes dir and everything under it through fs, ignoring
// errors (benchmark cleanup).
func removeAll(fs vfs.FS, dir string) {
	names, _ := fs.List(dir)
	for _, n := range names {
		p := filepath.Join(dir, n)
		if fs.Remove(p) != nil {
			removeAll(fs, p)
		}
	}
	fs.Remove(dir)
}

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
	once    sync.Once
	db      *DB
	err     error
	cleanup func()
}

// TestMain makes every checkpoint of the tests check each page it writes
// as a reader would (not in benchmarks), and closes the shared benchmark
// engine and removes its files.
func TestMain(m *testing.M) {
	flag.Parse()
	verifyWrites = flag.Lookup("test.bench").Value.String() == ""
	code := m.Run()
	if bench.db != nil {
		bench.db.Close()
	}
	if bench.cleanup != nil {
		bench.cleanup()
	}
	os.Exit(code)
}

// benchDB returns an engine loaded with *benchKeys records of 100-byte
// values, checkpointed, with a cache that holds them all. It is shared by
// the benchmarks of one run.
func benchDB(b *testing.B) *DB {
	b.Helper()
	bench.once.Do(func() {
		fs, dir, cleanup := benchEnv(b, "shared")
		bench.cleanup = cleanup
		opts := &engine.Options{FS: fs, CacheSize: 1 << 30, Logger: quietLogger{}}
		db, err := Open(dir, opts)
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
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cpu0, ok := threadCPU()
		for i := 0; b.Loop(); i++ {
			if _, err := db.Get(keys[i&(len(keys)-1)], dst); err != nil {
				b.Fatal(err)
			}
		}
		if cpu1, _ := threadCPU(); ok {
			// CPU time of the reading thread: on a shared machine, less
			// disturbed than the wall time by other processes.
			b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
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
// no sync, a cache that holds the data, other options default), one Set
// per key: "serial" from one goroutine, "parallel" from GOMAXPROCS
// goroutines sharing the key sequence (the reference load phase); through
// the write buffer ("buffered", the default) and straight into the tree
// ("direct", btree.write_buffer=false).
func BenchmarkLoad(b *testing.B) {
	for _, mode := range []string{"buffered", "direct"} {
		b.Run(mode, func(b *testing.B) { benchmarkLoad(b, mode == "buffered") })
	}
}

func benchmarkLoad(b *testing.B, buffered bool) {
	open := func(b *testing.B) (*DB, func()) {
		fs, dir, cleanup := benchEnv(b, "load")
		extra := map[string]string{OptWriteBuffer: fmt.Sprint(buffered)}
		db, err := Open(dir, &engine.Options{FS: fs, CacheSize: 1 << 30, Logger: quietLogger{}, Extra: extra})
		if err != nil {
			b.Fatal(err)
		}
		return db, func() {
			m := db.Metrics()
			b.ReportMetric(float64(m.DiskBytesWritten)/float64(b.N), "diskB/op")
			b.ReportMetric(float64(m.StallTime.Nanoseconds())/float64(b.N), "stall-ns/op")
			b.ReportMetric(float64(m.Flushes), "checkpoints")
			b.ReportMetric(m.Extra["btree.checkpoint.seconds"], "ckpt-s")
			if err := db.Close(); err != nil {
				b.Error(err)
			}
			cleanup()
		}
	}
	b.Run("serial", func(b *testing.B) {
		db, done := open(b)
		defer done()
		val := make([]byte, 100)
		var key []byte
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			key = benchKey(key, i)
			if err := db.Set(key, val, engine.NoSync); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		db, done := open(b)
		defer done()
		var next atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			val := make([]byte, 100)
			var key []byte
			for pb.Next() {
				key = benchKey(key, int(next.Add(1)))
				if err := db.Set(key, val, engine.NoSync); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
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

// BenchmarkRecovery reopens an engine after a crash (an in-memory crash
// copy taken after random inserts of 100-byte values, with the WAL synced
// but no Close), through the write buffer ("buffered": replay into
// memtables merged in key order) and without it ("direct": replay record
// by record into the tree). One op is one Open, replay included (not the
// Close after it); the keys are -btree.benchkeys (1M by default), the
// budget 32 MiB.
func BenchmarkRecovery(b *testing.B) {
	for _, mode := range []string{"buffered", "direct"} {
		b.Run(mode, func(b *testing.B) {
			mem := vfs.NewMem()
			opts := &engine.Options{FS: mem, CacheSize: 256 << 20, Logger: quietLogger{},
				Extra: map[string]string{OptWriteBuffer: fmt.Sprint(mode == "buffered")}}
			db, err := Open("db", opts)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(7, 8))
			val := make([]byte, 100)
			var key []byte
			for i := 0; i < *benchKeys; i++ {
				key = benchKey(key, rng.IntN(1<<40))
				if err := db.Set(key, val, engine.NoSync); err != nil {
					b.Fatal(err)
				}
			}
			if err := db.log.Sync(); err != nil {
				b.Fatal(err)
			}
			crashed := mem.CrashClone(vfs.CrashOptions{})
			if err := db.Close(); err != nil {
				b.Fatal(err)
			}
			var toTree time.Duration // Open, then Flush: every write in the tree
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				o := opts.Clone()
				o.FS = crashed.CrashClone(vfs.CrashOptions{})
				b.StartTimer()
				start := time.Now()
				db, err := Open("db", o)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := db.Flush(); err != nil {
					b.Fatal(err)
				}
				toTree += time.Since(start)
				if err := db.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(toTree.Seconds()/float64(b.N), "s-to-tree/op")
		})
	}
}
