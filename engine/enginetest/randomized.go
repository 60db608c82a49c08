package enginetest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// The Randomized test: one seeded random op log run on the backend and on
// the model, results compared op by op.
func (k *kit) testRandomized(t *testing.T) {
	nseeds, nops := 4, 20000
	if testing.Short() {
		nseeds, nops = 2, 1500
	}
	for _, seed := range seeds(nseeds) {
		logSeed(t, seed)
		r := &randomized{k: k, t: t, seed: seed, rng: rand.New(rand.NewPCG(uint64(seed), 4))}
		err := protect(func() error { return r.run(nops) })
		if err != nil {
			t.Errorf("seed %d, op #%d: %v\nlast ops (newest last):\n%s\nreplay: %s",
				seed, r.opIndex, err, r.recent(), replayCommand(t.Name(), seed))
			if r.e != nil {
				protect(r.e.Close)
			}
			return
		}
	}
}

type randIter struct {
	it engine.Iterator
	mi *modelIter
	c  *iterChecker
	id int
}

type randSnap struct {
	s  engine.Snapshot
	m  *model
	id int
}

type randomized struct {
	k    *kit
	t    *testing.T
	seed int64
	rng  *rand.Rand

	fs    *vfs.MemFS
	opts  *engine.Options
	e     engine.Engine
	m     *model
	h     *history // writes since the last crash, for crash recovery
	g     *randWriter
	iters []*randIter
	snaps []*randSnap
	ids   int

	opIndex int
	log     []string // ring of recent ops
}

var randAlphabet = []byte{0x00, 'a', 'b', 0xff}

// key returns a short key over a four-letter alphabet with 0x00 and 0xff,
// so that prefixes, bounds and seeks collide often; sometimes a long one.
func (r *randomized) key() []byte {
	n := 1 + r.rng.IntN(4)
	if r.rng.IntN(50) == 0 {
		n = 100 + r.rng.IntN(900)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = randAlphabet[r.rng.IntN(len(randAlphabet))]
	}
	return b
}

func (r *randomized) logf(format string, args ...any) {
	s := fmt.Sprintf("#%d ", r.opIndex) + fmt.Sprintf(format, args...)
	r.log = append(r.log, s)
	if len(r.log) > 20 {
		r.log = r.log[len(r.log)-20:]
	}
}

func (r *randomized) recent() string {
	return "  " + strings.Join(r.log, "\n  ")
}

func (r *randomized) run(nops int) error {
	r.fs = vfs.NewMem()
	r.opts = r.k.smallOptions(r.t, r.fs)
	var err error
	if r.e, err = r.k.openWith(r.fs, r.opts); err != nil {
		return fmt.Errorf("open: %w", err)
	}
	r.m = newModel()
	r.h = newHistory(r.m)
	r.g = &randWriter{rng: r.rng, keyf: r.key}
	durable := r.k.has(Durability)
	for r.opIndex = 0; r.opIndex < nops; r.opIndex++ {
		var err error
		switch p := r.rng.IntN(1000); {
		case p < 300:
			err = r.write()
		case p < 450:
			err = r.get(r.e, r.m, "")
		case p < 520:
			err = r.newIter()
		case p < 750:
			err = r.iterMove()
		case p < 790:
			err = r.iterClose()
		case p < 820:
			err = r.snapOpen()
		case p < 880:
			err = r.snapRead()
		case p < 900:
			err = r.snapClose()
		case p < 910:
			r.logf("Flush")
			err = flush(r.e)
			r.h.markDurable()
		case p < 915 && durable:
			err = r.reopen()
		case p < 920 && durable:
			err = r.crash()
		case p < 925:
			r.logf("full compare")
			err = r.compareAll()
		}
		if err != nil {
			return err
		}
	}
	r.closeAll()
	if err := r.compareAll(); err != nil {
		return err
	}
	err = r.e.Close()
	r.e = nil
	return err
}

func (r *randomized) write() error {
	w := r.g.next(0.2)
	r.logf("%s", w)
	if err := w.do(r.e); err != nil {
		return fmt.Errorf("%s: %w", w, err)
	}
	r.m.apply(w)
	r.h.add(w, nil)
	return nil
}

// get compares a Get on rd with the model, with a random dst prefix.
func (r *randomized) get(rd engine.Reader, m *model, what string) error {
	k := r.key()
	if r.rng.IntN(2) == 0 {
		if ks := m.keys(nil, nil); len(ks) > 0 {
			k = []byte(ks[r.rng.IntN(len(ks))])
		}
	}
	var dst []byte
	if r.rng.IntN(3) == 0 {
		dst = append(make([]byte, 0, r.rng.IntN(64)), "dst:"...)
	}
	got, err := rd.Get(k, dst)
	want, ok := m.get(k)
	r.logf("%sGet(%s) = %s, %v", what, fmtKey(k), fmtVal(got), err)
	switch {
	case !ok:
		if !errors.Is(err, engine.ErrNotFound) {
			return fmt.Errorf("%sGet(%s) = %s, %v; want ErrNotFound", what, fmtKey(k), fmtVal(got), err)
		}
	case err != nil:
		return fmt.Errorf("%sGet(%s): %v; want %s", what, fmtKey(k), err, fmtVal(want))
	case !bytes.Equal(got, append(bytes.Clone(dst), want...)):
		return fmt.Errorf("%sGet(%s, dst=%s) = %s; want %s appended", what, fmtKey(k), fmtVal(dst), fmtVal(got), fmtVal(want))
	}
	return nil
}

func (r *randomized) bounds() (lower, upper []byte) {
	if r.rng.IntN(2) == 0 {
		lower = r.key()
	}
	if r.rng.IntN(2) == 0 {
		upper = r.key()
	}
	if lower != nil && upper != nil && bytes.Compare(lower, upper) > 0 {
		lower, upper = upper, lower
	}
	return lower, upper
}

func (r *randomized) newIter() error {
	if len(r.iters) >= 6 {
		return r.iterClose()
	}
	lower, upper := r.bounds()
	r.ids++
	r.logf("it%d = NewIter[%s, %s)", r.ids, fmtKey(lower), fmtKey(upper))
	it, err := r.e.NewIter(engine.IterOptions{Lower: lower, Upper: upper})
	if err != nil {
		return fmt.Errorf("NewIter: %w", err)
	}
	mi := r.m.newIter(lower, upper)
	r.iters = append(r.iters, &randIter{it: it, mi: mi, c: newIterChecker(it, mi), id: r.ids})
	return nil
}

// randomMove returns a move that is defined from the iterator's position:
// Next and Prev only from a valid position.
func (r *randomized) randomMove(mi *modelIter) iterMove {
	p := r.rng.IntN(10)
	if mi.valid() && p < 6 {
		if p < 3 {
			return iterMove{name: "Next"}
		}
		return iterMove{name: "Prev"}
	}
	switch p % 4 {
	case 0:
		return iterMove{name: "First"}
	case 1:
		return iterMove{name: "Last"}
	case 2:
		return iterMove{name: "SeekGE", arg: r.key()}
	default:
		return iterMove{name: "SeekLT", arg: r.key()}
	}
}

func (r *randomized) iterMove() error {
	if len(r.iters) == 0 {
		return r.newIter()
	}
	ri := r.iters[r.rng.IntN(len(r.iters))]
	for range 1 + r.rng.IntN(8) {
		mv := r.randomMove(ri.mi)
		_, err := ri.c.move(mv)
		state := "invalid"
		if ri.it.Valid() {
			state = fmtKey(ri.it.Key())
		}
		r.logf("it%d.%s -> %s", ri.id, mv, state)
		if err != nil {
			return fmt.Errorf("it%d: %w", ri.id, err)
		}
	}
	return nil
}

func (r *randomized) iterClose() error {
	if len(r.iters) == 0 {
		return nil
	}
	i := r.rng.IntN(len(r.iters))
	ri := r.iters[i]
	r.iters = append(r.iters[:i], r.iters[i+1:]...)
	r.logf("it%d.Close()", ri.id)
	if err := ri.it.Close(); err != nil {
		return fmt.Errorf("it%d.Close: %w", ri.id, err)
	}
	return nil
}

func (r *randomized) snapOpen() error {
	if len(r.snaps) >= 4 {
		return r.snapClose()
	}
	r.ids++
	r.logf("snap%d = NewSnapshot()", r.ids)
	s, err := r.e.NewSnapshot()
	if err != nil {
		return fmt.Errorf("NewSnapshot: %w", err)
	}
	r.snaps = append(r.snaps, &randSnap{s: s, m: r.m.clone(), id: r.ids})
	return nil
}

func (r *randomized) snapRead() error {
	if len(r.snaps) == 0 {
		return r.snapOpen()
	}
	rs := r.snaps[r.rng.IntN(len(r.snaps))]
	if r.rng.IntN(2) == 0 {
		return r.get(rs.s, rs.m, fmt.Sprintf("snap%d.", rs.id))
	}
	lower, upper := r.bounds()
	r.logf("snap%d.NewIter[%s, %s)", rs.id, fmtKey(lower), fmtKey(upper))
	it, err := rs.s.NewIter(engine.IterOptions{Lower: lower, Upper: upper})
	if err != nil {
		return fmt.Errorf("snap%d.NewIter: %w", rs.id, err)
	}
	mi := rs.m.newIter(lower, upper)
	c := newIterChecker(it, mi)
	for range 1 + r.rng.IntN(12) {
		mv := r.randomMove(mi)
		r.logf("snap%d iter.%s", rs.id, mv)
		if _, err := c.move(mv); err != nil {
			it.Close()
			return fmt.Errorf("snap%d iterator: %w", rs.id, err)
		}
	}
	return it.Close()
}

func (r *randomized) snapClose() error {
	if len(r.snaps) == 0 {
		return nil
	}
	i := r.rng.IntN(len(r.snaps))
	rs := r.snaps[i]
	r.snaps = append(r.snaps[:i], r.snaps[i+1:]...)
	r.logf("snap%d.Close()", rs.id)
	if err := rs.s.Close(); err != nil {
		return fmt.Errorf("snap%d.Close: %w", rs.id, err)
	}
	return nil
}

// closeAll closes every open iterator and snapshot (before a reopen or a
// crash, and at the end).
func (r *randomized) closeAll() {
	for _, ri := range r.iters {
		ri.it.Close()
	}
	for _, rs := range r.snaps {
		rs.s.Close()
	}
	r.iters, r.snaps = nil, nil
}

func (r *randomized) compareAll() error {
	got, err := readState(r.e, r.h.keys())
	if err != nil {
		return err
	}
	if !r.m.equal(got) {
		return fmt.Errorf("engine content differs from the model (want = model):\n%s", r.m.diff(got, 20))
	}
	return nil
}

func (r *randomized) reopen() error {
	r.logf("Close and reopen")
	r.closeAll()
	if err := r.e.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	r.h.markDurable()
	var err error
	if r.e, err = r.k.openWith(r.fs, r.opts); err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	return r.compareAll()
}

// crash takes a crash clone of the disk, closes the engine, recovers on the
// clone and goes on from the recovered state, which must be a valid prefix
// of the history since the last crash.
func (r *randomized) crash() error {
	r.closeAll()
	torn := 0
	if r.rng.IntN(2) == 0 {
		torn = 100
	}
	cs := r.rng.Int64()
	r.logf("crash (torn %d%%, clone seed %d) and recover", torn, cs)
	clone := r.fs.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: torn, Seed: cs})
	if err := r.e.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	e, got, err := r.k.recoverAndMatch(r.t, clone, r.opts, r.h)
	if err != nil {
		r.e = nil
		return err
	}
	r.fs, r.e, r.m = clone, e, got
	r.h = newHistory(got)
	return nil
}
