package enginetest

import (
	"errors"
	"fmt"
	"path"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

func (k *kit) testPersistence(t *testing.T) {
	k.need(t, Durability)
	t.Run("Reopen", k.persistReopen)
	t.Run("ReopenAfterFlush", k.persistAfterFlush)
	t.Run("ReopenCycles", k.persistCycles)
	t.Run("Locked", k.persistLocked)
	t.Run("ReadOnly", k.persistReadOnly)
}

// persistWorkload writes a data set with every kind of write: Sync and not,
// sets, overwrites, deletes, batches, empty values and binary keys.
func persistWorkload(t *testing.T, e engine.Engine, m *model, tag string) {
	t.Helper()
	for i := range 120 {
		w := write{ops: []op{{key: key(tag, i), value: val(tag+"-v", i)}}, sync: i%5 == 0}
		must(t, "Set", w.do(e))
		m.apply(w)
	}
	for i := 0; i < 120; i += 3 {
		w := write{ops: []op{{del: true, key: key(tag, i)}}, sync: i%2 == 0}
		must(t, "Delete", w.do(e))
		m.apply(w)
	}
	w := write{batch: true}
	for i := 1; i < 120; i += 4 {
		w.ops = append(w.ops, op{key: key(tag, i), value: val(tag+"-batch", i)})
	}
	w.ops = append(w.ops, op{del: true, key: key(tag, 2)}, op{key: []byte(tag + "-empty"), value: []byte{}})
	for i, bk := range binaryKeys() {
		w.ops = append(w.ops, op{key: append([]byte(tag), bk...), value: []byte{byte(i), 0}})
	}
	must(t, "Apply", w.do(e))
	m.apply(w)
	// The last writes are not synced: Close must make them durable.
	must(t, "Set", e.Set(key(tag, 3), []byte("resurrected-unsynced"), engine.NoSync))
	m.set(key(tag, 3), []byte("resurrected-unsynced"))
	must(t, "Delete", e.Delete(key(tag, 4), engine.NoSync))
	m.del(key(tag, 4))
}

func (k *kit) persistReopen(t *testing.T) {
	fs := vfs.NewMem()
	e := k.mustOpen(t, fs)
	m := newModel()
	persistWorkload(t, e, m, "p")
	expectState(t, "before Close", e, m)
	must(t, "Close", e.Close())
	e = k.mustOpen(t, fs)
	defer closeEngine(t, e)
	expectState(t, "after Close and reopen", e, m, key("p", 0), key("p", 3), key("p", 4))
}

func (k *kit) persistAfterFlush(t *testing.T) {
	fs := vfs.NewMem()
	e := k.mustOpen(t, fs)
	m := newModel()
	persistWorkload(t, e, m, "a")
	must(t, "flush", flush(e))
	persistWorkload(t, e, m, "b")
	// Deletes after the flush of keys written before it.
	for i := 1; i < 120; i += 8 {
		must(t, "Delete", e.Delete(key("a", i), engine.NoSync))
		m.del(key("a", i))
	}
	must(t, "Close", e.Close())
	e = k.mustOpen(t, fs)
	expectState(t, "after Flush, more writes, Close and reopen", e, m, key("a", 1))
	must(t, "flush", flush(e))
	must(t, "Close", e.Close())
	e = k.mustOpen(t, fs)
	defer closeEngine(t, e)
	expectState(t, "after reopen, Flush, Close and reopen", e, m, key("a", 1))
}

func (k *kit) persistCycles(t *testing.T) {
	fs := vfs.NewMem()
	m := newModel()
	cycles := 8
	if testing.Short() {
		cycles = 4
	}
	for c := range cycles {
		e := k.mustOpen(t, fs)
		expectState(t, fmt.Sprintf("cycle %d: after reopen", c), e, m, key("c", 0))
		persistWorkload(t, e, m, fmt.Sprintf("c%d", c))
		// Change what earlier cycles wrote.
		for p := range c {
			tag := fmt.Sprintf("c%d", p)
			for i := c; i < 120; i += 10 {
				if (i+p)%2 == 0 {
					must(t, "Delete", e.Delete(key(tag, i), engine.NoSync))
					m.del(key(tag, i))
				} else {
					must(t, "Set", e.Set(key(tag, i), val("cycle", c), engine.NoSync))
					m.set(key(tag, i), val("cycle", c))
				}
			}
		}
		if c%2 == 1 {
			must(t, "flush", flush(e))
		}
		must(t, "Close", e.Close())
	}
	e := k.mustOpen(t, fs)
	defer closeEngine(t, e)
	expectState(t, "after the last cycle", e, m)
}

func (k *kit) persistLocked(t *testing.T) {
	fs := vfs.NewMem()
	e := k.mustOpen(t, fs)
	must(t, "Set", e.Set([]byte("a"), []byte("1"), engine.Sync))
	e2, err := k.openWith(fs, k.smallOptions(t, fs))
	if err == nil {
		e2.Close()
		t.Fatalf("a second Open of an open directory succeeded; want an error wrapping ErrLocked")
	}
	if !errors.Is(err, engine.ErrLocked) {
		t.Fatalf("second Open of an open directory = %v, want an error wrapping ErrLocked", err)
	}
	// The failed Open changed nothing.
	mustGet(t, "first engine after a refused second Open", e, []byte("a"), []byte("1"))
	must(t, "Set", e.Set([]byte("b"), []byte("2"), engine.NoSync))
	must(t, "Close", e.Close())
	// Close released the lock.
	e = k.mustOpen(t, fs)
	defer closeEngine(t, e)
	m := newModel()
	m.set([]byte("a"), []byte("1"))
	m.set([]byte("b"), []byte("2"))
	expectState(t, "reopened after the lock was released", e, m)
}

// persistReadOnly opens a closed engine with Options.ReadOnly: everything
// reads back, writes fail with ErrReadOnly, and no file changes.
func (k *kit) persistReadOnly(t *testing.T) {
	fs := vfs.NewMem()
	e := k.mustOpen(t, fs)
	m := newModel()
	persistWorkload(t, e, m, "r")
	must(t, "flush", flush(e))
	persistWorkload(t, e, m, "s")
	must(t, "Close", e.Close())
	before, err := listFiles(fs, testDir)
	must(t, "listing files", err)

	opts := k.smallOptions(t, fs)
	opts.ReadOnly = true
	e, err = k.openWith(fs, opts)
	must(t, "Open with ReadOnly", err)
	expectState(t, "read-only engine", e, m)
	readOnly := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, engine.ErrReadOnly) {
			t.Errorf("%s on a read-only engine = %v, want ErrReadOnly", what, err)
		}
	}
	readOnly("Set", e.Set([]byte("new"), []byte("1"), engine.Sync))
	readOnly("Delete", e.Delete(key("r", 1), engine.NoSync))
	b := engine.NewBatch()
	b.Set([]byte("new"), []byte("1"))
	readOnly("Apply", e.Apply(b, engine.NoSync))
	expectState(t, "read-only engine after refused writes", e, m, []byte("new"))
	if err := e.Close(); err != nil {
		t.Errorf("Close of a read-only engine: %v", err)
	}
	after, err := listFiles(fs, testDir)
	must(t, "listing files", err)
	changed := func(a, b []fileInfo) string {
		old := map[string][]byte{}
		for _, f := range a {
			old[f.path] = f.data
		}
		for _, f := range b {
			if path.Base(f.path) == k.cfg.lockFile {
				delete(old, f.path)
				continue
			}
			if o, ok := old[f.path]; !ok {
				return f.path + " created"
			} else if string(o) != string(f.data) {
				return f.path + " changed"
			}
			delete(old, f.path)
		}
		for p := range old {
			if path.Base(p) != k.cfg.lockFile {
				return p + " removed"
			}
		}
		return ""
	}
	if c := changed(before, after); c != "" {
		t.Errorf("a read-only Open, reads and Close changed the files (the lock file aside): %s", c)
	}
}
