package gen

import (
	"math"
	"math/bits"
	"slices"
	"strconv"
)

// YCSB's 64-bit FNV constants (site.ycsb.Utils).
const (
	fnvOffsetBasis64 = 0xCBF29CE484222325
	fnvPrime64       = 1099511628211
)

// FNVHash64 is YCSB's Utils.fnvhash64: FNV-1 over the 8 bytes of v, lowest
// byte first (offset basis 0xCBF29CE484222325, prime 1099511628211,
// multiply after xor, wrapping), then made non-negative with Java's
// Math.abs -- which leaves math.MinInt64 negative, as in YCSB.
func FNVHash64(v int64) int64 {
	h := uint64(fnvOffsetBasis64)
	u := uint64(v)
	for range 8 {
		h ^= u & 0xff
		h *= fnvPrime64
		u >>= 8
	}
	s := int64(h)
	if s < 0 {
		s = -s // Java Math.abs: -MinInt64 == MinInt64
	}
	return s
}

// KeyFormat is how key numbers become keys.
type KeyFormat uint8

const (
	// KeyYCSB builds keys byte-for-byte as YCSB's CoreWorkload.buildKeyName:
	// prefix, zero padding, then the decimal key number (FNV-hashed first
	// when hashed).
	KeyYCSB KeyFormat = iota
	// KeyCompact builds prefix + the 8-byte big-endian key number (hashed
	// or not): shorter, fixed-length keys whose order is the numbers'
	// order.
	KeyCompact
)

// KeyBuilder turns key numbers into keys. It is immutable and safe for
// concurrent use.
type KeyBuilder struct {
	Prefix      string
	ZeroPadding int
	Hashed      bool // insertorder=hashed
	Format      KeyFormat
}

// YCSBKeys returns the KeyBuilder of YCSB's defaults: prefix "user",
// zeropadding 1, hashed.
func YCSBKeys() KeyBuilder { return KeyBuilder{Prefix: "user", ZeroPadding: 1, Hashed: true} }

// MaxLen returns the longest key Append can produce.
func (k KeyBuilder) MaxLen() int {
	if k.Format == KeyCompact {
		return len(k.Prefix) + 8
	}
	return len(k.Prefix) + max(k.ZeroPadding, 20)
}

// Append appends the key of keynum to dst and returns the extended slice.
// It does not allocate when dst has MaxLen bytes of spare capacity.
func (k KeyBuilder) Append(dst []byte, keynum int64) []byte {
	if k.Hashed {
		keynum = FNVHash64(keynum)
	}
	if k.Format == KeyCompact {
		dst = append(dst, k.Prefix...)
		u := uint64(keynum)
		return append(dst, byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32),
			byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
	}
	if keynum < 0 { // only MinInt64 hashes to a negative number
		dst = append(dst, k.Prefix...)
		for i := decimalLen(keynum); i < k.ZeroPadding; i++ {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, keynum, 10)
	}
	nd := decimalLen(keynum)
	np := len(k.Prefix)
	pad := max(k.ZeroPadding-nd, 0)
	n := len(dst)
	dst = slices.Grow(dst, np+pad+nd)[:n+np+pad+nd]
	b := dst[n:]
	for i := 0; i < np; i++ { // a loop beats memmove for a short prefix
		b[i] = k.Prefix[i]
	}
	for i := np; i < np+pad; i++ {
		b[i] = '0'
	}
	putDecimal(b[np+pad:], uint64(keynum))
	return dst
}

// putDecimal writes u in decimal into exactly len(b) == decimalLen(u)
// bytes, from the right, in 8-digit pieces of 32-bit arithmetic whose
// digit pairs the CPU computes in parallel.
func putDecimal(b []byte, u uint64) {
	i := len(b)
	for u >= 1e8 {
		lo := uint32(u % 1e8)
		u /= 1e8
		i -= 8
		put8(b[i:i+8], lo)
	}
	v := uint32(u)
	for v >= 100 {
		d := (v % 100) * 2
		v /= 100
		i -= 2
		b[i], b[i+1] = digitPairs[d], digitPairs[d+1]
	}
	if v >= 10 {
		b[i-2], b[i-1] = digitPairs[v*2], digitPairs[v*2+1]
	} else {
		b[i-1] = byte('0' + v)
	}
}

// put8 writes v (< 1e8) as exactly 8 digits into b[:8].
func put8(b []byte, v uint32) {
	_ = b[7]
	a, c := v/10000, v%10000
	a1, a2 := (a/100)*2, (a%100)*2
	c1, c2 := (c/100)*2, (c%100)*2
	b[0], b[1], b[2], b[3] = digitPairs[a1], digitPairs[a1+1], digitPairs[a2], digitPairs[a2+1]
	b[4], b[5], b[6], b[7] = digitPairs[c1], digitPairs[c1+1], digitPairs[c2], digitPairs[c2+1]
}

// decimalLen is len(strconv.FormatInt(v, 10)), sign included.
func decimalLen(v int64) int {
	if v < 0 {
		if v == math.MinInt64 {
			return 20
		}
		return 1 + decimalLen(-v)
	}
	u := uint64(v) | 1
	// digits = floor(log10(u)) + 1 via log2 approximation and a table.
	n := (bits.Len64(u)*1233)>>12 + 1
	if u < pow10[n-1] {
		n--
	}
	return n
}

var pow10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// appendDecimal is strconv.AppendInt(dst, v, 10).
func appendDecimal(dst []byte, v int64) []byte {
	if v < 0 {
		return strconv.AppendInt(dst, v, 10)
	}
	n := len(dst)
	nd := decimalLen(v)
	dst = slices.Grow(dst, nd)[:n+nd]
	putDecimal(dst[n:], uint64(v))
	return dst
}
