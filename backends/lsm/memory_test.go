package lsm

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/harness/gen"
)

// TestBoundedMemory loads several times more data than the cache and
// memtable budgets on the operating system's file system (an in-memory FS
// would count the files as heap) and checks that the live heap follows the
// budgets, not the data size; then it reads everything back.
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 60 MB; skipped under -short")
	}
	const (
		records = 400_000
		budget  = 1 << 20 // cache and memtable size each
	)
	o := &engine.Options{
		CacheSize: budget, MemTableSize: budget, Logger: testLogger{t},
		Extra: map[string]string{"lsm.target_file_size": "2MiB", "lsm.l1_size": "8MiB"},
	}
	base := liveHeap() // what earlier tests of the process left
	d := mustOpen(t, t.TempDir(), o)
	defer d.Close()
	keys := gen.YCSBKeys()
	val := make([]byte, 100)
	b := engine.NewBatch()
	var k []byte
	var peak uint64
	x := uint64(88172645463325252)
	for i := range records {
		k = keys.Append(k[:0], int64(i))
		for j := 12; j < len(val); j++ { // incompressible
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			val[j] = byte(x)
		}
		copy(val, fmt.Sprintf("%012d", i))
		b.Set(k, val)
		if b.Len() == 500 {
			if err := d.Apply(b, engine.NoSync); err != nil {
				t.Fatal(err)
			}
			b.Reset()
		}
		if i%100_000 == 99_999 {
			// One reading: two could straddle the release of what earlier
			// tests left, and underflow.
			if cur := liveHeap(); cur > base {
				peak = max(peak, cur-base)
			}
		}
	}
	if err := d.Compact(); err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	data := uint64(records * (23 + 100))
	m := d.Metrics()
	t.Logf("data %d MB, disk %d MB, live heap peak %d MB over a base of %d MB, levels: L0 %v L1 %v L2 %v files",
		data>>20, m.DiskSize>>20, peak>>20, base>>20, m.Extra["lsm.l0.files"], m.Extra["lsm.l1.files"], m.Extra["lsm.l2.files"])
	// Budget: up to 2 immutable + 1 active memtable, the caches, bloom
	// filters (~1.25 B/key), table readers and slack.
	if limit := uint64(24 << 20); peak > limit {
		t.Errorf("live heap peaked at %d MB with %d MB of data: over the %d MB the budgets allow", peak>>20, data>>20, limit>>20)
	}
	for i := 0; i < records; i += 97 {
		k = keys.Append(k[:0], int64(i))
		v, err := d.Get(k, nil)
		if err != nil || string(v[:12]) != fmt.Sprintf("%012d", i) {
			t.Fatalf("Get(record %d) = %q, %v", i, v, err)
		}
	}
}

// liveHeap returns the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
