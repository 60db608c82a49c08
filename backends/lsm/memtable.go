package lsm

import (
	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine/commit"
	"github.com/lightningdb/lightning/engine/memtable"
)

// internalIterator walks internal keys in order (user key ascending, then
// sequence number descending), every version of every key. Seeks take user
// keys: SeekGE lands on the newest version of the smallest user key >= the
// key, SeekLT on the oldest version of the largest user key < the key.
// Key's UserKey is valid until the next move; Value stays valid as long as
// the source (memtable, table block) is referenced.
type internalIterator interface {
	First() bool
	Last() bool
	SeekGE(userKey []byte) bool
	SeekLT(userKey []byte) bool
	Next() bool
	Prev() bool
	Valid() bool
	Key() base.InternalKey
	Value() []byte
	Error() error
	Close() error
}

// memIter adapts a memtable iterator. The zero value is unusable until
// init.
type memIter struct {
	it memtable.Iterator
}

func newMemIter(m *commit.Table) *memIter {
	mi := &memIter{}
	mi.init(m)
	return mi
}

func (m *memIter) init(mt *commit.Table) { m.it = *mt.Skiplist().NewIter() }

func (m *memIter) First() bool                { return m.it.First() }
func (m *memIter) Last() bool                 { return m.it.Last() }
func (m *memIter) SeekGE(userKey []byte) bool { return m.it.SeekGE(userKey) }
func (m *memIter) SeekLT(userKey []byte) bool { return m.it.SeekLT(userKey) }
func (m *memIter) Next() bool                 { return m.it.Next() }
func (m *memIter) Prev() bool                 { return m.it.Prev() }
func (m *memIter) Valid() bool                { return m.it.Valid() }
func (m *memIter) Value() []byte              { return m.it.Value() }
func (m *memIter) Error() error               { return nil }
func (m *memIter) Close() error               { return nil }
func (m *memIter) Key() base.InternalKey {
	return base.InternalKey{UserKey: m.it.Key(), Trailer: base.MakeTrailer(m.it.Seq(), m.it.Kind())}
}
