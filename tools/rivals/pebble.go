package main

import (
	"errors"

	"github.com/cockroachdb/pebble/v2"
	"github.com/lightningdb/lightning/engine"
)

// peb is a minimal engine.Engine over a Pebble database.
type peb struct{ db *pebble.DB }

func (p *peb) Get(key, dst []byte) ([]byte, error) {
	v, c, err := p.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return dst, engine.ErrNotFound
	}
	if err != nil {
		return dst, err
	}
	dst = append(dst, v...)
	c.Close()
	return dst, nil
}
func wo(o engine.WriteOptions) *pebble.WriteOptions {
	if o.Sync {
		return pebble.Sync
	}
	return pebble.NoSync
}
func (p *peb) Set(k, v []byte, o engine.WriteOptions) error { return p.db.Set(k, v, wo(o)) }
func (p *peb) Delete(k []byte, o engine.WriteOptions) error { return p.db.Delete(k, wo(o)) }
func (p *peb) Apply(b *engine.Batch, o engine.WriteOptions) error {
	pb := p.db.NewBatch()
	r := b.Reader()
	for {
		kind, k, v, ok := r.Next()
		if !ok {
			break
		}
		if kind == engine.KindSet {
			pb.Set(k, v, nil)
		} else {
			pb.Delete(k, nil)
		}
	}
	return pb.Commit(wo(o))
}

type pit struct {
	it *pebble.Iterator
}

func (i *pit) First() bool          { return i.it.First() }
func (i *pit) Last() bool           { return i.it.Last() }
func (i *pit) SeekGE(k []byte) bool { return i.it.SeekGE(k) }
func (i *pit) SeekLT(k []byte) bool { return i.it.SeekLT(k) }
func (i *pit) Next() bool           { return i.it.Next() }
func (i *pit) Prev() bool           { return i.it.Prev() }
func (i *pit) Valid() bool          { return i.it.Valid() }
func (i *pit) Key() []byte          { return i.it.Key() }
func (i *pit) Value() []byte        { return i.it.Value() }
func (i *pit) Error() error         { return i.it.Error() }
func (i *pit) Close() error         { return i.it.Close() }
func (p *peb) NewIter(o engine.IterOptions) (engine.Iterator, error) {
	it, err := p.db.NewIter(&pebble.IterOptions{LowerBound: o.Lower, UpperBound: o.Upper})
	if err != nil {
		return nil, err
	}
	return &pit{it}, nil
}
func (p *peb) NewSnapshot() (engine.Snapshot, error) { return nil, errors.New("unsupported") }
func (p *peb) Flush() error                          { return p.db.Flush() }
func (p *peb) Metrics() engine.Metrics               { return engine.Metrics{Backend: "pebble"} }
func (p *peb) Close() error                          { return p.db.Close() }

func openPebble(dir string, cacheSize int64) (engine.Engine, error) {
	c := pebble.NewCache(cacheSize)
	defer c.Unref()
	db, err := pebble.Open(dir, &pebble.Options{Cache: c})
	if err != nil {
		return nil, err
	}
	return &peb{db}, nil
}
