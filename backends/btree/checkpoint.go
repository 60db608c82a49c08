package btree

import (
	"fmt"
	"slices"
	"time"

	"github.com/lightningdb/lightning/backends/btree/internal/page"
)

// needsCheckpoint reports whether the current version differs from the
// last durable checkpoint. The caller holds mu.
func (s *store) needsCheckpoint() bool {
	v := s.cur.Load()
	return v.root.n != nil || v.root.ref != s.meta.Root || len(s.pg.dropped) > 0 || v.seq != s.meta.LastSeq
}

// checkpoint writes the current version to the data file without touching
// any page the last durable meta can reach, then switches the meta:
//
//  1. pages freed by earlier checkpoints that no pinned version can reach
//     become reusable;
//  2. every in-memory node (and each large value or long key not yet in a
//     run) is written to newly allocated pages, children before parents;
//  3. the free list (free, pending and newly dropped pages) is written to
//     new pages;
//  4. the data file is synced; the meta of checkpoint k+1 is written to
//     page (k+1)%2, the one the last meta does not use; the file is synced
//     again;
//  5. the pages the new version no longer uses become pending, and the
//     new version, whose root is a page reference, is published.
//
// walLog is recorded in the meta: the first WAL segment recovery must
// replay. The caller holds mu. A failure leaves the store failed (sticky):
// its in-memory allocation state no longer matches any durable state.
func (s *store) checkpoint(walLog uint64) error {
	if s.failed != nil {
		return s.failed
	}
	start := time.Now()
	err := s.doCheckpoint(walLog)
	if err != nil {
		s.failed = fmt.Errorf("btree: checkpoint failed, the engine must be reopened: %w", err)
		return s.failed
	}
	s.checkpoints.Add(1)
	s.ckptNanos.Add(uint64(time.Since(start)))
	return nil
}

func (s *store) doCheckpoint(walLog uint64) error {
	v := s.cur.Load()
	k := s.meta.Checkpoint + 1
	s.pg.release(s.readers.oldest(s.meta.Checkpoint))

	cw := ckptWriter{s: s, lsn: k}
	root, err := cw.write(v.root, v.height-1)
	if err != nil {
		return err
	}

	// The free list: everything not in the new tree.
	count := func() int { return s.pg.freeCount() + len(s.pg.dropped) + len(s.freelistPages) }
	flCap := s.pg.l.FreelistCap()
	var flPages []uint64
	for len(flPages) < (count()+flCap-1)/flCap {
		flPages = append(flPages, s.pg.alloc())
	}
	freed := append(slices.Clip(s.pg.dropped), s.freelistPages...)
	ids := slices.Clone(s.pg.free)
	for _, b := range s.pg.pending {
		ids = append(ids, b.ids...)
	}
	ids = append(ids, freed...)
	slices.Sort(ids)
	var head page.Ref
	for j := len(flPages) - 1; j >= 0; j-- {
		chunk := ids[j*flCap : min((j+1)*flCap, len(ids))]
		buf := make([]byte, s.pg.l.PageSize)
		if err := s.pg.l.EncodeFreelist(buf, flPages[j], k, head, chunk); err != nil {
			return err
		}
		if err := cw.writePage(flPages[j], buf); err != nil {
			return err
		}
		head = page.Ref{ID: flPages[j], LSN: k}
	}
	if err := s.pg.f.Sync(); err != nil {
		return err
	}

	m := page.Meta{
		Checkpoint: k,
		PageSize:   s.pg.l.PageSize,
		Checksum:   s.pg.l.Kind,
		Root:       root,
		Height:     v.height,
		PageCount:  s.pg.pageCount,
		Freelist:   head,
		FreeCount:  uint64(len(ids)),
		LastSeq:    v.seq,
		WALLog:     walLog,
		Keys:       uint64(v.keys),

		BranchPages:   s.meta.BranchPages + cw.written[kindBranch] - s.pg.droppedN[kindBranch],
		LeafPages:     s.meta.LeafPages + cw.written[kindLeaf] - s.pg.droppedN[kindLeaf],
		OverflowPages: s.meta.OverflowPages + cw.written[kindOverflow] - s.pg.droppedN[kindOverflow],
	}
	buf := make([]byte, s.pg.l.PageSize)
	page.EncodeMeta(buf, &m)
	if err := cw.writePage(k%2, buf); err != nil {
		return err
	}
	if err := s.pg.f.Sync(); err != nil {
		return err
	}

	// Durable. Pages of the previous state become pending until no pinned
	// version can reach them.
	if len(freed) > 0 {
		s.pg.pending = append(s.pg.pending, pendingFree{tag: k, ids: freed})
	}
	s.pg.dropped = nil
	s.pg.droppedN = [numKinds]uint64{}
	s.freelistPages = flPages
	s.meta = m
	s.dirty = 0
	s.lastCkptPages.Store(uint64(cw.pages))
	s.ckptPagesWritten.Add(uint64(cw.pages))
	s.cur.Store(&version{root: child{ref: root}, height: v.height, ckpt: k, seq: v.seq, keys: v.keys})
	return nil
}

// ckptWriter writes the in-memory nodes of a tree during a checkpoint.
type ckptWriter struct {
	s       *store
	lsn     uint64
	pages   int
	written [numKinds]uint64
}

func (cw *ckptWriter) writePage(id uint64, buf []byte) error {
	if _, err := cw.s.pg.f.WriteAt(buf, cw.s.pg.l.Offset(id)); err != nil {
		return err
	}
	cw.pages += len(buf) / cw.s.pg.l.PageSize
	cw.s.pg.bytesWritten.Add(uint64(len(buf)))
	return nil
}

// writeRun writes data to a new overflow run and returns its reference.
func (cw *ckptWriter) writeRun(data []byte) (page.Ref, error) {
	l := &cw.s.pg.l
	n := l.OverflowPages(len(data))
	first := cw.s.pg.allocRun(n)
	buf := make([]byte, n*l.PageSize)
	for i := 0; i < n; i++ {
		l.EncodeOverflow(buf[i*l.PageSize:(i+1)*l.PageSize], first, i, cw.lsn, data)
	}
	if err := cw.writePage(first, buf); err != nil {
		return page.Ref{}, err
	}
	cw.written[kindOverflow] += uint64(n)
	if n == 1 {
		cw.s.pg.cache.Set(cw.lsn, first, buf)
	}
	return page.Ref{ID: first, LSN: cw.lsn}, nil
}

// write writes the subtree c at level if it is in memory and returns its
// page reference.
func (cw *ckptWriter) write(c child, level int) (page.Ref, error) {
	n := c.n
	if n == nil {
		return c.ref, nil
	}
	l := &cw.s.pg.l
	buf := make([]byte, l.PageSize)
	if n.leaf() {
		ents := slices.Clone(n.ents)
		for i := range ents {
			e := &ents[i]
			var err error
			if !l.KeyInline(len(e.Key)) && e.KeyRef.IsZero() {
				if e.KeyRef, err = cw.writeRun(e.Key); err != nil {
					return page.Ref{}, err
				}
			}
			if !l.ValueInline(len(e.Key), e.ValueLen) && e.ValueRef.IsZero() {
				if e.ValueRef, err = cw.writeRun(e.Value); err != nil {
					return page.Ref{}, err
				}
			}
		}
		id := cw.s.pg.alloc()
		if err := l.EncodeLeaf(buf, id, cw.lsn, ents); err != nil {
			return page.Ref{}, err
		}
		cw.written[kindLeaf]++
		return cw.finish(id, buf)
	}
	keys := slices.Clone(n.keys)
	for i := range keys {
		if !l.KeyInline(len(keys[i].Key)) && keys[i].KeyRef.IsZero() {
			var err error
			if keys[i].KeyRef, err = cw.writeRun(keys[i].Key); err != nil {
				return page.Ref{}, err
			}
		}
	}
	kids := make([]page.Ref, len(n.kids))
	for i, k := range n.kids {
		var err error
		if kids[i], err = cw.write(k, level-1); err != nil {
			return page.Ref{}, err
		}
	}
	id := cw.s.pg.alloc()
	if err := l.EncodeBranch(buf, id, cw.lsn, n.level, keys, kids); err != nil {
		return page.Ref{}, err
	}
	cw.written[kindBranch]++
	return cw.finish(id, buf)
}

func (cw *ckptWriter) finish(id uint64, buf []byte) (page.Ref, error) {
	if err := cw.writePage(id, buf); err != nil {
		return page.Ref{}, err
	}
	cw.s.pg.cache.Set(cw.lsn, id, buf)
	return page.Ref{ID: id, LSN: cw.lsn}, nil
}
