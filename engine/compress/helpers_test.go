package compress

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lightningdb/lightning/internal/testseed"
)

// newRand returns a seeded generator and logs the seed (internal/testseed).
func newRand(t testing.TB) *rand.Rand { t.Helper(); return testseed.Rand(t) }

func randBytes(r *rand.Rand, n int) []byte { return testseed.Bytes(r, n) }

// ycsbBlock returns n bytes of YCSB-like records laid out as an SSTable
// block would hold them: uvarint key length, key ("user" and 19 digits),
// uvarint value length, value of 100 printable characters.
func ycsbBlock(r *rand.Rand, n int) []byte {
	b := make([]byte, 0, n+128)
	val := make([]byte, 100)
	for len(b) < n {
		key := fmt.Sprintf("user%019d", r.Uint64()%1e19)
		ycsbValue(r, val)
		b = binary.AppendUvarint(b, uint64(len(key)))
		b = append(b, key...)
		b = binary.AppendUvarint(b, uint64(len(val)))
		b = append(b, val...)
	}
	return b[:n]
}

// ycsbValue fills v the way YCSB builds field values: each group of six
// characters comes from one random 32-bit number, character i taking
// ((x >> 5i) & 95) + ' ', so values are printable with about 5.3 bits of
// entropy per byte: LZ codecs without entropy coding (Snappy, S2) barely
// shrink them, Zstandard does.
func ycsbValue(r *rand.Rand, v []byte) {
	for i := 0; i < len(v); i += 6 {
		x := r.Uint32()
		for j := 0; j < 6 && i+j < len(v); j++ {
			v[i+j] = byte(x>>(5*j)&95 + ' ')
		}
	}
}
