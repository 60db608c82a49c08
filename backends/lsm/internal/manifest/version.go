package manifest

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync/atomic"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
)

// ErrInvalidEdit is wrapped by the errors of Version.Apply: an edit that
// does not fit the Version (a deleted file that is absent, a file added
// twice, overlapping files in a level above 0).
var ErrInvalidEdit = errors.New("manifest: edit does not apply")

// Version is an immutable set of table files by level (see the package
// documentation for the order and invariants). Levels must not be
// modified.
type Version struct {
	Levels [NumLevels][]*FileMeta
	refs   atomic.Int32
}

// Retain adds a reference. The first reference (from zero) also adds a
// reference to every file of the Version; it must not race with other
// calls, which holds when the owner retains a new Version before
// publishing it. Later references may be taken concurrently.
func (v *Version) Retain() {
	if v.refs.Add(1) == 1 {
		for _, files := range v.Levels {
			for _, f := range files {
				f.refs.Add(1)
			}
		}
	}
}

// Release drops a reference. When the last one goes, it drops the
// Version's reference to each of its files and returns the files that no
// Version holds any more: they are obsolete.
func (v *Version) Release() (obsolete []*FileMeta) {
	n := v.refs.Add(-1)
	if n > 0 {
		return nil
	}
	if n < 0 {
		panic("manifest: Version released more often than retained")
	}
	for _, files := range v.Levels {
		for _, f := range files {
			if f.refs.Add(-1) == 0 {
				obsolete = append(obsolete, f)
			}
		}
	}
	return obsolete
}

// Refs returns the Version's reference count, for tests.
func (v *Version) Refs() int32 { return v.refs.Load() }

// FileRefs returns how many retained Versions hold f, for tests.
func (f *FileMeta) FileRefs() int32 { return f.refs.Load() }

// NumFiles returns the number of files in all levels.
func (v *Version) NumFiles() int {
	n := 0
	for _, files := range v.Levels {
		n += len(files)
	}
	return n
}

// LevelSize returns the bytes of the files at level.
func (v *Version) LevelSize(level int) uint64 {
	var n uint64
	for _, f := range v.Levels[level] {
		n += f.Size
	}
	return n
}

// l0Less orders level 0 oldest first.
func l0Less(a, b *FileMeta) int {
	if c := cmp.Compare(a.LargestSeq, b.LargestSeq); c != 0 {
		return c
	}
	return cmp.Compare(a.FileNum, b.FileNum)
}

// Apply returns the Version that e makes of v. v is unchanged; the new
// Version has no references (see Retain). The error wraps ErrInvalidEdit
// and names the file and the invariant.
func (v *Version) Apply(e *VersionEdit) (*Version, error) {
	bad := func(format string, args ...any) (*Version, error) {
		return nil, fmt.Errorf("%w: %s", ErrInvalidEdit, fmt.Sprintf(format, args...))
	}
	if err := checkAdded(e); err != nil {
		return bad("%v", err)
	}
	nv := &Version{}
	changed := [NumLevels]bool{}
	del := map[uint64]int{}
	for _, d := range e.Deleted {
		if _, dup := del[d.FileNum]; dup {
			return bad("file %06d deleted twice", d.FileNum)
		}
		del[d.FileNum] = d.Level
		changed[d.Level] = true
	}
	present := map[uint64]bool{}
	for level, files := range v.Levels {
		for _, f := range files {
			present[f.FileNum] = true
			if l, ok := del[f.FileNum]; ok && l == level {
				delete(del, f.FileNum)
				continue
			}
			nv.Levels[level] = append(nv.Levels[level], f)
		}
	}
	for num, level := range del {
		return bad("file %06d deleted from level %d, where it is not", num, level)
	}
	for _, a := range e.Added {
		if err := a.Meta.check(); err != nil {
			return bad("%v", err)
		}
		if present[a.Meta.FileNum] && !deletedHere(e, a.Meta.FileNum) {
			return bad("file %06d added but already present", a.Meta.FileNum)
		}
		present[a.Meta.FileNum] = true
		nv.Levels[a.Level] = append(nv.Levels[a.Level], a.Meta)
		changed[a.Level] = true
	}
	if changed[0] {
		slices.SortFunc(nv.Levels[0], l0Less)
	}
	for level := 1; level < NumLevels; level++ {
		if !changed[level] {
			continue
		}
		files := nv.Levels[level]
		slices.SortFunc(files, func(a, b *FileMeta) int { return base.Compare(a.Smallest, b.Smallest) })
		for i := 1; i < len(files); i++ {
			if bytes.Compare(files[i-1].Largest.UserKey, files[i].Smallest.UserKey) >= 0 {
				return bad("level %d: files %s and %s overlap", level, files[i-1], files[i])
			}
		}
	}
	return nv, nil
}

// deletedHere reports whether e deletes file num (a move re-adds it).
func deletedHere(e *VersionEdit, num uint64) bool {
	for _, d := range e.Deleted {
		if d.FileNum == num {
			return true
		}
	}
	return false
}

// checkAdded rejects an edit that adds one file number twice.
func checkAdded(e *VersionEdit) error {
	seen := map[uint64]bool{}
	for _, a := range e.Added {
		if seen[a.Meta.FileNum] {
			return fmt.Errorf("file %06d added twice", a.Meta.FileNum)
		}
		seen[a.Meta.FileNum] = true
	}
	return nil
}

// Overlaps returns the files of level whose user-key range intersects
// [lo, hi] (both inclusive; nil lo or hi is unbounded), in level order.
func (v *Version) Overlaps(level int, lo, hi []byte) []*FileMeta {
	files := v.Levels[level]
	if level == 0 {
		var out []*FileMeta
		for _, f := range files {
			if overlaps(f, lo, hi) {
				out = append(out, f)
			}
		}
		return out
	}
	// Disjoint and sorted: a contiguous run.
	i := 0
	if lo != nil {
		i = sort.Search(len(files), func(i int) bool { return bytes.Compare(files[i].Largest.UserKey, lo) >= 0 })
	}
	j := i
	for j < len(files) && (hi == nil || bytes.Compare(files[j].Smallest.UserKey, hi) <= 0) {
		j++
	}
	return files[i:j:j]
}

func overlaps(f *FileMeta, lo, hi []byte) bool {
	if lo != nil && bytes.Compare(f.Largest.UserKey, lo) < 0 {
		return false
	}
	if hi != nil && bytes.Compare(f.Smallest.UserKey, hi) > 0 {
		return false
	}
	return true
}

// FindFile returns the index of the file of level >= 1 whose range may
// hold userKey (the first file whose largest user key is >= userKey), or
// len(files) if there is none; the caller checks the file's smallest key.
func (v *Version) FindFile(level int, userKey []byte) int {
	files := v.Levels[level]
	lo, hi := 0, len(files)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if bytes.Compare(files[m].Largest.UserKey, userKey) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// Snapshot returns the edit that builds v from an empty Version, with the
// given counters and the format version: the first record of a MANIFEST.
func (v *Version) Snapshot(logNum, nextFileNum, lastSeq uint64) *VersionEdit {
	e := &VersionEdit{LogNum: logNum, NextFileNum: nextFileNum, LastSeq: lastSeq, FormatVersion: FormatVersion}
	for level, files := range v.Levels {
		for _, f := range files {
			e.Added = append(e.Added, NewFile{Level: level, Meta: f})
		}
	}
	return e
}

// String lists the files level by level, for tests and logs.
func (v *Version) String() string {
	var b bytes.Buffer
	for level, files := range v.Levels {
		if len(files) == 0 {
			continue
		}
		fmt.Fprintf(&b, "L%d:", level)
		for _, f := range files {
			fmt.Fprintf(&b, " %s", f)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
