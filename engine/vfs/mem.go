package vfs

import (
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// MemFS is an in-memory FS with a strict durability model, made for tests
// and crash tests. It is safe for concurrent use.
//
// Paths are cleaned with filepath.Clean. Absolute and relative paths name
// the same tree: a relative path is relative to the root, so "db/x" and
// "/db/x" are one file. Errors are *os.PathError (or *os.LinkError for
// Rename) values carrying the errno Linux would report (os.ErrNotExist,
// os.ErrExist, syscall.EISDIR, ENOTDIR, ENOTEMPTY, EINVAL, EBADF), so
// errors.Is works as it does on the OS FS; use of a closed File returns
// os.ErrClosed.
//
// Semantics follow POSIX where the FS interface leaves them open: Open
// is read-only (Write, WriteAt and Truncate on it fail with EBADF); a
// directory can be opened read-only (reads fail with EISDIR, Sync acts as
// SyncDir); an open File keeps its data reachable after Remove or Rename of
// its name; Rename follows os.Rename. One deliberate difference from
// *os.File: ReadAt and WriteAt with an empty buffer on a closed or
// read-only handle fail here, where os.File skips the system call and
// succeeds.
//
// Durability model. Every file keeps, beside its current bytes, a copy of
// its bytes as of its last File.Sync (through any handle). Every directory
// keeps, beside its current entries, its entries as of its last SyncDir
// (or Sync of a handle on the directory). CrashClone builds the disk as a
// power failure would leave it from those durable copies only:
//
//   - a file created, renamed or removed after its directory's last SyncDir
//     is, respectively, absent, still under its old name, still present;
//   - a file that survives holds the bytes of its last Sync (nothing if it
//     was never synced), whatever was written, overwritten or truncated
//     since; CrashOptions can add a random prefix of the unsynced tail;
//   - directories created by MkdirAll are durable at once: MkdirAll
//     records each new directory in its parent's durable entries, as if the
//     parent had been synced for that one name (a simplification: real file
//     systems need a SyncDir of the parent).
//
// Corruption tests can damage a file in place: open it with OpenReadWrite
// and WriteAt over the bytes to flip (Sync it too if the damage must survive
// a CrashClone). String lists every file with its current and synced sizes.
type MemFS struct {
	mu    sync.RWMutex
	root  *memNode
	locks map[string]bool // cleaned path -> held
}

// memNode is an inode: a regular file or a directory.
//
// Files: data is the current content; synced is the content as of the last
// Sync. As an optimization Sync does not copy: synced aliases data's
// backing array (aliased is true) until a mutation would touch a byte below
// len(synced), which first gives data a private copy. Invariant: synced is
// never written through.
//
// Directories: children are the current entries; durable are the entries
// as of the last SyncDir. Both map names to nodes; a node may appear in
// several maps (current and durable, or two directories' durable maps
// after an unsynced cross-directory rename).
type memNode struct {
	isDir   bool
	mode    os.FileMode
	modTime time.Time

	data    []byte
	synced  []byte
	aliased bool

	children map[string]*memNode
	durable  map[string]*memNode
}

// NewMem returns an empty MemFS holding only the root directory.
func NewMem() *MemFS {
	return &MemFS{root: newDirNode(0o755), locks: map[string]bool{}}
}

var _ FS = (*MemFS)(nil)

func newDirNode(perm os.FileMode) *memNode {
	return &memNode{
		isDir:    true,
		mode:     os.ModeDir | perm.Perm(),
		modTime:  time.Now(),
		children: map[string]*memNode{},
		durable:  map[string]*memNode{},
	}
}

func newFileNode() *memNode {
	return &memNode{mode: 0o644, modTime: time.Now()}
}

// splitPath cleans name and returns its components below the root; the
// root itself has none. ".." above the root stays at the root.
func splitPath(name string) []string {
	p := filepath.ToSlash(filepath.Clean("/" + name))
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

func pathErr(op, name string, err error) error {
	return &os.PathError{Op: op, Path: name, Err: err}
}

// lookupDir walks comps, which must all be directories. Caller holds mu.
func (fs *MemFS) lookupDir(comps []string) (*memNode, error) {
	n := fs.root
	for _, c := range comps {
		child, ok := n.children[c]
		if !ok {
			return nil, os.ErrNotExist
		}
		if !child.isDir {
			return nil, syscall.ENOTDIR
		}
		n = child
	}
	return n, nil
}

// lookup returns the node named by name, or the error Linux would give.
// Caller holds mu.
func (fs *MemFS) lookup(name string) (*memNode, error) {
	if name == "" {
		return nil, os.ErrNotExist
	}
	comps := splitPath(name)
	if len(comps) == 0 {
		return fs.root, nil
	}
	dir, err := fs.lookupDir(comps[:len(comps)-1])
	if err != nil {
		return nil, err
	}
	n, ok := dir.children[comps[len(comps)-1]]
	if !ok {
		return nil, os.ErrNotExist
	}
	return n, nil
}

// lookupParent returns the directory that holds (or would hold) name and
// name's last component. Caller holds mu.
func (fs *MemFS) lookupParent(name string) (*memNode, string, error) {
	if name == "" {
		return nil, "", os.ErrNotExist
	}
	comps := splitPath(name)
	if len(comps) == 0 {
		return nil, "", syscall.EISDIR // the root is a directory
	}
	dir, err := fs.lookupDir(comps[:len(comps)-1])
	if err != nil {
		return nil, "", err
	}
	return dir, comps[len(comps)-1], nil
}

// openFile implements Create, Open and OpenReadWrite.
func (fs *MemFS) openFile(op, name string, create, truncate, write bool) (File, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var n *memNode
	if create {
		dir, base, err := fs.lookupParent(name)
		if err != nil {
			return nil, pathErr(op, name, err)
		}
		n = dir.children[base]
		if n == nil {
			n = newFileNode()
			dir.children[base] = n
			dir.modTime = time.Now()
		}
	} else {
		var err error
		if n, err = fs.lookup(name); err != nil {
			return nil, pathErr(op, name, err)
		}
	}
	if n.isDir && write {
		return nil, pathErr(op, name, syscall.EISDIR)
	}
	if truncate && len(n.data) > 0 {
		n.resize(0)
	}
	return &memFile{fs: fs, n: n, name: name, writable: write}, nil
}

// Create implements FS.
func (fs *MemFS) Create(name string) (File, error) {
	return fs.openFile("open", name, true, true, true)
}

// Open implements FS. The file is read-only.
func (fs *MemFS) Open(name string) (File, error) {
	return fs.openFile("open", name, false, false, false)
}

// OpenReadWrite implements FS.
func (fs *MemFS) OpenReadWrite(name string) (File, error) {
	return fs.openFile("open", name, true, false, true)
}

// Remove implements FS. The removal is durable only after SyncDir of the
// parent directory.
func (fs *MemFS) Remove(name string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	dir, base, err := fs.lookupParent(name)
	if err == syscall.EISDIR {
		return pathErr("remove", name, syscall.EBUSY) // the root
	}
	if err != nil {
		return pathErr("remove", name, err)
	}
	n, ok := dir.children[base]
	if !ok {
		return pathErr("remove", name, os.ErrNotExist)
	}
	if n.isDir && len(n.children) > 0 {
		return pathErr("remove", name, syscall.ENOTEMPTY)
	}
	delete(dir.children, base)
	dir.modTime = time.Now()
	return nil
}

// isPrefix reports whether a is a proper prefix of b.
func isPrefix(a, b []string) bool {
	return len(a) < len(b) && slices.Equal(a, b[:len(a)])
}

// Rename implements FS. It behaves as os.Rename on Linux: an existing file
// target is replaced; an existing directory target is refused with EEXIST
// (os.Rename's rule, stricter than rename(2)); a directory cannot move
// below itself (EINVAL). The rename is durable only after SyncDir of both
// directories involved.
func (fs *MemFS) Rename(oldname, newname string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fail := func(err error) error {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	if oldname == "" || newname == "" {
		return fail(os.ErrNotExist)
	}
	// os.Rename checks a directory target before calling rename(2).
	if target, err := fs.lookup(newname); err == nil && target.isDir {
		if n, err := fs.lookup(oldname); err != nil {
			return fail(err)
		} else if oldname == newname || n != target {
			return fail(syscall.EEXIST)
		}
	}
	oldComps, newComps := splitPath(oldname), splitPath(newname)
	if len(oldComps) == 0 || len(newComps) == 0 {
		return fail(syscall.EBUSY) // the root
	}
	oldDir, err := fs.lookupDir(oldComps[:len(oldComps)-1])
	if err != nil {
		return fail(err)
	}
	newDir, err := fs.lookupDir(newComps[:len(newComps)-1])
	if err != nil {
		return fail(err)
	}
	oldBase, newBase := oldComps[len(oldComps)-1], newComps[len(newComps)-1]
	n, ok := oldDir.children[oldBase]
	if !ok {
		return fail(os.ErrNotExist)
	}
	if isPrefix(oldComps, newComps) {
		return fail(syscall.EINVAL) // a directory into its own subtree
	}
	if isPrefix(newComps, oldComps) {
		return fail(syscall.ENOTEMPTY) // over one of its own ancestors
	}
	target, exists := newDir.children[newBase]
	if exists {
		if target == n {
			return nil
		}
		switch {
		case n.isDir && !target.isDir:
			return fail(syscall.ENOTDIR)
		case !n.isDir && target.isDir:
			return fail(syscall.EISDIR)
		case target.isDir && len(target.children) > 0:
			return fail(syscall.ENOTEMPTY)
		}
	}
	delete(oldDir.children, oldBase)
	newDir.children[newBase] = n
	now := time.Now()
	oldDir.modTime, newDir.modTime = now, now
	return nil
}

// MkdirAll implements FS. Directories it creates are durable at once (see
// the MemFS durability model).
func (fs *MemFS) MkdirAll(dir string, perm os.FileMode) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if dir == "" {
		return pathErr("mkdir", dir, os.ErrNotExist)
	}
	n := fs.root
	for _, c := range splitPath(dir) {
		child, ok := n.children[c]
		if !ok {
			child = newDirNode(perm)
			n.children[c] = child
			n.durable[c] = child
			n.modTime = child.modTime
		} else if !child.isDir {
			return pathErr("mkdir", dir, syscall.ENOTDIR)
		}
		n = child
	}
	return nil
}

// List implements FS.
func (fs *MemFS) List(dir string) ([]string, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	n, err := fs.lookup(dir)
	if err != nil {
		return nil, pathErr("open", dir, err)
	}
	if !n.isDir {
		return nil, pathErr("readdirent", dir, syscall.ENOTDIR)
	}
	return slices.Sorted(maps.Keys(n.children)), nil
}

// Stat implements FS.
func (fs *MemFS) Stat(name string) (os.FileInfo, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	n, err := fs.lookup(name)
	if err != nil {
		return nil, pathErr("stat", name, err)
	}
	return n.info(baseName(name)), nil
}

// baseName is filepath.Base of the cleaned absolute name: "/" for the root.
func baseName(name string) string {
	return filepath.Base(filepath.Clean("/" + name))
}

// SyncDir implements FS: it makes dir's current entries durable.
func (fs *MemFS) SyncDir(dir string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n, err := fs.lookup(dir)
	if err != nil {
		return pathErr("open", dir, err)
	}
	if !n.isDir {
		return pathErr("sync", dir, syscall.ENOTDIR)
	}
	n.syncDir()
	return nil
}

// syncDir makes n's current entries durable. Caller holds mu.
func (n *memNode) syncDir() {
	n.durable = maps.Clone(n.children)
}

// Lock implements FS with an in-process lock table: a second Lock of the
// same path returns an error wrapping ErrLocked until the first lock is
// closed. Like the OS FS it creates the file if it does not exist.
func (fs *MemFS) Lock(name string) (io.Closer, error) {
	f, err := fs.OpenReadWrite(name)
	if err != nil {
		return nil, err
	}
	f.Close()
	key := filepath.Clean("/" + name)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.locks[key] {
		return nil, fmt.Errorf("%w: %s", ErrLocked, name)
	}
	fs.locks[key] = true
	return &memLock{fs: fs, key: key}, nil
}

type memLock struct {
	fs     *MemFS
	key    string
	closed atomic.Bool
}

// Close releases the lock. A second Close does nothing.
func (l *memLock) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	l.fs.mu.Lock()
	defer l.fs.mu.Unlock()
	delete(l.fs.locks, l.key)
	return nil
}

// CrashOptions control what CrashClone keeps beyond synced data.
type CrashOptions struct {
	// UnsyncedDataPercent models torn writes. When it is 0 a file keeps
	// exactly its synced bytes. When it is p > 0, for each file whose
	// current size exceeds its synced size (an unsynced tail of t bytes:
	// the current bytes from the synced length on), the clone also keeps
	// the first k bytes of that tail after the synced bytes, with k drawn
	// uniformly from [0, t*p/100]. So p = 100 keeps any prefix of the tail,
	// from none to all of it. Values above 100 count as 100, below 0 as 0.
	// Unsynced overwrites of bytes below the synced length are never kept,
	// and nothing is ever invented: kept bytes are bytes that were written.
	UnsyncedDataPercent int
	// Seed seeds the random draws; the same state and Seed give the same
	// clone. Files are visited in path order.
	Seed int64
}

// CrashClone returns a new, independent MemFS holding what the disk would
// hold after a power failure now: the directory entries as of each
// directory's last SyncDir, each file with its bytes as of its last Sync,
// plus what opts adds (see CrashOptions). Everything in the clone is
// durable. The clone shares no memory with fs; open files and locks are
// not carried over.
//
// A file reachable under two names in the durable state (moved between
// directories and only one of them synced) is one file under both names in
// the clone.
func (fs *MemFS) CrashClone(opts CrashOptions) *MemFS {
	pct := min(max(opts.UnsyncedDataPercent, 0), 100)
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x6c696768746e696e))
	return fs.cloneTree(func(n *memNode) []byte {
		keep := len(n.synced)
		if pct > 0 && len(n.data) > len(n.synced) {
			tail := len(n.data) - len(n.synced)
			keep += rng.IntN(tail*pct/100 + 1)
		}
		data := make([]byte, keep)
		copy(data, n.synced)
		if keep > len(n.synced) { // then len(n.data) >= keep
			copy(data[len(n.synced):], n.data[len(n.synced):keep])
		}
		return data
	}, func(n *memNode) map[string]*memNode { return n.durable })
}

// Clone returns a new, independent MemFS with the current state of fs, as
// a process crash (not a power failure) would leave it: every entry and
// every byte written is kept, and what was durable in fs is durable in the
// clone. Open files and locks are not carried over.
func (fs *MemFS) Clone() *MemFS {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	memo := map[*memNode]*memNode{}
	var clone func(n *memNode) *memNode
	clone = func(n *memNode) *memNode {
		if c, ok := memo[n]; ok {
			return c
		}
		c := &memNode{isDir: n.isDir, mode: n.mode, modTime: n.modTime}
		memo[n] = c
		if !n.isDir {
			c.data = slices.Clone(n.data)
			c.synced = slices.Clone(n.synced)
			return c
		}
		c.children = make(map[string]*memNode, len(n.children))
		c.durable = make(map[string]*memNode, len(n.durable))
		for _, name := range slices.Sorted(maps.Keys(n.children)) {
			c.children[name] = clone(n.children[name])
		}
		for _, name := range slices.Sorted(maps.Keys(n.durable)) {
			c.durable[name] = clone(n.durable[name])
		}
		return c
	}
	return &MemFS{root: clone(fs.root), locks: map[string]bool{}}
}

// cloneTree copies the tree reachable through entries, giving each file
// the bytes fileData returns. Every node in the result is durable. Nodes
// are visited depth-first in name order, each once.
func (fs *MemFS) cloneTree(fileData func(*memNode) []byte, entries func(*memNode) map[string]*memNode) *MemFS {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	memo := map[*memNode]*memNode{}
	var clone func(n *memNode) *memNode
	clone = func(n *memNode) *memNode {
		if c, ok := memo[n]; ok {
			return c
		}
		c := &memNode{isDir: n.isDir, mode: n.mode, modTime: n.modTime}
		memo[n] = c
		if !n.isDir {
			c.data = fileData(n)
			c.synced = c.data[:len(c.data):len(c.data)]
			c.aliased = true
			return c
		}
		ents := entries(n)
		c.children = make(map[string]*memNode, len(ents))
		for _, name := range slices.Sorted(maps.Keys(ents)) {
			c.children[name] = clone(ents[name])
		}
		c.durable = maps.Clone(c.children)
		return c
	}
	return &MemFS{root: clone(fs.root), locks: map[string]bool{}}
}

// String lists the tree for debugging, one entry per line in path order:
// directories end in "/", files show their current and synced sizes, and
// entries whose presence or absence is not yet durable are marked.
func (fs *MemFS) String() string {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	var b strings.Builder
	b.WriteString("/\n")
	seen := map[*memNode]bool{fs.root: true}
	var walk func(dir *memNode, prefix string)
	walk = func(dir *memNode, prefix string) {
		names := slices.Sorted(maps.Keys(dir.children))
		for name := range dir.durable {
			if _, ok := dir.children[name]; !ok {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			n, live := dir.children[name]
			if !live {
				d := dir.durable[name]
				fmt.Fprintf(&b, "%s%s%s (removed or renamed; not dir-synced)\n", prefix, name, dirSlash(d))
				continue
			}
			note := ""
			if dir.durable[name] != n {
				note = " (entry not dir-synced)"
			}
			if n.isDir {
				fmt.Fprintf(&b, "%s%s/%s\n", prefix, name, note)
				if !seen[n] {
					seen[n] = true
					walk(n, prefix+name+"/")
				}
				continue
			}
			fmt.Fprintf(&b, "%s%s size=%d synced=%d%s\n", prefix, name, len(n.data), len(n.synced), note)
		}
	}
	walk(fs.root, "/")
	return b.String()
}

func dirSlash(n *memNode) string {
	if n.isDir {
		return "/"
	}
	return ""
}

func (n *memNode) info(name string) os.FileInfo {
	return &memFileInfo{name: name, size: int64(len(n.data)), mode: n.mode, modTime: n.modTime}
}

// unalias gives data a private backing array if synced shares it and a
// mutation is about to touch byte lo (or a later one) with lo below the
// synced length. Caller holds mu for writing.
func (n *memNode) unalias(lo int) {
	if n.aliased && lo < len(n.synced) {
		n.data = slices.Clone(n.data)
		n.aliased = false
	}
}

// resize sets the file's size, zero-filling any growth.
func (n *memNode) resize(size int) {
	old := len(n.data)
	if size == old {
		return
	}
	if size < old {
		n.data = n.data[:size]
	} else {
		n.unalias(old)
		n.data = slices.Grow(n.data, size-old)[:size]
		clear(n.data[old:])
	}
	n.modTime = time.Now()
}

// writeAt writes p at off, extending (with zeros) as needed. An empty p
// changes nothing, as on Linux.
func (n *memNode) writeAt(p []byte, off int64) {
	if len(p) == 0 {
		return
	}
	end := int(off) + len(p)
	n.unalias(min(int(off), len(n.data)))
	if end > len(n.data) {
		n.resize(end)
	}
	copy(n.data[off:], p)
	n.modTime = time.Now()
}

type memFileInfo struct {
	name    string
	size    int64
	mode    os.FileMode
	modTime time.Time
}

func (fi *memFileInfo) Name() string       { return fi.name }
func (fi *memFileInfo) Size() int64        { return fi.size }
func (fi *memFileInfo) Mode() os.FileMode  { return fi.mode }
func (fi *memFileInfo) ModTime() time.Time { return fi.modTime }
func (fi *memFileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi *memFileInfo) Sys() any           { return nil }

// memFile is an open MemFS file. ReadAt and Stat may run concurrently with
// anything; Read and Write serialize on mu, which guards the offset.
type memFile struct {
	fs       *MemFS
	n        *memNode
	name     string
	writable bool
	closed   atomic.Bool

	mu  sync.Mutex
	off int64
}

var _ File = (*memFile)(nil)

// check fails on a closed file with os.ErrClosed and, when notWritable is
// not nil, on a handle not open for writing with notWritable (Linux gives
// EBADF for writes, EINVAL for truncation).
func (f *memFile) check(op string, notWritable error) error {
	if f.closed.Load() {
		return pathErr(op, f.name, os.ErrClosed)
	}
	if notWritable != nil && !f.writable {
		return pathErr(op, f.name, notWritable)
	}
	return nil
}

// readAt reads into p from off. Caller holds fs.mu for reading.
func (f *memFile) readAt(op string, p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if f.n.isDir {
		return 0, pathErr(op, f.name, syscall.EISDIR)
	}
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Read implements io.Reader from the file's offset.
func (f *memFile) Read(p []byte) (int, error) {
	if err := f.check("read", nil); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fs.mu.RLock()
	defer f.fs.mu.RUnlock()
	n, err := f.readAt("read", p, f.off)
	f.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil // io.Reader: a short read is not EOF yet
	}
	return n, err
}

// ReadAt implements io.ReaderAt. It is safe for concurrent use.
func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.check("read", nil); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("readat", f.name, syscall.EINVAL)
	}
	f.fs.mu.RLock()
	defer f.fs.mu.RUnlock()
	return f.readAt("read", p, off)
}

// Write implements io.Writer at the file's offset.
func (f *memFile) Write(p []byte) (int, error) {
	if err := f.check("write", syscall.EBADF); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	f.n.writeAt(p, f.off)
	f.off += int64(len(p))
	return len(p), nil
}

// WriteAt implements io.WriterAt, extending the file with zeros if off is
// past its end.
func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.check("write", syscall.EBADF); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("writeat", f.name, syscall.EINVAL)
	}
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	f.n.writeAt(p, off)
	return len(p), nil
}

// Close implements io.Closer. A second Close returns os.ErrClosed.
func (f *memFile) Close() error {
	if f.closed.Swap(true) {
		return pathErr("close", f.name, os.ErrClosed)
	}
	return nil
}

// Sync makes the file's current bytes durable. On a directory handle it
// makes the directory's entries durable, as SyncDir does.
func (f *memFile) Sync() error {
	if err := f.check("sync", nil); err != nil {
		return err
	}
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.n.isDir {
		f.n.syncDir()
		return nil
	}
	f.n.synced = f.n.data[:len(f.n.data):len(f.n.data)]
	f.n.aliased = true
	return nil
}

// Truncate sets the file's size, zero-filling any growth. The offset does
// not move.
func (f *memFile) Truncate(size int64) error {
	if err := f.check("truncate", syscall.EINVAL); err != nil {
		return err
	}
	if size < 0 {
		return pathErr("truncate", f.name, syscall.EINVAL)
	}
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	f.n.resize(int(size))
	return nil
}

// Stat returns the file's metadata under the base of the name it was
// opened with.
func (f *memFile) Stat() (os.FileInfo, error) {
	if err := f.check("stat", nil); err != nil {
		return nil, err
	}
	f.fs.mu.RLock()
	defer f.fs.mu.RUnlock()
	return f.n.info(baseName(f.name)), nil
}
