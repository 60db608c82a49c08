package gen

import (
	"math/bits"
	"math/rand/v2"
)

// Rand is a small, fast, seeded random source: math/rand/v2's PCG, used
// directly (no interface, no lock). Each worker owns its Rand; a Rand is
// not safe for concurrent use.
type Rand struct {
	pcg rand.PCG
}

// NewRand returns a Rand seeded with (seed, stream): workers of one run
// share the seed and use their index as the stream, so a run is
// reproducible from its seed.
func NewRand(seed, stream uint64) *Rand {
	r := &Rand{}
	r.pcg.Seed(seed, stream*0x9E3779B97F4A7C15+0xD1B54A32D192ED03)
	return r
}

// Uint64 returns 64 random bits.
func (r *Rand) Uint64() uint64 { return r.pcg.Uint64() }

// Float64 returns a uniform float64 in [0, 1) with 53 random bits.
func (r *Rand) Float64() float64 { return float64(r.pcg.Uint64()>>11) * 0x1p-53 }

// Uint64n returns a uniform integer in [0, n); n must be > 0. It is
// unbiased (Lemire's multiply-and-reject method) and needs no division on
// almost every call.
func (r *Rand) Uint64n(n uint64) uint64 {
	hi, lo := bits.Mul64(r.pcg.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.pcg.Uint64(), n)
		}
	}
	return hi
}
