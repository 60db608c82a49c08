package page

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/checksum"
)

var seedFlag = flag.Uint64("seed", 0, "seed for randomized tests (0: time-based)")

func testSeed(t *testing.T) uint64 {
	t.Helper()
	s := *seedFlag
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed=%d)", s, s)
	return s
}

func mustLayout(t testing.TB, ps int, kind checksum.Kind) Layout {
	t.Helper()
	l, err := NewLayout("data", ps, kind)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestNewLayout(t *testing.T) {
	for _, tc := range []struct {
		ps   int
		kind checksum.Kind
		ok   bool
	}{
		{4096, checksum.CRC32C, true},
		{8192, checksum.XXH3, true},
		{65536, checksum.CRC32C, true},
		{2048, checksum.CRC32C, false},
		{131072, checksum.CRC32C, false},
		{6000, checksum.CRC32C, false},
		{8192, 0, false},
		{8192, 9, false},
	} {
		_, err := NewLayout("f", tc.ps, tc.kind)
		if (err == nil) != tc.ok {
			t.Errorf("NewLayout(%d, %v) = %v, want ok=%v", tc.ps, tc.kind, err, tc.ok)
		}
	}
}

func TestSizes(t *testing.T) {
	l := mustLayout(t, 8192, checksum.CRC32C)
	u := 8192 - HeaderSize
	for _, tc := range []struct {
		klen, vlen int
		want       int
		inlineV    bool
	}{
		{1, 0, 2 + 1 + 1 + 1 + 1 + 0, true},
		{23, 100, 2 + 1 + 1 + 23 + 1 + 100, true},
		{u / 16, 0, 2 + 1 + 2 + u/16 + 1, true},
		{u/16 + 1, 0, 2 + 1 + 2 + u/16 + 16 + 1, true},
		{10, u/4 - 2 - 1 - 1 - 10 - 2, u / 4, true},
		{10, u/4 - 2 - 1 - 1 - 10 - 2 + 1, 2 + 1 + 1 + 10 + 2 + 16, false},
		{10, 1 << 20, 2 + 1 + 1 + 10 + 3 + 16, false},
	} {
		if got := l.LeafEntrySize(tc.klen, tc.vlen); got != tc.want {
			t.Errorf("LeafEntrySize(%d, %d) = %d, want %d", tc.klen, tc.vlen, got, tc.want)
		}
		if got := l.ValueInline(tc.klen, tc.vlen); got != tc.inlineV {
			t.Errorf("ValueInline(%d, %d) = %v, want %v", tc.klen, tc.vlen, got, tc.inlineV)
		}
	}
	// Every cell is at most a quarter of the usable space, whatever the
	// lengths, so that a node one cell over a page splits into two pages.
	for _, ps := range []int{4096, 8192, 65536} {
		l := mustLayout(t, ps, checksum.CRC32C)
		for _, klen := range []int{1, 100, l.MaxInlineKey(), l.MaxInlineKey() + 1, MaxKeyLen} {
			for _, vlen := range []int{0, 10, ps / 8, ps / 4, ps, MaxValueLen} {
				if s := l.LeafEntrySize(klen, vlen); s > l.Usable()/4 {
					t.Errorf("ps %d: LeafEntrySize(%d, %d) = %d > %d", ps, klen, vlen, s, l.Usable()/4)
				}
			}
			if s := l.BranchKeySize(klen); s > l.Usable()/4 {
				t.Errorf("ps %d: BranchKeySize(%d) = %d", ps, klen, s)
			}
		}
	}
	if got, want := l.OverflowPages(1), 1; got != want {
		t.Errorf("OverflowPages(1) = %d", got)
	}
	if got, want := l.OverflowPages(l.OverflowPayload()+1), 2; got != want {
		t.Errorf("OverflowPages(payload+1) = %d", got)
	}
}

func TestCompareKey(t *testing.T) {
	for _, tc := range []struct {
		key, inline string
		klen        int
		cmp         int
		full        bool
	}{
		{"abc", "abc", 3, 0, false},
		{"abd", "abc", 3, 1, false},
		{"ab", "abc", 3, -1, false},
		{"abcd", "abc", 3, 1, false},
		// inline holds a 3-byte prefix of a 10-byte key
		{"abc", "abc", 10, -1, false},
		{"ab", "abc", 10, -1, false},
		{"abb", "abc", 10, -1, false},
		{"abd", "abc", 10, 1, false},
		{"abcxxxxxxxxxxx", "abc", 10, 0, true},
		{"abbxxxxxxxxxxx", "abc", 10, -1, false},
		{"abdxxxxxxxxxxx", "abc", 10, 1, false},
	} {
		cmp, full := CompareKey([]byte(tc.key), []byte(tc.inline), tc.klen)
		if cmp != tc.cmp || full != tc.full {
			t.Errorf("CompareKey(%q, %q, %d) = %d, %v; want %d, %v", tc.key, tc.inline, tc.klen, cmp, full, tc.cmp, tc.full)
		}
	}
}

// leafFixture returns entries exercising every cell shape.
func leafFixture(l *Layout) []Entry {
	long := bytes.Repeat([]byte("k"), l.MaxInlineKey()+50)
	big := bytes.Repeat([]byte("v"), l.PageSize)
	return []Entry{
		{Key: []byte("a"), Value: []byte{}, ValueLen: 0},
		{Key: []byte("b"), Value: []byte("value-b"), ValueLen: 7},
		{Key: []byte("c"), ValueLen: len(big), ValueRef: Ref{ID: 7, LSN: 3}},
		{Key: long[:l.MaxInlineKey()], Value: []byte("x"), ValueLen: 1},
		{Key: long, KeyRef: Ref{ID: 9, LSN: 2}, Value: []byte("y"), ValueLen: 1},
		{Key: append(append([]byte{}, long...), 'z'), KeyRef: Ref{ID: 10, LSN: 2}, ValueLen: len(big), ValueRef: Ref{ID: 11, LSN: 2}},
	}
}

func TestLeafRoundTrip(t *testing.T) {
	for _, kind := range []checksum.Kind{checksum.CRC32C, checksum.XXH3} {
		l := mustLayout(t, 4096, kind)
		ents := leafFixture(&l)
		p := make([]byte, l.PageSize)
		if err := l.EncodeLeaf(p, 5, 4, ents); err != nil {
			t.Fatal(err)
		}
		h, err := l.Check(p, Ref{ID: 5, LSN: 4}, TypeLeaf)
		if err != nil {
			t.Fatal(err)
		}
		if h.Count != uint16(len(ents)) || !IsLeaf(p) || Level(p) != 0 {
			t.Fatalf("header %+v", h)
		}
		for i, e := range ents {
			c := l.LeafCell(p, i)
			if c.KeyLen != len(e.Key) || c.KeyRef != e.KeyRef || c.ValueLen != e.ValueLen || c.ValueRef != e.ValueRef {
				t.Errorf("cell %d: %+v, want %+v", i, c, e)
			}
			if !bytes.HasPrefix(e.Key, c.Key) || (e.KeyRef.IsZero() && !bytes.Equal(c.Key, e.Key)) {
				t.Errorf("cell %d: key %q", i, c.Key)
			}
			if e.ValueRef.IsZero() && !bytes.Equal(c.Value, e.Value) {
				t.Errorf("cell %d: value %q, want %q", i, c.Value, e.Value)
			}
			in, kl, kr := l.LeafKey(p, i)
			if !bytes.Equal(in, c.Key) || kl != c.KeyLen || kr != c.KeyRef {
				t.Errorf("LeafKey(%d) disagrees with LeafCell", i)
			}
		}
		// Wrong expectations are corruption.
		for _, want := range []struct {
			ref Ref
			typ Type
		}{{Ref{6, 4}, TypeLeaf}, {Ref{5, 3}, TypeLeaf}, {Ref{5, 4}, TypeBranch}} {
			if _, err := l.Check(p, want.ref, want.typ); !errors.Is(err, engine.ErrCorruption) {
				t.Errorf("Check(%v, %v) = %v, want corruption", want.ref, want.typ, err)
			}
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	l := mustLayout(t, 4096, checksum.CRC32C)
	p := make([]byte, l.PageSize)
	long := bytes.Repeat([]byte("k"), l.MaxInlineKey()+1)
	for i, ents := range [][]Entry{
		nil,
		{{Key: long, Value: []byte("v"), ValueLen: 1}},          // key run missing
		{{Key: []byte("k"), ValueLen: 5000}},                    // value run missing
		{{Key: []byte("k"), Value: []byte("abc"), ValueLen: 2}}, // length mismatch
		make([]Entry, 1000),                                     // too big
	} {
		for j := range ents {
			if ents[j].Key == nil {
				ents[j] = Entry{Key: []byte(fmt.Sprintf("key%06d", j)), Value: []byte("v"), ValueLen: 1}
			}
		}
		if err := l.EncodeLeaf(p, 2, 1, ents); err == nil {
			t.Errorf("case %d: EncodeLeaf succeeded", i)
		}
	}
	if err := l.EncodeBranch(p, 2, 1, 1, nil, []Ref{{2, 1}}); err == nil {
		t.Error("branch without keys encoded")
	}
	if err := l.EncodeBranch(p, 2, 1, 0, []BranchKey{{Key: []byte("a")}}, []Ref{{2, 1}, {3, 1}}); err == nil {
		t.Error("branch of level 0 encoded")
	}
	if err := l.EncodeFreelist(p, 2, 1, Ref{}, make([]uint64, l.FreelistCap()+1)); err == nil {
		t.Error("oversized free list encoded")
	}
}

func TestBranchRoundTrip(t *testing.T) {
	l := mustLayout(t, 4096, checksum.CRC32C)
	long := bytes.Repeat([]byte("m"), l.MaxInlineKey()+9)
	keys := []BranchKey{{Key: []byte("d")}, {Key: long, KeyRef: Ref{ID: 40, LSN: 1}}, {Key: []byte("q")}}
	kids := []Ref{{ID: 10, LSN: 1}, {ID: 11, LSN: 2}, {ID: 12, LSN: 3}, {ID: 13, LSN: 3}}
	p := make([]byte, l.PageSize)
	if err := l.EncodeBranch(p, 3, 3, 2, keys, kids); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Check(p, Ref{ID: 3, LSN: 3}, TypeBranch); err != nil {
		t.Fatal(err)
	}
	if Count(p) != 3 || Level(p) != 2 || IsLeaf(p) {
		t.Fatalf("count %d level %d", Count(p), Level(p))
	}
	for i, k := range keys {
		in, kl, ref := l.BranchKey(p, i)
		if kl != len(k.Key) || ref != k.KeyRef || !bytes.HasPrefix(k.Key, in) {
			t.Errorf("key %d: %q %d %v", i, in, kl, ref)
		}
	}
	for i, k := range kids {
		if got := l.BranchChild(p, i); got != k {
			t.Errorf("child %d = %v, want %v", i, got, k)
		}
	}
}

func TestOverflowRoundTrip(t *testing.T) {
	l := mustLayout(t, 4096, checksum.XXH3)
	data := make([]byte, 3*l.OverflowPayload()-17)
	for i := range data {
		data[i] = byte(i * 7)
	}
	n := l.OverflowPages(len(data))
	var got []byte
	for i := 0; i < n; i++ {
		p := make([]byte, l.PageSize)
		l.EncodeOverflow(p, 20, i, 4, data)
		if _, err := l.Check(p, Ref{ID: 20 + uint64(i), LSN: 4}, TypeOverflow); err != nil {
			t.Fatal(err)
		}
		first, total, payload := OverflowData(p)
		if first != 20 || total != len(data) {
			t.Fatalf("page %d: first %d total %d", i, first, total)
		}
		got = append(got, payload...)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("overflow data differs")
	}
}

func TestFreelistRoundTrip(t *testing.T) {
	l := mustLayout(t, 4096, checksum.CRC32C)
	ids := []uint64{2, 9, 1 << 40}
	p := make([]byte, l.PageSize)
	if err := l.EncodeFreelist(p, 4, 2, Ref{ID: 8, LSN: 2}, ids); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Check(p, Ref{ID: 4, LSN: 2}, TypeFreelist); err != nil {
		t.Fatal(err)
	}
	next, got := FreelistData(p, nil)
	if next != (Ref{ID: 8, LSN: 2}) || fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Fatalf("next %v ids %v", next, got)
	}
}

func TestMetaRoundTrip(t *testing.T) {
	m := &Meta{Checkpoint: 7, PageSize: 8192, Checksum: checksum.XXH3, Root: Ref{ID: 5, LSN: 7}, Height: 3,
		PageCount: 100, Freelist: Ref{ID: 6, LSN: 7}, FreeCount: 12, LastSeq: 99, WALLog: 4, Keys: 1234,
		BranchPages: 3, LeafPages: 40, OverflowPages: 9}
	p := make([]byte, 8192)
	EncodeMeta(p, m)
	got, err := DecodeMeta("f", 1, p)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *m {
		t.Fatalf("got %+v, want %+v", got, m)
	}
	// A longer read (MaxPageSize bytes) decodes too.
	long := append(append([]byte{}, p...), make([]byte, MaxPageSize-len(p))...)
	if _, err := DecodeMeta("f", 1, long); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeMeta("f", 0, p); !errors.Is(err, engine.ErrCorruption) {
		t.Fatalf("meta decoded as page 0: %v", err)
	}
	bad := []func(*Meta){
		func(m *Meta) { m.Checksum = 0 },
		func(m *Meta) { m.PageCount = 1 },
		func(m *Meta) { m.Height = 0 },
		func(m *Meta) { m.Root = Ref{}; m.Height = 0 },
		func(m *Meta) { m.Root.ID = 100 },
		func(m *Meta) { m.Root.LSN = 8 },
		func(m *Meta) { m.FreeCount = 0 },
		func(m *Meta) { m.Freelist = Ref{ID: 1, LSN: 1} },
		func(m *Meta) { m.LeafPages = 90 },
	}
	for i, f := range bad {
		c := *m
		f(&c)
		EncodeMeta(p, &c)
		if _, err := DecodeMeta("f", 1, p); !errors.Is(err, engine.ErrCorruption) {
			t.Errorf("case %d: DecodeMeta(%+v) = %v, want corruption", i, c, err)
		}
	}
}

// sealed returns one valid page of every type.
func sealedPages(t testing.TB, l *Layout) [][]byte {
	t.Helper()
	var out [][]byte
	p := make([]byte, l.PageSize)
	if err := l.EncodeLeaf(p, 5, 4, leafFixture(l)); err != nil {
		t.Fatal(err)
	}
	out = append(out, p)
	p = make([]byte, l.PageSize)
	long := bytes.Repeat([]byte("m"), l.MaxInlineKey()+9)
	if err := l.EncodeBranch(p, 6, 4, 1, []BranchKey{{Key: []byte("d")}, {Key: long, KeyRef: Ref{ID: 40, LSN: 1}}},
		[]Ref{{ID: 10, LSN: 1}, {ID: 11, LSN: 2}, {ID: 12, LSN: 3}}); err != nil {
		t.Fatal(err)
	}
	out = append(out, p)
	p = make([]byte, l.PageSize)
	l.EncodeOverflow(p, 7, 0, 4, bytes.Repeat([]byte("o"), 100))
	out = append(out, p)
	p = make([]byte, l.PageSize)
	if err := l.EncodeFreelist(p, 8, 4, Ref{ID: 9, LSN: 4}, []uint64{3, 4, 5}); err != nil {
		t.Fatal(err)
	}
	out = append(out, p)
	return out
}

// TestCorruptionDetected flips every byte of one page of each type, and
// of a meta page: each flip must be reported as corruption.
func TestCorruptionDetected(t *testing.T) {
	l := mustLayout(t, 4096, checksum.CRC32C)
	for _, p := range sealedPages(t, &l) {
		h := ReadHeader(p)
		for i := range p {
			q := append([]byte{}, p...)
			q[i] ^= 0x5a
			if _, err := l.Check(q, Ref{ID: h.ID, LSN: h.LSN}, h.Type); !errors.Is(err, engine.ErrCorruption) {
				t.Fatalf("%v page: flip at %d: %v", h.Type, i, err)
			}
		}
	}
	m := &Meta{Checkpoint: 3, PageSize: 4096, Checksum: checksum.CRC32C, PageCount: 2}
	p := make([]byte, 4096)
	EncodeMeta(p, m)
	for i := range p {
		q := append([]byte{}, p...)
		q[i] ^= 0x01
		if _, err := DecodeMeta("f", 1, q); !errors.Is(err, engine.ErrCorruption) {
			t.Fatalf("meta: flip at %d: %v", i, err)
		}
	}
}

// TestStructureChecks reseals damaged pages so that the checksum passes
// and the structural validation must find the damage (or accept a page
// that is still well-formed); accessors must never panic on what passes.
func TestStructureChecks(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	l := mustLayout(t, 4096, checksum.CRC32C)
	pages := sealedPages(t, &l)
	n := 20000
	if testing.Short() {
		n = 3000
	}
	rejected := 0
	for i := 0; i < n; i++ {
		q := append([]byte{}, pages[rng.IntN(len(pages))]...)
		for j := rng.IntN(3); j >= 0; j-- {
			q[8+rng.IntN(200)] ^= byte(1 + rng.IntN(255))
		}
		sealWith(q, l.Kind)
		if err := exercise(&l, q); err != nil {
			if !errors.Is(err, engine.ErrCorruption) {
				t.Fatalf("iteration %d: error %v is not corruption", i, err)
			}
			rejected++
		}
	}
	if rejected == 0 {
		t.Fatal("no damaged page was rejected")
	}
	t.Logf("%d of %d damaged pages rejected", rejected, n)
}

// exercise checks p as the page its header names and, if it passes, walks
// every accessor.
func exercise(l *Layout, p []byte) error {
	h := ReadHeader(p)
	if _, err := l.Check(p, Ref{ID: h.ID}, 0); err != nil {
		return err
	}
	// What the btree does with a validated node page: cell bounds (which
	// must lie in the page), its size (at most a page), a canonical copy.
	node := func() error {
		for i := 0; i < Count(p); i++ {
			if c := l.CellAt(p, i); c.Off < SlotBase(p)+2*Count(p) || c.End > len(p) || c.Off >= c.End {
				return fmt.Errorf("validated page: cell %d at [%d, %d)", i, c.Off, c.End)
			}
		}
		if n := l.UsedSize(p); n > len(p) {
			return fmt.Errorf("validated page holds %d bytes", n)
		}
		l.Canonical(make([]byte, len(p)), p, nil)
		return nil
	}
	switch h.Type {
	case TypeLeaf:
		for i := 0; i < Count(p); i++ {
			c := l.LeafCell(p, i)
			l.LeafKey(p, i)
			CompareKey([]byte("probe"), c.Key, c.KeyLen)
		}
		l.KeyRuns(p)
		return node()
	case TypeBranch:
		for i := 0; i < Count(p); i++ {
			l.BranchKey(p, i)
		}
		for i := 0; i <= Count(p); i++ {
			l.BranchChild(p, i)
		}
		return node()
	case TypeOverflow:
		OverflowData(p)
	case TypeFreelist:
		FreelistData(p, nil)
	}
	return nil
}

// TestKeyRuns checks which leaves report keys in overflow runs of the
// file: a key with a written run does; inline keys, overflow values and
// a key whose run is still pending (in memory) do not.
func TestKeyRuns(t *testing.T) {
	l := mustLayout(t, 4096, checksum.CRC32C)
	long := bytes.Repeat([]byte("k"), l.MaxInlineKey()+50)
	for _, tc := range []struct {
		name string
		ents []Entry
		want bool
	}{
		{"empty", nil, false},
		{"inline keys", []Entry{{Key: []byte("a"), Value: []byte("1"), ValueLen: 1}, {Key: []byte("b"), ValueLen: 5000, ValueRef: Ref{ID: 7, LSN: 1}}}, false},
		{"longest inline key", []Entry{{Key: long[:l.MaxInlineKey()], Value: []byte("x"), ValueLen: 1}}, false},
		{"key in a run", []Entry{{Key: []byte("a"), Value: []byte("1"), ValueLen: 1}, {Key: long, KeyRef: Ref{ID: 9, LSN: 2}, Value: []byte("y"), ValueLen: 1}}, true},
		{"key in a pending run", []Entry{{Key: long, KeyRef: Pending(0), Value: []byte("y"), ValueLen: 1}}, false},
		{"fixture", leafFixture(&l), true},
	} {
		p := make([]byte, l.PageSize)
		if tc.ents == nil {
			InitImage(p, 0)
		} else if err := l.EncodeLeaf(p, 5, 4, tc.ents); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := l.KeyRuns(p); got != tc.want {
			t.Errorf("%s: KeyRuns = %v, want %v", tc.name, got, tc.want)
		}
	}
}
