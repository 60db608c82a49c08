package overlay

import "errors"

// Errors for caller mistakes. Callers test for them with errors.Is.
var (
	// ErrNilLayer is the error of an Iter given a nil Layer.
	ErrNilLayer = errors.New("overlay: nil layer")
	// ErrNilMemtable is the error of a MemLayer given a nil Skiplist.
	ErrNilMemtable = errors.New("overlay: nil memtable")
)
