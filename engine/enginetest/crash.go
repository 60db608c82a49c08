package enginetest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

func (k *kit) testCrash(t *testing.T) {
	k.need(t, Durability)
	t.Run("Clean", func(t *testing.T) { k.crashRun(t, 0) })
	t.Run("TornTail", func(t *testing.T) { k.crashRun(t, 100) })
}

// randWriter makes the random writes of the Crash, Faults and Randomized
// tests: small key space (so overwrites and deletes of live keys are
// common), values that name the write that made them.
type randWriter struct {
	rng    *rand.Rand
	nkeys  int
	prefix string
	n      int           // writes made, for unique values
	keyf   func() []byte // if set, makes the keys instead of prefix and nkeys
}

func (g *randWriter) key() []byte {
	if g.keyf != nil {
		return g.keyf()
	}
	return key(g.prefix, g.rng.IntN(g.nkeys))
}

func (g *randWriter) value() []byte {
	v := []byte(fmt.Sprintf("%s.w%d.%d", g.prefix, g.n, g.rng.IntN(1000)))
	switch r := g.rng.IntN(20); {
	case r == 0:
		v = append(v, make([]byte, 1500+g.rng.IntN(3000))...)
	case r < 5:
		v = append(v, make([]byte, g.rng.IntN(200))...)
	case r == 5:
		v = v[:0]
	}
	return v
}

// next returns a random write: a Set, a Delete or a batch of 2..8 ops,
// synced with probability syncP.
func (g *randWriter) next(syncP float64) write {
	g.n++
	w := write{sync: g.rng.Float64() < syncP}
	switch r := g.rng.IntN(10); {
	case r < 5:
		w.ops = []op{{key: g.key(), value: g.value()}}
	case r < 7:
		w.ops = []op{{del: true, key: g.key()}}
	default:
		w.batch = true
		for range 2 + g.rng.IntN(7) {
			if g.rng.IntN(3) == 0 {
				w.ops = append(w.ops, op{del: true, key: g.key()})
			} else {
				w.ops = append(w.ops, op{key: g.key(), value: g.value()})
			}
		}
	}
	return w
}

// crashPoint is a CrashClone taken during a history.
type crashPoint struct {
	fs      *vfs.MemFS
	writes  int // writes issued (and acknowledged) before the clone
	durable int // how many of them were durable
	seed    int64
}

// crashRun runs seeded random histories and crashes them: several
// generations per seed, each a run of writes with crash clones taken at
// random points; every clone is reopened and checked against the history,
// and the last clone of a generation becomes the next generation's disk.
func (k *kit) crashRun(t *testing.T, tornPercent int) {
	nseeds, gens, writes := 6, 5, 400
	if testing.Short() {
		nseeds, gens, writes = 2, 3, 150
	}
	for _, seed := range seeds(nseeds) {
		logSeed(t, seed)
		if !k.crashSeed(t, seed, tornPercent, gens, writes) {
			return
		}
	}
}

func (k *kit) crashSeed(t *testing.T, seed int64, tornPercent, gens, writes int) bool {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	fs := vfs.NewMem()
	opts := k.smallOptions(t, fs)
	e, err := k.openWith(fs, opts)
	if err != nil {
		t.Errorf("seed %d: Open: %v", seed, err)
		return false
	}
	state := newModel()
	g := &randWriter{rng: rng, nkeys: 40, prefix: "c"}
	for gen := range gens {
		h := newHistory(state)
		var points []crashPoint
		crash := func() {
			s := rng.Int64()
			points = append(points, crashPoint{
				fs:      fs.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: tornPercent, Seed: s}),
				writes:  len(h.writes),
				durable: h.durable,
				seed:    s,
			})
			h.note(fmt.Sprintf("crash point %d", len(points)-1))
		}
		if gen > 0 {
			crash() // right after recovery, before any write
		}
		syncP := []float64{0.05, 0.3, 0.8}[gen%3]
		for range writes {
			w := g.next(syncP)
			err := w.do(e)
			h.add(w, err)
			if err != nil {
				t.Errorf("seed %d gen %d: write #%d %s: %v", seed, gen, len(h.writes)-1, w, err)
				e.Close()
				return false
			}
			switch r := rng.IntN(100); {
			case r < 2:
				if err := flush(e); err != nil {
					t.Errorf("seed %d gen %d: %v", seed, gen, err)
					e.Close()
					return false
				}
				h.markDurable()
				h.note("Flush")
			case r < 7:
				crash()
			}
		}
		crash()
		// The clones must be checked without the running engine: close it.
		if err := e.Close(); err != nil {
			t.Errorf("seed %d gen %d: Close: %v", seed, gen, err)
			return false
		}
		for i, p := range points {
			last := i == len(points)-1
			re, recovered, err := k.recoverAndMatch(t, p.fs, opts, h.prefix(p.writes, p.durable))
			if err != nil {
				t.Errorf("seed %d, generation %d, crash point %d of %d (after %d writes, clone seed %d, torn %d%%): %v",
					seed, gen, i, len(points), p.writes, p.seed, tornPercent, err)
				return false
			}
			if !last {
				if err := re.Close(); err != nil {
					t.Errorf("seed %d gen %d: Close of recovered engine: %v", seed, gen, err)
					return false
				}
				continue
			}
			// The last clone carries on: writes continue on the recovered
			// engine, from the recovered state.
			fs, e, state = p.fs, re, recovered
		}
	}
	if err := e.Close(); err != nil {
		t.Errorf("seed %d: final Close: %v", seed, err)
		return false
	}
	return true
}

// recoverAndMatch opens the engine on fs, reads its whole state and checks
// it against h. It returns the open engine and the recovered state.
func (k *kit) recoverAndMatch(t *testing.T, fs vfs.FS, opts *engine.Options, h *history) (engine.Engine, *model, error) {
	var e engine.Engine
	err := protect(func() (err error) {
		e, err = k.openWith(fs, opts)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("opening after the crash: %w\nhistory:\n%s", err, h.render(len(h.writes)))
	}
	var got *model
	err = protect(func() (err error) {
		got, err = readState(e, h.keys())
		return err
	})
	if err != nil {
		e.Close()
		return nil, nil, fmt.Errorf("reading the recovered state: %w\nhistory:\n%s", err, h.render(len(h.writes)))
	}
	if _, err := h.match(got); err != nil {
		e.Close()
		return nil, nil, err
	}
	return e, got, nil
}
