package engine

import (
	"errors"
	"fmt"

	"github.com/lightningdb/lightning/engine/vfs"
)

// Sentinel errors returned by every backend. Callers test for them with
// errors.Is; backends add context with fmt.Errorf("...: %w", err).
var (
	// ErrNotFound is returned by Get when the key is absent.
	ErrNotFound = errors.New("engine: not found")
	// ErrClosed is returned by any call on an engine, iterator or snapshot
	// after its Close.
	ErrClosed = errors.New("engine: closed")
	// ErrCorruption marks on-disk data that failed a checksum or a format
	// check. Errors carrying it are *CorruptionError values naming the file
	// and offset; test for it with errors.Is(err, ErrCorruption).
	ErrCorruption = errors.New("engine: corruption")
	// ErrKeyTooLarge is returned when a key exceeds Options.MaxKeySize.
	ErrKeyTooLarge = errors.New("engine: key too large")
	// ErrValueTooLarge is returned when a value exceeds Options.MaxValueSize.
	ErrValueTooLarge = errors.New("engine: value too large")
	// ErrEmptyKey is returned when a write names the empty key.
	ErrEmptyKey = errors.New("engine: empty key")
	// ErrLocked is returned by Open when another process (or another Engine
	// in this process) holds the directory's lock.
	ErrLocked = vfs.ErrLocked
	// ErrReadOnly is returned by writes to an engine opened with
	// Options.ReadOnly.
	ErrReadOnly = errors.New("engine: read-only")
	// ErrUnknownBackend is returned by Open for a name nobody registered.
	ErrUnknownBackend = errors.New("engine: unknown backend")
	// ErrInvalidOptions is wrapped by every error from Options.Validate
	// and Options parsing.
	ErrInvalidOptions = errors.New("engine: invalid options")
)

// CorruptionError reports damaged on-disk data: the file, the byte offset
// where the damage was detected, and what was wrong. It matches
// ErrCorruption under errors.Is.
type CorruptionError struct {
	File   string // path of the damaged file, as given to the vfs.FS
	Offset int64  // byte offset of the damaged unit (block, chunk, page); -1 if unknown
	Reason string // what check failed, e.g. "checksum mismatch"
	Err    error  // optional underlying cause
}

// Error implements error.
func (e *CorruptionError) Error() string {
	s := fmt.Sprintf("engine: corruption in %s at offset %d: %s", e.File, e.Offset, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is ErrCorruption.
func (e *CorruptionError) Is(target error) bool { return target == ErrCorruption }

// Unwrap returns the underlying cause, if any.
func (e *CorruptionError) Unwrap() error { return e.Err }

// Corruptf returns a *CorruptionError for file at offset with a formatted
// reason.
func Corruptf(file string, offset int64, format string, args ...any) error {
	return &CorruptionError{File: file, Offset: offset, Reason: fmt.Sprintf(format, args...)}
}
