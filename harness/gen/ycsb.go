package gen

import (
	"encoding/binary"
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
// bytes: the number is cut into 8-digit pieces with independent
// divisions, and each piece is converted by put8 without a loop.
func putDecimal(b []byte, u uint64) {
	nd := len(b)
	switch {
	case nd > 16:
		hi := u / 1e16
		rest := u - hi*1e16
		mid := rest / 1e8
		putSmall(b[:nd-16], uint32(hi))
		put8(b[nd-16:nd-8], uint32(mid))
		put8(b[nd-8:], uint32(rest-mid*1e8))
	case nd > 8:
		hi := u / 1e8
		putSmall(b[:nd-8], uint32(hi))
		put8(b[nd-8:], uint32(u-hi*1e8))
	default:
		putSmall(b, uint32(u))
	}
}

// putSmall writes v (< 1e8) into exactly len(b) <= 8 digits.
func putSmall(b []byte, v uint32) {
	var tmp [8]byte
	put8(tmp[:], v)
	for i := range b {
		b[i] = tmp[8-len(b)+i]
	}
}

// put8 writes v (< 1e8) as exactly 8 ASCII digits into b[:8], computing
// all digits in one 64-bit word (SWAR): the two 4-digit halves go to
// 32-bit lanes, each splits into 2-digit 16-bit lanes (x/100 as
// x*10486>>20, exact below 10^4), each of those into tens and units
// (x/10 as x*103>>10, exact below 180), with no carry crossing a lane.
func put8(b []byte, v uint32) {
	x := uint64(v/10000) | uint64(v%10000)<<32
	q := ((x * 10486) >> 20) & 0x0000007F0000007F
	y := q | (x-q*100)<<16
	t := ((y * 103) >> 10) & 0x000F000F000F000F
	w := t | (y-t*10)<<8
	binary.LittleEndian.PutUint64(b[:8], w+0x3030303030303030)
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
