package wal

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine/vfs"
)

// benchAppend appends b.N records of 100 bytes from g goroutines to a new
// log on the OS file system and reports records/s and records per fsync.
// The time includes Close, so every record is written. With sync, the log
// starts on a new file and moves to a preallocated one after 64 syncs
// (see the package documentation), as a log in use would.
func benchAppend(b *testing.B, g int, withSync bool) {
	l, err := Open(vfs.Default, b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	runAppend(b, l, g, withSync)
}

// runAppend is benchAppend's loop on an open log, which it closes.
func runAppend(b *testing.B, l *Log, g int, withSync bool) {
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

// BenchmarkAppendSyncRecycled is BenchmarkAppendSync on recycled segments
// (overwriting allocated blocks, so an fdatasync writes no metadata)
// instead of a new file. The setup leaves recycleSegs free files of
// segSize bytes; records past them (at 100 bytes, about 290K of them) go
// to preallocated files.
func BenchmarkAppendSyncRecycled(b *testing.B) {
	const segSize, recycleSegs = 8 << 20, 4
	for _, g := range []int{1, 64} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			dir := b.TempDir()
			o := Options{SegmentSize: segSize, SyncInterval: -1, RecycleSegments: recycleSegs}
			l, err := Open(vfs.Default, dir, o)
			if err != nil {
				b.Fatal(err)
			}
			fill := make([]byte, 1<<20)
			for l.CurrentSegment() <= recycleSegs {
				if _, err := l.WriteRecord(fill, false); err != nil {
					b.Fatal(err)
				}
			}
			if err := l.DeleteObsolete(l.CurrentSegment()); err != nil {
				b.Fatal(err)
			}
			if err := l.Close(); err != nil {
				b.Fatal(err)
			}
			if l, err = Open(vfs.Default, dir, o); err != nil {
				b.Fatal(err)
			}
			if l.Metrics().Recycled != 1 {
				b.Fatal("the segment was not recycled")
			}
			runAppend(b, l, g, true)
		})
	}
}
