package main

import (
	"bytes"
	"errors"
	"path/filepath"

	"github.com/lightningdb/lightning/engine"
	bolt "go.etcd.io/bbolt"
)

// bucket is the one bucket the bbolt adapter uses.
var bucket = []byte("usertable")

// bol is a minimal engine.Engine over a bbolt database.
type bol struct{ db *bolt.DB }

func openBolt(dir string) (engine.Engine, error) {
	db, err := bolt.Open(filepath.Join(dir, "bolt.db"), 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucket); return err })
	return &bol{db}, err
}

func (b *bol) Get(key, dst []byte) ([]byte, error) {
	found := false
	err := b.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucket).Get(key)
		if v != nil {
			found = true
			dst = append(dst, v...)
		}
		return nil
	})
	if err == nil && !found {
		return dst, engine.ErrNotFound
	}
	return dst, err
}
func (b *bol) Set(k, v []byte, o engine.WriteOptions) error {
	return b.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(k, v) })
}
func (b *bol) Delete(k []byte, o engine.WriteOptions) error {
	return b.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Delete(k) })
}
func (b *bol) Apply(bt *engine.Batch, o engine.WriteOptions) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucket)
		r := bt.Reader()
		for {
			kind, k, v, ok := r.Next()
			if !ok {
				return nil
			}
			var err error
			if kind == engine.KindSet {
				err = bk.Put(k, v)
			} else {
				err = bk.Delete(k)
			}
			if err != nil {
				return err
			}
		}
	})
}

// bit is an iterator over a read transaction held until Close.
type bit struct {
	tx   *bolt.Tx
	c    *bolt.Cursor
	lo   []byte
	hi   []byte
	k, v []byte
}

func (i *bit) set(k, v []byte) bool {
	if k == nil || (i.lo != nil && bytes.Compare(k, i.lo) < 0) || (i.hi != nil && bytes.Compare(k, i.hi) >= 0) {
		i.k, i.v = nil, nil
		return false
	}
	i.k, i.v = k, v
	return true
}
func (i *bit) First() bool {
	if i.lo != nil {
		return i.set(i.c.Seek(i.lo))
	}
	return i.set(i.c.First())
}
func (i *bit) Last() bool {
	if i.hi != nil {
		k, v := i.c.Seek(i.hi)
		if k == nil {
			return i.set(i.c.Last())
		}
		_ = v
		return i.set(i.c.Prev())
	}
	return i.set(i.c.Last())
}
func (i *bit) SeekGE(k []byte) bool {
	if i.lo != nil && bytes.Compare(k, i.lo) < 0 {
		k = i.lo
	}
	return i.set(i.c.Seek(k))
}
func (i *bit) SeekLT(k []byte) bool {
	kk, _ := i.c.Seek(k)
	if kk == nil {
		return i.set(i.c.Last())
	}
	return i.set(i.c.Prev())
}
func (i *bit) Next() bool    { return i.set(i.c.Next()) }
func (i *bit) Prev() bool    { return i.set(i.c.Prev()) }
func (i *bit) Valid() bool   { return i.k != nil }
func (i *bit) Key() []byte   { return i.k }
func (i *bit) Value() []byte { return i.v }
func (i *bit) Error() error  { return nil }
func (i *bit) Close() error  { return i.tx.Rollback() }
func (b *bol) NewIter(o engine.IterOptions) (engine.Iterator, error) {
	tx, err := b.db.Begin(false)
	if err != nil {
		return nil, err
	}
	return &bit{tx: tx, c: tx.Bucket(bucket).Cursor(), lo: o.Lower, hi: o.Upper}, nil
}
func (b *bol) NewSnapshot() (engine.Snapshot, error) { return nil, errors.New("unsupported") }
func (b *bol) Flush() error                          { return b.db.Sync() }
func (b *bol) Metrics() engine.Metrics               { return engine.Metrics{Backend: "bbolt"} }
func (b *bol) Close() error                          { return b.db.Close() }
