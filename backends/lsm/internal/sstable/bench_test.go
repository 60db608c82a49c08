package sstable

import (
	"fmt"
	"testing"
	"time"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/cache"
	"github.com/lightningdb/lightning/engine/compress"
	"github.com/lightningdb/lightning/engine/vfs"
)

// benchEntries returns n YCSB-like entries: "user" + a zero-padded number
// (sorted), 100-byte values.
func benchEntries(n int) []entry {
	es := make([]entry, n)
	val := make([]byte, 100)
	for i := range val {
		val[i] = byte('a' + i%26)
	}
	for i := range es {
		es[i] = entry{base.MakeKey(fmt.Appendf(nil, "user%019d", i*7), uint64(i+1), engine.KindSet), val}
	}
	return es
}

func benchTable(b *testing.B, n int, wo WriterOptions, ro ReaderOptions) (*Reader, []entry) {
	es := benchEntries(n)
	fs := vfs.NewMem()
	writeTable(b, fs, "b.sst", es, wo)
	rd := openTable(b, fs, "b.sst", 1, ro)
	b.Cleanup(func() { rd.Close() })
	return rd, es
}

func BenchmarkGet(b *testing.B) {
	c, err := cache.New(256 << 20)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct {
		name string
		ro   ReaderOptions
	}{
		{"cached", ReaderOptions{Cache: c}},
		{"cached-pinned-index", ReaderOptions{Cache: c, PinIndex: true}},
		{"uncached", ReaderOptions{}},
	} {
		rd, es := benchTable(b, 100_000, WriterOptions{Compression: compress.Snappy}, tc.ro)
		// Warm the cache.
		for _, e := range es {
			rd.Get(e.key.UserKey, base.MaxSeq)
		}
		c.Wait()
		b.Run(tc.name+"/hit", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			cpu := cpuTime()
			for b.Loop() {
				e := es[(i*7919)%len(es)]
				if _, _, found, err := rd.Get(e.key.UserKey, base.MaxSeq); !found || err != nil {
					b.Fatal("miss")
				}
				i++
			}
			reportCPU(b, cpu)
		})
		b.Run(tc.name+"/miss-filtered", func(b *testing.B) {
			b.ReportAllocs()
			keys := make([][]byte, 1024)
			for i := range keys {
				keys[i] = fmt.Appendf(nil, "user%019d", i*7+3) // between keys
			}
			i := 0
			for b.Loop() {
				rd.Get(keys[i%len(keys)], base.MaxSeq)
				i++
			}
		})
	}
}

func BenchmarkIter(b *testing.B) {
	c, err := cache.New(256 << 20)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	rd, es := benchTable(b, 100_000, WriterOptions{Compression: compress.Snappy}, ReaderOptions{Cache: c})
	for _, dir := range []string{"forward", "backward"} {
		b.Run(dir, func(b *testing.B) {
			b.ReportAllocs()
			it := rd.NewIter(nil, nil)
			defer it.Close()
			ok := false
			cpu := cpuTime()
			for b.Loop() {
				if !ok {
					if dir == "forward" {
						ok = it.First()
					} else {
						ok = it.Last()
					}
					continue
				}
				if dir == "forward" {
					ok = it.Next()
				} else {
					ok = it.Prev()
				}
			}
			reportCPU(b, cpu)
			_ = es
		})
	}
}

func BenchmarkWriter(b *testing.B) {
	es := benchEntries(100_000)
	var raw int64
	for _, e := range es {
		raw += int64(e.key.Size() + len(e.value))
	}
	for _, codec := range []compress.Codec{compress.None, compress.Snappy, compress.Zstd} {
		for _, workers := range []int{0, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", codec, workers), func(b *testing.B) {
				b.SetBytes(raw)
				cpu := cpuTime()
				for b.Loop() {
					fs := vfs.NewMem()
					writeTable(b, fs, "w.sst", es, WriterOptions{Compression: codec, BlockWorkers: workers})
				}
				reportCPU(b, cpu)
			})
		}
	}
}

// reportCPU reports the process's CPU time since start per operation: see
// cpuTime.
func reportCPU(b *testing.B, start time.Duration) {
	if start > 0 && b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}
