// Package nullengine is an engine.Engine that stores nothing and does
// nothing: Get finds every key with an empty value, writes are dropped,
// iterators are empty. It measures the harness itself -- the ceiling a
// benchmark driver puts on any backend -- and is registered as "null".
//
// All methods are safe for concurrent use and touch no shared memory, so
// they do not slow each other down across threads.
package nullengine

import (
	"github.com/lightningdb/lightning/engine"
)

func init() {
	engine.Register("null", func(dir string, opts *engine.Options) (engine.Engine, error) { return New(), nil })
}

// Engine is the null engine. The zero value is ready to use.
type Engine struct{}

var _ engine.Engine = (*Engine)(nil)

// New returns a null engine.
func New() *Engine { return &Engine{} }

// Get returns dst unchanged: every key exists with an empty value.
func (*Engine) Get(key, dst []byte) ([]byte, error) { return dst, nil }

// NewIter returns an iterator over no keys.
func (*Engine) NewIter(engine.IterOptions) (engine.Iterator, error) { return &iter{}, nil }

// Set drops the write.
func (*Engine) Set(key, value []byte, _ engine.WriteOptions) error { return nil }

// Delete drops the write.
func (*Engine) Delete(key []byte, _ engine.WriteOptions) error { return nil }

// Apply drops the batch.
func (*Engine) Apply(*engine.Batch, engine.WriteOptions) error { return nil }

// NewSnapshot returns a snapshot that, like the engine, finds every key.
func (*Engine) NewSnapshot() (engine.Snapshot, error) { return snapshot{}, nil }

// Flush does nothing.
func (*Engine) Flush() error { return nil }

// Metrics returns metrics naming the backend "null" and nothing else.
func (*Engine) Metrics() engine.Metrics { return engine.Metrics{Backend: "null"} }

// Close does nothing; the null engine is usable after Close.
func (*Engine) Close() error { return nil }

type snapshot struct{}

func (snapshot) Get(key, dst []byte) ([]byte, error) { return dst, nil }
func (snapshot) NewIter(engine.IterOptions) (engine.Iterator, error) {
	return &iter{}, nil
}
func (snapshot) Close() error { return nil }

type iter struct{ closed bool }

func (*iter) First() bool        { return false }
func (*iter) Last() bool         { return false }
func (*iter) SeekGE([]byte) bool { return false }
func (*iter) SeekLT([]byte) bool { return false }
func (*iter) Next() bool         { return false }
func (*iter) Prev() bool         { return false }
func (*iter) Valid() bool        { return false }
func (*iter) Key() []byte        { return nil }
func (*iter) Value() []byte      { return nil }
func (*iter) Error() error       { return nil }
func (it *iter) Close() error {
	if it.closed {
		return engine.ErrClosed
	}
	it.closed = true
	return nil
}
