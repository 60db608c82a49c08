package memtable

import "errors"

// Errors returned by Skiplist.Add. Callers test for them with errors.Is.
var (
	// ErrArenaFull is returned by Add when the entry does not fit in what
	// is left of the arena. The skiplist is unchanged; the backend rotates
	// to a new memtable and retries there.
	ErrArenaFull = errors.New("memtable: arena full")
	// ErrEntryTooLarge is returned by Add when the entry would not fit
	// even in an empty skiplist of this capacity, so rotating cannot help.
	ErrEntryTooLarge = errors.New("memtable: entry larger than the arena")
	// ErrDuplicate is returned by Add for an internal key (user key and
	// sequence number) that is already present.
	ErrDuplicate = errors.New("memtable: duplicate key and sequence number")
)
