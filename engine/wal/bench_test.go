package wal

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine/vfs"
)

// benchAppend appends b.N records of 100 bytes from g goroutines to a log
// on the OS file system and reports records/s and records per fsync. The
// time includes Close, so every record is written.
func benchAppend(b *testing.B, g int, withSync bool) {
	l, err := Open(vfs.Default, b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 100)
	b.SetBytes(100)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < g; w++ {
		n := b.N / g
		if w < b.N%g {
			n++
		}
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			for i := 0; i < n; i++ {
				if _, err := l.WriteRecord(payload, withSync); err != nil {
					b.Error(err)
					return
				}
			}
		}(n)
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	m := l.Metrics()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
	b.ReportMetric(m.RecordsPerSync(), "records/fsync")
}

func BenchmarkAppendNoSync(b *testing.B) {
	for _, g := range []int{1, 2} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) { benchAppend(b, g, false) })
	}
}

func BenchmarkAppendSync(b *testing.B) {
	for _, g := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) { benchAppend(b, g, true) })
	}
}

// BenchmarkAppendSyncRecycled is BenchmarkAppendSync/goroutines=1 on a
// recycled segment (overwriting allocated blocks) instead of a new file.
// b.N is capped by the segment size; the rest of the run rotates to new
// files.
func BenchmarkAppendSyncRecycled(b *testing.B) {
	const segSize = 8 << 20
	dir := b.TempDir()
	l, err := Open(vfs.Default, dir, Options{SegmentSize: segSize, SyncInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	fill := make([]byte, 1<<20)
	for l.CurrentSegment() == 1 {
		if _, err := l.WriteRecord(fill, false); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.DeleteObsolete(l.CurrentSegment()); err != nil {
		b.Fatal(err)
	}
	if _, err := l.Rotate(); err != nil {
		b.Fatal(err)
	}
	if err := l.Sync(); err != nil {
		b.Fatal(err)
	}
	if l.Metrics().Recycled != 1 {
		b.Fatal("the segment was not recycled")
	}
	payload := make([]byte, 100)
	b.SetBytes(100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := l.WriteRecord(payload, true); err != nil {
			b.Fatal(err)
		}
	}
}
