// Package vfs is the file-system layer every byte of Lightning's I/O goes
// through. Engine and backend code never calls package os for files: it
// takes a vfs.FS, so tests can run the same code on the in-memory FS
// (MemFS), crash it with CrashClone, or wrap it to inject faults
// (package errorfs).
//
// Durability model (what CrashClone keeps, and what a real disk keeps):
// file data written before the file's last Sync; directory entries
// (creations, renames, removals) made before the directory's last SyncDir.
// Anything else may be lost in a crash.
//
// Preallocation: a File may also implement Preallocator, which zero-fills
// a file up to a size ahead of the writes that will overwrite it, so that
// a Sync after such a write (fdatasync) has no file size or block map to
// update. Files of the OS file system implement it (fallocate(2), then
// zeros written over the range: on ext4 and XFS fallocate alone leaves
// "unwritten" extents whose conversion on first write costs a journal
// commit at the next fdatasync, as much as appending does). MemFS files
// and errorfs files do not: in memory there is no block map to save, and
// the zeros would only cost memory. Callers check with a type assertion
// and do without it when it is absent.
//
// Stable only at v1.
package vfs

import (
	"errors"
	"io"
	"os"
)

// ErrLocked is returned by FS.Lock when the lock is held by another
// process or by another holder in this process.
var ErrLocked = errors.New("engine: locked by another process")

// File is an open file. Its methods are safe for concurrent use only where
// noted: ReadAt may be called concurrently with anything; Write, WriteAt,
// Truncate and Sync must be serialized by the caller.
type File interface {
	io.Reader   // reads from the current offset (sequential reading)
	io.ReaderAt // reads at an offset; safe concurrently
	io.Writer   // appends at the current offset
	io.WriterAt // writes at an offset, extending the file if needed
	io.Closer
	// Sync makes the file's data durable (fsync/fdatasync).
	Sync() error
	// Truncate changes the file's size.
	Truncate(size int64) error
	// Stat returns the file's metadata; Size is current.
	Stat() (os.FileInfo, error)
}

// Preallocator is an optional interface of File (see the package
// documentation).
type Preallocator interface {
	// Preallocate makes the file at least size bytes long: it allocates
	// the blocks from the file's current end to size and writes zeros
	// there, so that once a Sync has made them durable, writing below size
	// changes neither the file's size nor its block allocation. Bytes
	// below the current end are not changed, the offset does not move,
	// and a file already size bytes long is left as is. On error the
	// file may have grown by a zero-filled part of the range. Like Write,
	// it must be serialized with the file's other writes, Truncate and
	// Sync.
	Preallocate(size int64) error
}

// FS is a file system. Paths are slash- or OS-separated as filepath
// accepts; implementations must be safe for concurrent use.
type FS interface {
	// Create creates name for reading and writing, truncating it if it
	// exists.
	Create(name string) (File, error)
	// Open opens name read-only.
	Open(name string) (File, error)
	// OpenReadWrite opens name for reading and writing, creating it if it
	// does not exist, without truncating it. The offset starts at 0.
	OpenReadWrite(name string) (File, error)
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// Rename renames oldname to newname, replacing newname if it exists.
	Rename(oldname, newname string) error
	// MkdirAll creates dir and any missing parents.
	MkdirAll(dir string, perm os.FileMode) error
	// List returns the names (not paths) of the entries in dir, sorted.
	List(dir string) ([]string, error)
	// Stat returns metadata of name.
	Stat(name string) (os.FileInfo, error)
	// Lock takes an exclusive advisory lock on name (creating it if
	// needed). It returns an error wrapping ErrLocked if the lock is held
	// elsewhere. Closing the returned io.Closer releases the lock.
	Lock(name string) (io.Closer, error)
	// SyncDir makes the entries of dir (creations, renames, removals)
	// durable.
	SyncDir(dir string) error
}

// IsNotExist reports whether err says a file does not exist. It works for
// every FS in this package.
func IsNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }

// WriteFileSync writes data to name (created or truncated) on fs and syncs
// it. It does not sync the directory.
func WriteFileSync(fs FS, name string, data []byte) error {
	f, err := fs.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadFile reads the whole of name from fs.
func ReadFile(fs FS, name string) ([]byte, error) {
	f, err := fs.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
