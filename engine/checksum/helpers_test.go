package checksum

import (
	"math/rand/v2"
	"testing"

	"github.com/lightningdb/lightning/internal/testseed"
)

// newRand returns a seeded generator and logs the seed (internal/testseed).
func newRand(t testing.TB) *rand.Rand { t.Helper(); return testseed.Rand(t) }

func randBytes(r *rand.Rand, n int) []byte { return testseed.Bytes(r, n) }
