package memengine

import (
	"encoding/binary"
	"errors"
	"github.com/lightningdb/lightning/internal/percpu"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/lightningdb/lightning/engine"
)

// Indices of the read-path counters in DB.counts.
const (
	countGets = iota
	countIters
)

// BackendName is the name memengine registers under in the engine
// registry.
const BackendName = "mem"

// entryOverhead approximates the tree and record memory one entry costs
// besides its key and value bytes: the record header, two slice headers, a
// head, and its share of node headers and allocation rounding.
// Metrics.MemTableBytes uses it.
const entryOverhead = 80

// ErrNilBatch is returned by Apply when it is given a nil *engine.Batch.
var ErrNilBatch = errors.New("memengine: nil batch")

func init() {
	engine.Register(BackendName, func(dir string, opts *engine.Options) (engine.Engine, error) {
		return Open(dir, opts)
	})
}

// Compile-time checks that the types implement the contract.
var (
	_ engine.Engine   = (*DB)(nil)
	_ engine.Snapshot = (*snapshot)(nil)
	_ engine.Iterator = (*iter)(nil)
)

// DB is an in-memory engine.Engine. It keeps nothing across Close and
// Open: every DB starts empty and its data is gone when it is closed or
// the process exits. All methods are safe for concurrent use.
//
// The fields are grouped by who writes them, each group on its own cache
// lines, so that writers do not invalidate the lines every reader reads.
type DB struct {
	// Set at Open (closed: once, at Close); read by every reader.
	opts   *engine.Options
	seed   maphash.Seed     // per-DB hash seed of the point-read index
	counts *percpu.Counters // countGets, countIters
	closed atomic.Bool
	_      [128]byte

	// cur is the published version: stored once per write, loaded
	// without locks by every read.
	cur atomic.Pointer[version]
	_   [128]byte

	// Writer state.
	mu                     sync.Mutex // serializes writers and Close
	gen                    uint64     // seq of the last write transaction; guarded by mu
	sets, deletes, batches atomic.Uint64
	userBytes              atomic.Uint64
}

// version is one published state of the database. Its fields never change
// once it is stored in DB.cur; the table it points to does (see table).
type version struct {
	root   *node  // the ordered data
	table  *table // point-read index, current when this version was made
	seq    uint64 // the write transaction that made this version
	count  int    // number of keys
	bytes  int64  // key and value bytes of the live entries
	closed bool   // the DB is closed
}

// closedVersion is what DB.cur holds after Close.
var closedVersion = &version{table: newTable(0), closed: true}

// set stores the record rec (hash h) in the version being built by t.
func (v *version) set(t *txn, rec []byte, h uint64) {
	key, val := recKey(rec), recValue(rec)
	root, old, replaced := t.set(v.root, key, val)
	v.root = root
	if replaced {
		v.bytes -= int64(len(key) + len(old))
	} else {
		v.count++
	}
	v.bytes += int64(len(key) + len(val))
	v.table.put(rec, h)
}

// del applies the tombstone rec (hash h) to the version being built by t.
func (v *version) del(t *txn, rec []byte, h uint64) {
	key := recKey(rec)
	root, old, found := t.del(v.root, key)
	if !found {
		return
	}
	v.root = root
	v.count--
	v.bytes -= int64(len(key) + len(old))
	v.table.tombstone(rec, h)
}

// get appends the value of key in v to dst: from the hash index when it
// can answer for v, else from v's tree (see table).
func (v *version) get(key, dst []byte, h uint64) ([]byte, error) {
	r := v.table.lookup(key, h)
	if r == nil {
		return dst, engine.ErrNotFound
	}
	if recSeq(r) <= v.seq {
		if recTomb(r) {
			return dst, engine.ErrNotFound
		}
		return append(dst, recValue(r)...), nil
	}
	val, ok := get(v.root, key)
	if !ok {
		return dst, engine.ErrNotFound
	}
	return append(dst, val...), nil
}

// Open returns a new, empty in-memory engine. dir is ignored: memengine
// reads and writes no files, takes no directory lock, and two Opens of the
// same dir give two independent, empty databases. opts may be nil; it is
// cloned, completed with defaults and validated (engine.Options.Prepare).
// Of the options, only MaxKeySize, MaxValueSize and ReadOnly have an
// effect.
func Open(dir string, opts *engine.Options) (*DB, error) {
	o, err := opts.Prepare()
	if err != nil {
		return nil, err
	}
	db := &DB{opts: o, seed: maphash.MakeSeed(), counts: percpu.NewCounters()}
	db.cur.Store(&version{table: newTable(0)})
	return db, nil
}

// hash returns the key's hash for the point-read index, never 0.
func (db *DB) hash(key []byte) uint64 {
	if h := maphash.Bytes(db.seed, key); h != 0 {
		return h
	}
	return 1
}

// Get appends the value of key to dst. It takes no lock, writes no shared
// memory, and does not allocate when dst has room for the value. On error
// it returns dst unchanged.
func (db *DB) Get(key, dst []byte) ([]byte, error) {
	v := db.cur.Load()
	if v.closed {
		return dst, engine.ErrClosed
	}
	db.counts.Add(countGets, 1)
	return v.get(key, dst, db.hash(key))
}

// NewIter returns an iterator over the current version. It takes no lock;
// writes made after it returns are not visible through it.
func (db *DB) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	v := db.cur.Load()
	if v.closed {
		return nil, engine.ErrClosed
	}
	db.counts.Add(countIters, 1)
	return newIter(db, v.root, opts), nil
}

// NewSnapshot returns a view of the current version. It costs one small
// allocation: the snapshot shares the immutable tree.
func (db *DB) NewSnapshot() (engine.Snapshot, error) {
	v := db.cur.Load()
	if v.closed {
		return nil, engine.ErrClosed
	}
	s := &snapshot{db: db}
	s.v.Store(v)
	return s, nil
}

// checkWritable returns the error a write gets before validation.
func (db *DB) checkWritable() error {
	if db.closed.Load() {
		return engine.ErrClosed
	}
	if db.opts.ReadOnly {
		return engine.ErrReadOnly
	}
	return nil
}

// begin locks the writer mutex and starts a transaction that will write
// at most n keys on a copy of the current version; the index is rebuilt
// first when it might not have room. It returns ErrClosed (and leaves the
// mutex unlocked) when the DB is closed.
func (db *DB) begin(n int) (*txn, *version, error) {
	db.mu.Lock()
	if db.closed.Load() {
		db.mu.Unlock()
		return nil, nil, engine.ErrClosed
	}
	db.gen++
	nv := *db.cur.Load()
	nv.seq = db.gen
	if nv.table.needsRebuild(n) {
		nv.table = nv.table.rebuild(nv.count, n)
	}
	return &txn{gen: db.gen}, &nv, nil
}

// commit publishes nv and unlocks the writer mutex.
func (db *DB) commit(nv *version) {
	db.cur.Store(nv)
	db.mu.Unlock()
}

// setRecSeq stamps a record built before its transaction began. The record
// is not visible to anyone yet.
func setRecSeq(r []byte, seq uint64) { binary.LittleEndian.PutUint64(r[0:8], seq) }

// Set stores value under key. WriteOptions are accepted and ignored: there
// is no storage to sync.
func (db *DB) Set(key, value []byte, _ engine.WriteOptions) error {
	if err := db.checkWritable(); err != nil {
		return err
	}
	if err := db.opts.CheckKey(key); err != nil {
		return err
	}
	if err := db.opts.CheckValue(value); err != nil {
		return err
	}
	rec, h := newRec(0, key, value, false), db.hash(key)
	t, nv, err := db.begin(1)
	if err != nil {
		return err
	}
	setRecSeq(rec, nv.seq)
	nv.set(t, rec, h)
	db.sets.Add(1)
	db.userBytes.Add(uint64(len(key) + len(value)))
	db.commit(nv)
	return nil
}

// Delete removes key; deleting an absent key is not an error.
func (db *DB) Delete(key []byte, _ engine.WriteOptions) error {
	if err := db.checkWritable(); err != nil {
		return err
	}
	if err := db.opts.CheckKey(key); err != nil {
		return err
	}
	rec, h := newRec(0, key, nil, true), db.hash(key)
	t, nv, err := db.begin(0)
	if err != nil {
		return err
	}
	setRecSeq(rec, nv.seq)
	nv.del(t, rec, h)
	db.deletes.Add(1)
	db.userBytes.Add(uint64(len(key)))
	db.commit(nv)
	return nil
}

// batchOp is one operation of a batch, copied into its record.
type batchOp struct {
	rec  []byte
	hash uint64
	del  bool
}

// Apply applies every operation of b, in order, to one new version and
// publishes it with one atomic store: readers see all of b or none of it.
// Every operation is validated first; an invalid one leaves the DB
// unchanged. Operations count in Metrics.Sets and Metrics.Deletes as well
// as one Metrics.Batches.
func (db *DB) Apply(b *engine.Batch, _ engine.WriteOptions) error {
	if b == nil {
		return ErrNilBatch
	}
	if err := db.checkWritable(); err != nil {
		return err
	}
	if err := db.opts.CheckBatch(b); err != nil {
		return err
	}
	// Copy outside the lock.
	ops := make([]batchOp, 0, b.Len())
	var sets, dels, bytes uint64
	r := b.Reader()
	for {
		kind, key, value, ok := r.Next()
		if !ok {
			break
		}
		del := kind == engine.KindDelete
		ops = append(ops, batchOp{newRec(0, key, value, del), db.hash(key), del})
		if del {
			dels++
		} else {
			sets++
		}
		bytes += uint64(len(key) + len(value))
	}
	if err := r.Err(); err != nil { // CheckBatch saw it first; kept for safety
		return err
	}
	t, nv, err := db.begin(int(sets))
	if err != nil {
		return err
	}
	for _, op := range ops {
		setRecSeq(op.rec, nv.seq)
		if op.del {
			nv.del(t, op.rec, op.hash)
		} else {
			nv.set(t, op.rec, op.hash)
		}
	}
	db.sets.Add(sets)
	db.deletes.Add(dels)
	db.batches.Add(1)
	db.userBytes.Add(bytes)
	db.commit(nv)
	return nil
}

// Flush does nothing and returns nil (ErrClosed after Close): there is no
// buffered data and no storage to move it to.
func (db *DB) Flush() error {
	if db.closed.Load() {
		return engine.ErrClosed
	}
	return nil
}

// Metrics returns the operation counts and the approximate memory held.
// Gets and Iterators are read from per-P counters (internal/percpu), so a
// read never writes a cache line another core writes; they include reads
// through snapshots. Sets and Deletes include the operations of batches.
// MemTableBytes is the live key and value bytes, plus an estimated
// entryOverhead per key, plus the hash index's slots. Extra holds
// "mem.keys" (live keys), "mem.live_bytes" (live key and value bytes) and
// "mem.index_slots". After Close the counts are still reported and the
// memory figures are zero.
func (db *DB) Metrics() engine.Metrics {
	v := db.cur.Load()
	slots := 0
	if !v.closed {
		slots = len(v.table.slots)
	}
	return engine.Metrics{
		Backend:          BackendName,
		Checksum:         "none",
		Gets:             db.counts.Sum(countGets),
		Sets:             db.sets.Load(),
		Deletes:          db.deletes.Load(),
		Batches:          db.batches.Load(),
		Iterators:        db.counts.Sum(countIters),
		UserBytesWritten: db.userBytes.Load(),
		MemTableBytes:    uint64(v.bytes) + uint64(v.count)*entryOverhead + uint64(slots)*uint64(unsafe.Sizeof(slot{})),
		Extra: map[string]float64{
			"mem.keys":        float64(v.count),
			"mem.live_bytes":  float64(v.bytes),
			"mem.index_slots": float64(slots),
		},
	}
}

// Close drops the data. Iterators and snapshots still open return
// engine.ErrClosed from then on. A second Close returns engine.ErrClosed.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed.Swap(true) {
		return engine.ErrClosed
	}
	db.cur.Store(closedVersion)
	return nil
}

// snapshot is a Reader over one version.
type snapshot struct {
	db *DB
	v  atomic.Pointer[version] // nil after Close
}

// Get appends the value key had when the snapshot was taken to dst.
func (s *snapshot) Get(key, dst []byte) ([]byte, error) {
	v := s.v.Load()
	if v == nil || s.db.closed.Load() {
		return dst, engine.ErrClosed
	}
	s.db.counts.Add(countGets, 1)
	return v.get(key, dst, s.db.hash(key))
}

// NewIter returns an iterator over the snapshot's version. The iterator
// pins that version itself: it stays usable after the snapshot is closed,
// until the DB is closed.
func (s *snapshot) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	v := s.v.Load()
	if v == nil || s.db.closed.Load() {
		return nil, engine.ErrClosed
	}
	s.db.counts.Add(countIters, 1)
	return newIter(s.db, v.root, opts), nil
}

// Close releases the version. A second Close returns engine.ErrClosed.
func (s *snapshot) Close() error {
	if s.v.Swap(nil) == nil {
		return engine.ErrClosed
	}
	return nil
}
