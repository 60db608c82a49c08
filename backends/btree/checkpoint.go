package btree

import (
	"fmt"
	"slices"
	"time"

	"github.com/lightningdb/lightning/backends/btree/internal/page"
	"github.com/lightningdb/lightning/engine/checksum"
)

// verifyWrites makes every checkpoint check each page it writes as a
// reader would (page.Layout.Check) before writing it. Tests turn it on.
var verifyWrites = false

// ckptJob is one checkpoint: the version it writes, and what it produced.
type ckptJob struct {
	v        *version
	prev     page.Meta // the last durable meta when it began
	k        uint64    // its id
	walLog   uint64
	gen      uint64   // the nodes of v's tree were made by writes up to gen
	freed    []uint64 // pages v's tree does not use that prev's state did
	droppedN [numKinds]uint64
	start    time.Time

	meta    page.Meta
	flPages []uint64
	pages   int
}

// needsCheckpoint reports whether the current version differs from the
// last durable checkpoint. The caller holds mu; no checkpoint is in
// flight.
func (s *store) needsCheckpoint() bool {
	v := s.cur.Load()
	return v.root.n != nil || v.root.ref != s.meta.Root || len(s.pg.dropped) > 0 || v.seq != s.meta.LastSeq
}

// A checkpoint writes one version of the tree to the data file without
// touching any page the last durable meta can reach, then switches the
// meta. It has three steps:
//
//  1. beginCheckpoint, under mu: take the current version, the pages the
//     writes since the last checkpoint dropped, and make it the checkpoint
//     in flight. Writes go on meanwhile, on new nodes (the version's nodes
//     are immutable), and drop pages into the next checkpoint's list.
//  2. writeCheckpoint, without mu: release the pages freed by earlier
//     checkpoints that no pinned version can reach; write every in-memory
//     node of the version (and the overflow runs of its pending data) to
//     newly allocated pages, children before parents; write the free list
//     (free, pending and newly freed pages) to new pages; sync; write the
//     meta of checkpoint k+1 to page (k+1)%2, the one the last meta does
//     not use; sync again.
//  3. finishCheckpoint, under mu: the new meta is the durable one; the
//     freed pages become pending until no pinned version can reach them;
//     in the current version every node the checkpoint wrote is replaced
//     by its page (the node is released to the garbage collector), and
//     the pages written for nodes the writes replaced meanwhile are
//     dropped (the next checkpoint frees them).
//
// walLog is recorded in the meta: the first WAL segment recovery must
// replay (every record of the version is below it). A failure leaves the
// store failed (sticky): its allocation state no longer matches any
// durable state.

// beginCheckpoint starts checkpoint k+1 of the current version. The
// caller holds mu; no checkpoint is in flight.
func (s *store) beginCheckpoint(walLog uint64) *ckptJob {
	j := &ckptJob{
		v:        s.cur.Load(),
		prev:     s.meta,
		k:        s.meta.Checkpoint + 1,
		walLog:   walLog,
		gen:      s.gen,
		freed:    append(slices.Clip(s.pg.dropped), s.freelistPages...),
		droppedN: s.pg.droppedN,
		start:    time.Now(),
	}
	s.pg.dropped, s.pg.droppedN = nil, [numKinds]uint64{}
	s.inFlightDirty.Store(s.dirty)
	s.dirty = 0
	s.basesRead = 0
	s.flight = j
	return j
}

// checkpointSync runs a whole checkpoint under mu (recovery, Close).
func (s *store) checkpointSync(walLog uint64) error {
	if s.failed != nil {
		return s.failed
	}
	j := s.beginCheckpoint(walLog)
	if err := s.writeCheckpoint(j); err != nil {
		return s.failCheckpoint(err)
	}
	s.finishCheckpoint(j)
	return nil
}

// failCheckpoint makes the store failed after a checkpoint's error. The
// caller holds mu.
func (s *store) failCheckpoint(err error) error {
	s.setFailed(fmt.Errorf("btree: checkpoint failed, the engine must be reopened: %w", err))
	s.flight = nil
	s.inFlightDirty.Store(0)
	s.ckptDone.Broadcast()
	return s.failed
}

// writeCheckpoint writes j's version and meta. It runs without mu, but
// owns the allocation state.
func (s *store) writeCheckpoint(j *ckptJob) error {
	pg := &s.pg
	pg.release(s.readers.oldest(j.prev.Checkpoint))
	cw := ckptWriter{s: s, lsn: j.k}
	if s.ckptWorkers > 0 {
		if err := cw.startPipeline(s.ckptWorkers); err != nil {
			return err
		}
		defer func() {
			if cw.pipe != nil {
				cw.pipe.Close() //nolint:errcheck // the checkpoint failed already
			}
		}()
	}
	root, err := cw.write(j.v.root, j.v.height-1)
	if err != nil {
		return err
	}

	// The free list: everything not in the new tree.
	count := func() int { return pg.freeCount() + len(j.freed) }
	flCap := pg.l.FreelistCap()
	var flPages []uint64
	for len(flPages) < (count()+flCap-1)/flCap {
		flPages = append(flPages, pg.alloc())
	}
	ids := slices.Clone(pg.free)
	for _, b := range pg.pending {
		ids = append(ids, b.ids...)
	}
	ids = append(ids, j.freed...)
	slices.Sort(ids)
	var head page.Ref
	for i := len(flPages) - 1; i >= 0; i-- {
		chunk := ids[i*flCap : min((i+1)*flCap, len(ids))]
		buf := make([]byte, pg.l.PageSize)
		if err := pg.l.EncodeFreelist(buf, flPages[i], j.k, head, chunk); err != nil {
			return err
		}
		if err := cw.writePage(ckptPage{id: flPages[i]}, buf); err != nil {
			return err
		}
		head = page.Ref{ID: flPages[i], LSN: j.k}
	}
	if err := cw.finish(); err != nil {
		return err
	}
	if err := pg.f.Sync(); err != nil {
		return err
	}

	v := j.v
	m := page.Meta{
		Checkpoint: j.k,
		PageSize:   pg.l.PageSize,
		Checksum:   pg.l.Kind,
		Root:       root,
		Height:     v.height,
		PageCount:  pg.pageCount,
		Freelist:   head,
		FreeCount:  uint64(len(ids)),
		LastSeq:    v.seq,
		WALLog:     j.walLog,
		Keys:       uint64(v.keys),

		BranchPages:   j.prev.BranchPages + cw.written[kindBranch] - j.droppedN[kindBranch],
		LeafPages:     j.prev.LeafPages + cw.written[kindLeaf] - j.droppedN[kindLeaf],
		OverflowPages: j.prev.OverflowPages + cw.written[kindOverflow] - j.droppedN[kindOverflow],
	}
	buf := make([]byte, pg.l.PageSize)
	page.EncodeMeta(buf, &m)
	if _, err := pg.f.WriteAt(buf, pg.l.Offset(j.k%2)); err != nil {
		return err
	}
	cw.pages++
	pg.bytesWritten.Add(uint64(len(buf)))
	if err := pg.f.Sync(); err != nil {
		return err
	}

	// Durable. Pages of the previous state become pending until no pinned
	// version can reach them.
	if len(j.freed) > 0 {
		pg.pending = append(pg.pending, pendingFree{tag: j.k, ids: j.freed})
	}
	pg.mirror()
	j.meta, j.flPages, j.pages = m, flPages, cw.pages
	return nil
}

// finishCheckpoint makes j's meta the durable state and publishes the
// current version with the nodes j wrote replaced by their pages. The
// caller holds mu.
func (s *store) finishCheckpoint(j *ckptJob) {
	s.meta = j.meta
	s.freelistPages = j.flPages
	for _, n := range s.replaced {
		if wn := n.written.Load(); wn != nil {
			s.pg.drop(wn.ref.ID, n.kind())
			for _, r := range wn.runs {
				s.pg.dropRun(r.ref, r.n)
			}
		}
	}
	clear(s.replaced)
	s.replaced = s.replaced[:0]
	s.retain(j.k)
	v := s.cur.Load()
	s.gen++
	root, _ := s.swizzle(v.root, s.gen)
	s.cur.Store(&version{root: root, height: v.height, ckpt: j.k, seq: v.seq, keys: v.keys})
	s.flight = nil
	s.inFlightDirty.Store(0)
	s.checkpoints.Add(1)
	s.ckptNanos.Add(uint64(time.Since(j.start)))
	s.lastCkptPages.Store(uint64(j.pages))
	s.ckptPagesWritten.Add(uint64(j.pages))
	s.ckptDone.Broadcast()
}

// retain takes the base pages of s.retained out of the pages checkpoint k
// freed and drops them again: the current version has a delta leaf, a copy
// of a leaf checkpoint k wrote, over each of them. The next checkpoint
// writes (or the writes replace) those leaves and frees the pages. A page
// is taken out once however often it is listed. The caller holds mu.
func (s *store) retain(k uint64) {
	if len(s.retained) == 0 {
		return
	}
	keep := make(map[uint64]struct{}, len(s.retained))
	for _, id := range s.retained {
		keep[id] = struct{}{}
	}
	pg := &s.pg
	for bi := range pg.pending {
		b := &pg.pending[bi]
		if b.tag != k {
			continue
		}
		b.ids = slices.DeleteFunc(b.ids, func(id uint64) bool {
			if _, ok := keep[id]; !ok {
				return false
			}
			delete(keep, id)
			pg.dropped = append(pg.dropped, id)
			return true
		})
	}
	s.retained = s.retained[:0]
	pg.mirror()
}

// swizzle returns c with every node a checkpoint wrote replaced by its
// page reference, copying (as write gen) the in-memory nodes above them,
// and whether anything changed.
func (s *store) swizzle(c child, gen uint64) (child, bool) {
	n := c.n
	if n == nil {
		return c, false
	}
	if wn := n.written.Load(); wn != nil {
		return child{ref: wn.ref}, true
	}
	if n.kids.empty() {
		return c, false
	}
	var kids []*node
	var p []byte
	for i := 0; i < n.kids.n; i++ {
		k := n.kids.at(i)
		if k == nil {
			continue
		}
		r, changed := s.swizzle(child{n: k}, gen)
		if !changed {
			continue
		}
		if kids == nil {
			kids = n.kidSlice()
			p = slices.Clone(n.p)
		}
		kids[i] = r.n
		if r.n == nil {
			page.SetRef(p, s.childRefOffset(p, i), r.ref)
		}
	}
	if kids == nil {
		return c, false
	}
	return child{n: &node{gen: gen, p: p, kids: newKidList(kids), big: slices.Clip(n.big), used: n.used}}, true
}

// ckptWriter writes the in-memory nodes of a tree during a checkpoint,
// gathering pages with consecutive ids into one write.
type ckptWriter struct {
	s       *store
	lsn     uint64
	pages   int
	written [numKinds]uint64
	wbuf    []byte // pages waiting to be written, consecutive from wfirst
	wfirst  uint64
	pend    []int
	st      readStat
	merged  *node // scratch: a delta leaf merged
	cells   []cellSrc

	// With OptCheckpointWorkers > 0, pages go through pipe: its workers
	// seal them and build their cache entries (process), its sink
	// gathers and writes them (emit) and caches them. scratch holds a
	// page being built per level (Submit copies it).
	pipe    *checksum.Pipeline
	scratch [][]byte
}

// ckptPage describes a page (or an overflow run) a checkpoint writes.
type ckptPage struct {
	id    uint64
	seal  bool // a leaf or branch page, to seal with id
	cache bool // to put in the page cache
	view  pageView
}

// startPipeline starts cw's pipeline with workers goroutines.
func (cw *ckptWriter) startPipeline(workers int) error {
	l := &cw.s.pg.l
	p, err := checksum.NewPipeline(checksum.PipelineOptions{
		Workers: workers,
		Process: func(b *checksum.Block) error {
			pp := b.Tag.(*ckptPage)
			b.Out = b.Raw
			if pp.cache {
				// The cache keeps the page: it needs bytes of its own.
				b.Out = make([]byte, len(b.Raw), l.PageSize)
				copy(b.Out, b.Raw)
			}
			return cw.process(pp, b.Out)
		},
		Sink: func(b *checksum.Block) error {
			pp := b.Tag.(*ckptPage)
			return cw.land(pp, b.Out)
		},
	})
	cw.pipe = p
	return err
}

// pageBuf returns a zeroed buffer for the page of a node at level: a new
// one (the cache keeps it) or, with a pipeline, the level's scratch.
func (cw *ckptWriter) pageBuf(level int) []byte {
	ps := cw.s.pg.l.PageSize
	if cw.pipe == nil {
		return make([]byte, ps)
	}
	for len(cw.scratch) <= level {
		cw.scratch = append(cw.scratch, make([]byte, ps))
	}
	b := cw.scratch[level]
	clear(b)
	return b
}

// process seals the page of p in buf if it is a node's, checks it (tests),
// and makes its cache view. It may run on a pipeline's worker.
func (cw *ckptWriter) process(p *ckptPage, buf []byte) error {
	l := &cw.s.pg.l
	if p.seal {
		l.Seal(buf, p.id, cw.lsn)
	}
	if verifyWrites {
		typ := page.ReadHeader(buf).Type
		ps := l.PageSize
		for i := 0; i < len(buf)/ps; i++ {
			if _, err := l.Check(buf[i*ps:(i+1)*ps], page.Ref{ID: p.id + uint64(i), LSN: cw.lsn}, typ); err != nil {
				return fmt.Errorf("btree: checkpoint wrote a bad page: %w", err)
			}
		}
	}
	if p.cache {
		p.view = view(l, buf)
	}
	return nil
}

// writePage writes the page (or run of pages) of p in buf: at once, or
// through the pipeline. buf is then no longer the caller's unless there is
// a pipeline (which copies it).
func (cw *ckptWriter) writePage(p ckptPage, buf []byte) error {
	if cw.pipe != nil {
		return cw.pipe.Submit(buf, &p)
	}
	if err := cw.process(&p, buf); err != nil {
		return err
	}
	return cw.land(&p, buf)
}

// land gathers the processed page of p in buf for writing and caches it
// if p asks: the pipeline's sink, or writePage without a pipeline.
func (cw *ckptWriter) land(p *ckptPage, buf []byte) error {
	if err := cw.emit(p.id, buf); err != nil {
		return err
	}
	if p.cache {
		cw.s.pg.cachePut(p.id, cw.lsn, p.view)
	}
	return nil
}

// finish writes everything submitted and stops the pipeline, if any.
func (cw *ckptWriter) finish() error {
	if cw.pipe != nil {
		err := cw.pipe.Close()
		cw.pipe = nil
		if err != nil {
			return err
		}
	}
	return cw.flush()
}

// maxCombined bounds the bytes of consecutive pages written at once.
const maxCombined = 256 << 10

// emit gathers the sealed page (or run) buf with id for writing, writing
// what was gathered before if buf does not follow it.
func (cw *ckptWriter) emit(id uint64, buf []byte) error {
	ps := uint64(cw.s.pg.l.PageSize)
	if len(cw.wbuf) > 0 && (id != cw.wfirst+uint64(len(cw.wbuf))/ps || len(cw.wbuf)+len(buf) > maxCombined) {
		if err := cw.flush(); err != nil {
			return err
		}
	}
	if len(cw.wbuf) == 0 {
		cw.wfirst = id
	}
	cw.wbuf = append(cw.wbuf, buf...)
	cw.pages += len(buf) / int(ps)
	return nil
}

// flush writes the pages gathered so far.
func (cw *ckptWriter) flush() error {
	if len(cw.wbuf) == 0 {
		return nil
	}
	if _, err := cw.s.pg.f.WriteAt(cw.wbuf, cw.s.pg.l.Offset(cw.wfirst)); err != nil {
		return err
	}
	cw.s.pg.bytesWritten.Add(uint64(len(cw.wbuf)))
	cw.wbuf = cw.wbuf[:0]
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
	if err := cw.writePage(ckptPage{id: first, cache: n == 1}, buf); err != nil {
		return page.Ref{}, err
	}
	cw.written[kindOverflow] += uint64(n)
	return page.Ref{ID: first, LSN: cw.lsn}, nil
}

// write writes the subtree c at level if it is in memory and returns its
// page reference.
func (cw *ckptWriter) write(c child, level int) (page.Ref, error) {
	n := c.n
	if n == nil {
		return c.ref, nil
	}
	if wn := n.written.Load(); wn != nil {
		return wn.ref, nil
	}
	l := &cw.s.pg.l
	img, big := n.p, n.big
	if n.delta() {
		var err error
		if cw.merged, cw.cells, err = cw.s.merged(n, &cw.st, cw.merged, cw.cells); err != nil {
			return page.Ref{}, err
		}
		img, big = cw.merged.p, cw.merged.big
	}
	buf := cw.pageBuf(level)
	cw.pend = l.Canonical(buf, img, cw.pend[:0])
	var runs []runRef
	for _, off := range cw.pend {
		i, _ := page.RefAt(buf, off).IsPending()
		ref, err := cw.writeRun(big[i])
		if err != nil {
			return page.Ref{}, err
		}
		page.SetRef(buf, off, ref)
		runs = append(runs, runRef{ref, len(big[i])})
	}
	if level > 0 {
		for i := 0; i < n.kids.n; i++ {
			k := n.kids.at(i)
			if k == nil {
				continue
			}
			ref, err := cw.write(child{n: k}, level-1)
			if err != nil {
				return page.Ref{}, err
			}
			page.SetRef(buf, cw.s.childRefOffset(buf, i), ref)
		}
	}
	id := cw.s.pg.alloc()
	if err := cw.writePage(ckptPage{id: id, seal: true, cache: true}, buf); err != nil {
		return page.Ref{}, err
	}
	cw.written[nodeKind(level)]++
	ref := page.Ref{ID: id, LSN: cw.lsn}
	n.written.Store(&writtenNode{ref: ref, runs: runs})
	return ref, nil
}
