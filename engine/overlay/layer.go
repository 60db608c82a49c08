package overlay

// Layer is one ordered source of a merged view: keys ascending
// (bytes.Compare), each key at most once, deletions included as entries
// with Deleted() true.
//
// Seek semantics are those of engine.Iterator: SeekGE moves to the smallest
// key >= key, SeekLT to the largest key < key. Each positioning method
// returns Valid(). A Layer has no bounds; the Iter over it applies them.
//
// A Layer that meets an error must become invalid (its positioning method
// returns false) and report the error from Error: Iter calls Error only
// when a move returns false. Iter calls Next and Prev only on a valid
// Layer, and never reads Key or Value of an invalid one.
//
// Key and Value alias the Layer's memory: they stay valid until the
// Layer's next move, and Iter never modifies them. A Layer is used by one
// goroutine at a time.
type Layer interface {
	// First moves to the smallest key.
	First() bool
	// Last moves to the largest key.
	Last() bool
	// SeekGE moves to the smallest key >= key.
	SeekGE(key []byte) bool
	// SeekLT moves to the largest key < key.
	SeekLT(key []byte) bool
	// Next moves to the next larger key.
	Next() bool
	// Prev moves to the next smaller key.
	Prev() bool
	// Valid reports whether the Layer is at an entry.
	Valid() bool
	// Key returns the current key; valid until the next move.
	Key() []byte
	// Value returns the current value (nil or anything for a deletion);
	// valid until the next move.
	Value() []byte
	// Deleted reports whether the current entry is a deletion (tombstone).
	Deleted() bool
	// Error returns the error that made the Layer invalid, if any.
	Error() error
}
