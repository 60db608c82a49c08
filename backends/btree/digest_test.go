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

func TestLoad4(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint32
	}{
		{"", 0},
		{"\x01", 0x01000000},
		{"ab", 0x61620000},
		{"abcd", 0x61626364},
		{"abcdef", 0x61626364},
	} {
		if got := load4([]byte(tc.in)); got != tc.want {
			t.Errorf("load4(%q) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
}

// TestDigestSearch builds leaf and branch pages from random sorted keys
// (sharing prefixes of random lengths, some keys prefixes of others, some
// with zero bytes) and checks that a search narrowed by the page's digest
// finds what the plain binary search finds, for keys on the page and
// around them.
func TestDigestSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 17))
	l, err := page.NewLayout("digest", 8192, checksum.CRC32C)
	must(t, "NewLayout", err)
	s := &store{}
	s.pg.l = l
	alphabet := []byte("\x00\x01ab\xff")
	for round := 0; round < 300; round++ {
		prefix := bytes.Repeat([]byte("p"), rng.IntN(70))
		fit := (l.PageSize - page.BranchBase) / l.BranchKeySize(len(prefix)+8)
		n := 8 + rng.IntN(min(600, fit-8)) // strides of 1 to 5
		set := map[string]bool{}
		for len(set) < n {
			k := slices.Clone(prefix)
			for j := rng.IntN(7); j >= 0; j-- {
				k = append(k, alphabet[rng.IntN(len(alphabet))])
			}
			set[string(k)] = true
		}
		var keys [][]byte
		for k := range set {
			keys = append(keys, []byte(k))
		}
		slices.SortFunc(keys, bytes.Compare)
		p := make([]byte, l.PageSize)
		leaf := round%2 == 0
		if leaf {
			ents := make([]page.Entry, len(keys))
			for i, k := range keys {
				ents[i] = page.Entry{Key: k, Value: []byte("v"), ValueLen: 1}
			}
			must(t, "EncodeLeaf", l.EncodeLeaf(p, 2, 1, ents))
		} else {
			bk := make([]page.BranchKey, len(keys))
			kids := make([]page.Ref, len(keys)+1)
			for i, k := range keys {
				bk[i] = page.BranchKey{Key: k}
			}
			for i := range kids {
				kids[i] = page.Ref{ID: 2 + uint64(i), LSN: 1}
			}
			must(t, "EncodeBranch", l.EncodeBranch(p, 2, 1, 1, bk, kids))
		}
		d := makeDigest(&l, p)
		if want := len(prefix) <= maxDigestPrefix; (d != nil) != want {
			t.Fatalf("round %d: digest %v for a shared prefix of %d bytes", round, d != nil, len(prefix))
		}
		if d == nil {
			continue
		}
		probes := [][]byte{nil, {}, []byte("p"), append(slices.Clone(prefix), 0xff, 0xff)}
		for _, k := range keys {
			probes = append(probes, k, append(slices.Clone(k), 0), k[:len(k)-1])
		}
		for _, k := range probes {
			gotI, gotOK, err := s.searchPage(p, d, k)
			must(t, "searchPage", err)
			var wantI int
			var wantOK bool
			if leaf {
				wantI, wantOK, err = s.searchLeaf(p, nil, k)
			} else {
				wantI, err = s.searchBranch(p, nil, k)
			}
			must(t, "search", err)
			if gotI != wantI || gotOK != wantOK {
				t.Fatalf("round %d (leaf %v, prefix %d): search(%q) = %d, %v with the digest, %d, %v without",
					round, leaf, len(prefix), k, gotI, gotOK, wantI, wantOK)
			}
		}
	}
}

// testLeaf encodes a leaf page of n keys made with keyFmt from 0 on, with
// empty values; with long, the last key is one too long to be inline
// (its overflow run is a made-up reference).
func testLeaf(t *testing.T, l *page.Layout, keyFmt string, n int, long bool) []byte {
	t.Helper()
	ents := make([]page.Entry, n)
	for i := range ents {
		ents[i] = page.Entry{Key: fmt.Appendf(nil, keyFmt, i), Value: []byte{}, ValueLen: 0}
	}
	if long {
		k := append(bytes.Repeat([]byte("k"), l.MaxInlineKey()+1), 'z')
		ents[n-1] = page.Entry{Key: k, KeyRef: page.Ref{ID: 9, LSN: 1}, Value: []byte{}}
	}
	p := make([]byte, l.PageSize)
	must(t, "EncodeLeaf", l.EncodeLeaf(p, 2, 1, ents))
	return p
}

// TestDigestEligibility: pages with few keys, too many keys, or a long key
// get no digest.
func TestDigestEligibility(t *testing.T) {
	l, err := page.NewLayout("digest", 4096, checksum.CRC32C)
	must(t, "NewLayout", err)
	leaf := func(n int, long bool) []byte { return testLeaf(t, &l, "k%03d", n, long) }
	for _, tc := range []struct {
		n    int
		long bool
		want bool
	}{
		{minDigestKeys - 1, false, false},
		{minDigestKeys, false, true},
		{maxDigestKeys(l.PageSize), false, true},
		{maxDigestKeys(l.PageSize) + 1, false, true}, // with a stride
		{20, true, false},
	} {
		if got := makeDigest(&l, leaf(tc.n, tc.long)) != nil; got != tc.want {
			t.Errorf("%d keys (long %v): digest %v, want %v", tc.n, tc.long, got, tc.want)
		}
	}
	for _, n := range []int{20, maxDigestKeys(l.PageSize), maxDigestKeys(l.PageSize) + 1, 3 * maxDigestKeys(l.PageSize)} {
		d := makeDigest(&l, leaf(n, false))
		if size := len(d.keys)*4 + len(d.offs)*2 + len(d.prefix); size > maxDigest(l.PageSize) {
			t.Errorf("%d keys: digest of %d bytes over maxDigest %d", n, size, maxDigest(l.PageSize))
		}
		if want := (n + maxDigestKeys(l.PageSize) - 1) / maxDigestKeys(l.PageSize); d.stride != want || (d.offs != nil) != (want == 1) {
			t.Errorf("%d keys: stride %d (offsets %v), want %d", n, d.stride, d.offs != nil, want)
		}
	}
}
