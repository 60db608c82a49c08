package lsm

import (
	"flag"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/harness/gen"
)

var largeRecords = flag.Int("lsm.large", 0, "records of TestLargeData (the issue's check: 10000000); 0 skips it")

// largeValue fills val (100 bytes) for record i: the record number, then
// incompressible bytes, so that the data on disk is as large as the data.
func largeValue(val []byte, i int) {
	x := uint64(i)*0x9e3779b97f4a7c15 | 1
	for j := 12; j < len(val); j++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		val[j] = byte(x)
	}
	copy(val, fmt.Sprintf("%012d", i))
}

// TestLargeData is the large-data check, run by hand: it loads
// -lsm.large records of 100-byte values (YCSB keys) with the default
// 64 MiB cache and the default memtable size on the operating system's file system,
// reads a sample back and scans everything, and checks that the process's
// peak RSS follows the memory budgets, not the data size:
//
//	go test ./backends/lsm/ -run TestLargeData -lsm.large=10000000 -v -timeout 1h
//
// TestBoundedMemory is the scaled-down version that runs with the tests.
func TestLargeData(t *testing.T) {
	if *largeRecords == 0 || testing.Short() {
		t.Skip("run with -lsm.large=N (the issue's check: 10000000)")
	}
	records := *largeRecords
	o := &engine.Options{Logger: testLogger{t}}
	d := mustOpen(t, t.TempDir(), o)
	defer d.Close()
	o = d.opts // with defaults
	keys := gen.YCSBKeys()
	val := make([]byte, 100)
	b := engine.NewBatch()
	var k []byte
	start := time.Now()
	for i := range records {
		k = keys.Append(k[:0], int64(i))
		largeValue(val, i)
		b.Set(k, val)
		if b.Len() == 100 || i == records-1 {
			if err := d.Apply(b, engine.NoSync); err != nil {
				t.Fatal(err)
			}
			b.Reset()
		}
		if i%1_000_000 == 999_999 {
			t.Logf("%d records in %v, peak RSS %d MiB", i+1, time.Since(start).Round(time.Second), peakRSS()>>20)
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	loaded := time.Since(start)
	want := make([]byte, 100)
	for i := 0; i < records; i += 97 {
		k = keys.Append(k[:0], int64(i))
		v, err := d.Get(k, nil)
		largeValue(want, i)
		if err != nil || string(v) != string(want) {
			t.Fatalf("Get(record %d) = %q, %v", i, v, err)
		}
	}
	it, err := d.NewIter(engine.IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	if err := it.Close(); err != nil || n != records {
		t.Fatalf("scan: %d records, %v; want %d", n, err, records)
	}
	m := d.Metrics()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss := peakRSS()
	data := uint64(records) * (23 + 100)
	// The budgets: the cache, up to MaxImmutableMemTables+1 memtables,
	// bloom filters (about 1.25 bytes per key; they live in open tables,
	// outside the cache), plus the Go runtime's collection headroom over
	// the live heap (GOGC=100 lets the heap grow to twice it) and slack.
	budget := uint64(o.CacheSize) + uint64(d.set.MaxImmutableMemTables+1)*uint64(o.MemTableSize) + uint64(records)*5/4
	limit := 2*budget + 64<<20
	t.Logf("%d records (%d MiB of keys and values) loaded in %v; disk %d MiB in levels %v/%v/%v/%v; peak RSS %d MiB, live heap %d MiB, budget %d MiB, limit %d MiB",
		records, data>>20, loaded.Round(time.Second), m.DiskSize>>20, m.Extra["lsm.l0.files"], m.Extra["lsm.l1.files"], m.Extra["lsm.l2.files"], m.Extra["lsm.l3.files"],
		rss>>20, ms.HeapAlloc>>20, budget>>20, limit>>20)
	if rss > limit {
		t.Errorf("peak RSS %d MiB with %d MiB of data: over the %d MiB the budgets allow", rss>>20, data>>20, limit>>20)
	}
}
