package overlay

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"
)

var seedFlag = flag.Int64("seed", 0, "seed of the randomized tests (0: from the clock)")

func testSeed(t *testing.T) int64 {
	seed := *seedFlag
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (rerun with -seed %d)", seed, seed)
	return seed
}

// model is the merged view as the test computes it: the live keys within
// the bounds, sorted, with a position of the Iter's semantics.
type model struct {
	keys  []string
	vals  []string
	pos   int  // -1: off the low end; len(keys): off the high end
	fresh bool // never positioned
}

func newModel(layers []map[string]entry, lower, upper []byte) *model {
	merged := map[string]entry{}
	for i := len(layers) - 1; i >= 0; i-- { // oldest first, newer overwrite
		for k, e := range layers[i] {
			merged[k] = e
		}
	}
	m := &model{fresh: true}
	for k, e := range merged {
		if e.del || lower != nil && k < string(lower) || upper != nil && k >= string(upper) {
			continue
		}
		m.keys = append(m.keys, k)
	}
	slices.Sort(m.keys)
	for _, k := range m.keys {
		m.vals = append(m.vals, merged[k].value)
	}
	return m
}

func (m *model) valid() bool { return m.pos >= 0 && m.pos < len(m.keys) }

func (m *model) do(op string, arg []byte) bool {
	fresh := m.fresh
	m.fresh = false
	switch op {
	case "First":
		m.pos = 0
	case "Last":
		m.pos = len(m.keys) - 1
	case "SeekGE":
		m.pos, _ = slices.BinarySearch(m.keys, string(arg))
	case "SeekLT":
		i, _ := slices.BinarySearch(m.keys, string(arg))
		m.pos = i - 1
	case "Next":
		switch {
		case fresh || m.pos < 0:
			m.pos = 0
		case m.pos < len(m.keys):
			m.pos++
		}
	case "Prev":
		switch {
		case fresh || m.pos >= len(m.keys):
			m.pos = len(m.keys) - 1
		case m.pos >= 0:
			m.pos--
		}
	}
	return m.valid()
}

func doIter(it *Iter, op string, arg []byte) bool {
	switch op {
	case "First":
		return it.First()
	case "Last":
		return it.Last()
	case "SeekGE":
		return it.SeekGE(arg)
	case "SeekLT":
		return it.SeekLT(arg)
	case "Next":
		return it.Next()
	case "Prev":
		return it.Prev()
	}
	panic("unknown op " + op)
}

// randKey draws from a small alphabet so that layers collide often, with
// bytes 0x00 and 0xff to exercise prefixes and the ends of the order.
func randKey(rng *rand.Rand) string {
	const alphabet = "\x00abcd\xff"
	n := 1 + rng.Intn(3)
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.Intn(len(alphabet))]
	}
	return string(b)
}

// randMem builds a memtable from a random history with several versions
// per key and returns it with a snapshot seq and the Layer's expected
// entries at that seq.
func randMem(t testing.TB, rng *rand.Rand, name string) (*MemLayer, map[string]entry, string) {
	var vs []version
	seq := uint64(0)
	keys := make([]string, 1+rng.Intn(30))
	for i := range keys {
		keys[i] = randKey(rng)
	}
	for range rng.Intn(80) {
		seq += 1 + uint64(rng.Intn(2))
		vs = append(vs, version{key: keys[rng.Intn(len(keys))], seq: seq, del: rng.Intn(3) == 0, tag: name + ":"})
	}
	snap := uint64(math.MaxUint64)
	if r := rng.Intn(4); r > 0 && seq > 0 {
		snap = uint64(rng.Int63n(int64(seq) + 1))
	}
	rng.Shuffle(len(vs), func(i, j int) { vs[i], vs[j] = vs[j], vs[i] })
	sl := buildMem(t, vs)
	want := map[string]entry{}
	best := map[string]uint64{}
	for _, v := range vs {
		if v.seq > snap {
			continue
		}
		if b, ok := best[v.key]; ok && b > v.seq {
			continue
		}
		best[v.key] = v.seq
		e := entry{key: v.key, del: v.del}
		if !v.del {
			e.value = v.value()
		}
		want[v.key] = e
	}
	var m MemLayer
	m.Reset(sl, snap)
	return &m, want, fmt.Sprintf("%s(%d versions, snapshot %d)", name, len(vs), snap)
}

func randSlice(rng *rand.Rand, name string) (*sliceLayer, map[string]entry, string) {
	want := map[string]entry{}
	for range rng.Intn(40) {
		k := randKey(rng)
		want[k] = entry{key: k, value: name + ":" + k, del: rng.Intn(4) == 0}
	}
	es := make([]entry, 0, len(want))
	for _, e := range want {
		es = append(es, e)
	}
	return newSliceLayer(es), want, fmt.Sprintf("%s(%d keys)", name, len(es))
}

func randBound(rng *rand.Rand) []byte {
	if rng.Intn(3) == 0 {
		return nil
	}
	return []byte(randKey(rng))
}

func sortedEntries(m map[string]entry) []entry {
	es := make([]entry, 0, len(m))
	for _, e := range m {
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	return es
}

func TestIterRandomized(t *testing.T) {
	rng := rand.New(rand.NewSource(testSeed(t)))
	rounds, opsPerIter := 400, 300
	if testing.Short() {
		rounds = 100
	}
	var it Iter // reused with Reset across rounds
	for round := range rounds {
		n := 1 + rng.Intn(3)
		if rng.Intn(10) == 0 {
			n = 4 + rng.Intn(2) // more layers than Iter holds inline
		}
		layers := make([]Layer, n)
		wants := make([]map[string]entry, n)
		descs := make([]string, n)
		for i := range n {
			// The oldest layer is usually the tree (a sorted slice); the
			// newer ones memtables. Any layer may be either, sometimes.
			mem := i < n-1
			if rng.Intn(5) == 0 {
				mem = !mem
			}
			if mem {
				layers[i], wants[i], descs[i] = randMem(t, rng, fmt.Sprintf("mem%d", i))
			} else {
				layers[i], wants[i], descs[i] = randSlice(rng, fmt.Sprintf("slice%d", i))
			}
			// Each layer alone, walked both ways.
			got, err := walkLayer(layers[i])
			if err != nil {
				t.Fatalf("round %d: layer %s: %v", round, descs[i], err)
			}
			if want := sortedEntries(wants[i]); !slices.Equal(got, want) {
				t.Fatalf("round %d: layer %s = %v, want %v", round, descs[i], got, want)
			}
		}
		for range 4 {
			lower, upper := randBound(rng), randBound(rng)
			it.Reset(layers, lower, upper)
			m := newModel(wants, lower, upper)
			var trail []string
			for range opsPerIter {
				var op string
				var arg []byte
				switch r := rng.Intn(20); {
				case r < 7:
					op = "Next"
				case r < 14:
					op = "Prev"
				case r < 16:
					op, arg = "SeekGE", []byte(randKey(rng))
				case r < 18:
					op, arg = "SeekLT", []byte(randKey(rng))
				case r < 19:
					op = "First"
				default:
					op = "Last"
				}
				trail = append(trail, fmt.Sprintf("%s(%q)", op, arg))
				got, want := doIter(&it, op, arg), m.do(op, arg)
				fail := func(format string, args ...any) {
					t.Helper()
					if len(trail) > 10 {
						trail = trail[len(trail)-10:]
					}
					t.Fatalf("round %d, layers %v, bounds [%q, %q), after %s: %s\nmodel keys %q",
						round, descs, lower, upper, strings.Join(trail, " "), fmt.Sprintf(format, args...), m.keys)
				}
				if err := it.Error(); err != nil {
					fail("Error() = %v", err)
				}
				if got != it.Valid() {
					fail("returned %v, Valid() %v", got, it.Valid())
				}
				if got != want {
					if got {
						fail("at %q, want not valid", it.Key())
					}
					fail("not valid, want %q", m.keys[m.pos])
				}
				if got && (string(it.Key()) != m.keys[m.pos] || string(it.Value()) != m.vals[m.pos]) {
					fail("at %q=%q, want %q=%q", it.Key(), it.Value(), m.keys[m.pos], m.vals[m.pos])
				}
				if !got && (it.Key() != nil || it.Value() != nil) {
					fail("not valid but Key %q Value %q", it.Key(), it.Value())
				}
			}
		}
	}
}

func TestIterShadowing(t *testing.T) {
	newest := newSliceLayer([]entry{{"a", "new-a", false}, {"c", "", true}, {"e", "", true}})
	middle := newSliceLayer([]entry{{"a", "mid-a", false}, {"b", "mid-b", false}, {"c", "mid-c", false}, {"d", "", true}})
	oldest := newSliceLayer([]entry{{"b", "old-b", false}, {"c", "old-c", false}, {"d", "old-d", false}, {"e", "old-e", false}, {"f", "old-f", false}})
	it := New([]Layer{newest, middle, oldest}, nil, nil)
	var fwd, bwd []string
	for ok := it.First(); ok; ok = it.Next() {
		fwd = append(fwd, string(it.Key())+"="+string(it.Value()))
	}
	for ok := it.Last(); ok; ok = it.Prev() {
		bwd = append(bwd, string(it.Key())+"="+string(it.Value()))
	}
	want := []string{"a=new-a", "b=mid-b", "f=old-f"}
	if !slices.Equal(fwd, want) {
		t.Fatalf("forward %q, want %q", fwd, want)
	}
	slices.Reverse(want)
	if !slices.Equal(bwd, want) {
		t.Fatalf("backward %q, want %q", bwd, want)
	}
	// Switching direction on a shadowed key: every layer must skip it.
	if !it.SeekGE([]byte("b")) || !it.Prev() || string(it.Key()) != "a" || !it.Next() || string(it.Value()) != "mid-b" || !it.Next() || string(it.Key()) != "f" {
		t.Fatalf("direction switch over b: at %q=%q", it.Key(), it.Value())
	}
}

// errLayer fails with errBoom on its fail-th move.
type errLayer struct {
	Layer
	moves, fail int
	err         error
}

var errBoom = errors.New("boom")

func (l *errLayer) step(ok bool) bool {
	l.moves++
	if l.moves >= l.fail {
		l.err = errBoom
		return false
	}
	return ok
}
func (l *errLayer) First() bool          { return l.step(l.Layer.First()) }
func (l *errLayer) Last() bool           { return l.step(l.Layer.Last()) }
func (l *errLayer) SeekGE(k []byte) bool { return l.step(l.Layer.SeekGE(k)) }
func (l *errLayer) SeekLT(k []byte) bool { return l.step(l.Layer.SeekLT(k)) }
func (l *errLayer) Next() bool           { return l.step(l.Layer.Next()) }
func (l *errLayer) Prev() bool           { return l.step(l.Layer.Prev()) }
func (l *errLayer) Valid() bool          { return l.err == nil && l.Layer.Valid() }
func (l *errLayer) Error() error         { return l.err }

func TestIterLayerError(t *testing.T) {
	keys := []entry{{"a", "1", false}, {"b", "2", false}, {"c", "3", false}, {"d", "4", false}}
	var failed, survived int
	for fail := 1; fail <= 20; fail++ {
		for pos := range 3 {
			layers := []Layer{newSliceLayer(keys[:2]), newSliceLayer(keys[1:]), newSliceLayer(keys[2:])}
			el := &errLayer{Layer: layers[pos], fail: fail}
			layers[pos] = el
			it := New(layers, nil, nil)
			// Forward, then back, switching direction on the way: the
			// error must surface and stick.
			var n int
			ok := it.First()
			for ok {
				n++
				ok = it.Next()
			}
			for ok = it.Last(); ok; ok = it.Prev() {
				n++
			}
			for _, ok := range []bool{it.SeekGE([]byte("b")), it.Prev(), it.Next(), it.Next(), it.Prev()} {
				if ok {
					n++
				}
			}
			if el.moves < fail {
				survived++
				if it.Error() != nil || n != 13 {
					t.Fatalf("layer %d never failed, yet Error() = %v and %d keys seen, want 13", pos, it.Error(), n)
				}
				continue
			}
			if !errors.Is(it.Error(), errBoom) {
				t.Fatalf("fail at move %d of layer %d: Error() = %v", fail, pos, it.Error())
			}
			if it.Valid() || it.Key() != nil || it.Value() != nil || it.First() || it.Next() || it.Prev() || it.Last() || it.SeekGE([]byte("a")) || it.SeekLT([]byte("z")) {
				t.Fatalf("fail at move %d of layer %d: the iterator moved after the error", fail, pos)
			}
			failed++
		}
	}
	if failed == 0 || survived == 0 {
		t.Fatalf("%d runs failed and %d survived: the test must cover both", failed, survived)
	}
	t.Logf("%d runs met the error, %d ended before it", failed, survived)
}

func TestIterNilLayer(t *testing.T) {
	it := New([]Layer{newSliceLayer([]entry{{"a", "1", false}}), nil}, nil, nil)
	if it.First() || it.Valid() || !errors.Is(it.Error(), ErrNilLayer) {
		t.Fatalf("with a nil layer: First valid %v, Error %v", it.Valid(), it.Error())
	}
	it.Reset([]Layer{newSliceLayer([]entry{{"a", "1", false}})}, nil, nil)
	if !it.First() || it.Error() != nil {
		t.Fatalf("after Reset: First valid %v, Error %v", it.Valid(), it.Error())
	}
}

func TestIterNoLayers(t *testing.T) {
	it := New(nil, []byte("a"), nil)
	if it.First() || it.Last() || it.Next() || it.Prev() || it.SeekGE([]byte("a")) || it.SeekLT([]byte("z")) || it.Error() != nil {
		t.Fatal("an Iter over no layers was positioned or failed")
	}
}

// TestIterBoundsCopied checks that New copies the bounds and that an empty
// non-nil upper bound is an empty range, not unbounded.
func TestIterBoundsCopied(t *testing.T) {
	l := newSliceLayer([]entry{{"a", "1", false}, {"b", "2", false}, {"c", "3", false}})
	lower, upper := []byte("b"), []byte("c")
	it := New([]Layer{l}, lower, upper)
	lower[0], upper[0] = 'a', 'z'
	if !it.First() || string(it.Key()) != "b" || it.Next() {
		t.Fatalf("bounds changed under the Iter: at %q", it.Key())
	}
	it.Reset([]Layer{l}, nil, []byte{})
	if it.First() || it.Last() {
		t.Fatal("empty upper bound: the Iter was positioned")
	}
	if !bytes.Equal(it.Key(), nil) {
		t.Fatal("Key not nil")
	}
}

func TestIterResetAllocs(t *testing.T) {
	l := newSliceLayer([]entry{{"a", "1", false}, {"b", "2", false}})
	m := newSliceLayer([]entry{{"b", "", true}, {"c", "3", false}})
	n := newSliceLayer([]entry{{"a", "0", false}, {"d", "4", false}})
	layers := []Layer{l, m, n}
	var it Iter
	it.Reset(layers, []byte("a"), []byte("z"))
	allocs := testing.AllocsPerRun(100, func() {
		it.Reset(layers, []byte("a"), []byte("z"))
		for ok := it.First(); ok; ok = it.Next() {
		}
		for ok := it.Last(); ok; ok = it.Prev() {
		}
	})
	if allocs != 0 {
		t.Fatalf("Reset and a walk both ways allocated %v times", allocs)
	}
}
