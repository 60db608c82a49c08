package errorfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/lightningdb/lightning/engine/vfs"
)

// ErrInjected is wrapped by every error errorfs injects; test for it with
// errors.Is(err, errorfs.ErrInjected).
var ErrInjected = errors.New("errorfs: injected error")

// OpKind names an operation of a vfs.FS or a vfs.File.
type OpKind uint8

// The operations an Injector is asked about.
const (
	OpCreate        OpKind = iota // FS.Create
	OpOpen                        // FS.Open
	OpOpenReadWrite               // FS.OpenReadWrite
	OpRemove                      // FS.Remove
	OpRename                      // FS.Rename
	OpMkdirAll                    // FS.MkdirAll
	OpList                        // FS.List
	OpStat                        // FS.Stat
	OpLock                        // FS.Lock
	OpSyncDir                     // FS.SyncDir
	OpRead                        // File.Read
	OpReadAt                      // File.ReadAt
	OpWrite                       // File.Write
	OpWriteAt                     // File.WriteAt
	OpSync                        // File.Sync
	OpTruncate                    // File.Truncate
	OpFileStat                    // File.Stat
	numOpKinds
)

var opKindNames = [numOpKinds]string{
	OpCreate:        "create",
	OpOpen:          "open",
	OpOpenReadWrite: "openrw",
	OpRemove:        "remove",
	OpRename:        "rename",
	OpMkdirAll:      "mkdirall",
	OpList:          "list",
	OpStat:          "stat",
	OpLock:          "lock",
	OpSyncDir:       "syncdir",
	OpRead:          "read",
	OpReadAt:        "readat",
	OpWrite:         "write",
	OpWriteAt:       "writeat",
	OpSync:          "sync",
	OpTruncate:      "truncate",
	OpFileStat:      "filestat",
}

// String returns the operation's lower-case name, e.g. "write".
func (k OpKind) String() string {
	if k < numOpKinds {
		return opKindNames[k]
	}
	return fmt.Sprintf("OpKind(%d)", uint8(k))
}

// IsWrite reports whether operations of kind k can change the file
// system's state: create, openrw, remove, rename, mkdirall, lock, syncdir,
// write, writeat, sync, truncate.
func (k OpKind) IsWrite() bool {
	switch k {
	case OpCreate, OpOpenReadWrite, OpRemove, OpRename, OpMkdirAll, OpLock,
		OpSyncDir, OpWrite, OpWriteAt, OpSync, OpTruncate:
		return true
	}
	return false
}

// Op describes one operation, as shown to an Injector.
type Op struct {
	Kind OpKind
	// Path is the file or directory operated on, as the caller spelled it;
	// for file operations, the name the file was opened with. For Rename
	// it is the old name.
	Path string
	// NewPath is Rename's new name; empty for every other kind.
	NewPath string
	// Index is the operation's sequence number in its FS, from 0, counting
	// every operation (failed or not) of the FS and of its files.
	Index int64
}

// String returns e.g. "write /db/000001.log" or "rename /a -> /b".
func (op Op) String() string {
	if op.Kind == OpRename {
		return fmt.Sprintf("%s %s -> %s", op.Kind, op.Path, op.NewPath)
	}
	return fmt.Sprintf("%s %s", op.Kind, op.Path)
}

// Error is the error returned by an operation an Injector failed. It
// matches ErrInjected and, under errors.Is and errors.As, the error the
// injector returned (so an injector can return syscall.ENOSPC and callers
// see a disk-full error that is also marked as injected).
type Error struct {
	Op  Op
	Err error // what the injector returned; ErrInjected for the built-in injectors
}

// Error returns e.g. "errorfs: injected error: write /db/000001.log (op 17)".
func (e *Error) Error() string {
	s := fmt.Sprintf("errorfs: injected error: %s (op %d)", e.Op, e.Op.Index)
	if e.Err != nil && e.Err != ErrInjected {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrInjected and the injector's error.
func (e *Error) Unwrap() []error {
	if e.Err == nil || e.Err == ErrInjected {
		return []error{ErrInjected}
	}
	return []error{ErrInjected, e.Err}
}

// FS is a vfs.FS that shows every operation to an Injector before passing
// it to the inner FS. It is safe for concurrent use if the inner FS and the
// Injector are.
type FS struct {
	inner vfs.FS
	inj   Injector
	next  atomic.Int64
}

var _ vfs.FS = (*FS)(nil)

// Wrap returns fs with inj deciding which operations fail. A nil inj fails
// nothing (the FS then only counts operations).
func Wrap(fs vfs.FS, inj Injector) *FS {
	return &FS{inner: fs, inj: inj}
}

// Inner returns the wrapped FS, for a test to inspect or use without
// injection.
func (fs *FS) Inner() vfs.FS { return fs.inner }

// Ops returns how many operations the FS and its files have started so
// far, which is also the Index the next one will get.
func (fs *FS) Ops() int64 { return fs.next.Load() }

// check numbers an operation and asks the injector about it.
func (fs *FS) check(kind OpKind, path, newPath string) error {
	op := Op{Kind: kind, Path: path, NewPath: newPath, Index: fs.next.Add(1) - 1}
	if fs.inj == nil {
		return nil
	}
	if err := fs.inj.MaybeError(op); err != nil {
		return &Error{Op: op, Err: err}
	}
	return nil
}

func (fs *FS) wrapFile(f vfs.File, err error, name string) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return &file{fs: fs, f: f, name: name}, nil
}

// Create implements vfs.FS.
func (fs *FS) Create(name string) (vfs.File, error) {
	if err := fs.check(OpCreate, name, ""); err != nil {
		return nil, err
	}
	f, err := fs.inner.Create(name)
	return fs.wrapFile(f, err, name)
}

// Open implements vfs.FS.
func (fs *FS) Open(name string) (vfs.File, error) {
	if err := fs.check(OpOpen, name, ""); err != nil {
		return nil, err
	}
	f, err := fs.inner.Open(name)
	return fs.wrapFile(f, err, name)
}

// OpenReadWrite implements vfs.FS.
func (fs *FS) OpenReadWrite(name string) (vfs.File, error) {
	if err := fs.check(OpOpenReadWrite, name, ""); err != nil {
		return nil, err
	}
	f, err := fs.inner.OpenReadWrite(name)
	return fs.wrapFile(f, err, name)
}

// Remove implements vfs.FS.
func (fs *FS) Remove(name string) error {
	if err := fs.check(OpRemove, name, ""); err != nil {
		return err
	}
	return fs.inner.Remove(name)
}

// Rename implements vfs.FS.
func (fs *FS) Rename(oldname, newname string) error {
	if err := fs.check(OpRename, oldname, newname); err != nil {
		return err
	}
	return fs.inner.Rename(oldname, newname)
}

// MkdirAll implements vfs.FS.
func (fs *FS) MkdirAll(dir string, perm os.FileMode) error {
	if err := fs.check(OpMkdirAll, dir, ""); err != nil {
		return err
	}
	return fs.inner.MkdirAll(dir, perm)
}

// List implements vfs.FS.
func (fs *FS) List(dir string) ([]string, error) {
	if err := fs.check(OpList, dir, ""); err != nil {
		return nil, err
	}
	return fs.inner.List(dir)
}

// Stat implements vfs.FS.
func (fs *FS) Stat(name string) (os.FileInfo, error) {
	if err := fs.check(OpStat, name, ""); err != nil {
		return nil, err
	}
	return fs.inner.Stat(name)
}

// Lock implements vfs.FS. Releasing the lock is never failed.
func (fs *FS) Lock(name string) (io.Closer, error) {
	if err := fs.check(OpLock, name, ""); err != nil {
		return nil, err
	}
	return fs.inner.Lock(name)
}

// SyncDir implements vfs.FS.
func (fs *FS) SyncDir(dir string) error {
	if err := fs.check(OpSyncDir, dir, ""); err != nil {
		return err
	}
	return fs.inner.SyncDir(dir)
}

// file is a vfs.File of an errorfs FS.
type file struct {
	fs   *FS
	f    vfs.File
	name string
}

func (f *file) Read(p []byte) (int, error) {
	if err := f.fs.check(OpRead, f.name, ""); err != nil {
		return 0, err
	}
	return f.f.Read(p)
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if err := f.fs.check(OpReadAt, f.name, ""); err != nil {
		return 0, err
	}
	return f.f.ReadAt(p, off)
}

func (f *file) Write(p []byte) (int, error) {
	if err := f.fs.check(OpWrite, f.name, ""); err != nil {
		return 0, err
	}
	return f.f.Write(p)
}

func (f *file) WriteAt(p []byte, off int64) (int, error) {
	if err := f.fs.check(OpWriteAt, f.name, ""); err != nil {
		return 0, err
	}
	return f.f.WriteAt(p, off)
}

func (f *file) Sync() error {
	if err := f.fs.check(OpSync, f.name, ""); err != nil {
		return err
	}
	return f.f.Sync()
}

func (f *file) Truncate(size int64) error {
	if err := f.fs.check(OpTruncate, f.name, ""); err != nil {
		return err
	}
	return f.f.Truncate(size)
}

func (f *file) Stat() (os.FileInfo, error) {
	if err := f.fs.check(OpFileStat, f.name, ""); err != nil {
		return nil, err
	}
	return f.f.Stat()
}

// Close is passed through without asking the injector and without taking
// an index.
func (f *file) Close() error { return f.f.Close() }
