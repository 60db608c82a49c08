package page

import (
	"bytes"
	"encoding/binary"
)

// Check verifies a page read from disk at want.ID: its length, its
// checksum, that its header names want.ID, want.LSN (unless zero) and typ
// (unless zero), and its whole structure (see Validate). Any failure is an
// error satisfying errors.Is(err, engine.ErrCorruption) naming the file
// and the page's offset. Accessors (Count, LeafCell, BranchCell, ...) are
// safe on a page that passed Check.
func (l *Layout) Check(p []byte, want Ref, typ Type) (Header, error) {
	if len(p) != l.PageSize {
		return Header{}, l.corrupt(want.ID, "%d bytes read, want %d", len(p), l.PageSize)
	}
	if !sumOK(p, l.Kind) {
		return Header{}, l.corrupt(want.ID, "%v checksum mismatch", l.Kind)
	}
	h := ReadHeader(p)
	if h.ID != want.ID {
		return h, l.corrupt(want.ID, "header names page %d", h.ID)
	}
	if want.LSN != 0 && h.LSN != want.LSN {
		return h, l.corrupt(want.ID, "written by checkpoint %d, reference says %d", h.LSN, want.LSN)
	}
	if typ != 0 && h.Type != typ {
		return h, l.corrupt(want.ID, "%v page where a %v page was expected", h.Type, typ)
	}
	return h, l.Validate(p, h)
}

// Validate checks the structure of a page whose checksum and header were
// checked: every slot, cell, length and reference lies inside the page and
// follows the format's rules, keys are in order, and the slots and cells
// together fit the page (so that cells cannot overlap so as to hold more
// than a page). It does not follow references.
func (l *Layout) Validate(p []byte, h Header) error {
	if h.Flags != 0 {
		return l.corrupt(h.ID, "unknown flags %#x", h.Flags)
	}
	if h.LSN == 0 {
		return l.corrupt(h.ID, "zero checkpoint id")
	}
	switch h.Type {
	case TypeLeaf:
		return l.validateNode(p, h, true)
	case TypeBranch:
		return l.validateNode(p, h, false)
	case TypeOverflow:
		return l.validateOverflow(p, h)
	case TypeFreelist:
		return l.validateFreelist(p, h)
	case TypeMeta:
		return l.corrupt(h.ID, "meta page outside pages 0 and 1")
	}
	return l.corrupt(h.ID, "unknown page type %d", uint8(h.Type))
}

// refOK reports whether r can reference a data page: not a meta page, and
// written by some checkpoint.
func refOK(r Ref) bool { return r.ID >= 2 && r.LSN != 0 }

// keyAt reads the well-formed key part at off of a validated page or an
// image (whose Refs may be pending, which parseKey rejects).
func (l *Layout) keyAt(p []byte, off int, ovf bool) (inline []byte, klen int, ref Ref, next int) {
	n, w := binary.Uvarint(p[off:])
	off += w
	klen = int(n)
	if ovf {
		inline = p[off : off+l.maxInlineKey : off+l.maxInlineKey]
		off += l.maxInlineKey
		return inline, klen, getRef(p[off:]), off + refSize
	}
	return p[off : off+klen : off+klen], klen, Ref{}, off + klen
}

// parseKey reads and checks a key part at off of a page read from disk.
func (l *Layout) parseKey(p []byte, off int, ovf bool) (inline []byte, klen int, ref Ref, next int, ok bool) {
	n, w := binary.Uvarint(p[off:])
	if w <= 0 || n == 0 || n > MaxKeyLen {
		return nil, 0, Ref{}, 0, false
	}
	off += w
	klen = int(n)
	if ovf {
		if l.KeyInline(klen) || off+l.maxInlineKey+refSize > len(p) {
			return nil, 0, Ref{}, 0, false
		}
		inline = p[off : off+l.maxInlineKey : off+l.maxInlineKey]
		off += l.maxInlineKey
		ref = getRef(p[off:])
		if !refOK(ref) {
			return nil, 0, Ref{}, 0, false
		}
		return inline, klen, ref, off + refSize, true
	}
	if !l.KeyInline(klen) || off+klen > len(p) {
		return nil, 0, Ref{}, 0, false
	}
	return p[off : off+klen : off+klen], klen, Ref{}, off + klen, true
}

func (l *Layout) validateNode(p []byte, h Header, leaf bool) error {
	n := int(h.Count)
	base := HeaderSize
	what := "leaf"
	if !leaf {
		base, what = branchBase, "branch"
		if h.Aux < 1 || h.Aux > MaxLevel {
			return l.corrupt(h.ID, "branch level %d", h.Aux)
		}
		if !refOK(getRef(p[HeaderSize:])) {
			return l.corrupt(h.ID, "bad child 0 reference %v", getRef(p[HeaderSize:]))
		}
	} else if h.Aux != 0 {
		return l.corrupt(h.ID, "leaf with level %d", h.Aux)
	}
	if n == 0 {
		return l.corrupt(h.ID, "empty %s", what)
	}
	cells := base + 2*n
	if cells > len(p) {
		return l.corrupt(h.ID, "%s count %d overflows the page", what, n)
	}
	var prev []byte
	total := cells // slots and cells: at most the page, as in a page a checkpoint writes
	for i := 0; i < n; i++ {
		off := int(binary.LittleEndian.Uint16(p[base+2*i:]))
		if off < cells || off >= len(p) {
			return l.corrupt(h.ID, "%s slot %d: offset %d outside [%d, %d)", what, i, off, cells, len(p))
		}
		flags := p[off]
		allowed := byte(flagKeyOverflow | flagValueOverflow)
		if !leaf {
			allowed = flagKeyOverflow
		}
		if flags&^allowed != 0 {
			return l.corrupt(h.ID, "%s cell %d: unknown flags %#x", what, i, flags)
		}
		kovf := flags&flagKeyOverflow != 0
		key, klen, _, next, ok := l.parseKey(p, off+1, kovf)
		if !ok {
			return l.corrupt(h.ID, "%s cell %d: bad key", what, i)
		}
		if i > 0 {
			c := bytes.Compare(prev, key)
			// Equal inline bytes are in order only when the later key is
			// a long key whose prefix equals the earlier (shorter) key.
			if c > 0 || (c == 0 && !kovf) {
				return l.corrupt(h.ID, "%s keys %d and %d out of order", what, i-1, i)
			}
		}
		prev = key
		if leaf {
			v, w := binary.Uvarint(p[next:])
			if w <= 0 || v > MaxValueLen {
				return l.corrupt(h.ID, "leaf cell %d: bad value length", i)
			}
			next += w
			vlen := int(v)
			vovf := flags&flagValueOverflow != 0
			if vovf == l.ValueInline(klen, vlen) {
				return l.corrupt(h.ID, "leaf cell %d: value of %d bytes with overflow flag %v", i, vlen, vovf)
			}
			if vovf {
				if next+refSize > len(p) || !refOK(getRef(p[next:])) {
					return l.corrupt(h.ID, "leaf cell %d: bad value reference", i)
				}
				next += refSize
			} else if next+vlen > len(p) {
				return l.corrupt(h.ID, "leaf cell %d: value overflows the page", i)
			} else {
				next += vlen
			}
		} else if next+refSize > len(p) || !refOK(getRef(p[next:])) {
			return l.corrupt(h.ID, "branch cell %d: bad child reference", i)
		} else {
			next += refSize
		}
		if total += next - off; total > len(p) {
			return l.corrupt(h.ID, "%s cells overlap: %d bytes of slots and cells in a page of %d", what, total, len(p))
		}
	}
	return nil
}

func (l *Layout) validateOverflow(p []byte, h Header) error {
	first := binary.LittleEndian.Uint64(p[HeaderSize:])
	total := binary.LittleEndian.Uint64(p[HeaderSize+8:])
	if h.Count != 0 || first < 2 || first > h.ID || total == 0 || total > MaxValueLen {
		return l.corrupt(h.ID, "bad overflow header (first %d, length %d)", first, total)
	}
	pp := uint64(l.OverflowPayload())
	idx := h.ID - first
	if idx >= (total+pp-1)/pp {
		return l.corrupt(h.ID, "overflow page %d of a run of %d bytes", idx, total)
	}
	if want := min(pp, total-idx*pp); uint64(h.Aux) != want {
		return l.corrupt(h.ID, "overflow page holds %d bytes, want %d", h.Aux, want)
	}
	return nil
}

func (l *Layout) validateFreelist(p []byte, h Header) error {
	if int(h.Count) > l.FreelistCap() || h.Aux != 0 {
		return l.corrupt(h.ID, "free-list page with %d ids", h.Count)
	}
	if next := getRef(p[HeaderSize:]); !next.IsZero() && !refOK(next) {
		return l.corrupt(h.ID, "bad next free-list reference %v", next)
	}
	for i := 0; i < int(h.Count); i++ {
		if id := binary.LittleEndian.Uint64(p[freelistBase+8*i:]); id < 2 {
			return l.corrupt(h.ID, "free id %d", id)
		}
	}
	return nil
}

// Count returns the count field of a page.
func Count(p []byte) int { return int(binary.LittleEndian.Uint16(p[26:])) }

// Level returns the level of a leaf (0) or branch (>= 1) page.
func Level(p []byte) int { return int(binary.LittleEndian.Uint32(p[28:])) }

// IsLeaf reports whether p is a leaf page.
func IsLeaf(p []byte) bool { return Type(p[24]) == TypeLeaf }

// Cell is a decoded cell of a validated leaf or branch page. Its slices
// alias the page.
type Cell struct {
	// Key holds the key's bytes in the cell: the whole key, or only its
	// first MaxInlineKey bytes when KeyRef is set.
	Key []byte
	// KeyLen is the whole key's length.
	KeyLen int
	// KeyRef is the overflow run of a long key.
	KeyRef Ref
	// Value is an inline value (leaf cells without ValueRef).
	Value []byte
	// ValueLen is the value's length (leaf cells).
	ValueLen int
	// ValueRef is the overflow run of a large value (leaf cells).
	ValueRef Ref
	// Child is the child to the right of the key (branch cells).
	Child Ref
	// Tombstone marks a deleted key in a delta image (never on disk).
	Tombstone bool
}

// LeafCell decodes entry i of a validated leaf page.
func (l *Layout) LeafCell(p []byte, i int) Cell {
	return l.LeafCellAt(p, int(binary.LittleEndian.Uint16(p[HeaderSize+2*i:])))
}

// LeafCellAt decodes the well-formed leaf cell at byte off of p (a
// validated page, an image, or the bytes of one cell with off 0).
func (l *Layout) LeafCellAt(p []byte, off int) Cell {
	flags := p[off]
	var c Cell
	var next int
	c.Key, c.KeyLen, c.KeyRef, next = l.keyAt(p, off+1, flags&flagKeyOverflow != 0)
	c.Tombstone = flags&flagTombstone != 0
	v, w := binary.Uvarint(p[next:])
	next += w
	c.ValueLen = int(v)
	if flags&flagValueOverflow != 0 {
		c.ValueRef = getRef(p[next:])
	} else {
		c.Value = p[next : next+c.ValueLen : next+c.ValueLen]
	}
	return c
}

// LeafKey returns the inline key bytes, the key length and the key's
// overflow run of entry i of a validated leaf page; it is LeafCell without
// the value.
func (l *Layout) LeafKey(p []byte, i int) (inline []byte, klen int, ref Ref) {
	return l.LeafKeyAt(p, int(binary.LittleEndian.Uint16(p[HeaderSize+2*i:])))
}

// LeafKeyAt is LeafKey of the well-formed leaf cell at byte off of p.
func (l *Layout) LeafKeyAt(p []byte, off int) (inline []byte, klen int, ref Ref) {
	inline, klen, ref, _ = l.keyAt(p, off+1, p[off]&flagKeyOverflow != 0)
	return inline, klen, ref
}

// BranchKey returns key i (0-based, < Count) of a validated branch page.
func (l *Layout) BranchKey(p []byte, i int) (inline []byte, klen int, ref Ref) {
	return l.BranchKeyAt(p, int(binary.LittleEndian.Uint16(p[branchBase+2*i:])))
}

// BranchKeyAt returns the key of the well-formed branch cell at byte off
// of p.
func (l *Layout) BranchKeyAt(p []byte, off int) (inline []byte, klen int, ref Ref) {
	inline, klen, ref, _ = l.keyAt(p, off+1, p[off]&flagKeyOverflow != 0)
	return inline, klen, ref
}

// BranchChild returns child i (0 <= i <= Count) of a validated branch page.
func (l *Layout) BranchChild(p []byte, i int) Ref {
	if i == 0 {
		return getRef(p[HeaderSize:])
	}
	off := int(binary.LittleEndian.Uint16(p[branchBase+2*(i-1):]))
	_, _, _, next := l.keyAt(p, off+1, p[off]&flagKeyOverflow != 0)
	return getRef(p[next:])
}

// OverflowData returns the run's first page, the run's total length and
// this page's payload, for a validated overflow page.
func OverflowData(p []byte) (first uint64, total int, payload []byte) {
	first = binary.LittleEndian.Uint64(p[HeaderSize:])
	total = int(binary.LittleEndian.Uint64(p[HeaderSize+8:]))
	n := int(binary.LittleEndian.Uint32(p[28:]))
	return first, total, p[overflowBase : overflowBase+n]
}

// FreelistData returns the next-page link and appends the ids of a
// validated free-list page to ids.
func FreelistData(p []byte, ids []uint64) (next Ref, out []uint64) {
	n := Count(p)
	for i := 0; i < n; i++ {
		ids = append(ids, binary.LittleEndian.Uint64(p[freelistBase+8*i:]))
	}
	return getRef(p[HeaderSize:]), ids
}

// CompareKey compares key with the key of cell c: it returns the result
// of bytes.Compare(key, cellKey). When the cell holds only a prefix of a
// long key and that prefix does not decide, needFull is true and the caller
// must compare with the whole key (from c.KeyRef).
func CompareKey(key, inline []byte, klen int) (cmp int, needFull bool) {
	if len(inline) == klen {
		return bytes.Compare(key, inline), false
	}
	if len(key) <= len(inline) {
		// key is at most as long as the prefix: the prefix decides, and an
		// equal prefix means key is shorter than the whole key.
		if c := bytes.Compare(key, inline); c != 0 {
			return c, false
		}
		return -1, false
	}
	if c := bytes.Compare(key[:len(inline)], inline); c != 0 {
		return c, false
	}
	return 0, true
}

// KeyRuns reports whether a key of the well-formed leaf image p lies in
// an overflow run of the file (a Ref that is not pending): a reader of
// the image's keys needs those runs.
func (l *Layout) KeyRuns(p []byte) bool {
	for i := range Count(p) {
		off := int(binary.LittleEndian.Uint16(p[HeaderSize+2*i:]))
		if p[off]&flagKeyOverflow == 0 {
			continue
		}
		if _, _, ref := l.LeafKeyAt(p, off); !ref.IsZero() {
			if _, pending := ref.IsPending(); !pending {
				return true
			}
		}
	}
	return false
}
