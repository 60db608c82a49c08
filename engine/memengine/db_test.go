package memengine

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

func openTest(t testing.TB, opts *engine.Options) *DB {
	t.Helper()
	db, err := Open("", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustSet(t testing.TB, db engine.Writer, k, v string) {
	t.Helper()
	if err := db.Set([]byte(k), []byte(v), engine.NoSync); err != nil {
		t.Fatalf("Set(%q): %v", k, err)
	}
}

func TestRegistered(t *testing.T) {
	if !slices.Contains(engine.Backends(), BackendName) {
		t.Fatalf("backend %q not registered; have %v", BackendName, engine.Backends())
	}
	e, err := engine.Open(BackendName, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	mustSet(t, e, "k", "v")
	if v, err := e.Get([]byte("k"), nil); err != nil || string(v) != "v" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if m := e.Metrics(); m.Backend != "mem" {
		t.Fatalf("Metrics().Backend = %q, want mem", m.Backend)
	}
}

func TestOpenInvalidOptions(t *testing.T) {
	_, err := Open("", &engine.Options{MaxKeySize: -1})
	if !errors.Is(err, engine.ErrInvalidOptions) {
		t.Fatalf("Open with MaxKeySize -1: %v, want ErrInvalidOptions", err)
	}
}

// TestOpenIndependent: dir is ignored, so two Opens share nothing.
func TestOpenIndependent(t *testing.T) {
	a := openTest(t, nil)
	b := openTest(t, nil)
	mustSet(t, a, "k", "v")
	if _, err := b.Get([]byte("k"), nil); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("second DB sees the first one's key: %v", err)
	}
}

func TestGetAppendsAndAllocs(t *testing.T) {
	db := openTest(t, nil)
	mustSet(t, db, "key", "value")
	got, err := db.Get([]byte("key"), []byte("prefix:"))
	if err != nil || string(got) != "prefix:value" {
		t.Fatalf("Get with a prefix = %q, %v", got, err)
	}
	// Changing the result must not change the stored value.
	got[len(got)-1] = 'X'
	if v, _ := db.Get([]byte("key"), nil); string(v) != "value" {
		t.Fatalf("stored value changed through Get's result: %q", v)
	}
	dst := make([]byte, 0, 64)
	key := []byte("key")
	if n := testing.AllocsPerRun(200, func() {
		dst, _ = db.Get(key, dst[:0])
	}); n != 0 {
		t.Fatalf("Get with room in dst allocates %v times", n)
	}
	absent := []byte("absent")
	if n := testing.AllocsPerRun(200, func() {
		dst, _ = db.Get(absent, dst[:0])
	}); n != 0 {
		t.Fatalf("Get of an absent key allocates %v times", n)
	}
	// The tree path (snapshot of a key written since) does not allocate
	// either.
	snap, err := db.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	mustSet(t, db, "key", "newer")
	if n := testing.AllocsPerRun(200, func() {
		dst, _ = snap.Get(key, dst[:0])
	}); n != 0 {
		t.Fatalf("snapshot Get on the tree path allocates %v times", n)
	}
	if string(dst) != "value" {
		t.Fatalf("snapshot Get = %q, want value", dst)
	}
	// On error dst comes back unchanged.
	got, err = db.Get(absent, []byte("keep"))
	if !errors.Is(err, engine.ErrNotFound) || string(got) != "keep" {
		t.Fatalf("Get absent = %q, %v", got, err)
	}
}

// TestCallerBuffers: the DB copies keys and values; changing the caller's
// slices afterwards changes nothing stored.
func TestCallerBuffers(t *testing.T) {
	db := openTest(t, nil)
	k, v := []byte("key"), []byte("value")
	if err := db.Set(k, v, engine.NoSync); err != nil {
		t.Fatal(err)
	}
	b := engine.NewBatch()
	b.Set([]byte("bk"), []byte("bv"))
	if err := db.Apply(b, engine.NoSync); err != nil {
		t.Fatal(err)
	}
	copy(k, "XXX")
	copy(v, "XXXXX")
	b.Reset()
	b.Set([]byte("zz"), []byte("zz"))
	for key, want := range map[string]string{"key": "value", "bk": "bv"} {
		if got, err := db.Get([]byte(key), nil); err != nil || string(got) != want {
			t.Errorf("Get(%s) = %q, %v; want %q", key, got, err, want)
		}
	}
	// Appending to an iterator's key must not reach its value.
	it, _ := db.NewIter(engine.IterOptions{})
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		_ = append(it.Key(), "!!!!!!!!"...)
	}
	for key, want := range map[string]string{"key": "value", "bk": "bv"} {
		if got, _ := db.Get([]byte(key), nil); string(got) != want {
			t.Errorf("after appending to Key(): Get(%s) = %q, want %q", key, got, want)
		}
	}
}

func TestApplyNilAndEmpty(t *testing.T) {
	db := openTest(t, nil)
	if err := db.Apply(nil, engine.NoSync); !errors.Is(err, ErrNilBatch) {
		t.Fatalf("Apply(nil) = %v, want ErrNilBatch", err)
	}
	if err := db.Apply(&engine.Batch{}, engine.NoSync); err != nil {
		t.Fatalf("Apply(empty) = %v", err)
	}
	if m := db.Metrics(); m.Batches != 1 {
		t.Fatalf("Batches = %d, want 1", m.Batches)
	}
}

// TestLimitsExact: the largest allowed key and value are accepted, one
// more byte is not, and a rejected batch changes nothing.
func TestLimitsExact(t *testing.T) {
	db := openTest(t, &engine.Options{MaxKeySize: 10, MaxValueSize: 20})
	if err := db.Set(bytes.Repeat([]byte("k"), 10), bytes.Repeat([]byte("v"), 20), engine.NoSync); err != nil {
		t.Fatalf("Set at the limits: %v", err)
	}
	if err := db.Set(bytes.Repeat([]byte("k"), 11), nil, engine.NoSync); !errors.Is(err, engine.ErrKeyTooLarge) {
		t.Fatalf("key over the limit: %v", err)
	}
	if err := db.Set([]byte("k"), bytes.Repeat([]byte("v"), 21), engine.NoSync); !errors.Is(err, engine.ErrValueTooLarge) {
		t.Fatalf("value over the limit: %v", err)
	}
	if err := db.Delete(bytes.Repeat([]byte("k"), 11), engine.NoSync); !errors.Is(err, engine.ErrKeyTooLarge) {
		t.Fatalf("delete of a key over the limit: %v", err)
	}
	b := engine.NewBatch()
	b.Set([]byte("ok"), []byte("ok"))
	b.Delete(nil)
	if err := db.Apply(b, engine.NoSync); !errors.Is(err, engine.ErrEmptyKey) {
		t.Fatalf("batch with an empty key: %v", err)
	}
	if _, err := db.Get([]byte("ok"), nil); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("a rejected batch was partly applied: %v", err)
	}
}

// TestClosedIterators: iterators and snapshots opened before Close fail
// with ErrClosed afterwards, without panicking.
func TestClosedIterators(t *testing.T) {
	db, err := Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		mustSet(t, db, fmt.Sprintf("k%03d", i), "v")
	}
	it, _ := db.NewIter(engine.IterOptions{})
	it.First()
	idle, _ := db.NewIter(engine.IterOptions{})
	snap, _ := db.NewSnapshot()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if it.Valid() || it.Key() != nil || it.Value() != nil {
		t.Fatal("iterator still positioned after DB Close")
	}
	if it.Next() {
		t.Fatal("Next after DB Close succeeded")
	}
	if !errors.Is(it.Error(), engine.ErrClosed) {
		t.Fatalf("iterator Error after DB Close = %v", it.Error())
	}
	if err := it.Close(); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("iterator Close after DB Close = %v, want ErrClosed", err)
	}
	if err := it.Close(); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("second iterator Close = %v", err)
	}
	for name, move := range map[string]func() bool{
		"First": idle.First, "Last": idle.Last, "Next": idle.Next, "Prev": idle.Prev,
		"SeekGE": func() bool { return idle.SeekGE([]byte("k")) },
		"SeekLT": func() bool { return idle.SeekLT([]byte("k")) },
	} {
		if move() {
			t.Errorf("%s after DB Close succeeded", name)
		}
	}
	if err := idle.Close(); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("idle iterator Close after DB Close = %v", err)
	}
	if _, err := snap.Get([]byte("k000"), nil); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("snapshot Get after DB Close = %v", err)
	}
	if _, err := snap.NewIter(engine.IterOptions{}); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("snapshot NewIter after DB Close = %v", err)
	}
	if err := snap.Close(); err != nil {
		t.Fatalf("snapshot Close after DB Close = %v (releasing still works)", err)
	}
	if _, err := db.NewIter(engine.IterOptions{}); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("NewIter after Close = %v", err)
	}
	m := db.Metrics()
	if m.Backend != "mem" || m.Sets != 100 || m.MemTableBytes != 0 {
		t.Fatalf("Metrics after Close: backend %q sets %d memtable %d", m.Backend, m.Sets, m.MemTableBytes)
	}
}

// TestIterOutlivesSnapshot: an iterator pins its own view.
func TestIterOutlivesSnapshot(t *testing.T) {
	db := openTest(t, nil)
	mustSet(t, db, "a", "1")
	snap, _ := db.NewSnapshot()
	it, _ := snap.NewIter(engine.IterOptions{})
	snap.Close()
	mustSet(t, db, "b", "2")
	var keys []string
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, string(it.Key()))
	}
	if err := it.Close(); err != nil || !slices.Equal(keys, []string{"a"}) {
		t.Fatalf("iterator of a closed snapshot: %q, %v", keys, err)
	}
}

func TestMetricsCounts(t *testing.T) {
	db := openTest(t, nil)
	mustSet(t, db, "a", "12345")
	mustSet(t, db, "a", "1")
	db.Delete([]byte("a"), engine.NoSync)
	db.Get([]byte("a"), nil)
	snap, _ := db.NewSnapshot()
	snap.Get([]byte("a"), nil)
	it, _ := snap.NewIter(engine.IterOptions{})
	it.Close()
	snap.Close()
	b := engine.NewBatch()
	b.Set([]byte("bb"), []byte("vv"))
	b.Delete([]byte("cc"))
	db.Apply(b, engine.NoSync)
	m := db.Metrics()
	want := engine.Metrics{Gets: 2, Sets: 3, Deletes: 2, Batches: 1, Iterators: 1, UserBytesWritten: 6 + 2 + 1 + 4 + 2}
	if m.Gets != want.Gets || m.Sets != want.Sets || m.Deletes != want.Deletes || m.Batches != want.Batches ||
		m.Iterators != want.Iterators || m.UserBytesWritten != want.UserBytesWritten {
		t.Fatalf("metrics:\n%v", m)
	}
	if m.Extra["mem.keys"] != 1 || m.Extra["mem.live_bytes"] != 4 || m.MemTableBytes < 4 {
		t.Fatalf("memory metrics: keys %v live %v memtable %d", m.Extra["mem.keys"], m.Extra["mem.live_bytes"], m.MemTableBytes)
	}
}

// TestIteratorIsolation: an iterator keeps its view while the DB changes
// under it, including deletion of every key and tree restructuring.
func TestIteratorIsolation(t *testing.T) {
	db := openTest(t, nil)
	const n = 2000
	for i := range n {
		mustSet(t, db, fmt.Sprintf("k%05d", i), strconv.Itoa(i))
	}
	it, _ := db.NewIter(engine.IterOptions{})
	defer it.Close()
	snap, _ := db.NewSnapshot()
	defer snap.Close()
	i := 0
	for ok := it.First(); ok; ok = it.Next() {
		if want := fmt.Sprintf("k%05d", i); string(it.Key()) != want || string(it.Value()) != strconv.Itoa(i) {
			t.Fatalf("entry %d: %q=%q", i, it.Key(), it.Value())
		}
		// Rewrite the DB while iterating: delete what we passed, change
		// what is ahead, add new keys in between.
		db.Delete(it.Key(), engine.NoSync)
		mustSet(t, db, fmt.Sprintf("k%05d", (i+7)%n), "changed")
		mustSet(t, db, fmt.Sprintf("k%05d-new", i), "new")
		i++
	}
	if i != n {
		t.Fatalf("iterated %d entries, want %d", i, n)
	}
	for j := range n {
		k := fmt.Sprintf("k%05d", j)
		if v, err := snap.Get([]byte(k), nil); err != nil || string(v) != strconv.Itoa(j) {
			t.Fatalf("snapshot Get(%s) = %q, %v", k, v, err)
		}
	}
}

// TestBatchAtomicityConcurrent: writers apply batches that set every key
// of a group to the batch's number (or delete the whole group); readers
// must never see a mix. Point reads check that values never go back in
// time across keys; iterators and snapshots check that a view holds one
// batch. Run with -race.
func TestBatchAtomicityConcurrent(t *testing.T) {
	db := openTest(t, nil)
	const keys = 64
	key := func(i int) []byte { return fmt.Appendf(nil, "group/%03d", i) }
	rounds := 3000
	if testing.Short() {
		rounds = 400
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	report := func(err error) {
		select {
		case errc <- err:
		default:
		}
		stop.Store(true)
	}
	// values are "%08d" so they compare as numbers; a deleted group
	// reads as absent everywhere.
	wg.Add(1)
	go func() { // the writer
		defer wg.Done()
		b := engine.NewBatch()
		for r := 1; r <= rounds && !stop.Load(); r++ {
			b.Reset()
			for i := range keys {
				if r%10 == 0 {
					b.Delete(key(i))
				} else {
					b.Set(key(i), fmt.Appendf(nil, "%08d", r))
				}
				// Unrelated keys in the same batch grow and shrink the
				// tree and the index.
				b.Set(fmt.Appendf(nil, "noise/%d/%d", r%50, i), []byte("x"))
			}
			if err := db.Apply(b, engine.NoSync); err != nil {
				report(err)
				return
			}
		}
		stop.Store(true)
	}()
	for range 3 {
		wg.Add(1)
		go func() { // point readers: a later Get never shows an older batch
			defer wg.Done()
			dst := make([]byte, 0, 16)
			for !stop.Load() {
				// low is a batch number the state has reached. A value v
				// shows batch v; an absent key shows a deleting batch,
				// the first of which at or after low is low rounded up
				// to a multiple of 10.
				low := 0
				for i := range keys {
					v, err := db.Get(key(i), dst[:0])
					if errors.Is(err, engine.ErrNotFound) {
						low = (low + 9) / 10 * 10
						continue
					}
					if err != nil {
						report(err)
						return
					}
					n, _ := strconv.Atoi(string(v))
					if n < low {
						report(fmt.Errorf("key %d shows batch %d after earlier keys showed batch %d", i, n, low))
						return
					}
					low = n
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // view readers: every snapshot and iterator holds one batch
		defer wg.Done()
		for !stop.Load() {
			snap, err := db.NewSnapshot()
			if err != nil {
				report(err)
				return
			}
			first, ferr := snap.Get(key(0), nil)
			for i := 1; i < keys; i++ {
				v, err := snap.Get(key(i), nil)
				if !errors.Is(err, ferr) || !bytes.Equal(v, first) {
					report(fmt.Errorf("snapshot: key 0 = %q,%v but key %d = %q,%v", first, ferr, i, v, err))
					return
				}
			}
			snap.Close()
			it, err := db.NewIter(engine.IterOptions{Lower: []byte("group/"), Upper: []byte("group0")})
			if err != nil {
				report(err)
				return
			}
			n := 0
			var val []byte
			for ok := it.First(); ok; ok = it.Next() {
				if n > 0 && !bytes.Equal(it.Value(), val) {
					report(fmt.Errorf("iterator: %s = %s after %s", it.Key(), it.Value(), val))
					return
				}
				val = slices.Clone(it.Value())
				n++
			}
			it.Close()
			if n != 0 && n != keys {
				report(fmt.Errorf("iterator saw %d of the %d keys of a batch", n, keys))
				return
			}
		}
	}()
	wg.Wait()
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}
}

// TestConcurrentRandom runs writers, point readers, iterators and
// snapshots at once on overlapping keys; meant for -race. Each writer owns
// a key range, so it can check what it reads back of its own keys.
func TestConcurrentRandom(t *testing.T) {
	seed := testSeed(t)
	db := openTest(t, nil)
	ops := 3000
	if testing.Short() {
		ops = 500
	}
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			mine := map[string]string{}
			for i := range ops {
				k := fmt.Sprintf("w%d/%04d", w, r.IntN(300))
				switch r.IntN(4) {
				case 0:
					db.Delete([]byte(k), engine.NoSync)
					delete(mine, k)
				case 1:
					b := engine.NewBatch()
					for j := range 10 {
						k := fmt.Sprintf("w%d/%04d", w, r.IntN(300))
						v := fmt.Sprintf("%d.%d", i, j)
						b.Set([]byte(k), []byte(v))
						mine[k] = v
					}
					if err := db.Apply(b, engine.NoSync); err != nil {
						errc <- err
						return
					}
				default:
					v := strconv.Itoa(i)
					db.Set([]byte(k), []byte(v), engine.NoSync)
					mine[k] = v
				}
				got, err := db.Get([]byte(k), nil)
				want, ok := mine[k]
				if ok != (err == nil) || string(got) != want {
					errc <- fmt.Errorf("writer %d: Get(%s) = %q, %v; want %q, %v", w, k, got, err, want, ok)
					return
				}
			}
		}()
	}
	for rd := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 100+uint64(rd)))
			for range ops / 10 {
				snap, _ := db.NewSnapshot()
				it, _ := snap.NewIter(engine.IterOptions{Lower: []byte(fmt.Sprintf("w%d/", r.IntN(3)))})
				var prev []byte
				for ok := it.First(); ok; ok = it.Next() {
					if prev != nil && bytes.Compare(prev, it.Key()) >= 0 {
						errc <- fmt.Errorf("iterator out of order: %q then %q", prev, it.Key())
						return
					}
					prev = slices.Clone(it.Key())
					if v, err := snap.Get(it.Key(), nil); err != nil || !bytes.Equal(v, it.Value()) {
						errc <- fmt.Errorf("snapshot Get(%q) = %q, %v; its iterator says %q", it.Key(), v, err, it.Value())
						return
					}
				}
				if err := it.Close(); err != nil {
					errc <- err
					return
				}
				snap.Close()
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

// TestCloseConcurrent closes the DB while readers and writers run: every
// call either succeeds or returns ErrClosed, and nothing panics.
func TestCloseConcurrent(t *testing.T) {
	db, _ := Open("", nil)
	for i := range 1000 {
		mustSet(t, db, strconv.Itoa(i), "v")
	}
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	check := func(err error) bool {
		if err != nil && !errors.Is(err, engine.ErrClosed) && !errors.Is(err, engine.ErrNotFound) {
			errc <- err
		}
		return errors.Is(err, engine.ErrClosed)
	}
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				k := []byte(strconv.Itoa(i % 1000))
				var err error
				switch g {
				case 0:
					err = db.Set(k, []byte("w"), engine.NoSync)
				case 1:
					_, err = db.Get(k, nil)
				case 2:
					var it engine.Iterator
					if it, err = db.NewIter(engine.IterOptions{}); err == nil {
						for ok := it.First(); ok; ok = it.Next() {
						}
						err = it.Close()
					}
				case 3:
					var s engine.Snapshot
					if s, err = db.NewSnapshot(); err == nil {
						_, err = s.Get(k, nil)
						s.Close()
					}
				}
				if check(err) {
					return
				}
			}
		}()
	}
	mustSet(t, db, "last", "v")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}
