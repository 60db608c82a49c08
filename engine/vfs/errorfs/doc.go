// Package errorfs wraps a vfs.FS so tests can make any of its operations
// fail on purpose.
//
// Every operation of the wrapped FS and of the files it opens (create,
// open, openrw, remove, rename, mkdirall, list, stat, lock, syncdir, and
// on files read, readat, write, writeat, sync, truncate, filestat) is first
// described as an Op — its kind, its path and its index, a sequence number
// counted from 0 across the whole FS — and shown to an Injector. If the
// injector returns an error, the operation fails with an *Error wrapping
// ErrInjected (and the injector's error) and never reaches the inner FS: a
// failed write writes nothing, a failed rename renames nothing. Close is
// never failed, so a test can always release what it opened.
//
// Injectors compose: OnIndex, Nth and FromIndex fail chosen operations,
// Random fails each with a seeded probability, OpKinds, PathMatch, PathFunc
// and Filter restrict another injector to some operations, Toggle turns one
// on and off, and Counter fails nothing but counts.
//
// The intended use is a fault sweep: run a workload once through a Counter
// to learn how many operations it does, then for each index n run it again
// on a fresh FS wrapped with OnIndex(n) and check that the failure is
// reported and that nothing acknowledged is lost (Example_faultSweep shows
// it). Indices are reproducible only when the workload issues its
// operations in a deterministic order, e.g. from one goroutine.
//
// Stable only at v1.
package errorfs
