package btree

import (
	"bytes"
	"fmt"
	"path/filepath"

	"github.com/lightningdb/lightning/backends/btree/internal/page"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/engine/wal"
)

// CheckStats summarizes what Check walked.
type CheckStats struct {
	Checkpoint uint64 // checkpoint of the meta checked
	PageSize   int    // bytes per page
	Height     int    // levels of the tree (0: empty)
	Keys       uint64 // keys in the checkpoint's tree
	PageCount  uint64 // pages of the file in use or free, metas included
	// Pages of the checkpoint's tree by type.
	BranchPages, LeafPages, OverflowPages uint64
	// Pages holding the free list, and the free pages it lists.
	FreelistPages, FreePages uint64
	// WALBatches and WALOps count the batches (and their operations) in
	// the WAL after the checkpoint: what recovery would replay.
	WALBatches, WALOps uint64
}

// Check verifies the data file of the btree engine in dir offline: it
// takes the directory's lock (so the engine must be closed), picks the
// newest valid meta page and walks the whole tree. It verifies every
// page's checksum, header and structure; key order within each page and
// across pages (every key lies within the separators above it); that the
// tree is balanced (every branch is one level above its children, leaves
// at level 0, the height the meta records); the key count; every overflow
// run; and that the pages of the tree, of the free list and the free pages
// are pairwise disjoint and together cover every page id below the meta's
// page count (no page used twice, none leaked).
//
// Check also reads the WAL as recovery would: its records must be
// readable batches whose sequence numbers continue the meta's without a
// gap, and no checkpoint marker may lie beyond what the meta and the WAL
// reach (which would mean the newest meta page is damaged and the older
// one was chosen). opts may be nil (defaults); only its FS is used.
// Violations are errors satisfying errors.Is(err, engine.ErrCorruption).
func Check(fs vfs.FS, dir string, opts *engine.Options) error {
	_, err := CheckWithStats(fs, dir, opts)
	return err
}

// CheckWithStats is Check that also returns what it walked.
func CheckWithStats(fs vfs.FS, dir string, opts *engine.Options) (CheckStats, error) {
	if fs == nil {
		if opts != nil && opts.FS != nil {
			fs = opts.FS
		} else {
			fs = vfs.Default
		}
	}
	lock, err := fs.Lock(filepath.Join(dir, LockFile))
	if err != nil {
		return CheckStats{}, err
	}
	defer lock.Close()
	s, err := openStore(storeConfig{fs: fs, dir: dir, readOnly: true, logger: engine.DefaultLogger})
	if err != nil {
		return CheckStats{}, err
	}
	defer s.close()
	c := checker{s: s, owner: map[uint64]string{}}
	st, err := c.run()
	if err != nil {
		return st, err
	}
	seq := s.meta.LastSeq
	err = scanWAL(fs, filepath.Join(dir, WALDir), s, &seq, func(_ wal.Position, b *engine.Batch) error {
		st.WALBatches++
		st.WALOps += uint64(b.Len())
		return nil
	})
	return st, err
}

type checker struct {
	s     *store
	owner map[uint64]string // page id -> what uses it
	st    CheckStats
}

func (c *checker) corrupt(id uint64, format string, args ...any) error {
	return engine.Corruptf(c.s.path, c.s.pg.l.Offset(id), "check: page %d: %s", id, fmt.Sprintf(format, args...))
}

// claim records that what uses page id, which must be below the page
// count and used by nothing else.
func (c *checker) claim(id uint64, what string) error {
	if id < 2 || id >= c.s.meta.PageCount {
		return c.corrupt(id, "%s outside the file's %d pages", what, c.s.meta.PageCount)
	}
	if prev, dup := c.owner[id]; dup {
		return c.corrupt(id, "used as %s and as %s", prev, what)
	}
	c.owner[id] = what
	return nil
}

func (c *checker) run() (CheckStats, error) {
	m := &c.s.meta
	c.st.Checkpoint, c.st.PageSize, c.st.Height, c.st.PageCount = m.Checkpoint, m.PageSize, m.Height, m.PageCount
	if !m.Root.IsZero() {
		if err := c.walk(m.Root, m.Height-1, nil, nil); err != nil {
			return c.st, err
		}
	}
	if c.st.Keys != m.Keys {
		return c.st, c.corrupt(0, "meta says %d keys, the tree holds %d", m.Keys, c.st.Keys)
	}
	if c.st.BranchPages != m.BranchPages || c.st.LeafPages != m.LeafPages || c.st.OverflowPages != m.OverflowPages {
		return c.st, c.corrupt(0, "meta counts %d branch, %d leaf, %d overflow pages; the tree has %d, %d, %d",
			m.BranchPages, m.LeafPages, m.OverflowPages, c.st.BranchPages, c.st.LeafPages, c.st.OverflowPages)
	}
	for _, id := range c.s.freelistPages {
		if err := c.claim(id, "free-list page"); err != nil {
			return c.st, err
		}
		c.st.FreelistPages++
	}
	for _, id := range c.s.pg.free {
		if err := c.claim(id, "free page"); err != nil {
			return c.st, err
		}
		c.st.FreePages++
	}
	for id := uint64(2); id < m.PageCount; id++ {
		if _, ok := c.owner[id]; !ok {
			return c.st, c.corrupt(id, "leaked: neither in the tree nor free")
		}
	}
	return c.st, nil
}

// walk checks the subtree at ref, of level, whose keys must lie in
// [lo, hi) (nil: unbounded).
func (c *checker) walk(ref page.Ref, level int, lo, hi []byte) error {
	s := c.s
	p, err := s.pg.readUncached(ref, pageType(level))
	if err != nil {
		return err
	}
	if page.Level(p) != level {
		return c.corrupt(ref.ID, "level %d where %d was expected", page.Level(p), level)
	}
	what := "leaf"
	if level > 0 {
		what = "branch"
	}
	if err := c.claim(ref.ID, what); err != nil {
		return err
	}
	l := &s.pg.l
	// keys returns the whole key of cell i (read from its run if long).
	var buf [2][]byte
	key := func(i int) ([]byte, error) {
		var inline []byte
		var klen int
		var ref page.Ref
		if level == 0 {
			c := l.LeafCell(p, i)
			inline, klen, ref = c.Key, c.KeyLen, c.KeyRef
		} else {
			inline, klen, ref = l.BranchKey(p, i)
		}
		k, err := s.fullKey(buf[i%2], inline, klen, ref, nil)
		if err == nil && !ref.IsZero() {
			buf[i%2] = k
		}
		return k, err
	}
	inRange := func(i int, key []byte) error {
		if lo != nil && bytes.Compare(key, lo) < 0 || hi != nil && bytes.Compare(key, hi) >= 0 {
			return c.corrupt(ref.ID, "key %d (%q) outside the range [%q, %q) of its parent", i, trunc(key), trunc(lo), trunc(hi))
		}
		return nil
	}
	n := page.Count(p)
	var prev []byte
	for i := 0; i < n; i++ {
		k, err := key(i)
		if err != nil {
			return err
		}
		if err := inRange(i, k); err != nil {
			return err
		}
		if i > 0 && bytes.Compare(prev, k) >= 0 {
			return c.corrupt(ref.ID, "keys %d and %d out of order", i-1, i)
		}
		prev = k
		var kref page.Ref
		var klen int
		if level == 0 {
			cell := l.LeafCell(p, i)
			if err := c.checkRun(cell.ValueRef, cell.ValueLen, "value run"); err != nil {
				return err
			}
			kref, klen = cell.KeyRef, cell.KeyLen
		} else {
			_, klen, kref = l.BranchKey(p, i)
		}
		if err := c.checkRun(kref, klen, "key run"); err != nil {
			return err
		}
	}
	if level == 0 {
		c.st.LeafPages++
		c.st.Keys += uint64(n)
		return nil
	}
	c.st.BranchPages++
	for i := 0; i <= n; i++ {
		clo, chi := lo, hi
		if i > 0 {
			k, err := key(i - 1)
			if err != nil {
				return err
			}
			clo = bytes.Clone(k)
		}
		if i < n {
			k, err := key(i)
			if err != nil {
				return err
			}
			chi = bytes.Clone(k)
		}
		if err := c.walk(l.BranchChild(p, i), level-1, clo, chi); err != nil {
			return err
		}
	}
	return nil
}

// checkRun reads and claims the overflow run ref of n bytes, if any.
func (c *checker) checkRun(ref page.Ref, n int, what string) error {
	if ref.IsZero() {
		return nil
	}
	if _, err := c.s.pg.readRun(nil, ref, n); err != nil {
		return err
	}
	k := c.s.pg.l.OverflowPages(n)
	for i := 0; i < k; i++ {
		if err := c.claim(ref.ID+uint64(i), what); err != nil {
			return err
		}
	}
	c.st.OverflowPages += uint64(k)
	return nil
}

func pageType(level int) page.Type {
	if level == 0 {
		return page.TypeLeaf
	}
	return page.TypeBranch
}

func trunc(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}
