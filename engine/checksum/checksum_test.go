package checksum

import (
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/zeebo/xxh3"
)

// sanityBuffer is the input xxHash's own test vectors are computed over.
func sanityBuffer(n int) []byte {
	const prime32, prime64 = 2654435761, 11400714785074694797
	b := make([]byte, n)
	gen := uint64(prime32)
	for i := range b {
		b[i] = byte(gen >> 56)
		gen *= prime64
	}
	return b
}

// xxh3Vectors are XXH3-64 (seed 0) of sanityBuffer prefixes, from xxHash's
// published sanity test data. They cover every length class.
var xxh3Vectors = []struct {
	n    int
	want uint64
}{
	{0, 0x2D06800538D394C2},
	{1, 0xC44BDFF4074EECDB},
	{6, 0x27B56A84CD2D7325},
	{12, 0xA713DAF0DFBB77E7},
	{24, 0xA3FE70BF9D3510EB},
	{48, 0x397DA259ECBA1F11},
	{80, 0xBCDEFBBB2C47C90A},
	{195, 0xCD94217EE362EC3A},
	{403, 0xCDEB804D65C6DEA4},
	{512, 0x617E49599013CB6B},
	{2048, 0xDD59E2C3A5F038E0},
	{2099, 0xC6B9D9B3FC9AC765},
	{2240, 0x6E73A90539CF2948},
	{2367, 0xCB37AEB9E5D361ED},
}

func TestXXH3Vectors(t *testing.T) {
	buf := sanityBuffer(2367)
	for _, v := range xxh3Vectors {
		in := buf[:v.n]
		if got := xxh3Portable(in); got != v.want {
			t.Errorf("portable XXH3 len %d = %#016x, want %#016x", v.n, got, v.want)
		}
		if got := xxh3.Hash(in); got != v.want {
			t.Errorf("zeebo XXH3 len %d = %#016x, want %#016x", v.n, got, v.want)
		}
		if got := Sum(XXH3, in); got != v.want {
			t.Errorf("Sum(XXH3) len %d = %#016x, want %#016x", v.n, got, v.want)
		}
	}
}

func TestCRC32CVectors(t *testing.T) {
	zeros := make([]byte, 32)
	ones := []byte(strings.Repeat("\xff", 32))
	inc := make([]byte, 32)
	for i := range inc {
		inc[i] = byte(i)
	}
	tests := []struct {
		name string
		in   []byte
		want uint32
	}{
		{"empty", nil, 0},
		{"123456789", []byte("123456789"), 0xE3069283},
		{"a", []byte("a"), 0xC1D04330},
		// RFC 3720 (iSCSI) appendix B.4 vectors.
		{"32 zeros", zeros, 0x8A9136AA},
		{"32 ones", ones, 0x62A8AB43},
		{"32 incrementing", inc, 0x46DD794E},
	}
	for _, tt := range tests {
		if got := crc32cPortable(tt.in); got != tt.want {
			t.Errorf("portable CRC32C(%s) = %#08x, want %#08x", tt.name, got, tt.want)
		}
		if got := crc32cStdlib(tt.in); got != tt.want {
			t.Errorf("stdlib CRC32C(%s) = %#08x, want %#08x", tt.name, got, tt.want)
		}
		if got := Sum(CRC32C, tt.in); got != uint64(tt.want) {
			t.Errorf("Sum(CRC32C, %s) = %#x, want %#08x", tt.name, got, tt.want)
		}
	}
}

func TestCRC32CUpdateIsIncremental(t *testing.T) {
	r := newRand(t)
	for range 200 {
		b := randBytes(r, r.IntN(300))
		cut := 0
		if len(b) > 0 {
			cut = r.IntN(len(b) + 1)
		}
		if got, want := crc32cUpdate(crc32cUpdate(0, b[:cut]), b[cut:]), crc32.Update(0, castagnoli, b); got != want {
			t.Fatalf("len %d cut %d: incremental %#08x, whole %#08x", len(b), cut, got, want)
		}
	}
}

// implPair is one fast implementation and the portable reference.
type implPair struct {
	name           string
	fast, portable func([]byte) uint64
}

// implPairs lists the fast implementations in use on this CPU, plus
// hash/crc32 and zeebo/xxh3 themselves when they are not the fast choice
// (then they run their own generic code, still worth checking).
func implPairs() []implPair {
	crcPortable := func(b []byte) uint64 { return uint64(crc32cPortable(b)) }
	pairs := []implPair{
		{fastImpl.crcName, func(b []byte) uint64 { return uint64(fastImpl.crc(b)) }, crcPortable},
		{fastImpl.xxhName, fastImpl.xxh, xxh3Portable},
	}
	if fastImpl.crcName == portableImpl.crcName {
		pairs = append(pairs, implPair{"crc32c/hash-crc32", func(b []byte) uint64 { return uint64(crc32cStdlib(b)) }, crcPortable})
	}
	return pairs
}

// TestImplementationsMatchPortable compares every fast implementation with
// the portable one on random inputs of every length 0..4096, aligned and
// at offsets 1..15 into a larger buffer.
func TestImplementationsMatchPortable(t *testing.T) {
	r := newRand(t)
	const maxLen, maxOff = 4096, 15
	buf := randBytes(r, maxLen+maxOff+1)
	for _, p := range implPairs() {
		t.Run(p.name, func(t *testing.T) {
			for n := 0; n <= maxLen; n++ {
				for off := 0; off <= maxOff; off++ {
					in := buf[off : off+n]
					if f, q := p.fast(in), p.portable(in); f != q {
						t.Fatalf("len %d offset %d: fast %#x, portable %#x", n, off, f, q)
					}
				}
			}
			// Long inputs cross many XXH3 blocks and zeebo's AVX-512 cut-over.
			for _, n := range []int{1023, 1024, 1025, 8191, 8192, 65536 + 7, 1 << 20} {
				in := randBytes(r, n)
				if f, q := p.fast(in), p.portable(in); f != q {
					t.Fatalf("len %d: fast %#x, portable %#x", n, f, q)
				}
			}
		})
	}
}

func TestForcePortable(t *testing.T) {
	defer ForcePortable(false)
	in := []byte("the quick brown fox")
	wantCRC, wantXXH := Sum(CRC32C, in), Sum(XXH3, in)

	ForcePortable(true)
	for _, k := range []Kind{CRC32C, XXH3} {
		if got, want := Implementation(k), k.String()+"/portable"; got != want {
			t.Errorf("forced: Implementation(%v) = %q, want %q", k, got, want)
		}
	}
	if Sum(CRC32C, in) != wantCRC || Sum(XXH3, in) != wantXXH {
		t.Errorf("forced portable sums differ from the default ones")
	}
	if SumCRC32C(in) != uint32(wantCRC) || SumXXH3(in) != wantXXH {
		t.Errorf("forced portable per-kind sums differ from the default ones")
	}

	ForcePortable(false)
	for _, k := range []Kind{CRC32C, XXH3} {
		if got := Implementation(k); got != fastImpl.name(k) {
			t.Errorf("unforced: Implementation(%v) = %q, want %q", k, got, fastImpl.name(k))
		}
		t.Logf("%v: %s", k, Implementation(k))
	}
}

func TestImplForEnv(t *testing.T) {
	tests := []struct {
		env  string
		want *impl
	}{
		{"", fastImpl},
		{"auto", fastImpl},
		{"portable", portableImpl},
		{"Portable", fastImpl},
	}
	for _, tt := range tests {
		if got := implForEnv(tt.env); got != tt.want {
			t.Errorf("implForEnv(%q) = %s, want %s", tt.env, got.crcName, tt.want.crcName)
		}
	}
}

func TestKindNames(t *testing.T) {
	tests := []struct {
		k     Kind
		name  string
		size  int
		valid bool
	}{
		{0, "Kind(0)", 0, false},
		{CRC32C, "crc32c", 4, true},
		{XXH3, "xxh3", 8, true},
		{3, "Kind(3)", 0, false},
		{255, "Kind(255)", 0, false},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.name {
			t.Errorf("Kind(%d).String() = %q, want %q", uint8(tt.k), got, tt.name)
		}
		if got := tt.k.Size(); got != tt.size {
			t.Errorf("Kind(%d).Size() = %d, want %d", uint8(tt.k), got, tt.size)
		}
		if got := tt.k.Valid(); got != tt.valid {
			t.Errorf("Kind(%d).Valid() = %v, want %v", uint8(tt.k), got, tt.valid)
		}
		k, err := KindOf(byte(tt.k))
		if tt.valid != (err == nil) || (tt.valid && k != tt.k) {
			t.Errorf("KindOf(%d) = %v, %v", uint8(tt.k), k, err)
		}
		if !tt.valid {
			if !errors.Is(err, ErrUnknownKind) {
				t.Errorf("KindOf(%d) error %v does not wrap ErrUnknownKind", uint8(tt.k), err)
			}
			if got := Sum(tt.k, []byte("x")); got != 0 {
				t.Errorf("Sum(invalid %d) = %#x, want 0", uint8(tt.k), got)
			}
			if got := Implementation(tt.k); got != "" {
				t.Errorf("Implementation(invalid %d) = %q, want \"\"", uint8(tt.k), got)
			}
		}
	}
}

func TestParseKind(t *testing.T) {
	tests := []struct {
		in   string
		want Kind
		ok   bool
	}{
		{"crc32c", CRC32C, true},
		{"xxh3", XXH3, true},
		{"", 0, false},
		{"CRC32C", 0, false},
		{"crc32", 0, false},
		{"xxh64", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseKind(tt.in)
		if tt.ok {
			if err != nil || got != tt.want {
				t.Errorf("ParseKind(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if got.String() != tt.in {
				t.Errorf("ParseKind(%q).String() = %q", tt.in, got.String())
			}
			continue
		}
		if !errors.Is(err, ErrUnknownKind) || !strings.Contains(err.Error(), tt.in) {
			t.Errorf("ParseKind(%q) error = %v, want ErrUnknownKind naming the input", tt.in, err)
		}
	}
}

func TestSumDoesNotAllocate(t *testing.T) {
	in := make([]byte, 4096)
	for _, k := range []Kind{CRC32C, XXH3} {
		if n := testing.AllocsPerRun(100, func() { Sum(k, in) }); n != 0 {
			t.Errorf("Sum(%v) allocates %.1f times per call", k, n)
		}
	}
}
