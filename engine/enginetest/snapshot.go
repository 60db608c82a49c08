package enginetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

func (k *kit) testSnapshot(t *testing.T) {
	sub := func(name string, f func(t *testing.T, e engine.Engine)) {
		t.Run(name, func(t *testing.T) { k.withEngine(t, f) })
	}
	sub("Frozen", snapFrozen)
	sub("Many", snapMany)
	sub("SurvivesFlush", snapSurvivesFlush)
	sub("Close", snapClose)
}

// snapFrozen checks that a snapshot and its iterators never see writes
// made after it: sets of new keys, overwrites and deletes.
func snapFrozen(t *testing.T, e engine.Engine) {
	m := newModel()
	for i := range 50 {
		must(t, "Set", e.Set(key("k", i), val("v", i), engine.NoSync))
		m.set(key("k", i), val("v", i))
	}
	must(t, "Delete", e.Delete(key("k", 7), engine.NoSync))
	m.del(key("k", 7))
	snap, err := e.NewSnapshot()
	must(t, "NewSnapshot", err)
	defer snap.Close()
	frozen := m.clone()
	// An iterator opened on the snapshot before the writes.
	itBefore, err := snap.NewIter(engine.IterOptions{})
	must(t, "NewIter", err)
	defer itBefore.Close()
	cBefore := newIterChecker(itBefore, frozen.newIter(nil, nil))
	if _, err := cBefore.move(iterMove{name: "First"}); err != nil {
		t.Fatal(err)
	}

	for i := range 60 {
		switch i % 3 {
		case 0:
			must(t, "Set", e.Set(key("k", i), val("later", i), engine.NoSync))
			m.set(key("k", i), val("later", i))
		case 1:
			must(t, "Delete", e.Delete(key("k", i), engine.Sync))
			m.del(key("k", i))
		case 2:
			b := engine.NewBatch()
			b.Set(key("new", i), val("n", i))
			b.Set(key("k", 7), val("resurrected", i))
			b.Delete(key("k", i-1))
			must(t, "Apply", e.Apply(b, engine.NoSync))
			m.set(key("new", i), val("n", i))
			m.set(key("k", 7), val("resurrected", i))
			m.del(key("k", i-1))
		}
	}
	probes := probeKeys(m)
	expectState(t, "snapshot after later writes", snap, frozen, probes...)
	expectState(t, "engine after the writes", e, m)
	for ok, err := true, error(nil); ok; {
		if ok, err = cBefore.move(iterMove{name: "Next"}); err != nil {
			t.Fatalf("snapshot iterator opened before later writes: %v", err)
		}
	}
	// A snapshot iterator opened after the writes, with bounds.
	it, err := snap.NewIter(engine.IterOptions{Lower: key("k", 5), Upper: key("k", 40)})
	must(t, "NewIter", err)
	c := newIterChecker(it, frozen.newIter(key("k", 5), key("k", 40)))
	starts := []iterMove{{name: "First"}, {name: "Last"}, {name: "SeekGE", arg: key("k", 7)}, {name: "SeekLT", arg: key("k", 8)}, {name: "SeekGE", arg: key("new", 0)}}
	if err := c.checkAllMoves(starts); err != nil {
		t.Fatalf("snapshot iterator opened after later writes: %v", err)
	}
	must(t, "Close", it.Close())
}

// snapMany keeps a snapshot after every write and checks them all at the
// end, each against its own state.
func snapMany(t *testing.T, e engine.Engine) {
	const n = 60
	m := newModel()
	snaps := make([]engine.Snapshot, 0, n)
	models := make([]*model, 0, n)
	defer func() {
		for _, s := range snaps {
			s.Close()
		}
	}()
	for i := range n {
		k := key("k", i%17)
		if i%4 == 3 {
			must(t, "Delete", e.Delete(k, engine.NoSync))
			m.del(k)
		} else {
			must(t, "Set", e.Set(k, val("v", i), engine.NoSync))
			m.set(k, val("v", i))
		}
		s, err := e.NewSnapshot()
		must(t, "NewSnapshot", err)
		snaps = append(snaps, s)
		models = append(models, m.clone())
	}
	probes := probeKeys(m, models[n/2])
	for i, s := range snaps {
		expectState(t, fmt.Sprintf("snapshot %d of %d", i, n), s, models[i], probes...)
	}
	// Closing every other snapshot leaves the others intact.
	for i := 0; i < n; i += 2 {
		must(t, "snapshot Close", snaps[i].Close())
	}
	for i := 1; i < n; i += 2 {
		expectState(t, fmt.Sprintf("snapshot %d after closing its neighbours", i), snaps[i], models[i], probes...)
	}
	for i := 1; i < n; i += 2 {
		must(t, "snapshot Close", snaps[i].Close())
	}
	snaps = nil
	expectState(t, "engine", e, m)
}

// snapSurvivesFlush checks that a snapshot keeps its view across Flush
// (and Compact, if the engine has it), with enough data that the backend
// moves it to its main files.
func snapSurvivesFlush(t *testing.T, e engine.Engine) {
	m := newModel()
	big := make([]byte, 1000)
	for round := range 3 {
		for i := range 300 {
			v := append(val(fmt.Sprintf("r%d-", round), i), big...)
			must(t, "Set", e.Set(key("k", i), v, engine.NoSync))
			m.set(key("k", i), v)
		}
		for i := round; i < 300; i += 7 {
			must(t, "Delete", e.Delete(key("k", i), engine.NoSync))
			m.del(key("k", i))
		}
		snap, err := e.NewSnapshot()
		must(t, "NewSnapshot", err)
		frozen := m.clone()
		it, err := snap.NewIter(engine.IterOptions{})
		must(t, "NewIter", err)
		c := newIterChecker(it, frozen.newIter(nil, nil))
		if _, err := c.move(iterMove{name: "SeekGE", arg: key("k", 100)}); err != nil {
			t.Fatal(err)
		}
		// Overwrite and delete everything, then flush.
		for i := range 300 {
			if i%2 == 0 {
				must(t, "Delete", e.Delete(key("k", i), engine.NoSync))
				m.del(key("k", i))
			} else {
				must(t, "Set", e.Set(key("k", i), val("after", i), engine.NoSync))
				m.set(key("k", i), val("after", i))
			}
		}
		must(t, "flush", flush(e))
		for i := 300; i < 400; i++ {
			must(t, "Set", e.Set(key("k", i), val("post", i), engine.NoSync))
			m.set(key("k", i), val("post", i))
		}
		must(t, "flush", flush(e))
		expectState(t, fmt.Sprintf("round %d: snapshot after overwrites and Flush", round), snap, frozen, probeKeys(m)...)
		if err := c.walk("Next", "Next", "Prev", "Next", "Next", "Next"); err != nil {
			t.Fatalf("round %d: snapshot iterator across Flush: %v", round, err)
		}
		must(t, "iterator Close", it.Close())
		must(t, "snapshot Close", snap.Close())
		expectState(t, fmt.Sprintf("round %d: engine", round), e, m)
	}
}

func snapClose(t *testing.T, e engine.Engine) {
	must(t, "Set", e.Set([]byte("a"), []byte("1"), engine.NoSync))
	snap, err := e.NewSnapshot()
	must(t, "NewSnapshot", err)
	mustGet(t, "snapshot", snap, []byte("a"), []byte("1"))
	must(t, "snapshot Close", snap.Close())
	if _, err := snap.Get([]byte("a"), nil); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("Get on a closed snapshot = %v, want ErrClosed", err)
	}
	if it, err := snap.NewIter(engine.IterOptions{}); !errors.Is(err, engine.ErrClosed) {
		if err == nil {
			it.Close()
		}
		t.Errorf("NewIter on a closed snapshot = %v, want ErrClosed", err)
	}
	if err := snap.Close(); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("second snapshot Close = %v, want ErrClosed", err)
	}
	// Opening and closing many snapshots works and leaves the engine usable.
	for i := range 2000 {
		s, err := e.NewSnapshot()
		must(t, "NewSnapshot", err)
		if i%100 == 0 {
			mustGet(t, "snapshot", s, []byte("a"), []byte("1"))
		}
		must(t, "snapshot Close", s.Close())
	}
	must(t, "Set", e.Set([]byte("a"), []byte("2"), engine.NoSync))
	mustGet(t, "engine after many snapshots", e, []byte("a"), []byte("2"))
}
