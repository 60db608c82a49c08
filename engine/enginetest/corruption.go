package enginetest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

func (k *kit) testCorruption(t *testing.T) {
	k.need(t, Durability)
	nseeds, flips := 2, 16
	if testing.Short() {
		nseeds, flips = 1, 6
	}
	for _, seed := range seeds(nseeds) {
		logSeed(t, seed)
		if !k.corruptionSeed(t, seed, flips) {
			return
		}
	}
}

// corruptionSeed writes a known dataset, closes the engine, then flips
// bytes in every file it wrote, each in a fresh copy of the disk, and
// checks every outcome.
func (k *kit) corruptionSeed(t *testing.T, seed int64, flips int) bool {
	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	fs := vfs.NewMem()
	opts := k.smallOptions(t, fs)
	e, err := k.openWith(fs, opts)
	must(t, "Open", err)
	g := &randWriter{rng: rng, nkeys: 300, prefix: "x"}
	m := newModel()
	for round := range 3 {
		for range 150 {
			w := g.next(0.1)
			if err := w.do(e); err != nil {
				e.Close()
				t.Fatalf("write %s: %v", w, err)
			}
			m.apply(w)
		}
		// Compact (if the engine has it) only after the first round, so
		// that the later flushes leave several data files.
		err := e.Flush()
		if c, ok := e.(Compacter); ok && round == 0 && err == nil {
			err = c.Compact()
		}
		if err != nil {
			e.Close()
			t.Fatalf("round %d: flush: %v", round, err)
		}
	}
	for range 20 {
		w := g.next(0.3)
		if err := w.do(e); err != nil {
			e.Close()
			t.Fatalf("write %s: %v", w, err)
		}
		m.apply(w)
	}
	// The last write, not followed by a Flush: a batch, so that losing it
	// means losing all of it.
	before := fs.Clone()
	prev := m.clone()
	last := write{batch: true, sync: true}
	for i := range 5 {
		last.ops = append(last.ops, op{key: key("last", i), value: val("last", i)})
	}
	last.ops = append(last.ops, op{del: true, key: []byte(m.keys(nil, nil)[0])}, op{key: []byte(m.keys(nil, nil)[1]), value: []byte("last-overwrite")})
	if err := last.do(e); err != nil {
		e.Close()
		t.Fatalf("last write: %v", err)
	}
	m.apply(last)
	must(t, "Close", e.Close())

	files, err := listFiles(fs, testDir)
	must(t, "listing the engine's files", err)
	beforeFiles, err := listFiles(before, testDir)
	must(t, "listing the engine's files", err)
	old := map[string][]byte{}
	for _, f := range beforeFiles {
		old[f.path] = f.data
	}
	probes := probeKeys(m, prev)
	// Sanity: the undamaged copy reads back exactly.
	if err := k.corruptCheck(fs.Clone(), opts, probes, []*model{m}); err != nil {
		t.Errorf("undamaged disk: %v", err)
		return false
	}
	t.Logf("%d files: %s", len(files), fileList(files))
	checked := 0
	for _, f := range files {
		if path.Base(f.path) == k.cfg.lockFile || len(f.data) == 0 {
			continue
		}
		offs := []int64{0, int64(len(f.data) - 1)}
		for range flips {
			offs = append(offs, rng.Int64N(int64(len(f.data))))
		}
		slices.Sort(offs)
		offs = slices.Compact(offs)
		for _, off := range offs {
			mask := byte(1 + rng.IntN(255))
			// A flip in bytes written by the last write (or the Close after
			// it) may read as a torn tail: losing that write, as a whole,
			// is then accepted.
			allowed := []*model{m}
			ob, existed := old[f.path]
			if !existed || off >= int64(len(ob)) || ob[off] != f.data[off] {
				allowed = append(allowed, prev)
			}
			c := fs.Clone()
			must(t, "flipping a byte", flipByte(c, f.path, off, mask))
			if err := k.corruptCheck(c, opts, probes, allowed); err != nil {
				t.Errorf("%s (%d bytes), byte %d xor %#02x: %v", f.path, len(f.data), off, mask, err)
				return false
			}
			checked++
		}
	}
	t.Logf("%d single-byte flips checked", checked)
	return true
}

func fileList(files []fileInfo) string {
	var s []string
	for _, f := range files {
		s = append(s, fmt.Sprintf("%s (%d bytes)", path.Base(f.path), len(f.data)))
	}
	return strings.Join(s, ", ")
}

// observation is what one read of a damaged engine returned.
type observation struct {
	key   []byte
	value []byte // nil: ErrNotFound
}

// corruptCheck opens the engine on a damaged disk and reads everything. It
// returns nil if every read either failed with an error marked
// ErrCorruption or agreed with one of the allowed states (the same one
// for all reads).
func (k *kit) corruptCheck(fs vfs.FS, opts *engine.Options, probes [][]byte, allowed []*model) error {
	var e engine.Engine
	err := protect(func() (err error) {
		e, err = k.openWith(fs, opts)
		return err
	})
	if isPanic(err) {
		return fmt.Errorf("opening the engine panicked: %v", err)
	}
	if err != nil {
		if errors.Is(err, engine.ErrCorruption) {
			return nil
		}
		return fmt.Errorf("opening the engine failed with an error not marked ErrCorruption: %v", err)
	}
	defer func() {
		protect(e.Close)
	}()
	var gets []observation
	var fwd, rev []observation
	var fwdErr, revErr error
	err = protect(func() error {
		for _, p := range probes {
			v, err := e.Get(p, nil)
			switch {
			case err == nil:
				if v == nil {
					v = []byte{}
				}
				gets = append(gets, observation{p, v})
			case errors.Is(err, engine.ErrNotFound):
				gets = append(gets, observation{p, nil})
			case errors.Is(err, engine.ErrCorruption):
			default:
				return fmt.Errorf("Get(%s) failed with an error not marked ErrCorruption: %v", fmtKey(p), err)
			}
		}
		for _, reverse := range []bool{false, true} {
			ks, vs, err := scan(e, nil, nil, reverse)
			var obs []observation
			for i := range ks {
				obs = append(obs, observation{ks[i], vs[i]})
			}
			if err != nil && !errors.Is(err, engine.ErrCorruption) {
				return fmt.Errorf("iteration (reverse=%v) failed with an error not marked ErrCorruption: %v", reverse, err)
			}
			if reverse {
				rev, revErr = obs, err
			} else {
				fwd, fwdErr = obs, err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var firstErr error
	for _, m := range allowed {
		err := consistent(m, gets, fwd, fwdErr != nil, rev, revErr != nil)
		if err == nil {
			return nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if len(allowed) > 1 {
		return fmt.Errorf("wrong data returned without a corruption error (also not the state without the last write): %v", firstErr)
	}
	return fmt.Errorf("wrong data returned without a corruption error: %v", firstErr)
}

// consistent checks reads against m: Gets must agree; an iteration must
// equal m's keys in order, or a prefix of them if it stopped on a
// corruption error.
func consistent(m *model, gets, fwd []observation, fwdCut bool, rev []observation, revCut bool) error {
	for _, o := range gets {
		want, ok := m.get(o.key)
		switch {
		case o.value == nil && ok:
			return fmt.Errorf("Get(%s) = not found, want %s", fmtKey(o.key), fmtVal(want))
		case o.value != nil && !ok:
			return fmt.Errorf("Get(%s) = %s, want not found", fmtKey(o.key), fmtVal(o.value))
		case o.value != nil && !bytes.Equal(o.value, want):
			return fmt.Errorf("Get(%s) = %s, want %s", fmtKey(o.key), fmtVal(o.value), fmtVal(want))
		}
	}
	keys := m.keys(nil, nil)
	check := func(obs []observation, cut bool, reverse bool) error {
		order := keys
		if reverse {
			order = slices.Clone(keys)
			slices.Reverse(order)
		}
		for i, o := range obs {
			if i >= len(order) {
				return fmt.Errorf("iteration (reverse=%v) returns %s after the last key", reverse, fmtKey(o.key))
			}
			if string(o.key) != order[i] || !bytes.Equal(o.value, m.m[order[i]]) {
				return fmt.Errorf("iteration (reverse=%v) position %d: %s=%s, want %s=%s", reverse, i,
					fmtKey(o.key), fmtVal(o.value), fmtKey([]byte(order[i])), fmtVal(m.m[order[i]]))
			}
		}
		if !cut && len(obs) != len(order) {
			return fmt.Errorf("iteration (reverse=%v) ends after %d keys without an error, want %d keys", reverse, len(obs), len(order))
		}
		return nil
	}
	if err := check(fwd, fwdCut, false); err != nil {
		return err
	}
	return check(rev, revCut, true)
}
