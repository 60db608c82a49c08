package page

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/checksum"
)

// heapImage builds the image of a leaf (level 0) or branch holding cells
// the way the btree's writer does: slots in order, each cell written below
// the lowest one, in a random insertion order, with garbage bytes between
// and around the cells.
func heapImage(rng *rand.Rand, l *Layout, level int, child0 Ref, cells [][]byte) []byte {
	p := make([]byte, l.PageSize)
	for i := range p {
		p[i] = byte(rng.Uint32())
	}
	InitImage(p, level)
	if level > 0 {
		SetRef(p, Child0, child0)
	}
	SetCount(p, len(cells))
	slack := len(p) - SlotBase(p) - 2*len(cells)
	for _, c := range cells {
		slack -= len(c)
	}
	hole := func() int { // stale bytes between cells, within the slack
		h := rng.IntN(min(slack, 3) + 1)
		slack -= h
		return h
	}
	off := len(p) - hole()
	for _, i := range rng.Perm(len(cells)) {
		off -= len(cells[i]) + hole()
		copy(p[off:], cells[i])
		SetSlot(p, i, off)
	}
	return p
}

// randomEntries returns sorted leaf entries with every cell shape: short
// and long keys (the long ones with runs), inline and overflow values.
func randomEntries(rng *rand.Rand, l *Layout, budget int) []Entry {
	long := bytes.Repeat([]byte("L"), l.MaxInlineKey()+5)
	seen := map[string]bool{}
	var ents []Entry
	size := LeafBase
	for {
		var key []byte
		if rng.IntN(8) == 0 {
			key = fmt.Appendf(append([]byte{}, long...), "%04d", rng.IntN(1000))
		} else {
			key = fmt.Appendf(nil, "k%05d", rng.IntN(100000))
		}
		if seen[string(key)] {
			continue
		}
		e := Entry{Key: key}
		if !l.KeyInline(len(key)) {
			e.KeyRef = Ref{ID: 100 + uint64(rng.IntN(100)), LSN: 1}
		}
		switch rng.IntN(6) {
		case 0:
			e.ValueLen = l.PageSize
		default:
			e.ValueLen = rng.IntN(200)
		}
		if l.ValueInline(len(key), e.ValueLen) {
			e.Value = bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, e.ValueLen)
		} else {
			e.ValueRef = Ref{ID: 300 + uint64(rng.IntN(100)), LSN: 2}
		}
		s := l.LeafEntrySize(len(key), e.ValueLen)
		if size+s > budget {
			break
		}
		size += s
		seen[string(key)] = true
		ents = append(ents, e)
	}
	slices.SortFunc(ents, func(a, b Entry) int { return bytes.Compare(a.Key, b.Key) })
	return ents
}

// TestCanonicalLeafMatchesEncode builds leaf images from random entries,
// cell by cell in a scattered layout, and checks that Canonical and Seal
// produce exactly EncodeLeaf's page, and that the accessors read the same
// cells from the image as from the page.
func TestCanonicalLeafMatchesEncode(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 1))
	for round := 0; round < 200; round++ {
		l := mustLayout(t, []int{4096, 8192}[round%2], checksum.Kind(1+round%2))
		ents := randomEntries(rng, &l, rng.IntN(l.PageSize-LeafBase)+LeafBase)
		if len(ents) == 0 {
			continue
		}
		cells := make([][]byte, len(ents))
		size := LeafBase
		for i, e := range ents {
			cells[i] = l.AppendLeafCell(nil, e.Key, e.KeyRef, e.Value, e.ValueLen, e.ValueRef)
			if len(cells[i]) != l.LeafCellSize(len(e.Key), e.ValueLen) {
				t.Fatalf("cell %d: %d bytes, LeafCellSize says %d", i, len(cells[i]), l.LeafCellSize(len(e.Key), e.ValueLen))
			}
			size += 2 + len(cells[i])
		}
		img := heapImage(rng, &l, 0, Ref{}, cells)
		if err := l.CheckImage(img); err != nil {
			t.Fatal(err)
		}
		if got := l.UsedSize(img); got != size {
			t.Fatalf("UsedSize %d, want %d", got, size)
		}
		for i, e := range ents {
			c := l.LeafCell(img, i)
			if c.KeyLen != len(e.Key) || c.KeyRef != e.KeyRef || c.ValueLen != e.ValueLen || c.ValueRef != e.ValueRef || c.Tombstone {
				t.Fatalf("image cell %d: %+v, want %+v", i, c, e)
			}
			info := l.CellAt(img, i)
			if !bytes.Equal(img[info.Off:info.End], cells[i]) {
				t.Fatalf("CellAt(%d) bounds a different cell", i)
			}
			if (info.KeyRef >= 0) != !e.KeyRef.IsZero() || (info.KeyRef >= 0 && RefAt(img, info.KeyRef) != e.KeyRef) {
				t.Fatalf("cell %d: key Ref at %d", i, info.KeyRef)
			}
			if (info.ValueRef >= 0) != !e.ValueRef.IsZero() || (info.ValueRef >= 0 && RefAt(img, info.ValueRef) != e.ValueRef) {
				t.Fatalf("cell %d: value Ref at %d", i, info.ValueRef)
			}
		}
		got := make([]byte, l.PageSize)
		if pend := l.Canonical(got, img, nil); len(pend) != 0 {
			t.Fatalf("Canonical reports pending Refs %v in an image without any", pend)
		}
		l.Seal(got, 9, 3)
		want := make([]byte, l.PageSize)
		if err := l.EncodeLeaf(want, 9, 3, ents); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d: Canonical+Seal differs from EncodeLeaf", round)
		}
	}
}

// TestCanonicalBranchMatchesEncode is the same for branch pages.
func TestCanonicalBranchMatchesEncode(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 2))
	l := mustLayout(t, 4096, checksum.CRC32C)
	for round := 0; round < 100; round++ {
		ents := randomEntries(rng, &l, l.PageSize/2)
		if len(ents) == 0 {
			continue
		}
		keys := make([]BranchKey, len(ents))
		kids := []Ref{{ID: 2, LSN: 1}}
		cells := make([][]byte, len(ents))
		for i, e := range ents {
			keys[i] = BranchKey{Key: e.Key, KeyRef: e.KeyRef}
			kids = append(kids, Ref{ID: 3 + uint64(i), LSN: 1 + uint64(i)})
			cells[i] = l.AppendBranchCell(nil, e.Key, e.KeyRef, kids[i+1])
			if len(cells[i]) != l.BranchCellSize(len(e.Key)) {
				t.Fatalf("branch cell of %d bytes, BranchCellSize says %d", len(cells[i]), l.BranchCellSize(len(e.Key)))
			}
		}
		img := heapImage(rng, &l, 2, kids[0], cells)
		for i := range cells {
			if c := l.CellAt(img, i); RefAt(img, c.ChildRef()) != kids[i+1] || l.BranchChild(img, i+1) != kids[i+1] {
				t.Fatalf("child %d of the image", i+1)
			}
		}
		got := make([]byte, l.PageSize)
		l.Canonical(got, img, nil)
		l.Seal(got, 9, 3)
		want := make([]byte, l.PageSize)
		if err := l.EncodeBranch(want, 9, 3, 2, keys, kids); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d: Canonical+Seal differs from EncodeBranch", round)
		}
	}
}

// TestPendingRefs checks that Canonical reports where pending Refs land,
// and that a page still holding one fails Check (a pending Ref must never
// reach the disk).
func TestPendingRefs(t *testing.T) {
	l := mustLayout(t, 4096, checksum.CRC32C)
	long := bytes.Repeat([]byte("p"), l.MaxInlineKey()+1)
	cells := [][]byte{
		l.AppendLeafCell(nil, []byte("a"), Ref{}, nil, 3000, Pending(0)),
		l.AppendLeafCell(nil, []byte("b"), Ref{}, []byte("v"), 1, Ref{}),
		l.AppendLeafCell(nil, long, Pending(1), nil, 3000, Pending(2)),
	}
	for i, want := range []struct {
		r  Ref
		ix int
		ok bool
	}{{Pending(0), 0, true}, {Pending(7), 7, true}, {Ref{ID: 3, LSN: 1}, 0, false}, {Ref{}, 0, false}} {
		if ix, ok := want.r.IsPending(); ok != want.ok || (ok && ix != want.ix) {
			t.Errorf("case %d: %v.IsPending() = %d, %v", i, want.r, ix, ok)
		}
	}
	img := heapImage(rand.New(rand.NewPCG(1, 1)), &l, 0, Ref{}, cells)
	p := make([]byte, l.PageSize)
	pend := l.Canonical(p, img, nil)
	if len(pend) != 3 {
		t.Fatalf("Canonical reported %d pending Refs, want 3", len(pend))
	}
	var seen []int
	for _, off := range pend {
		ix, ok := RefAt(p, off).IsPending()
		if !ok {
			t.Fatalf("offset %d holds %v, not a pending Ref", off, RefAt(p, off))
		}
		seen = append(seen, ix)
	}
	if slices.Sort(seen); !slices.Equal(seen, []int{0, 1, 2}) {
		t.Fatalf("pending indexes %v", seen)
	}
	l.Seal(p, 5, 1)
	if _, err := l.Check(p, Ref{ID: 5, LSN: 1}, TypeLeaf); !errors.Is(err, engine.ErrCorruption) {
		t.Fatalf("a page with pending Refs passed Check: %v", err)
	}
	for i, off := range pend {
		SetRef(p, off, Ref{ID: 10 + uint64(i), LSN: 1})
	}
	l.Seal(p, 5, 1)
	if _, err := l.Check(p, Ref{ID: 5, LSN: 1}, TypeLeaf); err != nil {
		t.Fatalf("after filling in the Refs: %v", err)
	}
}

// TestTombstone checks that a tombstone reads as one in an image and is
// rejected on disk.
func TestTombstone(t *testing.T) {
	l := mustLayout(t, 4096, checksum.CRC32C)
	long := bytes.Repeat([]byte("t"), l.MaxInlineKey()+3)
	for _, key := range [][]byte{[]byte("gone"), long} {
		ref := Ref{}
		if !l.KeyInline(len(key)) {
			ref = Ref{ID: 4, LSN: 1}
		}
		cell := l.AppendTombstone(nil, key, ref)
		c := l.LeafCellAt(cell, 0)
		if !c.Tombstone || c.KeyLen != len(key) || c.KeyRef != ref || c.ValueLen != 0 || !c.ValueRef.IsZero() {
			t.Fatalf("tombstone of %d-byte key reads as %+v", len(key), c)
		}
		if info := l.CellInfoAt(cell, 0, true); info.End != len(cell) {
			t.Fatalf("tombstone cell of %d bytes, CellInfoAt says %d", len(cell), info.End)
		}
		p := make([]byte, l.PageSize)
		l.Canonical(p, heapImage(rand.New(rand.NewPCG(2, 2)), &l, 0, Ref{}, [][]byte{cell}), nil)
		l.Seal(p, 5, 1)
		if _, err := l.Check(p, Ref{ID: 5, LSN: 1}, TypeLeaf); !errors.Is(err, engine.ErrCorruption) {
			t.Fatalf("a page with a tombstone passed Check: %v", err)
		}
	}
}

// TestOverlappingCells checks that Validate rejects a page whose cells,
// each well formed and in key order, overlap so that together they hold
// more than a page, and that CheckImage reports overlapping cells.
func TestOverlappingCells(t *testing.T) {
	l := mustLayout(t, 4096, checksum.CRC32C)
	p := make([]byte, l.PageSize)
	ents := []Entry{{Key: []byte("a"), Value: bytes.Repeat([]byte("v"), 800), ValueLen: 800}}
	if err := l.EncodeLeaf(p, 5, 1, ents); err != nil {
		t.Fatal(err)
	}
	if err := l.CheckImage(p); err != nil {
		t.Fatalf("CheckImage of a good page: %v", err)
	}
	// Five cells of 909 bytes, 100 bytes apart: each lies inside the
	// page, their keys are in order, and they hold 4545 bytes.
	q := make([]byte, l.PageSize)
	const n = 5
	InitImage(q, 0)
	SetCount(q, n)
	for i := 0; i < n; i++ {
		off := HeaderSize + 2*n + 100*i
		cell := l.AppendLeafCell(nil, fmt.Appendf(nil, "k%02d", i), Ref{}, bytes.Repeat([]byte("v"), 900), 900, Ref{})
		copy(q[off:], cell)
		SetSlot(q, i, off)
	}
	if err := l.CheckImage(q); err == nil {
		t.Fatal("CheckImage accepted overlapping cells")
	}
	l.Seal(q, 5, 1)
	if _, err := l.Check(q, Ref{ID: 5, LSN: 1}, TypeLeaf); !errors.Is(err, engine.ErrCorruption) {
		t.Fatalf("Check accepted cells holding more than a page: %v", err)
	}
}
