package page

import (
	"encoding/binary"
	"fmt"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/checksum"
)

// Magic identifies a Lightning btree data file; it starts every meta
// page's body.
const Magic = "LTNGBTRE"

// MetaChecksum is the checksum kind of meta pages, whatever the file's
// kind, so that a meta can be verified before the kind is known.
const MetaChecksum = checksum.CRC32C

// metaMinSize is the number of meta bytes that carry fields; the rest of
// the page is zero.
const metaMinSize = 160

// Meta is the content of a meta page: the root of one checkpoint's tree
// and everything needed to open the file at that checkpoint.
type Meta struct {
	// Checkpoint is the id of the checkpoint (also the LSN of its pages
	// and of the meta page itself). Checkpoint k lives in page k%2.
	Checkpoint uint64
	// PageSize and Checksum describe the file.
	PageSize int
	Checksum checksum.Kind
	// Root is the root page (zero for an empty tree); Height is the
	// number of levels (0 for an empty tree, 1 for a single leaf).
	Root   Ref
	Height int
	// PageCount is the number of pages the checkpoint's state uses: every
	// page id is below it.
	PageCount uint64
	// Freelist is the first page of the free list (zero if none);
	// FreeCount the number of ids it holds.
	Freelist  Ref
	FreeCount uint64
	// LastSeq is the sequence number of the last write included.
	LastSeq uint64
	// WALLog is the number of the first WAL segment recovery must read;
	// older segments were made obsolete by this checkpoint.
	WALLog uint64
	// Keys is the number of keys in the tree.
	Keys uint64
	// BranchPages, LeafPages and OverflowPages count the tree's pages by
	// type.
	BranchPages, LeafPages, OverflowPages uint64
}

// EncodeMeta writes m into p (PageSize bytes) as page m.Checkpoint%2 and
// seals it with MetaChecksum.
func EncodeMeta(p []byte, m *Meta) {
	putHeader(p, Header{ID: m.Checkpoint % 2, LSN: m.Checkpoint, Type: TypeMeta})
	b := p[HeaderSize:]
	copy(b, Magic)
	binary.LittleEndian.PutUint32(b[8:], Version)
	binary.LittleEndian.PutUint32(b[12:], uint32(m.PageSize))
	b[16] = byte(m.Checksum)
	clear(b[17:24])
	putRef(b[24:], m.Root)
	binary.LittleEndian.PutUint32(b[40:], uint32(m.Height))
	clear(b[44:48])
	binary.LittleEndian.PutUint64(b[48:], m.PageCount)
	putRef(b[56:], m.Freelist)
	binary.LittleEndian.PutUint64(b[72:], m.FreeCount)
	binary.LittleEndian.PutUint64(b[80:], m.LastSeq)
	binary.LittleEndian.PutUint64(b[88:], m.WALLog)
	binary.LittleEndian.PutUint64(b[96:], m.Keys)
	binary.LittleEndian.PutUint64(b[104:], m.BranchPages)
	binary.LittleEndian.PutUint64(b[112:], m.LeafPages)
	binary.LittleEndian.PutUint64(b[120:], m.OverflowPages)
	clear(p[metaMinSize:])
	sealWith(p, MetaChecksum)
}

// DecodeMeta decodes meta page id (0 or 1) from p, the bytes read at its
// offset. p may be longer than the page (a read of MaxPageSize bytes); the
// page size recorded in the meta decides how much of it is checked. Any
// defect is an error satisfying errors.Is(err, engine.ErrCorruption)
// naming file and offset.
func DecodeMeta(file string, id uint64, p []byte) (*Meta, error) {
	off := int64(id) * int64(len(p))
	bad := func(format string, args ...any) (*Meta, error) {
		return nil, engine.Corruptf(file, off, "meta page %d: %s", id, fmt.Sprintf(format, args...))
	}
	if len(p) < MinPageSize {
		return bad("%d bytes read", len(p))
	}
	b := p[HeaderSize:]
	if string(b[:8]) != Magic {
		return bad("bad magic %q", b[:8])
	}
	ps := int(binary.LittleEndian.Uint32(b[12:]))
	if ps < MinPageSize || ps > MaxPageSize || ps&(ps-1) != 0 {
		return bad("bad page size %d", ps)
	}
	off = int64(id) * int64(ps)
	if len(p) < ps {
		return bad("%d bytes read, page size %d", len(p), ps)
	}
	p = p[:ps]
	if !sumOK(p, MetaChecksum) {
		return bad("%v checksum mismatch", MetaChecksum)
	}
	h := ReadHeader(p)
	if h.Type != TypeMeta || h.ID != id || h.Count != 0 || h.Aux != 0 || h.Flags != 0 {
		return bad("bad header %+v", h)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != Version {
		return bad("format version %d, this build reads %d", v, Version)
	}
	m := &Meta{
		Checkpoint: h.LSN,
		PageSize:   ps,
		Checksum:   checksum.Kind(b[16]),
		Root:       getRef(b[24:]),
		Height:     int(binary.LittleEndian.Uint32(b[40:])),
		PageCount:  binary.LittleEndian.Uint64(b[48:]),
		Freelist:   getRef(b[56:]),
		FreeCount:  binary.LittleEndian.Uint64(b[72:]),
		LastSeq:    binary.LittleEndian.Uint64(b[80:]),
		WALLog:     binary.LittleEndian.Uint64(b[88:]),
		Keys:       binary.LittleEndian.Uint64(b[96:]),

		BranchPages:   binary.LittleEndian.Uint64(b[104:]),
		LeafPages:     binary.LittleEndian.Uint64(b[112:]),
		OverflowPages: binary.LittleEndian.Uint64(b[120:]),
	}
	switch {
	case m.Checkpoint%2 != id:
		return bad("checkpoint %d stored in page %d", m.Checkpoint, id)
	case !m.Checksum.Valid():
		return bad("unknown checksum kind %d", uint8(m.Checksum))
	case m.PageCount < 2 || m.PageCount > 1<<48:
		return bad("page count %d", m.PageCount)
	case m.Root.IsZero() != (m.Height == 0) || m.Height > MaxLevel+1:
		return bad("root %v with height %d", m.Root, m.Height)
	case !m.Root.IsZero() && (!refOK(m.Root) || m.Root.ID >= m.PageCount || m.Root.LSN > m.Checkpoint):
		return bad("bad root %v", m.Root)
	case !m.Freelist.IsZero() && (!refOK(m.Freelist) || m.Freelist.ID >= m.PageCount || m.Freelist.LSN > m.Checkpoint):
		return bad("bad free list %v", m.Freelist)
	case m.Freelist.IsZero() != (m.FreeCount == 0) || m.FreeCount > m.PageCount:
		return bad("free list %v with %d ids", m.Freelist, m.FreeCount)
	case m.Root.IsZero() && (m.Keys != 0 || m.BranchPages+m.LeafPages+m.OverflowPages != 0):
		return bad("empty tree with %d keys and %d pages", m.Keys, m.BranchPages+m.LeafPages+m.OverflowPages)
	case m.BranchPages+m.LeafPages+m.OverflowPages+m.FreeCount > m.PageCount:
		return bad("%d branch, %d leaf, %d overflow and %d free pages in a file of %d", m.BranchPages, m.LeafPages, m.OverflowPages, m.FreeCount, m.PageCount)
	}
	for _, x := range p[metaMinSize:] {
		if x != 0 {
			return bad("non-zero bytes after the fields")
		}
	}
	return m, nil
}
