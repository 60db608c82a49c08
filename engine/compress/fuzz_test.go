package compress

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

// FuzzDecompress feeds arbitrary blocks with arbitrary codec ids to
// Decompress: it must never panic, must report every failure as
// corruption, and must never return more than the size limit.
func FuzzDecompress(f *testing.F) {
	const limit = 1 << 16
	r := rand.New(rand.NewPCG(1, 2))
	inputs := [][]byte{
		nil,
		[]byte("a"),
		bytes.Repeat([]byte("lightning "), 100),
		ycsbBlock(r, 1024),
	}
	for _, codec := range allCodecs {
		c, err := New(codec, &Options{MinSaving: -1})
		if err != nil {
			f.Fatal(err)
		}
		for _, in := range inputs {
			stored, got := c.Compress(nil, in)
			f.Add(uint8(got), stored)
			if len(stored) > 2 {
				f.Add(uint8(got), stored[:len(stored)/2])
				f.Add(uint8(got), stored[:len(stored)-1])
			}
		}
		c.Close()
	}
	f.Add(uint8(9), []byte("unknown codec"))

	c, err := New(None, &Options{MaxDecodedSize: limit, Concurrency: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { c.Close() })
	f.Fuzz(func(t *testing.T, codec uint8, block []byte) {
		out, err := c.Decompress([]byte("p"), block, Codec(codec))
		if err != nil {
			if !errors.Is(err, engine.ErrCorruption) {
				t.Fatalf("codec %d: error %v is not corruption", codec, err)
			}
			if out != nil {
				t.Fatalf("codec %d: error with a non-nil result", codec)
			}
			return
		}
		if len(out) < 1 || out[0] != 'p' {
			t.Fatalf("codec %d: dst prefix lost", codec)
		}
		if len(out)-1 > limit {
			t.Fatalf("codec %d: decoded %d bytes, over the limit %d", codec, len(out)-1, limit)
		}
	})
}
