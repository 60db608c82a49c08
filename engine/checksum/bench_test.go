package checksum

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/lightningdb/lightning/engine/compress"
)

var benchSizes = []struct {
	name string
	n    int
}{{"100B", 100}, {"4KiB", 4 << 10}, {"32KiB", 32 << 10}}

// BenchmarkSum measures each implementation of each kind, named
// BenchmarkSum/<kind>/<hw|portable>/<size>; "hw" is the implementation
// Implementation reports on this CPU (logged). MB/s is the throughput.
func BenchmarkSum(b *testing.B) {
	impls := []struct {
		kind, impl string
		fn         func([]byte) uint64
	}{
		{"crc32c", "hw", func(p []byte) uint64 { return uint64(fastImpl.crc(p)) }},
		{"crc32c", "portable", func(p []byte) uint64 { return uint64(crc32cPortable(p)) }},
		{"xxh3", "hw", fastImpl.xxh},
		{"xxh3", "portable", xxh3Portable},
	}
	b.Logf("hw = %s, %s", fastImpl.crcName, fastImpl.xxhName)
	data := make([]byte, 32<<10)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	for _, im := range impls {
		for _, sz := range benchSizes {
			b.Run(fmt.Sprintf("%s/%s/%s", im.kind, im.impl, sz.name), func(b *testing.B) {
				in := data[:sz.n]
				b.SetBytes(int64(sz.n))
				var sink uint64
				for b.Loop() {
					sink += im.fn(in)
				}
				_ = sink
			})
		}
	}
}

// BenchmarkPipeline compares compressing and checksumming 4 KiB blocks
// serially with doing it through a Pipeline, to io.Discard, for a cheap
// codec (snappy: the per-block hand-offs cost about as much as the work)
// and an expensive one (zstd: the workers pay). MB/s counts raw bytes.
func BenchmarkPipeline(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	blocks := make([][]byte, 64)
	for i := range blocks {
		blk := make([]byte, 4096)
		for j := range blk {
			blk[j] = byte('a' + r.IntN(8))
		}
		blocks[i] = blk
	}
	for _, codec := range []compress.Codec{compress.Snappy, compress.Zstd} {
		c, err := compress.New(codec, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		b.Run(codec.String()+"/serial", func(b *testing.B) {
			process, _ := NewBlockProcessor(CRC32C, c)
			blk := &Block{}
			b.SetBytes(4096)
			for i := 0; b.Loop(); i++ {
				blk.Raw = blocks[i%len(blocks)]
				if err := process(blk); err != nil {
					b.Fatal(err)
				}
				if _, err := io.Discard.Write(blk.Out); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(codec.String()+"/pipeline", func(b *testing.B) {
			p, err := NewPipeline(PipelineOptions{Checksum: CRC32C, Compressor: c, Writer: io.Discard})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(4096)
			for i := 0; b.Loop(); i++ {
				if err := p.Submit(blocks[i%len(blocks)], nil); err != nil {
					b.Fatal(err)
				}
			}
			if err := p.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
