package memtable

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

func TestInternalKeyOrder(t *testing.T) {
	in := []entry{
		{"b", 5, engine.KindSet, "b5"},
		{"a", 1, engine.KindSet, "a1"},
		{"b", 9, engine.KindDelete, ""},
		{"", 3, engine.KindSet, "empty"},
		{"a", 7, engine.KindSet, "a7"},
		{"ab", 2, engine.KindSet, "ab2"},
		{"a\x00", 4, engine.KindSet, "a0"},
		{"b", 0, engine.KindSet, "b0"},
		{"b", math.MaxUint64, engine.KindSet, "bmax"},
		{"\xff", 1, engine.KindSet, "ff"},
	}
	want := []string{"empty", "a7", "a1", "a0", "ab2", "bmax", "", "b5", "b0", "ff"}
	s := New(1 << 16)
	for _, e := range in {
		if err := s.Add([]byte(e.key), e.seq, e.kind, []byte(e.value)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	it := s.NewIter()
	for ok := it.First(); ok; ok = it.Next() {
		got = append(got, string(it.Value()))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("order %q, want %q", got, want)
	}
	got = got[:0]
	for ok := it.Last(); ok; ok = it.Prev() {
		got = append([]string{string(it.Value())}, got...)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("reverse order %q, want %q", got, want)
	}
}

func TestGetMVCC(t *testing.T) {
	s := New(1 << 16)
	for _, e := range []entry{
		{"k", 10, engine.KindSet, "v10"},
		{"k", 20, engine.KindDelete, ""},
		{"k", 30, engine.KindSet, "v30"},
		{"j", 15, engine.KindSet, "j15"},
		{"l", 5, engine.KindSet, "l5"},
	} {
		if err := s.Add([]byte(e.key), e.seq, e.kind, []byte(e.value)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		key   string
		seq   uint64
		value string
		kind  engine.Kind
		found bool
	}{
		{"k", 9, "", 0, false},
		{"k", 10, "v10", engine.KindSet, true},
		{"k", 19, "v10", engine.KindSet, true},
		{"k", 20, "", engine.KindDelete, true},
		{"k", 29, "", engine.KindDelete, true},
		{"k", 30, "v30", engine.KindSet, true},
		{"k", math.MaxUint64, "v30", engine.KindSet, true},
		{"j", 14, "", 0, false},
		{"j", 15, "j15", engine.KindSet, true},
		{"l", 100, "l5", engine.KindSet, true},
		{"l", 4, "", 0, false},
		{"m", math.MaxUint64, "", 0, false},
		{"", math.MaxUint64, "", 0, false},
		{"k\x00", math.MaxUint64, "", 0, false},
	} {
		v, kind, found := s.Get([]byte(tc.key), tc.seq)
		if string(v) != tc.value || kind != tc.kind || found != tc.found {
			t.Errorf("Get(%q, %d) = %q,%v,%v; want %q,%v,%v", tc.key, tc.seq, v, kind, found, tc.value, tc.kind, tc.found)
		}
	}
}

func TestEmpty(t *testing.T) {
	s := New(0)
	if !s.Empty() || s.Len() != 0 || s.Size() != MinCapacity || s.Capacity() != MinCapacity {
		t.Fatalf("empty list: Len %d Size %d Capacity %d", s.Len(), s.Size(), s.Capacity())
	}
	it := s.NewIter()
	for name, f := range map[string]func() bool{
		"First": it.First, "Last": it.Last, "Next": it.Next, "Prev": it.Prev,
		"SeekGE": func() bool { return it.SeekGE([]byte("a")) },
		"SeekLT": func() bool { return it.SeekLT([]byte("a")) },
	} {
		if f() || it.Valid() || it.Key() != nil || it.Value() != nil || it.Seq() != 0 || it.Kind() != 0 {
			t.Fatalf("%s on an empty list is valid", name)
		}
	}
	if _, _, ok := s.Get([]byte("a"), math.MaxUint64); ok {
		t.Fatal("Get found something in an empty list")
	}
	if err := s.Add([]byte("a"), 1, engine.KindSet, nil); !errors.Is(err, ErrEntryTooLarge) {
		t.Fatalf("Add to a zero-capacity list: %v, want ErrEntryTooLarge", err)
	}
}

func TestCapacityClamp(t *testing.T) {
	for _, tc := range []struct{ in, want int }{
		{-5, MinCapacity}, {0, MinCapacity}, {MinCapacity, MinCapacity}, {1000, 1000},
	} {
		if got := New(tc.in).Capacity(); got != tc.want {
			t.Errorf("New(%d).Capacity() = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestDuplicate(t *testing.T) {
	s := New(1 << 16)
	if err := s.Add([]byte("k"), 5, engine.KindSet, []byte("a")); err != nil {
		t.Fatal(err)
	}
	err := s.Add([]byte("k"), 5, engine.KindDelete, nil)
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate Add: %v, want ErrDuplicate", err)
	}
	if err := s.Add([]byte("k"), 6, engine.KindSet, []byte("b")); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 2 {
		t.Fatalf("Len %d, want 2", s.Len())
	}
	if v, _, _ := s.Get([]byte("k"), 5); string(v) != "a" {
		t.Fatalf("duplicate Add changed the entry: %q", v)
	}
}

func TestArenaFull(t *testing.T) {
	const capacity = 4096
	s := New(capacity)
	s.Seed(1)
	m := &model{}
	var i int
	for ; ; i++ {
		key := fmt.Appendf(nil, "key%05d", i)
		err := s.Add(key, uint64(i), engine.KindSet, valueFor(key, uint64(i)))
		if errors.Is(err, ErrArenaFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		m.add(entry{string(key), uint64(i), engine.KindSet, string(valueFor(key, uint64(i)))})
		if s.Size() > capacity {
			t.Fatalf("Size %d over capacity %d", s.Size(), capacity)
		}
	}
	if i < 20 {
		t.Fatalf("only %d entries fit in %d bytes", i, capacity)
	}
	before := s.Size()
	// A full arena stays consistent: everything added is there, and a
	// failed Add changed nothing.
	if err := s.Add([]byte("zzz"), 1, engine.KindSet, make([]byte, 1000)); !errors.Is(err, ErrArenaFull) {
		t.Fatalf("Add to a full arena: %v", err)
	}
	if s.Size() != before {
		t.Fatalf("failed Add changed Size from %d to %d", before, s.Size())
	}
	checkAll(t, s, m)

	// An entry larger than the whole arena is a different error.
	if err := s.Add([]byte("big"), 1, engine.KindSet, make([]byte, capacity)); !errors.Is(err, ErrEntryTooLarge) {
		t.Fatalf("Add of an oversized entry: %v, want ErrEntryTooLarge", err)
	}
	// EntrySize decides ErrEntryTooLarge: an entry whose EntrySize fits
	// the arena's room is accepted by an empty list, one a byte larger is
	// not.
	for c := MinCapacity; c < 2000; c += 8 {
		room := len(New(c).buf) - headEnd
		fixed := offTower + linkSize*MaxHeight + len("k") // node bytes besides the value, before rounding
		k := []byte("k")
		if room >= EntrySize(1, 0) {
			fits := make([]byte, room-fixed)
			if EntrySize(1, len(fits)) != room {
				t.Fatalf("test arithmetic: EntrySize %d, room %d", EntrySize(1, len(fits)), room)
			}
			if err := New(c).Add(k, 1, engine.KindSet, fits); err != nil {
				t.Fatalf("capacity %d: entry of EntrySize %d = room refused: %v", c, room, err)
			}
		}
		over := make([]byte, max(room-fixed+1, 0))
		if err := New(c).Add(k, 1, engine.KindSet, over); !errors.Is(err, ErrEntryTooLarge) {
			t.Fatalf("capacity %d: entry of EntrySize %d > room %d: %v", c, EntrySize(1, len(over)), room, err)
		}
	}
}

// TestIndexFull fills the index before the arena with tiny entries: new
// keys then get ErrArenaFull, new versions of indexed keys still go in,
// and everything stays readable.
func TestIndexFull(t *testing.T) {
	s := New(16 << 10)
	m := &model{}
	var i int
	for ; ; i++ {
		k := fmt.Appendf(nil, "%x", i)
		err := s.Add(k, 1, engine.KindSet, nil)
		if errors.Is(err, ErrArenaFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		m.add(entry{string(k), 1, engine.KindSet, ""})
	}
	if int64(i) != s.maxKeys {
		t.Fatalf("index took %d keys, its reserve is %d", i, s.maxKeys)
	}
	if s.used.Load() > uint64(len(s.buf))/2 {
		t.Fatalf("arena %d of %d used: the test meant the index to fill first", s.used.Load(), len(s.buf))
	}
	for j := range 20 {
		k := fmt.Appendf(nil, "%x", j*3)
		if err := s.Add(k, 2, engine.KindDelete, nil); err != nil {
			t.Fatalf("new version of an indexed key refused: %v", err)
		}
		m.add(entry{string(k), 2, engine.KindDelete, ""})
	}
	checkAll(t, s, m)
	for j := range i + 10 {
		checkProbe(t, s, m, fmt.Sprintf("%x", j), 1)
		checkProbe(t, s, m, fmt.Sprintf("%x", j), math.MaxUint64)
	}
}

func TestReturnedSlicesAreCapped(t *testing.T) {
	s := New(1 << 12)
	s.Add([]byte("a"), 2, engine.KindSet, []byte("one"))
	s.Add([]byte("b"), 1, engine.KindSet, []byte("two"))
	v, _, _ := s.Get([]byte("a"), 10)
	_ = append(v, "XXXXXXXX"...)
	it := s.NewIter()
	it.SeekGE([]byte("a"))
	_ = append(it.Key(), "YYYYYYYY"...)
	if v, _, _ := s.Get([]byte("b"), 10); string(v) != "two" {
		t.Fatalf("append to a returned slice overwrote the arena: %q", v)
	}
	checkAll(t, s, &model{es: []entry{{"a", 2, engine.KindSet, "one"}, {"b", 1, engine.KindSet, "two"}}})
}

// TestRandomAgainstModel adds random entries (with duplicates) and checks
// Get, every seek and full iteration both ways against a sorted slice.
func TestRandomAgainstModel(t *testing.T) {
	r := newRand(t)
	rounds := 10
	if testing.Short() {
		rounds = 3
	}
	for round := range rounds {
		s := New(1 << 20)
		s.Seed(r.Uint64())
		m := &model{}
		keys := 1 + r.IntN(300)
		randKey := func() string {
			k := fmt.Sprintf("%x", r.IntN(keys))
			return k[:r.IntN(len(k)+1)] + k // vary lengths and shared prefixes
		}
		n := r.IntN(3000)
		for range n {
			e := entry{randKey(), uint64(r.IntN(50)), engine.Kind(r.IntN(2)), ""}
			e.value = string(valueFor([]byte(e.key), e.seq))
			err := s.Add([]byte(e.key), e.seq, e.kind, []byte(e.value))
			if added := m.add(e); added != (err == nil) {
				t.Fatalf("round %d: Add(%v) = %v, model added=%v", round, e, err, added)
			}
			if err != nil && !errors.Is(err, ErrDuplicate) {
				t.Fatalf("round %d: Add: %v", round, err)
			}
		}
		checkAll(t, s, m)
		for range 300 {
			checkProbe(t, s, m, randKey(), uint64(r.IntN(55)))
		}
		checkProbe(t, s, m, "", math.MaxUint64)
		checkProbe(t, s, m, "\xff\xff", 0)
	}
}

// TestConcurrent runs writers adding disjoint entries while readers walk,
// seek and Get; readers check order and that every entry they see is
// whole. At the end the list holds exactly the union.
func TestConcurrent(t *testing.T) {
	r := newRand(t)
	const writers, readers = 4, 3
	perWriter := 5000
	if testing.Short() {
		perWriter = 1500
	}
	s := New(16 << 20)
	seed := r.Uint64()
	keyOf := func(w, i int) []byte {
		// Interleave writers' keys so their inserts contend on the same
		// links; seq repeats across writers on distinct keys and several
		// versions per key come from one writer.
		return fmt.Appendf(nil, "k%06d", (i/3)*writers+w)
	}
	var wg sync.WaitGroup
	errc := make(chan error, writers+readers)
	done := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wr := rand.New(rand.NewPCG(seed, uint64(w)))
			order := wr.Perm(perWriter)
			for _, i := range order {
				k := keyOf(w, i)
				seq := uint64(i%3 + 1)
				if err := s.Add(k, seq, engine.KindSet, valueFor(k, seq)); err != nil {
					errc <- err
					return
				}
				// An Add that returned is visible to Get.
				if v, _, ok := s.Get(k, seq); !ok || !bytes.Equal(v, valueFor(k, seq)) {
					errc <- fmt.Errorf("Get(%q, %d) after its Add = %q, %v", k, seq, v, ok)
					return
				}
			}
		}()
	}
	var rwg sync.WaitGroup
	for rd := range readers {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			rr := rand.New(rand.NewPCG(seed, uint64(100+rd)))
			check := func(it *Iterator) error {
				if v := it.Value(); !bytes.Equal(v, valueFor(it.Key(), it.Seq())) {
					return fmt.Errorf("torn entry %q#%d: value %q", it.Key(), it.Seq(), v)
				}
				return nil
			}
			for {
				select {
				case <-done:
					return
				default:
				}
				it := s.NewIter()
				var pk []byte
				var ps uint64
				n := 0
				for ok := it.First(); ok && n < 2000; ok = it.Next() {
					if err := check(it); err != nil {
						errc <- err
						return
					}
					if pk != nil {
						if c := bytes.Compare(pk, it.Key()); c > 0 || (c == 0 && ps <= it.Seq()) {
							errc <- fmt.Errorf("order broken: %q#%d then %q#%d", pk, ps, it.Key(), it.Seq())
							return
						}
					}
					pk, ps = append(pk[:0], it.Key()...), it.Seq()
					n++
				}
				k := keyOf(rr.IntN(writers), rr.IntN(perWriter))
				if it.SeekLT(k) {
					if err := check(it); err != nil {
						errc <- err
						return
					}
					if bytes.Compare(it.Key(), k) >= 0 {
						errc <- fmt.Errorf("SeekLT(%q) at %q", k, it.Key())
						return
					}
					it.Prev()
				}
				if v, _, ok := s.Get(k, math.MaxUint64); ok && !bytes.HasPrefix(v, append(k, '/')) {
					errc <- fmt.Errorf("Get(%q) = %q", k, v)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	rwg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	m := &model{}
	for w := range writers {
		for i := range perWriter {
			k := keyOf(w, i)
			seq := uint64(i%3 + 1)
			m.add(entry{string(k), seq, engine.KindSet, string(valueFor(k, seq))})
		}
	}
	checkAll(t, s, m)
}

// TestConcurrentDuplicates has many goroutines add the same entries: each
// one must be added exactly once, every other attempt failing with
// ErrDuplicate.
func TestConcurrentDuplicates(t *testing.T) {
	const goroutines, n = 4, 2000
	s := New(8 << 20)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := make([]int, n)
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				k := fmt.Appendf(nil, "%05d", i*7919%n)
				err := s.Add(k, 1, engine.KindSet, k)
				switch {
				case err == nil:
					mu.Lock()
					wins[i]++
					mu.Unlock()
				case !errors.Is(err, ErrDuplicate):
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, w := range wins {
		if w != 1 {
			t.Fatalf("entry %d added %d times", i, w)
		}
	}
	if s.Len() != n {
		t.Fatalf("Len %d, want %d", s.Len(), n)
	}
}

func TestHeightDistribution(t *testing.T) {
	s := New(MinCapacity)
	s.Seed(42)
	var hist [MaxHeight + 1]int
	const n = 1 << 16
	for range n {
		hist[s.randomHeight()]++
	}
	// Expect n/2 at height 1, n/4 at 2, ...; allow generous slack.
	want := float64(n) / 2
	for h := 1; h <= 6; h++ {
		if got := float64(hist[h]); got < want*0.9 || got > want*1.1 {
			t.Fatalf("height %d drawn %v times, want about %v (hist %v)", h, got, want, hist)
		}
		want /= 2
	}
	if hist[0] != 0 {
		t.Fatal("height 0 drawn")
	}
}

func TestCommonPrefix(t *testing.T) {
	long := bytes.Repeat([]byte("abcdefgh"), 5)
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "a", 0},
		{"a", "a", 1},
		{"a", "b", 0},
		{"ab", "a", 1},
		{"user0000001", "user0000002", 10},
		{"12345678", "12345678", 8},
		{"123456789", "12345678", 8},
		{"1234567x9", "123456789", 7},
		{"12345678abcdefgh1", "12345678abcdefgh2", 16},
		{string(long), string(long) + "z", len(long)},
		{string(long[:37]) + "\x00", string(long[:37]) + "\xff", 37},
	} {
		if got := commonPrefix([]byte(tc.a), []byte(tc.b)); got != tc.want {
			t.Errorf("commonPrefix(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := commonPrefix([]byte(tc.b), []byte(tc.a)); got != tc.want {
			t.Errorf("commonPrefix(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.want)
		}
	}
}

// TestAbbrev checks the promise seekLevel relies on, on every pair of a
// set of keys with shared prefixes, zero and 0xff bytes and ends: for keys
// sharing c bytes, differing abbreviations at c order the keys and tell
// exactly how many bytes they share.
func TestAbbrev(t *testing.T) {
	var keys [][]byte
	for _, k := range []string{"", "a", "a\x00", "a\x00\x00", "a\x01", "ab", "ab\x00", "abc", "abd",
		"ac", "a\xff", "a\xff\xff", "b", "\x00", "\xff", "user123", "user124", "user1239"} {
		keys = append(keys, []byte(k))
	}
	for _, a := range keys {
		for _, b := range keys {
			lcp := commonPrefix(a, b)
			for c := 0; c <= lcp; c++ {
				aa, ab := abbrev(a, c), abbrev(b, c)
				cmp := bytes.Compare(a, b)
				switch {
				case aa < ab && cmp >= 0, aa > ab && cmp <= 0:
					t.Fatalf("%q vs %q at %d: abbreviations %#x, %#x, bytes.Compare %d", a, b, c, aa, ab, cmp)
				case aa == ab:
					if lcp < c+2 && !bytes.Equal(a, b) {
						t.Fatalf("%q vs %q at %d: equal abbreviations %#x, but they share only %d bytes", a, b, c, aa, lcp)
					}
				default:
					shared := c + 1
					if (aa^ab)>>9 != 0 {
						shared = c
					}
					if shared != lcp {
						t.Fatalf("%q vs %q at %d: abbreviations %#x, %#x say %d shared bytes, want %d", a, b, c, aa, ab, shared, lcp)
					}
				}
			}
		}
	}
}

// TestLongSharedPrefix adds keys sharing prefixes longer than a link word
// can record (maxLinkPrefix), in random order, and checks the list.
func TestLongSharedPrefix(t *testing.T) {
	r := newRand(t)
	prefix := bytes.Repeat([]byte{'p'}, maxLinkPrefix+20)
	s := New(8 << 20)
	m := &model{}
	for i := range 200 {
		k := append([]byte(nil), prefix[:maxLinkPrefix-2+r.IntN(20)]...)
		k = fmt.Appendf(k, "%d", r.IntN(50))
		seq := uint64(i + 1)
		err := s.Add(k, seq, engine.KindSet, valueFor(k, seq))
		if err != nil {
			t.Fatal(err)
		}
		m.add(entry{string(k), seq, engine.KindSet, string(valueFor(k, seq))})
	}
	checkAll(t, s, m)
	for i := range 50 {
		k := append(append([]byte(nil), prefix[:maxLinkPrefix-2+r.IntN(20)]...), fmt.Sprint(i)...)
		checkProbe(t, s, m, string(k), math.MaxUint64)
	}
}
