package enginetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

func (k *kit) testBatch(t *testing.T) {
	sub := func(name string, f func(t *testing.T, e engine.Engine)) {
		t.Run(name, func(t *testing.T) { k.withEngine(t, f) })
	}
	sub("Basic", batchBasic)
	sub("Empty", batchEmpty)
	sub("LastOpWins", batchLastOpWins)
	sub("Large", batchLarge)
	sub("AtomicVisibility", batchAtomic)
}

func batchBasic(t *testing.T, e engine.Engine) {
	m := newModel()
	for i := range 20 {
		must(t, "Set", e.Set(key("k", i), val("old", i), engine.NoSync))
		m.set(key("k", i), val("old", i))
	}
	w := write{batch: true}
	for i := 0; i < 30; i += 2 {
		w.ops = append(w.ops, op{key: key("k", i), value: val("new", i)})
	}
	for i := 1; i < 20; i += 4 {
		w.ops = append(w.ops, op{del: true, key: key("k", i)})
	}
	w.ops = append(w.ops, op{del: true, key: []byte("never-there")})
	must(t, "Apply", w.do(e))
	m.apply(w)
	expectState(t, "after a batch of sets, overwrites and deletes", e, m, []byte("never-there"))
	// A batch with one op, and the same batch applied twice.
	b := engine.NewBatch()
	b.Set([]byte("single"), []byte("1"))
	must(t, "Apply", e.Apply(b, engine.Sync))
	must(t, "Apply again", e.Apply(b, engine.NoSync))
	m.set([]byte("single"), []byte("1"))
	expectState(t, "after a one-op batch applied twice", e, m)
}

func batchEmpty(t *testing.T, e engine.Engine) {
	must(t, "Set", e.Set([]byte("a"), []byte("1"), engine.NoSync))
	must(t, "Apply(empty batch)", e.Apply(engine.NewBatch(), engine.NoSync))
	must(t, "Apply(empty batch, Sync)", e.Apply(engine.NewBatch(), engine.Sync))
	var zero engine.Batch
	must(t, "Apply(zero Batch)", e.Apply(&zero, engine.NoSync))
	b := engine.NewBatch()
	b.Set([]byte("x"), []byte("y"))
	b.Reset()
	must(t, "Apply(reset batch)", e.Apply(b, engine.NoSync))
	m := newModel()
	m.set([]byte("a"), []byte("1"))
	expectState(t, "after empty batches", e, m, []byte("x"))
}

func batchLastOpWins(t *testing.T, e engine.Engine) {
	tests := []struct {
		name string
		ops  []op
		want []byte // nil: absent
	}{
		{"set,delete", []op{{key: []byte("k"), value: []byte("1")}, {del: true, key: []byte("k")}}, nil},
		{"delete,set", []op{{del: true, key: []byte("k")}, {key: []byte("k"), value: []byte("2")}}, []byte("2")},
		{"set,set", []op{{key: []byte("k"), value: []byte("1")}, {key: []byte("k"), value: []byte("2")}}, []byte("2")},
		{"set,delete,set", []op{{key: []byte("k"), value: []byte("1")}, {del: true, key: []byte("k")}, {key: []byte("k"), value: []byte{}}}, []byte{}},
		{"set,set,delete", []op{{key: []byte("k"), value: []byte("1")}, {key: []byte("k"), value: []byte("2")}, {del: true, key: []byte("k")}}, nil},
	}
	for _, pre := range []bool{false, true} {
		for _, tc := range tests {
			// Start with the key absent, then with it present.
			must(t, "Delete", e.Delete([]byte("k"), engine.NoSync))
			if pre {
				must(t, "Set", e.Set([]byte("k"), []byte("before"), engine.NoSync))
			}
			w := write{batch: true, ops: tc.ops}
			must(t, "Apply", w.do(e))
			what := fmt.Sprintf("batch %s (key present before: %v)", tc.name, pre)
			if tc.want == nil {
				mustAbsent(t, what, e, []byte("k"))
			} else {
				mustGet(t, what, e, []byte("k"), tc.want)
			}
			m := newModel()
			if tc.want != nil {
				m.set([]byte("k"), tc.want)
			}
			expectState(t, what, e, m)
		}
	}
}

func batchLarge(t *testing.T, e engine.Engine) {
	const n = 100_000
	b := engine.NewBatch()
	m := newModel()
	for i := range n {
		k := key("big", i)
		if i%10 == 9 {
			b.Delete(key("big", i-1))
			m.del(key("big", i-1))
			continue
		}
		b.Set(k, val("v", i))
		m.set(k, val("v", i))
	}
	if b.Len() != n {
		t.Fatalf("kit bug: batch has %d ops", b.Len())
	}
	must(t, "Apply(100k ops)", e.Apply(b, engine.Sync))
	expectState(t, "after a 100k-op batch", e, m, key("big", 8), key("big", n))
}

// batchAtomic checks that readers never see part of a batch: a writer sets
// every key of a group to version v in one batch, v = 1, 2, ...; readers
// (iterators, snapshots) must see every key at one version, and never an
// older version than they saw before.
func batchAtomic(t *testing.T, e engine.Engine) {
	const keys, versions, readers = 20, 200, 3
	setAll := func(v int) error {
		b := engine.NewBatch()
		for i := range keys {
			b.Set(key("atomic", i), val("v", v))
		}
		return e.Apply(b, engine.NoSync)
	}
	must(t, "Apply", setAll(0))
	var wg sync.WaitGroup
	done := make(chan struct{})
	errc := make(chan error, readers+1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for v := 1; v <= versions; v++ {
			if err := setAll(v); err != nil {
				errc <- fmt.Errorf("applying version %d: %w", v, err)
				return
			}
		}
	}()
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := 0
			for i := 0; ; i++ {
				var rd engine.Reader = e
				var snap engine.Snapshot
				if (i+r)%2 == 1 {
					var err error
					if snap, err = e.NewSnapshot(); err != nil {
						errc <- fmt.Errorf("NewSnapshot: %w", err)
						return
					}
					rd = snap
				}
				_, vals, err := scan(rd, key("atomic", 0), key("atomic", keys), r%2 == 1)
				if snap != nil {
					snap.Close()
				}
				if err != nil {
					errc <- err
					return
				}
				if len(vals) != keys {
					errc <- fmt.Errorf("a scan sees %d of the %d keys a batch sets", len(vals), keys)
					return
				}
				for _, v := range vals[1:] {
					if string(v) != string(vals[0]) {
						errc <- fmt.Errorf("a scan sees a partial batch: values %s and %s in one view", fmtVal(vals[0]), fmtVal(v))
						return
					}
				}
				var ver int
				if _, err := fmt.Sscanf(string(vals[0]), "v%d", &ver); err != nil {
					errc <- fmt.Errorf("unexpected value %s", fmtVal(vals[0]))
					return
				}
				if ver < last {
					errc <- fmt.Errorf("a scan sees version %d after version %d", ver, last)
					return
				}
				last = ver
				select {
				case <-done:
					return
				default:
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	// The final state: every key at the last version.
	m := newModel()
	for i := range keys {
		m.set(key("atomic", i), val("v", versions))
	}
	expectState(t, "after the last batch", e, m)
}

// key returns a key "<prefix>-<i>" with i zero-padded so that keys sort in
// numeric order.
func key(prefix string, i int) []byte { return []byte(fmt.Sprintf("%s-%06d", prefix, i)) }

// val returns a value "<prefix><i>".
func val(prefix string, i int) []byte { return []byte(fmt.Sprintf("%s%d", prefix, i)) }
