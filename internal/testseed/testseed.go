// Package testseed gives randomized tests one -seed flag and one way to log
// the seed they used, so every failure can be replayed:
//
//	go test ./engine/checksum -run TestX -seed=N
//
// Importing it registers the -seed flag in the test binary; a package that
// imports it must not define its own.
package testseed

import (
	"flag"
	"math/rand/v2"
	"testing"
	"time"
)

var seed = flag.Uint64("seed", 0, "seed for randomized tests (0: time-based)")

// Seed returns the -seed flag's value, or a time-based seed when it is 0,
// and logs it with how to replay it.
func Seed(t testing.TB) uint64 {
	t.Helper()
	s := *seed
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed=%d)", s, s)
	return s
}

// Rand returns a PCG generator seeded with Seed(t).
func Rand(t testing.TB) *rand.Rand {
	t.Helper()
	s := Seed(t)
	return rand.New(rand.NewPCG(s, s^0x9E3779B97F4A7C15))
}

// Bytes returns n random bytes from r.
func Bytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
