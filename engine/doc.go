// Package engine is Lightning's storage-engine contract: the Engine,
// Reader, Iterator, Snapshot and Batch types every backend implements, the
// Options every backend takes, the sentinel errors every backend returns,
// and the registry through which users and lbench open a backend by name.
//
// Backends (backends/btree, backends/lsm, backends/hybrid) register
// themselves in init; a program imports the ones it wants:
//
//	import _ "github.com/lightningdb/lightning/backends/lsm"
//
//	db, err := engine.Open("lsm", "/var/lib/mydb", nil)
//
// The shared parts every backend builds on live in sub-packages: vfs
// (all file I/O), record and wal (the write-ahead log), checksum, compress,
// cache, memtable. The conformance kit, enginetest, proves a backend
// implements this contract.
//
// Memory: slices passed in are copied before a call returns; slices
// returned by Get belong to the caller; slices returned by Iterator.Key and
// Iterator.Value belong to the iterator until its next move.
//
// Stable only at v1.
package engine
