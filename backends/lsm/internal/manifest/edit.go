package manifest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
)

// NumLevels is the number of levels: level 0 and levels 1..NumLevels-1.
const NumLevels = 7

// FormatVersion is the format version written in snapshot edits.
const FormatVersion = 1

// Field tags of an encoded VersionEdit (frozen).
const (
	tagLogNum        = 1
	tagNextFileNum   = 2
	tagLastSeq       = 3
	tagDeletedFile   = 4
	tagNewFile       = 5
	tagFormatVersion = 6
)

// ErrDecode is wrapped by every error of VersionEdit.Decode.
var ErrDecode = errors.New("manifest: malformed version edit")

// FileMeta describes one table file. The fields other than the reference
// count and Compacting are set when the file is written and never change.
type FileMeta struct {
	// FileNum names the file (see the lsm package for file names).
	FileNum uint64
	// Size is the file's size in bytes.
	Size uint64
	// Smallest and Largest are the table's first and last internal keys.
	// Their bytes are owned by the FileMeta and must not be modified.
	Smallest, Largest base.InternalKey
	// SmallestSeq and LargestSeq bound the sequence numbers of its entries.
	SmallestSeq, LargestSeq uint64

	// Compacting marks a file that a compaction has taken as input. It is
	// owned by the LSM (changed and read under its mutex), not by Versions.
	Compacting bool

	refs atomic.Int32 // Versions holding the file (see Version.Retain)
}

// String renders the file for logs and tests: "000012[a#5,SET-k#9,DEL]".
func (f *FileMeta) String() string {
	return fmt.Sprintf("%06d[%s-%s]", f.FileNum, f.Smallest, f.Largest)
}

// NewFile is a file added at a level.
type NewFile struct {
	Level int
	Meta  *FileMeta
}

// DeletedFile is a file removed from a level.
type DeletedFile struct {
	Level   int
	FileNum uint64
}

// VersionEdit is the change from one Version to the next. Zero counters
// (LogNum, NextFileNum, LastSeq) mean "unchanged".
type VersionEdit struct {
	// LogNum is the first WAL segment whose records may not be in the
	// tables: segments below it are obsolete.
	LogNum uint64
	// NextFileNum is above every file number in use.
	NextFileNum uint64
	// LastSeq is the largest sequence number such that every write at or
	// below it is in the tables.
	LastSeq uint64
	// FormatVersion is set (to FormatVersion) in snapshot edits.
	FormatVersion uint64
	// Deleted lists files removed; they must be present.
	Deleted []DeletedFile
	// Added lists files added.
	Added []NewFile
}

// Encode appends the encoding of e to dst.
func (e *VersionEdit) Encode(dst []byte) []byte {
	u := binary.AppendUvarint
	if e.FormatVersion != 0 {
		dst = u(u(dst, tagFormatVersion), e.FormatVersion)
	}
	if e.LogNum != 0 {
		dst = u(u(dst, tagLogNum), e.LogNum)
	}
	if e.NextFileNum != 0 {
		dst = u(u(dst, tagNextFileNum), e.NextFileNum)
	}
	if e.LastSeq != 0 {
		dst = u(u(dst, tagLastSeq), e.LastSeq)
	}
	for _, d := range e.Deleted {
		dst = u(u(u(dst, tagDeletedFile), uint64(d.Level)), d.FileNum)
	}
	for _, n := range e.Added {
		m := n.Meta
		dst = u(u(u(u(dst, tagNewFile), uint64(n.Level)), m.FileNum), m.Size)
		dst = u(dst, uint64(m.Smallest.Size()))
		dst = m.Smallest.Append(dst)
		dst = u(dst, uint64(m.Largest.Size()))
		dst = m.Largest.Append(dst)
		dst = u(u(dst, m.SmallestSeq), m.LargestSeq)
	}
	return dst
}

// decoder reads the fields of an encoded edit.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d", ErrDecode, what, d.off)
	}
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad " + what)
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) level() int {
	l := d.uvarint("level")
	if d.err == nil && l >= NumLevels {
		d.fail(fmt.Sprintf("level %d, want < %d", l, NumLevels))
	}
	return int(l)
}

// key reads a length-prefixed encoded internal key and returns a copy.
func (d *decoder) key(what string) base.InternalKey {
	n := d.uvarint(what + " length")
	if d.err != nil {
		return base.InternalKey{}
	}
	if n > uint64(len(d.b)-d.off) {
		d.fail(what + " overflows the record")
		return base.InternalKey{}
	}
	k, ok := base.Decode(d.b[d.off : d.off+int(n)])
	if !ok {
		d.fail("invalid " + what)
		return base.InternalKey{}
	}
	d.off += int(n)
	return base.InternalKey{UserKey: append([]byte(nil), k.UserKey...), Trailer: k.Trailer}
}

// Decode replaces e with the edit encoded in b. A malformed encoding is an
// error wrapping ErrDecode that names the problem and its byte offset.
// The keys of added files are copies; e does not alias b.
func (e *VersionEdit) Decode(b []byte) error {
	*e = VersionEdit{}
	d := &decoder{b: b}
	for d.err == nil && d.off < len(b) {
		tagOff := d.off
		tag := d.uvarint("tag")
		if d.err != nil {
			break
		}
		switch tag {
		case tagLogNum:
			e.LogNum = d.uvarint("log number")
		case tagNextFileNum:
			e.NextFileNum = d.uvarint("next file number")
		case tagLastSeq:
			e.LastSeq = d.uvarint("last sequence")
		case tagFormatVersion:
			e.FormatVersion = d.uvarint("format version")
			if d.err == nil && e.FormatVersion != FormatVersion {
				d.fail(fmt.Sprintf("format version %d, want %d", e.FormatVersion, FormatVersion))
			}
		case tagDeletedFile:
			l := d.level()
			n := d.uvarint("file number")
			e.Deleted = append(e.Deleted, DeletedFile{Level: l, FileNum: n})
		case tagNewFile:
			l := d.level()
			m := &FileMeta{}
			m.FileNum = d.uvarint("file number")
			m.Size = d.uvarint("file size")
			m.Smallest = d.key("smallest key")
			m.Largest = d.key("largest key")
			m.SmallestSeq = d.uvarint("smallest seq")
			m.LargestSeq = d.uvarint("largest seq")
			if d.err == nil {
				if err := m.check(); err != nil {
					d.off = tagOff
					d.fail(err.Error())
				}
			}
			e.Added = append(e.Added, NewFile{Level: l, Meta: m})
		default:
			d.off = tagOff
			d.fail(fmt.Sprintf("unknown tag %d", tag))
		}
	}
	if d.err != nil {
		*e = VersionEdit{}
	}
	return d.err
}

// check validates a file's own fields.
func (f *FileMeta) check() error {
	switch {
	case f.FileNum == 0:
		return fmt.Errorf("file number 0")
	case base.Compare(f.Smallest, f.Largest) > 0:
		return fmt.Errorf("file %06d: smallest key %s above largest %s", f.FileNum, f.Smallest, f.Largest)
	case f.SmallestSeq > f.LargestSeq:
		return fmt.Errorf("file %06d: smallest seq %d above largest %d", f.FileNum, f.SmallestSeq, f.LargestSeq)
	case f.LargestSeq > base.MaxSeq:
		return fmt.Errorf("file %06d: seq %d above the maximum", f.FileNum, f.LargestSeq)
	}
	return nil
}
