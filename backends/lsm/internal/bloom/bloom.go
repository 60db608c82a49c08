package bloom

import (
	"errors"
	"fmt"
	"math"
	"math/bits"

	"github.com/zeebo/xxh3"
)

const (
	// Format is the value of the format byte this package writes.
	Format = 1
	// TrailerLen is the length of the trailer after the bit array: the k
	// byte and the format byte.
	TrailerLen = 2
	// MaxProbes is the largest number of probes (k) a filter may use.
	MaxProbes = 30
	// MaxBitsPerKey is the largest bits-per-key a Builder accepts.
	MaxBitsPerKey = 100
	// DefaultBitsPerKey gives about 1% false positives.
	DefaultBitsPerKey = 10
)

// ErrMalformed is wrapped by the errors of Decode for bytes that are not an
// encoded filter.
var ErrMalformed = errors.New("bloom: malformed filter")

// ErrBitsPerKey is wrapped by the error of NewBuilder for a bits-per-key
// outside [1, MaxBitsPerKey].
var ErrBitsPerKey = errors.New("bloom: bits per key out of range")

// Hash returns the 64-bit hash of key every probe is derived from.
func Hash(key []byte) uint64 { return xxh3.Hash(key) }

// Probes returns the number of probes k used at bitsPerKey bits per key:
// round(bitsPerKey * ln 2) clamped to [1, MaxProbes].
func Probes(bitsPerKey int) int {
	k := int(math.Round(float64(bitsPerKey) * math.Ln2))
	return min(max(k, 1), MaxProbes)
}

// FalsePositiveRate returns the theoretical false-positive rate of a
// filter with bitsPerKey bits per key and Probes(bitsPerKey) probes:
// (1 - e^(-k/b))^k.
func FalsePositiveRate(bitsPerKey int) float64 {
	if bitsPerKey <= 0 {
		return 1
	}
	k := float64(Probes(bitsPerKey))
	return math.Pow(1-math.Exp(-k/float64(bitsPerKey)), k)
}

// Builder collects the keys of one filter. Keys are hashed as they are
// added; the builder keeps 8 bytes per distinct consecutive key. It is not
// safe for concurrent use.
type Builder struct {
	bitsPerKey int
	hashes     []uint64
}

// NewBuilder returns a builder making filters of bitsPerKey bits per key,
// which must be in [1, MaxBitsPerKey].
func NewBuilder(bitsPerKey int) (*Builder, error) {
	if bitsPerKey < 1 || bitsPerKey > MaxBitsPerKey {
		return nil, fmt.Errorf("%w: %d (want 1..%d)", ErrBitsPerKey, bitsPerKey, MaxBitsPerKey)
	}
	return &Builder{bitsPerKey: bitsPerKey}, nil
}

// Add adds key. Adding the same key as the previous call is free (an SSTable
// adds every version of a user key in a row); adding a key again later
// only costs filter space.
func (b *Builder) Add(key []byte) { b.AddHash(Hash(key)) }

// AddHash adds a key by its Hash.
func (b *Builder) AddHash(h uint64) {
	if n := len(b.hashes); n > 0 && b.hashes[n-1] == h {
		return
	}
	b.hashes = append(b.hashes, h)
}

// Len returns the number of hashes collected (distinct consecutive keys).
func (b *Builder) Len() int { return len(b.hashes) }

// EstimatedSize returns the size Finish would append now.
func (b *Builder) EstimatedSize() int { return numBytes(len(b.hashes), b.bitsPerKey) + TrailerLen }

// numBytes returns the bit array size for n keys: n*bitsPerKey bits rounded
// up to whole 8-byte words, at least one word when n > 0.
func numBytes(n, bitsPerKey int) int {
	if n == 0 {
		return 0
	}
	nbits := uint64(n) * uint64(bitsPerKey)
	words := max((nbits+63)/64, 1)
	return int(words * 8)
}

// Finish appends the encoded filter of every key added to dst, returns the
// extended slice and resets the builder for a new filter.
func (b *Builder) Finish(dst []byte) []byte {
	n := numBytes(len(b.hashes), b.bitsPerKey)
	k := Probes(b.bitsPerKey)
	start := len(dst)
	dst = append(dst, make([]byte, n+TrailerLen)...)
	arr := dst[start : start+n]
	m := uint64(n) * 8
	for _, h := range b.hashes {
		h1, h2 := h, bits.RotateLeft64(h, 32)|1
		for i := 0; i < k; i++ {
			pos, _ := bits.Mul64(h1, m)
			arr[pos>>3] |= 1 << (pos & 7)
			h1 += h2
		}
	}
	dst[start+n] = byte(k)
	dst[start+n+1] = Format
	b.hashes = b.hashes[:0]
	return dst
}

// Filter is a decoded filter. Its bit array aliases the bytes given to
// Decode, which must not change while the Filter is in use. The zero
// Filter contains nothing. A Filter is safe for concurrent use.
type Filter struct {
	bits []byte
	m    uint64 // number of bits
	k    int
}

// Decode checks the trailer of an encoded filter and returns the filter.
// Bytes that are too short, of an unknown format or with k outside
// [1, MaxProbes] are an error wrapping ErrMalformed.
func Decode(b []byte) (Filter, error) {
	if len(b) < TrailerLen {
		return Filter{}, fmt.Errorf("%w: %d bytes, shorter than the %d-byte trailer", ErrMalformed, len(b), TrailerLen)
	}
	n := len(b) - TrailerLen
	k, format := int(b[n]), b[n+1]
	if format != Format {
		return Filter{}, fmt.Errorf("%w: unknown format %d", ErrMalformed, format)
	}
	if k < 1 || k > MaxProbes {
		return Filter{}, fmt.Errorf("%w: %d probes (want 1..%d)", ErrMalformed, k, MaxProbes)
	}
	return Filter{bits: b[:n:n], m: uint64(n) * 8, k: k}, nil
}

// Probes returns the filter's k.
func (f Filter) Probes() int { return f.k }

// Bits returns the filter's number of bits m.
func (f Filter) Bits() uint64 { return f.m }

// MayContain reports whether key may have been added: false means it was
// certainly not.
func (f Filter) MayContain(key []byte) bool { return f.MayContainHash(Hash(key)) }

// MayContainHash is MayContain for a key's Hash.
func (f Filter) MayContainHash(h uint64) bool {
	if f.m == 0 {
		return false
	}
	h1, h2 := h, bits.RotateLeft64(h, 32)|1
	for i := 0; i < f.k; i++ {
		pos, _ := bits.Mul64(h1, f.m)
		if f.bits[pos>>3]&(1<<(pos&7)) == 0 {
			return false
		}
		h1 += h2
	}
	return true
}

// MayContain reports whether key may be in the encoded filter. A malformed
// filter answers true ("maybe"): it can cost a read, never hide a key.
func MayContain(filter, key []byte) bool {
	f, err := Decode(filter)
	if err != nil {
		return true
	}
	return f.MayContain(key)
}
