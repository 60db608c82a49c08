package lsm

import (
	"bytes"
	"sort"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/backends/lsm/internal/manifest"
	"github.com/lightningdb/lightning/backends/lsm/internal/sstable"
)

// levelIter walks a sorted run of tables with disjoint key ranges (a level
// above 0, or one level-0 table) as one internal iterator, opening one
// table at a time through the table cache. Bounds on user keys skip files
// and blocks outside [lower, upper).
type levelIter struct {
	tc           *tableCache
	files        []*manifest.FileMeta
	lower, upper []byte

	idx int // index of the open file, or -1
	ent tableRef
	it  *sstable.Iter // &sit while a file is open, else nil
	sit sstable.Iter  // reused from file to file
	err error
}

// newLevelIter returns an iterator over files; the bounds must not change
// until it is closed.
func newLevelIter(tc *tableCache, files []*manifest.FileMeta, lower, upper []byte) *levelIter {
	l := &levelIter{}
	l.init(tc, files, lower, upper)
	return l
}

// init makes l an unpositioned iterator over files, as newLevelIter
// does, keeping its buffers. l must be closed (or never used).
func (l *levelIter) init(tc *tableCache, files []*manifest.FileMeta, lower, upper []byte) {
	l.tc, l.files, l.lower, l.upper = tc, files, lower, upper
	l.idx, l.ent, l.it, l.err = -1, tableRef{}, nil, nil
}

// closeFile closes the open file's iterator and drops its reference.
func (l *levelIter) closeFile() {
	if l.it != nil {
		if err := l.it.Close(); err != nil && l.err == nil {
			l.err = err
		}
		l.it = nil
	}
	if l.ent.e != nil {
		l.tc.release(l.ent)
		l.ent = tableRef{}
	}
	l.idx = -1
}

// openFile makes file i the open one; false on error.
func (l *levelIter) openFile(i int) bool {
	if l.idx == i && l.it != nil {
		return true
	}
	l.closeFile()
	ent, err := l.tc.get(l.files[i].FileNum)
	if err != nil {
		l.err = err
		return false
	}
	l.ent, l.idx = ent, i
	ent.r.InitIter(&l.sit, l.lower, l.upper)
	l.it = &l.sit
	return true
}

// beyondUpper reports whether file i starts at or past the upper bound.
func (l *levelIter) beyondUpper(i int) bool {
	return l.upper != nil && bytes.Compare(l.files[i].Smallest.UserKey, l.upper) >= 0
}

// belowLower reports whether file i ends before the lower bound.
func (l *levelIter) belowLower(i int) bool {
	return l.lower != nil && bytes.Compare(l.files[i].Largest.UserKey, l.lower) < 0
}

// forwardFrom positions at the first entry of files i, i+1, ... given the
// first positioning call on file i.
func (l *levelIter) forwardFrom(i int, first func(it *sstable.Iter) bool) bool {
	for ; i < len(l.files) && l.err == nil; i++ {
		if l.beyondUpper(i) {
			break
		}
		if !l.openFile(i) {
			return false
		}
		if first(l.it) {
			return true
		}
		if err := l.it.Error(); err != nil {
			l.err = err
			return false
		}
		first = (*sstable.Iter).First
	}
	l.closeFile()
	return false
}

// backwardFrom is forwardFrom going down.
func (l *levelIter) backwardFrom(i int, last func(it *sstable.Iter) bool) bool {
	for ; i >= 0 && l.err == nil; i-- {
		if l.belowLower(i) {
			break
		}
		if !l.openFile(i) {
			return false
		}
		if last(l.it) {
			return true
		}
		if err := l.it.Error(); err != nil {
			l.err = err
			return false
		}
		last = (*sstable.Iter).Last
	}
	l.closeFile()
	return false
}

func (l *levelIter) First() bool {
	if l.err != nil {
		return false
	}
	if l.lower != nil {
		return l.SeekGE(l.lower)
	}
	return l.forwardFrom(0, (*sstable.Iter).First)
}

func (l *levelIter) Last() bool {
	if l.err != nil {
		return false
	}
	if l.upper != nil {
		return l.SeekLT(l.upper)
	}
	return l.backwardFrom(len(l.files)-1, (*sstable.Iter).Last)
}

func (l *levelIter) SeekGE(userKey []byte) bool {
	if l.err != nil {
		return false
	}
	if l.lower != nil && bytes.Compare(userKey, l.lower) < 0 {
		userKey = l.lower
	}
	i := sort.Search(len(l.files), func(i int) bool { return bytes.Compare(l.files[i].Largest.UserKey, userKey) >= 0 })
	return l.forwardFrom(i, func(it *sstable.Iter) bool { return it.SeekGE(userKey) })
}

func (l *levelIter) SeekLT(userKey []byte) bool {
	if l.err != nil {
		return false
	}
	if l.upper != nil && bytes.Compare(userKey, l.upper) > 0 {
		userKey = l.upper
	}
	i := sort.Search(len(l.files), func(i int) bool { return bytes.Compare(l.files[i].Smallest.UserKey, userKey) >= 0 })
	return l.backwardFrom(i-1, func(it *sstable.Iter) bool { return it.SeekLT(userKey) })
}

func (l *levelIter) Next() bool {
	if l.it == nil || l.err != nil {
		return false
	}
	if l.it.Next() {
		return true
	}
	if err := l.it.Error(); err != nil {
		l.err = err
		return false
	}
	return l.forwardFrom(l.idx+1, (*sstable.Iter).First)
}

func (l *levelIter) Prev() bool {
	if l.it == nil || l.err != nil {
		return false
	}
	if l.it.Prev() {
		return true
	}
	if err := l.it.Error(); err != nil {
		l.err = err
		return false
	}
	return l.backwardFrom(l.idx-1, (*sstable.Iter).Last)
}

func (l *levelIter) Valid() bool { return l.it != nil && l.err == nil && l.it.Valid() }

func (l *levelIter) Key() base.InternalKey { return l.it.Key() }

func (l *levelIter) Value() []byte { return l.it.Value() }

func (l *levelIter) Error() error { return l.err }

func (l *levelIter) Close() error {
	l.closeFile()
	return l.err
}
