package page

import (
	"encoding/binary"
	"fmt"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/checksum"
)

// Version is the format version written in meta pages.
const Version = 1

// Sizes and limits of the format.
const (
	// HeaderSize is the size of the header every page starts with.
	HeaderSize = 32
	// MinPageSize and MaxPageSize bound the page size (a power of two).
	MinPageSize = 4 << 10
	MaxPageSize = 64 << 10
	// DefaultPageSize is the page size of a new file unless configured.
	DefaultPageSize = 8 << 10
	// MaxKeyLen and MaxValueLen are the largest lengths a page may record;
	// larger ones are corruption. They equal the engine's hard limits.
	MaxKeyLen   = engine.MaxKeySizeLimit
	MaxValueLen = engine.MaxValueSizeLimit
	// MaxLevel bounds the level of a branch page (a tree of 8 KiB pages
	// that deep would hold far more than any disk).
	MaxLevel = 40
	// refSize is the encoded size of a Ref.
	refSize = 16
	// branchBase is where a branch page's slot array starts: after the
	// header and the leftmost child.
	branchBase = HeaderSize + refSize
	// overflowBase is where an overflow page's payload starts.
	overflowBase = HeaderSize + 16
	// freelistBase is where a free-list page's ids start.
	freelistBase = HeaderSize + refSize
)

// Type is the kind of a page. Its values are stored on disk and frozen.
type Type uint8

// Page types.
const (
	TypeMeta     Type = 1
	TypeBranch   Type = 2
	TypeLeaf     Type = 3
	TypeOverflow Type = 4
	TypeFreelist Type = 5
)

// String implements fmt.Stringer.
func (t Type) String() string {
	switch t {
	case TypeMeta:
		return "meta"
	case TypeBranch:
		return "branch"
	case TypeLeaf:
		return "leaf"
	case TypeOverflow:
		return "overflow"
	case TypeFreelist:
		return "freelist"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Ref names one version of a page: its id (position in the file) and the
// checkpoint (LSN) that wrote it. Pages are never rewritten in place under
// a live reference, so a Ref names immutable bytes; a reader that finds
// another LSN in the page knows the page was reused. The zero Ref means
// "none".
type Ref struct {
	ID  uint64
	LSN uint64
}

// IsZero reports whether r is the zero Ref.
func (r Ref) IsZero() bool { return r == Ref{} }

// String implements fmt.Stringer.
func (r Ref) String() string { return fmt.Sprintf("%d@%d", r.ID, r.LSN) }

func putRef(b []byte, r Ref) {
	binary.LittleEndian.PutUint64(b, r.ID)
	binary.LittleEndian.PutUint64(b[8:], r.LSN)
}

func getRef(b []byte) Ref {
	return Ref{ID: binary.LittleEndian.Uint64(b), LSN: binary.LittleEndian.Uint64(b[8:])}
}

// Header is the common header of every page.
type Header struct {
	ID    uint64 // the page's own id
	LSN   uint64 // checkpoint id that wrote the page
	Type  Type
	Flags uint8  // reserved, zero
	Count uint16 // entries (leaf), keys (branch), ids (free list); 0 otherwise
	Aux   uint32 // level (leaf 0, branch >= 1); payload bytes (overflow)
}

// ReadHeader decodes the header of p, which must be at least HeaderSize
// bytes.
func ReadHeader(p []byte) Header {
	return Header{
		ID:    binary.LittleEndian.Uint64(p[8:]),
		LSN:   binary.LittleEndian.Uint64(p[16:]),
		Type:  Type(p[24]),
		Flags: p[25],
		Count: binary.LittleEndian.Uint16(p[26:]),
		Aux:   binary.LittleEndian.Uint32(p[28:]),
	}
}

// putHeader encodes h into p, leaving the checksum field zero.
func putHeader(p []byte, h Header) {
	clear(p[:8])
	binary.LittleEndian.PutUint64(p[8:], h.ID)
	binary.LittleEndian.PutUint64(p[16:], h.LSN)
	p[24] = byte(h.Type)
	p[25] = h.Flags
	binary.LittleEndian.PutUint16(p[26:], h.Count)
	binary.LittleEndian.PutUint32(p[28:], h.Aux)
}

// sealWith stores the checksum of p[8:] with kind in p[0:8].
func sealWith(p []byte, kind checksum.Kind) {
	binary.LittleEndian.PutUint64(p, checksum.Sum(kind, p[8:]))
}

// sumOK reports whether the checksum stored in p matches its contents.
func sumOK(p []byte, kind checksum.Kind) bool {
	return binary.LittleEndian.Uint64(p) == checksum.Sum(kind, p[8:])
}

// Layout holds a file's page size and checksum kind and the limits derived
// from them. It encodes and validates pages of that file.
type Layout struct {
	// File names the data file in error messages.
	File string
	// PageSize is the size of every page.
	PageSize int
	// Kind is the checksum of every page but the metas (always CRC32C).
	Kind checksum.Kind

	usable       int // PageSize - HeaderSize
	maxInlineKey int // keys longer are stored in overflow, this prefix inline
	maxLeafCell  int // a leaf cell (with its slot) with an inline value may not exceed it
}

// NewLayout returns the layout of file with pageSize and kind, or an
// error if pageSize is not a power of two in [MinPageSize, MaxPageSize]
// or kind is invalid.
func NewLayout(file string, pageSize int, kind checksum.Kind) (Layout, error) {
	if pageSize < MinPageSize || pageSize > MaxPageSize || pageSize&(pageSize-1) != 0 {
		return Layout{}, fmt.Errorf("btree: page size %d: want a power of two in [%d, %d]", pageSize, MinPageSize, MaxPageSize)
	}
	if !kind.Valid() {
		return Layout{}, fmt.Errorf("btree: %w: value %d", checksum.ErrUnknownKind, uint8(kind))
	}
	u := pageSize - HeaderSize
	return Layout{File: file, PageSize: pageSize, Kind: kind, usable: u, maxInlineKey: u / 16, maxLeafCell: u / 4}, nil
}

// Usable is the number of bytes after the header.
func (l *Layout) Usable() int { return l.usable }

// MaxInlineKey is the longest key stored whole in a cell; a longer key
// keeps its first MaxInlineKey bytes in the cell and the whole key in an
// overflow run.
func (l *Layout) MaxInlineKey() int { return l.maxInlineKey }

// Offset returns the byte offset of page id in the file.
func (l *Layout) Offset(id uint64) int64 { return int64(id) * int64(l.PageSize) }

func (l *Layout) corrupt(id uint64, format string, args ...any) error {
	off := int64(-1)
	if id <= uint64(1<<62)/uint64(l.PageSize) {
		off = l.Offset(id)
	}
	return engine.Corruptf(l.File, off, "page %d: %s", id, fmt.Sprintf(format, args...))
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// KeyInline reports whether a key of klen bytes is stored whole in its
// cell.
func (l *Layout) KeyInline(klen int) bool { return klen <= l.maxInlineKey }

func (l *Layout) keyPart(klen int) int {
	if l.KeyInline(klen) {
		return uvarintLen(uint64(klen)) + klen
	}
	return uvarintLen(uint64(klen)) + l.maxInlineKey + refSize
}

// ValueInline reports whether the value of a leaf entry with a klen-byte
// key and a vlen-byte value is stored in the cell (else in an overflow run).
func (l *Layout) ValueInline(klen, vlen int) bool {
	return 2+1+l.keyPart(klen)+uvarintLen(uint64(vlen))+vlen <= l.maxLeafCell
}

// LeafEntrySize returns the bytes a leaf entry takes in its page, slot
// included.
func (l *Layout) LeafEntrySize(klen, vlen int) int {
	n := 2 + 1 + l.keyPart(klen) + uvarintLen(uint64(vlen))
	if l.ValueInline(klen, vlen) {
		return n + vlen
	}
	return n + refSize
}

// BranchKeySize returns the bytes a branch key (with the child after it)
// takes in its page, slot included.
func (l *Layout) BranchKeySize(klen int) int { return 2 + 1 + l.keyPart(klen) + refSize }

// LeafBase and BranchBase are the sizes of an empty leaf and branch page:
// a node's encoded size is its base plus the sizes of its entries.
const (
	LeafBase   = HeaderSize
	BranchBase = branchBase
)

// OverflowPayload is the number of payload bytes one overflow page holds.
func (l *Layout) OverflowPayload() int { return l.PageSize - overflowBase }

// OverflowPages returns the number of pages of an overflow run holding n
// bytes.
func (l *Layout) OverflowPages(n int) int {
	p := l.OverflowPayload()
	return (n + p - 1) / p
}

// FreelistCap is the number of page ids one free-list page holds.
func (l *Layout) FreelistCap() int { return (l.PageSize - freelistBase) / 8 }

// Cell flags.
const (
	flagKeyOverflow   = 1 << 0
	flagValueOverflow = 1 << 1
	// flagTombstone marks, in an image only (never on disk, where
	// Validate rejects it), a deleted key: see AppendTombstone.
	flagTombstone = 1 << 7
)

// Entry is one leaf entry as the tree holds it in memory and EncodeLeaf
// writes it.
type Entry struct {
	// Key is the whole key.
	Key []byte
	// KeyRef is the overflow run holding the key, once written; only a
	// key longer than MaxInlineKey has one.
	KeyRef Ref
	// Value is the value when held in memory; it may be nil when the value
	// lives only in the overflow run ValueRef.
	Value []byte
	// ValueLen is the value's length.
	ValueLen int
	// ValueRef is the overflow run holding the value, once written.
	ValueRef Ref
}

// BranchKey is one separator key of a branch as the tree holds it.
type BranchKey struct {
	Key    []byte // the whole key
	KeyRef Ref    // overflow run holding it, once written (long keys only)
}

func (l *Layout) putKey(p []byte, off int, key []byte, ref Ref) (int, error) {
	off += binary.PutUvarint(p[off:], uint64(len(key)))
	if l.KeyInline(len(key)) {
		return off + copy(p[off:], key), nil
	}
	if ref.IsZero() {
		return 0, fmt.Errorf("btree: encoding a %d-byte key without its overflow run", len(key))
	}
	off += copy(p[off:], key[:l.maxInlineKey])
	putRef(p[off:], ref)
	return off + refSize, nil
}

// EncodeLeaf writes a leaf page with id and lsn holding ents (sorted) into
// p, which must be PageSize bytes, and seals it. Keys longer than
// MaxInlineKey need KeyRef and values not ValueInline need ValueRef. It
// returns an error if the entries do not fit or a run is missing.
func (l *Layout) EncodeLeaf(p []byte, id, lsn uint64, ents []Entry) error {
	size := LeafBase
	for i := range ents {
		size += l.LeafEntrySize(len(ents[i].Key), ents[i].ValueLen)
	}
	if size > l.PageSize || len(ents) == 0 {
		return fmt.Errorf("btree: leaf of %d entries and %d bytes does not fit a %d-byte page", len(ents), size, l.PageSize)
	}
	putHeader(p, Header{ID: id, LSN: lsn, Type: TypeLeaf, Count: uint16(len(ents))})
	off := HeaderSize + 2*len(ents)
	for i := range ents {
		e := &ents[i]
		binary.LittleEndian.PutUint16(p[HeaderSize+2*i:], uint16(off))
		start := off
		off++
		var err error
		if off, err = l.putKey(p, off, e.Key, e.KeyRef); err != nil {
			return err
		}
		var flags byte
		if !l.KeyInline(len(e.Key)) {
			flags |= flagKeyOverflow
		}
		off += binary.PutUvarint(p[off:], uint64(e.ValueLen))
		if l.ValueInline(len(e.Key), e.ValueLen) {
			if len(e.Value) != e.ValueLen {
				return fmt.Errorf("btree: encoding entry %d: value of %d bytes, length says %d", i, len(e.Value), e.ValueLen)
			}
			off += copy(p[off:], e.Value)
		} else {
			if e.ValueRef.IsZero() {
				return fmt.Errorf("btree: encoding a %d-byte value without its overflow run", e.ValueLen)
			}
			flags |= flagValueOverflow
			putRef(p[off:], e.ValueRef)
			off += refSize
		}
		p[start] = flags
	}
	clear(p[off:])
	sealWith(p, l.Kind)
	return nil
}

// EncodeBranch writes a branch page of level (>= 1) with id and lsn into
// p: kids[0], keys[0], kids[1], ... keys[n-1], kids[n], with len(kids) =
// len(keys)+1 >= 2, and seals it.
func (l *Layout) EncodeBranch(p []byte, id, lsn uint64, level int, keys []BranchKey, kids []Ref) error {
	if len(kids) != len(keys)+1 || len(keys) == 0 || level < 1 || level > MaxLevel {
		return fmt.Errorf("btree: branch with %d keys, %d children, level %d", len(keys), len(kids), level)
	}
	size := BranchBase
	for i := range keys {
		size += l.BranchKeySize(len(keys[i].Key))
	}
	if size > l.PageSize {
		return fmt.Errorf("btree: branch of %d keys and %d bytes does not fit a %d-byte page", len(keys), size, l.PageSize)
	}
	putHeader(p, Header{ID: id, LSN: lsn, Type: TypeBranch, Count: uint16(len(keys)), Aux: uint32(level)})
	putRef(p[HeaderSize:], kids[0])
	off := branchBase + 2*len(keys)
	for i := range keys {
		binary.LittleEndian.PutUint16(p[branchBase+2*i:], uint16(off))
		start := off
		off++
		var err error
		if off, err = l.putKey(p, off, keys[i].Key, keys[i].KeyRef); err != nil {
			return err
		}
		p[start] = 0
		if !l.KeyInline(len(keys[i].Key)) {
			p[start] = flagKeyOverflow
		}
		putRef(p[off:], kids[i+1])
		off += refSize
	}
	clear(p[off:])
	sealWith(p, l.Kind)
	return nil
}

// EncodeOverflow writes page index idx (0-based) of the overflow run that
// starts at page first and holds data (the whole value or key) into p,
// with id first+idx and lsn, and seals it.
func (l *Layout) EncodeOverflow(p []byte, first uint64, idx int, lsn uint64, data []byte) {
	pp := l.OverflowPayload()
	lo := idx * pp
	hi := min(lo+pp, len(data))
	putHeader(p, Header{ID: first + uint64(idx), LSN: lsn, Type: TypeOverflow, Aux: uint32(hi - lo)})
	binary.LittleEndian.PutUint64(p[HeaderSize:], first)
	binary.LittleEndian.PutUint64(p[HeaderSize+8:], uint64(len(data)))
	n := copy(p[overflowBase:], data[lo:hi])
	clear(p[overflowBase+n:])
	sealWith(p, l.Kind)
}

// EncodeFreelist writes a free-list page with id and lsn holding ids (at
// most FreelistCap) and the link to the next page of the list (zero Ref at
// the end) into p, and seals it.
func (l *Layout) EncodeFreelist(p []byte, id, lsn uint64, next Ref, ids []uint64) error {
	if len(ids) > l.FreelistCap() {
		return fmt.Errorf("btree: %d free ids do not fit a page of %d", len(ids), l.FreelistCap())
	}
	putHeader(p, Header{ID: id, LSN: lsn, Type: TypeFreelist, Count: uint16(len(ids))})
	putRef(p[HeaderSize:], next)
	off := freelistBase
	for _, x := range ids {
		binary.LittleEndian.PutUint64(p[off:], x)
		off += 8
	}
	clear(p[off:])
	sealWith(p, l.Kind)
	return nil
}
