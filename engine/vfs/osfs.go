package vfs

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// Default is the operating system's file system.
var Default FS = osFS{}

type osFS struct{}

func (osFS) Create(name string) (File, error) {
	return wrapOS(os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644))
}

func (osFS) Open(name string) (File, error) { return wrapOS(os.Open(name)) }

func (osFS) OpenReadWrite(name string) (File, error) {
	return wrapOS(os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644))
}

// osFile is an *os.File whose Sync is fdatasync(2): it makes the data and
// the metadata needed to read it back (the size) durable, without the
// timestamps fsync(2) also writes — measurably cheaper per WAL commit.
type osFile struct{ *os.File }

func wrapOS(f *os.File, err error) (File, error) {
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

// Sync implements File with fdatasync.
func (f osFile) Sync() error {
	// SyscallConn and Control fail only on a closed file.
	closed := &os.PathError{Op: "sync", Path: f.Name(), Err: os.ErrClosed}
	rc, err := f.SyscallConn()
	if err != nil {
		return closed
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = unix.Fdatasync(int(fd))
			if serr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return closed
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}

var _ Preallocator = osFile{}

// preallocChunk is the size of the zero buffer Preallocate writes with.
const preallocChunk = 1 << 20

// Preallocate implements Preallocator: fallocate(2) reserves the range
// (so a full disk fails here, before anything is written, and the blocks
// are contiguous where the file system can), then zeros written over it
// turn its unwritten extents into written ones. A file system without
// fallocate gets the zeros only.
func (f osFile) Preallocate(size int64) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	start := fi.Size()
	if size <= start {
		return nil
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return &os.PathError{Op: "fallocate", Path: f.Name(), Err: os.ErrClosed}
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		for {
			ferr = unix.Fallocate(int(fd), 0, start, size-start)
			if ferr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return &os.PathError{Op: "fallocate", Path: f.Name(), Err: os.ErrClosed}
	}
	switch ferr {
	case nil, unix.EOPNOTSUPP, unix.ENOSYS:
	default:
		return &os.PathError{Op: "fallocate", Path: f.Name(), Err: ferr}
	}
	zeros := make([]byte, min(size-start, preallocChunk))
	for off := start; off < size; {
		n, err := f.WriteAt(zeros[:min(int64(len(zeros)), size-off)], off)
		if err != nil {
			return err
		}
		off += int64(n)
	}
	return nil
}

func (osFS) Remove(name string) error { return os.Remove(name) }

func (osFS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }

func (osFS) MkdirAll(dir string, perm os.FileMode) error { return os.MkdirAll(dir, perm) }

func (osFS) List(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	slices.Sort(names)
	return names, err
}

func (osFS) Stat(name string) (os.FileInfo, error) { return os.Stat(name) }

func (osFS) SyncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// osLocks tracks locks held by this process: flock is per open file
// description, so a second Lock in the same process must be refused here.
var osLocks = struct {
	sync.Mutex
	held map[string]bool
}{held: map[string]bool{}}

func (osFS) Lock(name string) (io.Closer, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return nil, err
	}
	osLocks.Lock()
	defer osLocks.Unlock()
	if osLocks.held[abs] {
		return nil, fmt.Errorf("%w: %s (held in this process)", ErrLocked, name)
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if err == unix.EWOULDBLOCK {
			return nil, fmt.Errorf("%w: %s", ErrLocked, name)
		}
		return nil, fmt.Errorf("vfs: lock %s: %w", name, err)
	}
	osLocks.held[abs] = true
	return &osLock{f: f, abs: abs}, nil
}

type osLock struct {
	f   *os.File
	abs string
}

func (l *osLock) Close() error {
	osLocks.Lock()
	defer osLocks.Unlock()
	if l.f == nil {
		return nil
	}
	delete(osLocks.held, l.abs)
	err := l.f.Close() // closing the descriptor releases the flock
	l.f = nil
	return err
}
