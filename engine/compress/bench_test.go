package compress

import (
	"math/rand/v2"
	"testing"
)

// benchBlocks returns 64 distinct 4 KiB blocks of YCSB-like records.
func benchBlocks() [][]byte {
	r := rand.New(rand.NewPCG(7, 7))
	blocks := make([][]byte, 64)
	for i := range blocks {
		blocks[i] = ycsbBlock(r, 4096)
	}
	return blocks
}

// BenchmarkCompress measures each codec on 4 KiB YCSB-like blocks, with
// the adaptive rule off so the codec itself is measured. MB/s counts input
// bytes; "ratio" is input bytes over compressed bytes.
func BenchmarkCompress(b *testing.B) {
	blocks := benchBlocks()
	for _, codec := range allCodecs {
		b.Run(codec.String(), func(b *testing.B) {
			c := newCompressor(b, codec, &Options{MinSaving: -1})
			dst := make([]byte, 0, 8192)
			var in, out int
			b.SetBytes(4096)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				blk := blocks[i%len(blocks)]
				stored, _ := c.Compress(dst[:0], blk)
				in += len(blk)
				out += len(stored)
			}
			b.ReportMetric(float64(in)/float64(out), "ratio")
		})
	}
}

// BenchmarkDecompress measures decoding the blocks BenchmarkCompress
// produces. MB/s counts decoded bytes.
func BenchmarkDecompress(b *testing.B) {
	blocks := benchBlocks()
	for _, codec := range allCodecs {
		b.Run(codec.String(), func(b *testing.B) {
			c := newCompressor(b, codec, &Options{MinSaving: -1})
			stored := make([][]byte, len(blocks))
			for i, blk := range blocks {
				stored[i], _ = c.Compress(nil, blk)
			}
			dst := make([]byte, 0, 8192)
			b.SetBytes(4096)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := c.Decompress(dst[:0], stored[i%len(stored)], codec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
