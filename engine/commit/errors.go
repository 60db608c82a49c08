package commit

import "errors"

// ErrBatchTooLarge is returned (wrapped, with the sizes) by CapacityFor for
// a batch that no memtable can hold. Callers test for it with errors.Is.
var ErrBatchTooLarge = errors.New("commit: batch too large for a memtable")
