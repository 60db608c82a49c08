package checksum

import (
	"encoding/binary"
	"math/bits"
)

// The portable XXH3-64: a scalar implementation of the XXH3 64-bit hash
// with seed 0 and the default secret, written from the algorithm's
// description. github.com/zeebo/xxh3 chooses its vector code with its own
// CPU detection and offers no way to force its scalar path, so this is the
// fallback and the reference its output is tested against.

// Primes of the xxHash family.
const (
	xxPrime32_1 = 0x9E3779B1
	xxPrime32_2 = 0x85EBCA77
	xxPrime32_3 = 0xC2B2AE3D
	xxPrime64_1 = 0x9E3779B185EBCA87
	xxPrime64_2 = 0xC2B2AE3D27D4EB4F
	xxPrime64_3 = 0x165667B19E3779F9
	xxPrime64_4 = 0x85EBCA77C2B2AE63
	xxPrime64_5 = 0x27D4EB2F165667C5
	xxPrimeMX1  = 0x165667919E3779F9
	xxPrimeMX2  = 0x9FB21C651E98DF25
)

// Geometry of the long-input loop.
const (
	xxSecretSize      = 192
	xxStripeLen       = 64
	xxStripesPerBlock = (xxSecretSize - xxStripeLen) / 8 // 16
	xxBlockLen        = xxStripeLen * xxStripesPerBlock  // 1024
)

// xxSecret is XXH3's default 192-byte secret (kSecret in the algorithm's
// description).
var xxSecret = [xxSecretSize]byte{
	0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
	0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
	0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
	0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
	0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
	0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
	0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
	0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
	0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
	0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
	0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
	0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
}

func le32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
func le64(b []byte, off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }

// sec64 reads 8 bytes of the secret at off.
func sec64(off int) uint64 { return binary.LittleEndian.Uint64(xxSecret[off:]) }

// mulFold multiplies a and b to 128 bits and folds the halves with xor.
func mulFold(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// avalanche64 is XXH64's final mix.
func avalanche64(h uint64) uint64 {
	h ^= h >> 33
	h *= xxPrime64_2
	h ^= h >> 29
	h *= xxPrime64_3
	h ^= h >> 32
	return h
}

// avalanche3 is XXH3's final mix.
func avalanche3(h uint64) uint64 {
	h ^= h >> 37
	h *= xxPrimeMX1
	h ^= h >> 32
	return h
}

// rrmxmx is the stronger final mix used for 4..8-byte inputs.
func rrmxmx(h uint64, n int) uint64 {
	h ^= bits.RotateLeft64(h, 49) ^ bits.RotateLeft64(h, 24)
	h *= xxPrimeMX2
	h ^= h>>35 + uint64(n)
	h *= xxPrimeMX2
	h ^= h >> 28
	return h
}

// mix16 mixes the 16 input bytes at p[off:] with the 16 secret bytes at
// secret offset s.
func mix16(p []byte, off, s int) uint64 {
	return mulFold(le64(p, off)^sec64(s), le64(p, off+8)^sec64(s+8))
}

// xxh3Portable returns the XXH3-64 hash of p with seed 0.
func xxh3Portable(p []byte) uint64 {
	n := len(p)
	switch {
	case n == 0:
		return avalanche64(sec64(56) ^ sec64(64))
	case n <= 3:
		combined := uint32(p[0])<<16 | uint32(p[n>>1])<<24 | uint32(p[n-1]) | uint32(n)<<8
		flip := le32(xxSecret[:], 0) ^ le32(xxSecret[:], 4)
		return avalanche64(uint64(combined ^ flip))
	case n <= 8:
		in := uint64(le32(p, n-4)) + uint64(le32(p, 0))<<32
		return rrmxmx(in^(sec64(8)^sec64(16)), n)
	case n <= 16:
		lo := le64(p, 0) ^ (sec64(24) ^ sec64(32))
		hi := le64(p, n-8) ^ (sec64(40) ^ sec64(48))
		return avalanche3(uint64(n) + bits.ReverseBytes64(lo) + hi + mulFold(lo, hi))
	case n <= 128:
		acc := uint64(n) * xxPrime64_1
		if n > 32 {
			if n > 64 {
				if n > 96 {
					acc += mix16(p, 48, 96)
					acc += mix16(p, n-64, 112)
				}
				acc += mix16(p, 32, 64)
				acc += mix16(p, n-48, 80)
			}
			acc += mix16(p, 16, 32)
			acc += mix16(p, n-32, 48)
		}
		acc += mix16(p, 0, 0)
		acc += mix16(p, n-16, 16)
		return avalanche3(acc)
	case n <= 240:
		acc := uint64(n) * xxPrime64_1
		for i := range 8 {
			acc += mix16(p, 16*i, 16*i)
		}
		acc = avalanche3(acc)
		// Rounds 8.. reuse the secret from offset 3; the last 16 input
		// bytes use the secret at 136-17.
		for i := 8; i < n/16; i++ {
			acc += mix16(p, 16*i, 16*(i-8)+3)
		}
		acc += mix16(p, n-16, 136-17)
		return avalanche3(acc)
	}
	return xxh3Long(p)
}

// xxh3Long hashes inputs longer than 240 bytes: eight accumulators fed
// 64-byte stripes, scrambled after each 1 KiB block, then merged.
func xxh3Long(p []byte) uint64 {
	n := len(p)
	acc := [8]uint64{
		xxPrime32_3, xxPrime64_1, xxPrime64_2, xxPrime64_3,
		xxPrime64_4, xxPrime32_2, xxPrime64_5, xxPrime32_1,
	}
	blocks := (n - 1) / xxBlockLen
	for b := range blocks {
		base := b * xxBlockLen
		for s := range xxStripesPerBlock {
			accumulate512(&acc, p[base+s*xxStripeLen:], 8*s)
		}
		scramble(&acc, xxSecretSize-xxStripeLen)
	}
	base := blocks * xxBlockLen
	stripes := (n - 1 - base) / xxStripeLen
	for s := range stripes {
		accumulate512(&acc, p[base+s*xxStripeLen:], 8*s)
	}
	// The last stripe ends at the end of the input (it may overlap the
	// previous one) and uses the secret 7 bytes before its last stripe.
	accumulate512(&acc, p[n-xxStripeLen:], xxSecretSize-xxStripeLen-7)

	h := uint64(n) * xxPrime64_1
	for i := range 4 {
		h += mulFold(acc[2*i]^sec64(11+16*i), acc[2*i+1]^sec64(11+16*i+8))
	}
	return avalanche3(h)
}

// accumulate512 adds one 64-byte stripe of in to acc, keyed by the secret
// at offset s.
func accumulate512(acc *[8]uint64, in []byte, s int) {
	in = in[:xxStripeLen]
	for i := range 8 {
		v := le64(in, 8*i)
		k := v ^ sec64(s+8*i)
		acc[i^1] += v
		acc[i] += uint64(uint32(k)) * (k >> 32)
	}
}

// scramble mixes the accumulators with the secret at offset s.
func scramble(acc *[8]uint64, s int) {
	for i := range 8 {
		a := acc[i]
		a ^= a >> 47
		a ^= sec64(s + 8*i)
		a *= xxPrime32_1
		acc[i] = a
	}
}
