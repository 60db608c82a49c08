package harness

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/lightningdb/lightning/engine"
)

// mapEngine is a tiny in-memory engine for the runner's tests: a sorted
// slice under a lock, with hooks to inject errors and delays, and counters
// of what it was asked to do.
type mapEngine struct {
	mu   sync.RWMutex
	keys [][]byte
	vals map[string][]byte

	// failSet makes Set fail when it returns true.
	failSet func(key []byte) bool
	// delay is called at the start of every operation.
	delay func()

	gets, sets, iters, scanned, setErrs, notFound atomic.Uint64
}

var errInjected = errors.New("mapengine: injected failure")

func newMapEngine() *mapEngine { return &mapEngine{vals: map[string][]byte{}} }

func (m *mapEngine) Get(key, dst []byte) ([]byte, error) {
	if m.delay != nil {
		m.delay()
	}
	m.gets.Add(1)
	m.mu.RLock()
	v, ok := m.vals[string(key)]
	m.mu.RUnlock()
	if !ok {
		m.notFound.Add(1)
		return dst, engine.ErrNotFound
	}
	return append(dst, v...), nil
}

func (m *mapEngine) Set(key, value []byte, _ engine.WriteOptions) error {
	if m.delay != nil {
		m.delay()
	}
	m.sets.Add(1)
	if m.failSet != nil && m.failSet(key) {
		m.setErrs.Add(1)
		return fmt.Errorf("set %q: %w", key, errInjected)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.vals[string(key)]; !ok {
		i, _ := slices.BinarySearchFunc(m.keys, key, bytes.Compare)
		m.keys = slices.Insert(m.keys, i, bytes.Clone(key))
	}
	m.vals[string(key)] = bytes.Clone(value)
	return nil
}

func (m *mapEngine) Delete(key []byte, _ engine.WriteOptions) error {
	return errors.New("mapengine: Delete not implemented")
}

func (m *mapEngine) Apply(*engine.Batch, engine.WriteOptions) error {
	return errors.New("mapengine: Apply not implemented")
}

func (m *mapEngine) NewIter(engine.IterOptions) (engine.Iterator, error) {
	if m.delay != nil {
		m.delay()
	}
	m.iters.Add(1)
	return &mapIter{m: m}, nil
}

func (m *mapEngine) NewSnapshot() (engine.Snapshot, error) {
	return nil, errors.New("mapengine: snapshots not implemented")
}
func (m *mapEngine) Flush() error { return nil }
func (m *mapEngine) Metrics() engine.Metrics {
	return engine.Metrics{Backend: "map", Gets: m.gets.Load(), Sets: m.sets.Load()}
}
func (m *mapEngine) Close() error { return nil }

func (m *mapEngine) len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.keys)
}

// mapIter supports SeekGE and Next only, which is all the runner uses.
type mapIter struct {
	m   *mapEngine
	key []byte
	val []byte
	ok  bool
}

func (it *mapIter) seek(key []byte, after bool) bool {
	it.m.mu.RLock()
	defer it.m.mu.RUnlock()
	i := sort.Search(len(it.m.keys), func(i int) bool {
		c := bytes.Compare(it.m.keys[i], key)
		return c > 0 || (c == 0 && !after)
	})
	if i == len(it.m.keys) {
		it.ok = false
		return false
	}
	it.key = it.m.keys[i]
	it.val = it.m.vals[string(it.key)]
	it.ok = true
	it.m.scanned.Add(1)
	return true
}

func (it *mapIter) SeekGE(key []byte) bool { return it.seek(key, false) }
func (it *mapIter) Next() bool {
	if !it.ok {
		return false
	}
	return it.seek(it.key, true)
}
func (it *mapIter) First() bool        { return it.seek(nil, false) }
func (it *mapIter) Last() bool         { it.ok = false; return false }
func (it *mapIter) SeekLT([]byte) bool { it.ok = false; return false }
func (it *mapIter) Prev() bool         { it.ok = false; return false }
func (it *mapIter) Valid() bool        { return it.ok }
func (it *mapIter) Key() []byte        { return it.key }
func (it *mapIter) Value() []byte      { return it.val }
func (it *mapIter) Error() error       { return nil }
func (it *mapIter) Close() error       { return nil }
