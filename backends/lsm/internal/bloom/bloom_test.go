package bloom

import (
	"encoding/binary"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var seedFlag = flag.Uint64("seed", 0, "seed for randomized tests (0: time-based)")

func newRand(t testing.TB) *rand.Rand {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
}

func TestProbes(t *testing.T) {
	for _, tc := range []struct{ bpk, k int }{
		{-3, 1}, {0, 1}, {1, 1}, {2, 1}, {3, 2}, {5, 3}, {8, 6}, {10, 7}, {16, 11}, {20, 14}, {43, 30}, {100, 30},
	} {
		if got := Probes(tc.bpk); got != tc.k {
			t.Errorf("Probes(%d) = %d, want %d", tc.bpk, got, tc.k)
		}
	}
}

func TestFalsePositiveRateFormula(t *testing.T) {
	for _, tc := range []struct {
		bpk    int
		lo, hi float64
	}{
		{0, 1, 1}, {1, 0.63, 0.64}, {10, 0.0081, 0.0083}, {20, 0.00006, 0.00007},
	} {
		if got := FalsePositiveRate(tc.bpk); got < tc.lo || got > tc.hi {
			t.Errorf("FalsePositiveRate(%d) = %g, want in [%g, %g]", tc.bpk, got, tc.lo, tc.hi)
		}
	}
}

func TestNewBuilderRejectsBadBitsPerKey(t *testing.T) {
	for _, bpk := range []int{-1, 0, MaxBitsPerKey + 1} {
		if _, err := NewBuilder(bpk); !errors.Is(err, ErrBitsPerKey) {
			t.Errorf("NewBuilder(%d) error = %v, want ErrBitsPerKey", bpk, err)
		}
	}
}

func TestSizes(t *testing.T) {
	for _, tc := range []struct{ keys, bpk, size int }{
		{0, 10, 0}, {1, 10, 8}, {6, 10, 8}, {7, 10, 16}, {100, 10, 128}, {64, 1, 8}, {65, 1, 16},
	} {
		b, err := NewBuilder(tc.bpk)
		if err != nil {
			t.Fatal(err)
		}
		for i := range tc.keys {
			b.Add(binary.LittleEndian.AppendUint32(nil, uint32(i)))
		}
		if est := b.EstimatedSize(); est != tc.size+TrailerLen {
			t.Errorf("%d keys at %d bits: EstimatedSize %d, want %d", tc.keys, tc.bpk, est, tc.size+TrailerLen)
		}
		enc := b.Finish(nil)
		if len(enc) != tc.size+TrailerLen {
			t.Errorf("%d keys at %d bits: %d bytes, want %d", tc.keys, tc.bpk, len(enc), tc.size+TrailerLen)
		}
		f, err := Decode(enc)
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if f.Bits() != uint64(tc.size)*8 || f.Probes() != Probes(tc.bpk) {
			t.Errorf("decoded m=%d k=%d", f.Bits(), f.Probes())
		}
		if b.Len() != 0 {
			t.Errorf("builder not reset: Len %d", b.Len())
		}
	}
}

func TestEmptyFilterContainsNothing(t *testing.T) {
	b, _ := NewBuilder(10)
	enc := b.Finish(nil)
	if MayContain(enc, []byte("x")) || MayContain(enc, nil) {
		t.Error("the empty filter claims a key")
	}
}

func TestDuplicatesAreFree(t *testing.T) {
	b, _ := NewBuilder(10)
	for range 5 {
		b.Add([]byte("same"))
	}
	b.Add([]byte("other"))
	if b.Len() != 2 {
		t.Errorf("Len = %d, want 2", b.Len())
	}
}

func TestFinishAppends(t *testing.T) {
	b, _ := NewBuilder(10)
	b.Add([]byte("k"))
	enc := b.Finish([]byte("prefix"))
	if string(enc[:6]) != "prefix" {
		t.Fatalf("prefix overwritten: %q", enc[:6])
	}
	if !MayContain(enc[6:], []byte("k")) {
		t.Error("false negative after appending to a prefix")
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"nil", nil},
		{"one byte", []byte{Format}},
		{"bad format", []byte{0, 0, 0, 0, 0, 0, 0, 0, 7, 2}},
		{"k zero", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, Format}},
		{"k too big", []byte{0, 0, 0, 0, 0, 0, 0, 0, MaxProbes + 1, Format}},
	} {
		if _, err := Decode(tc.b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Decode error = %v, want ErrMalformed", tc.name, err)
		}
		if !MayContain(tc.b, []byte("anything")) {
			t.Errorf("%s: malformed filter answered false", tc.name)
		}
	}
}

// TestFalsePositiveRate builds filters of random keys at several sizes and
// checks: no false negatives, and a measured false-positive rate close to
// the theory (10 bits per key: under 2%).
func TestFalsePositiveRate(t *testing.T) {
	r := newRand(t)
	nKeys, nProbes := 100_000, 200_000
	if testing.Short() {
		nKeys, nProbes = 20_000, 100_000
	}
	for _, bpk := range []int{4, 6, 10, 16} {
		b, _ := NewBuilder(bpk)
		keys := make([][]byte, nKeys)
		for i := range keys {
			// Member keys end in 0, probe keys in 1: disjoint sets.
			keys[i] = binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, r.Uint64()), 0)
			b.Add(keys[i])
		}
		f, err := Decode(b.Finish(nil))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if !f.MayContain(k) {
				t.Fatalf("%d bits/key: false negative for %x", bpk, k)
			}
		}
		fp := 0
		for range nProbes {
			k := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, r.Uint64()), 1)
			if f.MayContain(k) {
				fp++
			}
		}
		rate := float64(fp) / float64(nProbes)
		want := FalsePositiveRate(bpk)
		// Allow 25% over theory plus four standard deviations of the
		// measurement.
		limit := want*1.25 + 4*math.Sqrt(want*(1-want)/float64(nProbes))
		t.Logf("%2d bits/key, k=%d: false positives %.4f%%, theory %.4f%%", bpk, f.Probes(), 100*rate, 100*want)
		if rate > limit {
			t.Errorf("%d bits/key: false-positive rate %.4f over limit %.4f (theory %.4f)", bpk, rate, limit, want)
		}
		if bpk == 10 && rate >= 0.02 {
			t.Errorf("10 bits/key: false-positive rate %.4f, want < 2%%", rate)
		}
	}
}

func TestMayContainHashMatchesMayContain(t *testing.T) {
	r := newRand(t)
	b, _ := NewBuilder(8)
	for range 1000 {
		b.AddHash(r.Uint64())
	}
	f, _ := Decode(b.Finish(nil))
	for range 1000 {
		k := binary.LittleEndian.AppendUint64(nil, r.Uint64())
		if f.MayContain(k) != f.MayContainHash(Hash(k)) {
			t.Fatalf("MayContain and MayContainHash disagree on %x", k)
		}
	}
}

// TestFrozenEncoding pins the encoded bytes of a small filter: a change
// here is a change of the on-disk format.
func TestFrozenEncoding(t *testing.T) {
	// XXH3-64 of the empty input, seed 0 (the reference test vector).
	if h := Hash(nil); h != 0x2D06800538D394C2 {
		t.Fatalf("Hash(nil) = %#x, want XXH3-64 0x2d06800538d394c2", h)
	}
	b, _ := NewBuilder(10)
	for _, k := range []string{"apple", "banana", "cherry"} {
		b.Add([]byte(k))
	}
	got := b.Finish(nil)
	const want = "\n)\x90\n\x88\xa2jL\a\x01"
	if string(got) != want {
		t.Errorf("encoding changed:\n got %q\nwant %q", got, want)
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := NewBuilder(10)
	for _, k := range []string{"a", "b", "c"} {
		b.Add([]byte(k))
	}
	f.Add(b.Finish(nil), []byte("a"))
	f.Add([]byte{}, []byte("a"))
	f.Add([]byte{7, Format}, []byte(""))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, MaxProbes, Format}, []byte("zz"))
	f.Add([]byte{1, 2, 3, 0, Format}, []byte("q"))
	f.Fuzz(func(t *testing.T, enc, key []byte) {
		got := MayContain(enc, key)
		fl, err := Decode(enc)
		if err != nil {
			if !got {
				t.Fatal("malformed filter answered false")
			}
			return
		}
		if fl.MayContain(key) != got {
			t.Fatal("Filter.MayContain and MayContain disagree")
		}
	})
}

func BenchmarkMayContain(b *testing.B) {
	bld, _ := NewBuilder(DefaultBitsPerKey)
	for i := range 1 << 20 {
		bld.Add(binary.LittleEndian.AppendUint64(nil, uint64(i)))
	}
	f, _ := Decode(bld.Finish(nil))
	key := make([]byte, 8)
	for i := 0; b.Loop(); i++ {
		binary.LittleEndian.PutUint64(key, uint64(i)*0x9E3779B97F4A7C15)
		f.MayContain(key)
	}
}
