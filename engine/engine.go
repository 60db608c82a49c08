package engine

// Reader is the read side shared by an Engine and a Snapshot.
//
// All methods are safe for concurrent use by many goroutines.
type Reader interface {
	// Get appends the value of key to dst and returns the extended slice.
	// It returns ErrNotFound if the key is absent. When dst has enough
	// capacity Get does not allocate. The returned slice belongs to the
	// caller; the engine keeps no reference to it.
	Get(key, dst []byte) ([]byte, error)

	// NewIter returns an iterator over a consistent point-in-time view of
	// the keys in [opts.Lower, opts.Upper). The view does not change while
	// the iterator is open, whatever is written meanwhile. The iterator must
	// be closed; an open iterator pins the data it needs.
	NewIter(opts IterOptions) (Iterator, error)
}

// Writer is the write side of an Engine.
//
// All methods are safe for concurrent use by many goroutines. Keys and
// values passed in are copied before the call returns: the caller may
// reuse them immediately.
type Writer interface {
	// Set stores value under key, replacing any previous value.
	Set(key, value []byte, opts WriteOptions) error
	// Delete removes key. Deleting an absent key is not an error.
	Delete(key []byte, opts WriteOptions) error
	// Apply applies every operation of b atomically: after any crash either
	// all of them are visible or none is. Apply validates every operation
	// before applying any, so an invalid operation leaves the engine
	// unchanged. b is not retained and may be reused after Apply returns;
	// Apply may record the sequence number it assigned in b's header
	// (Batch.Seq), so one Batch must not be applied from two goroutines at
	// once.
	Apply(b *Batch, opts WriteOptions) error
}

// Engine is an embedded, ordered key-value store. Keys are non-empty byte
// strings ordered by bytes.Compare.
//
// Durability: a write with WriteOptions.Sync returns only after it is on
// stable storage. Writes without Sync may be lost in a crash, but only as a
// suffix of the write history: recovery never shows a later write without
// every earlier one.
//
// All methods are safe for concurrent use. A directory is opened by one
// Engine at a time; a second Open returns ErrLocked.
type Engine interface {
	Reader
	Writer

	// NewSnapshot returns a read-only view frozen at the current point of
	// the write history. It must be closed to release what it pins.
	NewSnapshot() (Snapshot, error)

	// Flush makes every write acknowledged so far durable and moves
	// buffered data (memtables, dirty pages) to the backend's main files,
	// so that reopening does not need to replay it.
	Flush() error

	// Metrics returns a point-in-time copy of the engine's counters.
	Metrics() Metrics

	// Close flushes what must be flushed, stops background work, releases
	// the directory lock and closes all files. Iterators and snapshots
	// still open become invalid and return ErrClosed. Close is idempotent:
	// a second call returns ErrClosed.
	Close() error
}

// Snapshot is a Reader frozen at a point in time. It is safe for concurrent
// use. Close releases the versions it pins; after Close every call returns
// ErrClosed.
type Snapshot interface {
	Reader
	Close() error
}

// Iterator walks keys in order over a consistent view.
//
// Positioning methods return whether the iterator is now at a key
// (equivalent to Valid). Key and Value return slices owned by the iterator
// that stay valid only until its next positioning call or Close; copy them
// to keep them.
//
// An Iterator is not safe for concurrent use; open one per goroutine.
type Iterator interface {
	// First moves to the smallest key >= Lower.
	First() bool
	// Last moves to the largest key < Upper.
	Last() bool
	// SeekGE moves to the smallest key >= key (and >= Lower).
	SeekGE(key []byte) bool
	// SeekLT moves to the largest key < key (and < Upper).
	SeekLT(key []byte) bool
	// Next moves to the next larger key.
	Next() bool
	// Prev moves to the next smaller key.
	Prev() bool
	// Valid reports whether the iterator is positioned at a key.
	Valid() bool
	// Key returns the current key. Valid until the next move.
	Key() []byte
	// Value returns the current value. Valid until the next move.
	Value() []byte
	// Error returns the first error the iterator met, if any. An iterator
	// that stops early because of an error is not Valid and reports it here.
	Error() error
	// Close releases the iterator and returns Error(). Calling any method
	// other than Close after Close is a bug; a second Close returns ErrClosed.
	Close() error
}

// WriteOptions control a single write.
type WriteOptions struct {
	// Sync makes the write return only after it is on stable storage.
	Sync bool
}

var (
	// Sync is WriteOptions{Sync: true}.
	Sync = WriteOptions{Sync: true}
	// NoSync is WriteOptions{Sync: false}.
	NoSync = WriteOptions{}
)

// IterOptions bound an iterator. A nil bound is unbounded. Lower is
// inclusive, Upper exclusive. The engine copies the bounds; the caller may
// reuse them.
type IterOptions struct {
	Lower []byte
	Upper []byte
}
