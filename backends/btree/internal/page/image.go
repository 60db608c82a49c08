package page

import (
	"encoding/binary"
	"fmt"
)

// Node images.
//
// The btree keeps the nodes a write changed (dirty nodes) in memory in the
// page format itself, as unsealed leaf and branch pages ("images"), so
// that reading a dirty node and reading a page of the file are the same
// code, and a checkpoint only copies and seals. An image differs from a
// page on disk in three ways, none of which a sealed page may show:
//
//   - its cells may lie anywhere between the slot array and the end of the
//     page, with unused bytes between them (an image inserts a cell by
//     writing it below the lowest cell and shifting only slots); a sealed
//     page has them contiguous, in slot order, right after the slots;
//   - a Ref with LSN 0 and a non-zero ID is "pending": the overflow run is
//     not written yet and its data is held by the image's owner, at index
//     ID-1 (a Ref read from disk always has a non-zero LSN, see Check);
//   - a leaf image may hold tombstones (AppendTombstone): cells marking
//     keys deleted from the page the image is a delta of;
//   - an image may be shorter than a page (it grows as cells are added);
//   - the header's checksum, page id and LSN are meaningless until
//     Canonical and Seal.
//
// The functions below work on images and on validated pages alike.

// Pending returns the pending Ref of the data at index i of an image's
// side list.
func Pending(i int) Ref { return Ref{ID: uint64(i) + 1} }

// IsPending reports whether r is a pending Ref, and returns its index.
func (r Ref) IsPending() (int, bool) {
	if r.LSN == 0 && r.ID != 0 {
		return int(r.ID - 1), true
	}
	return 0, false
}

// RefAt returns the Ref stored at byte off of p.
func RefAt(p []byte, off int) Ref { return getRef(p[off:]) }

// SetRef stores r at byte off of p.
func SetRef(p []byte, off int, r Ref) { putRef(p[off:], r) }

// RefSize is the encoded size of a Ref.
const RefSize = refSize

// InitImage makes p (PageSize bytes) an empty node image of level: a leaf
// for level 0, else a branch whose child 0 is the zero Ref.
func InitImage(p []byte, level int) {
	typ := TypeLeaf
	if level > 0 {
		typ = TypeBranch
	}
	putHeader(p, Header{Type: typ, Aux: uint32(level)})
	if level > 0 {
		clear(p[HeaderSize:branchBase])
	}
}

// SlotBase returns the offset of the slot array of a leaf or branch page.
func SlotBase(p []byte) int {
	if IsLeaf(p) {
		return HeaderSize
	}
	return branchBase
}

// SetCount stores the count field of a page.
func SetCount(p []byte, n int) { binary.LittleEndian.PutUint16(p[26:], uint16(n)) }

// Slot returns the offset of cell i of a leaf or branch page.
func Slot(p []byte, i int) int {
	return int(binary.LittleEndian.Uint16(p[SlotBase(p)+2*i:]))
}

// SetSlot stores the offset of cell i.
func SetSlot(p []byte, i, off int) {
	binary.LittleEndian.PutUint16(p[SlotBase(p)+2*i:], uint16(off))
}

// Child0 is the offset of child 0's Ref in a branch page.
const Child0 = HeaderSize

// CellInfo locates a cell of a leaf or branch page or image.
type CellInfo struct {
	// Off and End bound the cell: p[Off:End].
	Off, End int
	// KeyRef is the offset in p of a long key's Ref, or -1.
	KeyRef int
	// ValueRef is the offset of a leaf value's Ref, or -1 (inline value,
	// or a branch cell).
	ValueRef int
}

// ChildRef returns the offset of the child Ref of a branch cell.
func (c CellInfo) ChildRef() int { return c.End - refSize }

// Len returns the cell's length.
func (c CellInfo) Len() int { return c.End - c.Off }

// CellAt locates cell i (< Count) of a validated page or an image.
func (l *Layout) CellAt(p []byte, i int) CellInfo {
	off := Slot(p, i)
	return l.CellInfoAt(p, off, IsLeaf(p))
}

// CellInfoAt locates the well-formed cell at byte off of a leaf or branch
// page.
func (l *Layout) CellInfoAt(p []byte, off int, leaf bool) CellInfo {
	flags := p[off]
	c := CellInfo{Off: off, KeyRef: -1, ValueRef: -1}
	klen, w := binary.Uvarint(p[off+1:])
	next := off + 1 + w
	if flags&flagKeyOverflow != 0 {
		next += l.maxInlineKey
		c.KeyRef = next
		next += refSize
	} else {
		next += int(klen)
	}
	if !leaf {
		c.End = next + refSize
		return c
	}
	vlen, w := binary.Uvarint(p[next:])
	next += w
	if flags&flagValueOverflow != 0 {
		c.ValueRef = next
		next += refSize
	} else {
		next += int(vlen)
	}
	c.End = next
	return c
}

// LeafCellSize returns the length of a leaf cell with a klen-byte key and
// a vlen-byte value (without its slot).
func (l *Layout) LeafCellSize(klen, vlen int) int { return l.LeafEntrySize(klen, vlen) - 2 }

// BranchCellSize returns the length of a branch cell with a klen-byte key.
func (l *Layout) BranchCellSize(klen int) int { return l.BranchKeySize(klen) - 2 }

// AppendLeafCell appends to dst the leaf cell of key and a value of vlen
// bytes: value itself if the value is stored inline (ValueInline), else
// valueRef. A key longer than MaxInlineKey is stored as its prefix and
// keyRef.
func (l *Layout) AppendLeafCell(dst, key []byte, keyRef Ref, value []byte, vlen int, valueRef Ref) []byte {
	start := len(dst)
	dst = append(dst, 0)
	dst = l.appendKey(dst, key, keyRef)
	if !l.KeyInline(len(key)) {
		dst[start] |= flagKeyOverflow
	}
	dst = binary.AppendUvarint(dst, uint64(vlen))
	if l.ValueInline(len(key), vlen) {
		return append(dst, value[:vlen]...)
	}
	dst[start] |= flagValueOverflow
	return appendRef(dst, valueRef)
}

// AppendTombstone appends to dst a leaf cell marking key as deleted: the
// key part (a long key's prefix and keyRef) and an empty value, with a
// flag bit that only images use.
func (l *Layout) AppendTombstone(dst, key []byte, keyRef Ref) []byte {
	start := len(dst)
	dst = l.AppendLeafCell(dst, key, keyRef, nil, 0, Ref{})
	dst[start] |= flagTombstone
	return dst
}

// AppendBranchCell appends to dst the branch cell of key (stored as its
// prefix and keyRef if longer than MaxInlineKey) and child.
func (l *Layout) AppendBranchCell(dst, key []byte, keyRef, child Ref) []byte {
	start := len(dst)
	dst = append(dst, 0)
	dst = l.appendKey(dst, key, keyRef)
	if !l.KeyInline(len(key)) {
		dst[start] |= flagKeyOverflow
	}
	return appendRef(dst, child)
}

func (l *Layout) appendKey(dst, key []byte, ref Ref) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	if l.KeyInline(len(key)) {
		return append(dst, key...)
	}
	dst = append(dst, key[:l.maxInlineKey]...)
	return appendRef(dst, ref)
}

func appendRef(dst []byte, r Ref) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, r.ID)
	return binary.LittleEndian.AppendUint64(dst, r.LSN)
}

// Canonical writes the leaf or branch image src into dst (PageSize bytes)
// as a page is stored: the header and slots of src, its cells contiguous
// in slot order right after the slots, zeros after them. It appends to
// pending, and returns, the offset in dst of every key or value Ref that is
// pending in src (copied unchanged), for the caller to fill in before
// Seal. Child Refs are copied as they are.
func (l *Layout) Canonical(dst, src []byte, pending []int) []int {
	n := Count(src)
	base := SlotBase(src)
	copy(dst[:base], src[:base])
	off := base + 2*n
	leaf := IsLeaf(src)
	for i := 0; i < n; i++ {
		c := l.CellInfoAt(src, Slot(src, i), leaf)
		binary.LittleEndian.PutUint16(dst[base+2*i:], uint16(off))
		copy(dst[off:], src[c.Off:c.End])
		for _, r := range [...]int{c.KeyRef, c.ValueRef} {
			if r >= 0 {
				if _, ok := getRef(src[r:]).IsPending(); ok {
					pending = append(pending, r-c.Off+off)
				}
			}
		}
		off += c.Len()
	}
	clear(dst[off:])
	return pending
}

// Seal stores id and lsn in the header of the leaf or branch page p and
// seals it with the file's checksum.
func (l *Layout) Seal(p []byte, id, lsn uint64) {
	binary.LittleEndian.PutUint64(p[8:], id)
	binary.LittleEndian.PutUint64(p[16:], lsn)
	sealWith(p, l.Kind)
}

// UsedSize returns the encoded size of a leaf or branch page or image:
// the header, the slots and the cells (what Canonical would occupy).
func (l *Layout) UsedSize(p []byte) int {
	n := Count(p)
	size := SlotBase(p) + 2*n
	leaf := IsLeaf(p)
	for i := 0; i < n; i++ {
		size += l.CellInfoAt(p, Slot(p, i), leaf).Len()
	}
	return size
}

// CheckImage verifies the structure of an image (tests and invariants):
// the slots and cells lie inside p without overlapping. It returns an
// error describing the first defect.
func (l *Layout) CheckImage(p []byte) error {
	n := Count(p)
	base := SlotBase(p)
	end := base + 2*n
	if end > len(p) {
		return fmt.Errorf("image: %d slots overflow the page", n)
	}
	leaf := IsLeaf(p)
	used := make([]bool, len(p))
	for i := 0; i < n; i++ {
		off := Slot(p, i)
		if off < end || off >= len(p) {
			return fmt.Errorf("image: slot %d: offset %d outside [%d, %d)", i, off, end, len(p))
		}
		c := l.CellInfoAt(p, off, leaf)
		if c.End > len(p) {
			return fmt.Errorf("image: cell %d at %d ends at %d, past the page", i, off, c.End)
		}
		for j := c.Off; j < c.End; j++ {
			if used[j] {
				return fmt.Errorf("image: cell %d overlaps another at byte %d", i, j)
			}
			used[j] = true
		}
	}
	return nil
}
