package btree

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lightningdb/lightning/backends/btree/internal/page"
	"github.com/lightningdb/lightning/engine/checksum"
)

// TestLeafIndexFind builds leaf pages from random sorted keys (random
// lengths, shared prefixes, zero bytes, keys prefixes of others) of every
// page size, and checks that the page's index finds every key on the page
// at the cell the plain binary search finds, and none of a set of keys
// not on it.
func TestLeafIndexFind(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 23))
	alphabet := []byte("\x00\x01ab\xff")
	for _, ps := range []int{4096, 8192, 65536} {
		l, err := page.NewLayout("index", ps, checksum.CRC32C)
		must(t, "NewLayout", err)
		s := &store{}
		s.pg.l = l
		for round := 0; round < 200; round++ {
			prefix := bytes.Repeat([]byte("u"), rng.IntN(20))
			n := 1 + rng.IntN(maxIndexKeys(ps))
			set := map[string]bool{}
			for len(set) < n {
				k := slices.Clone(prefix)
				for j := rng.IntN(9); j >= 0; j-- {
					k = append(k, alphabet[rng.IntN(len(alphabet))])
				}
				set[string(k)] = true
			}
			var keys [][]byte
			for k := range set {
				keys = append(keys, []byte(k))
			}
			slices.SortFunc(keys, bytes.Compare)
			ents := make([]page.Entry, len(keys))
			for i, k := range keys {
				v := fmt.Appendf(nil, "v%d", i)
				ents[i] = page.Entry{Key: k, Value: v, ValueLen: len(v)}
			}
			p := make([]byte, ps)
			must(t, "EncodeLeaf", l.EncodeLeaf(p, 2, 1, ents))
			ix := makeLeafIndex(&l, p)
			if ix == nil {
				t.Fatalf("page size %d, round %d: no index for %d short keys", ps, round, n)
			}
			if len(ix) != indexSize(n) || len(ix)*4 > maxIndex(ps) || len(ix) <= n+n/4 {
				t.Fatalf("page size %d, %d keys: index of %d entries (max %d bytes)", ps, n, len(ix), maxIndex(ps))
			}
			for i, k := range keys {
				off := ix.find(&l, p, k)
				if want := page.Slot(p, i); off != want {
					t.Fatalf("page size %d, round %d: find(%q) = offset %d, want %d (key %d of %d)", ps, round, k, off, want, i, n)
				}
				if c := l.LeafCellAt(p, off); !bytes.Equal(c.Value, ents[i].Value) {
					t.Fatalf("page size %d, round %d: find(%q) gives value %q, want %q", ps, round, k, c.Value, ents[i].Value)
				}
			}
			probes := [][]byte{{0}, []byte("zz"), append(slices.Clone(prefix), 0xff, 0xff, 0xff)}
			for _, k := range keys {
				probes = append(probes, append(slices.Clone(k), 0), k[:len(k)-1])
			}
			for _, k := range probes {
				_, found, err := s.searchLeaf(p, nil, k)
				must(t, "searchLeaf", err)
				if off := ix.find(&l, p, k); (off != 0) != found {
					t.Fatalf("page size %d, round %d: find(%q) = %d, searchLeaf found %v", ps, round, k, off, found)
				}
			}
		}
	}
}

// TestLeafIndexEligibility: leaves with a long key or too many keys get
// no index (and then a digest); the others get one and no digest.
func TestLeafIndexEligibility(t *testing.T) {
	l, err := page.NewLayout("index", 4096, checksum.CRC32C)
	must(t, "NewLayout", err)
	leaf := func(n int, long bool) []byte { return testLeaf(t, &l, "k%04d", n, long) }
	for _, tc := range []struct {
		n     int
		long  bool
		index bool
	}{
		{1, false, true},
		{maxIndexKeys(l.PageSize), false, true},
		{maxIndexKeys(l.PageSize) + 1, false, false},
		{20, true, false},
	} {
		p := leaf(tc.n, tc.long)
		v := view(&l, p)
		if got := v.index() != nil; got != tc.index {
			t.Errorf("%d keys (long %v): index %v, want %v", tc.n, tc.long, got, tc.index)
		}
		if v.index() != nil && v.digest() != nil {
			t.Errorf("%d keys: both an index and a digest", tc.n)
		}
		if v.level != 0 {
			t.Errorf("%d keys: level %d", tc.n, v.level)
		}
	}
}

// TestMaxIndexKeys: the largest index fits the digest budget, and one
// more key would not.
func TestMaxIndexKeys(t *testing.T) {
	for _, ps := range []int{4096, 8192, 16384, 32768, 65536} {
		n := maxIndexKeys(ps)
		if n < 8 || maxIndex(ps) > maxDigest(ps) || 4*indexSize(n+1) <= maxDigest(ps) {
			t.Errorf("page size %d: %d keys, index of %d bytes, %d bytes with one more key; digest budget %d",
				ps, n, maxIndex(ps), 4*indexSize(n+1), maxDigest(ps))
		}
	}
}

// TestKeyHash pins that keyHash spreads keys differing in one byte, at
// any position, over the bits the index uses (the low bits pick the
// first entry, the top sixteen are the stored hash bits).
func TestKeyHash(t *testing.T) {
	for _, tc := range []struct {
		a, b string
	}{
		{"", "\x00"},
		{"user1", "user2"},
		{"user12345678901", "user12345678902"},
		{"user12345678901", "user22345678901"},
		{"abcdefgh", "abcdefgi"},
		{"abcdefghi", "abcdefghj"},
		{"\x00", "\x00\x00"},
	} {
		ha, hb := keyHash([]byte(tc.a)), keyHash([]byte(tc.b))
		if ha&0xff == hb&0xff && ha>>48 == hb>>48 {
			t.Errorf("keyHash(%q) = %#x and keyHash(%q) = %#x share their low byte and top sixteen bits", tc.a, ha, tc.b, hb)
		}
		if keyHash([]byte(tc.a)) != ha {
			t.Errorf("keyHash(%q) is not deterministic", tc.a)
		}
	}
}
