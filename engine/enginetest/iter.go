package enginetest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

func (k *kit) testIterator(t *testing.T) {
	sub := func(name string, f func(t *testing.T, e engine.Engine)) {
		t.Run(name, func(t *testing.T) { k.withEngine(t, f) })
	}
	sub("Empty", iterEmpty)
	sub("BoundsSeeksDirections", iterExhaustive)
	sub("WhileWriting", iterWhileWriting)
	sub("ManyOpen", iterManyOpen)
	sub("KeyValueOwnership", iterOwnership)
	sub("Close", iterClose)
}

// iterMove is one positioning call, applied to the engine's iterator and
// the model's.
type iterMove struct {
	name string
	arg  []byte
}

func (mv iterMove) String() string {
	if mv.arg != nil {
		return fmt.Sprintf("%s(%s)", mv.name, fmtKey(mv.arg))
	}
	return mv.name + "()"
}

func (mv iterMove) do(it engine.Iterator) bool {
	switch mv.name {
	case "First":
		return it.First()
	case "Last":
		return it.Last()
	case "SeekGE":
		return it.SeekGE(mv.arg)
	case "SeekLT":
		return it.SeekLT(mv.arg)
	case "Next":
		return it.Next()
	case "Prev":
		return it.Prev()
	}
	panic("enginetest: unknown iterator move " + mv.name)
}

func (mv iterMove) doModel(it *modelIter) bool {
	switch mv.name {
	case "First":
		return it.first()
	case "Last":
		return it.last()
	case "SeekGE":
		return it.seekGE(mv.arg)
	case "SeekLT":
		return it.seekLT(mv.arg)
	case "Next":
		return it.next()
	case "Prev":
		return it.prev()
	}
	panic("enginetest: unknown iterator move " + mv.name)
}

// iterChecker drives an engine iterator and a model iterator with the same
// moves and reports the first difference with the moves that led to it.
type iterChecker struct {
	it    engine.Iterator
	mi    *modelIter
	trail []string
}

func newIterChecker(it engine.Iterator, mi *modelIter) *iterChecker {
	return &iterChecker{it: it, mi: mi}
}

// move applies mv to both iterators and compares them. Next and Prev are
// only meaningful from a valid position; the caller ensures that.
func (c *iterChecker) move(mv iterMove) (bool, error) {
	c.trail = append(c.trail, mv.String())
	if len(c.trail) > 12 {
		c.trail = c.trail[len(c.trail)-12:]
	}
	got := mv.do(c.it)
	want := mv.doModel(c.mi)
	return want, c.compare(got, want)
}

func (c *iterChecker) compare(got, want bool) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("iterator with bounds [%s, %s), after %s: %s",
			fmtKey(c.mi.lower), fmtKey(c.mi.upper), strings.Join(c.trail, " "), fmt.Sprintf(format, args...))
	}
	if err := c.it.Error(); err != nil {
		return fail("Error() = %v", err)
	}
	if got != c.it.Valid() {
		return fail("the move returned %v but Valid() = %v", got, c.it.Valid())
	}
	if got != want {
		if got {
			return fail("positioned at %s, want no key (exhausted)", fmtKey(c.it.Key()))
		}
		return fail("not valid, want %s=%s", fmtKey(c.mi.key()), fmtVal(c.mi.value()))
	}
	if !got {
		return nil
	}
	if !bytes.Equal(c.it.Key(), c.mi.key()) || !bytes.Equal(c.it.Value(), c.mi.value()) {
		return fail("at %s=%s, want %s=%s", fmtKey(c.it.Key()), fmtVal(c.it.Value()), fmtKey(c.mi.key()), fmtVal(c.mi.value()))
	}
	return nil
}

// walk applies moves in order while the iterator stays valid.
func (c *iterChecker) walk(moves ...string) error {
	for _, name := range moves {
		valid, err := c.move(iterMove{name: name})
		if err != nil || !valid {
			return err
		}
	}
	return nil
}

// checkAllMoves positions the iterator with every move in starts and from
// each walks a fixed script with direction changes, then walks the whole
// range both ways.
func (c *iterChecker) checkAllMoves(starts []iterMove) error {
	scripts := [][]string{
		{"Next", "Next", "Prev", "Prev", "Prev", "Next", "Next"},
		{"Prev", "Prev", "Next", "Next", "Next", "Prev"},
		{"Next", "Prev", "Next", "Prev"},
	}
	for _, s := range starts {
		for _, script := range scripts {
			valid, err := c.move(s)
			if err != nil {
				return err
			}
			if valid {
				if err := c.walk(script...); err != nil {
					return err
				}
			}
		}
	}
	for _, dir := range []string{"First", "Last"} {
		valid, err := c.move(iterMove{name: dir})
		step := "Next"
		if dir == "Last" {
			step = "Prev"
		}
		for valid && err == nil {
			valid, err = c.move(iterMove{name: step})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func iterEmpty(t *testing.T, e engine.Engine) {
	check := func(what string, r engine.Reader, lower, upper []byte) {
		it, err := r.NewIter(engine.IterOptions{Lower: lower, Upper: upper})
		must(t, "NewIter", err)
		c := newIterChecker(it, newModel().newIter(lower, upper))
		for _, mv := range []iterMove{{name: "First"}, {name: "Last"}, {name: "SeekGE", arg: []byte("a")}, {name: "SeekLT", arg: []byte("z")}} {
			if _, err := c.move(mv); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		must(t, "Close", it.Close())
	}
	check("empty engine", e, nil, nil)
	must(t, "Set", e.Set([]byte("m"), []byte("1"), engine.NoSync))
	check("empty range below the only key", e, nil, []byte("m"))
	check("empty range above the only key", e, []byte("m\x00"), nil)
	check("Lower == Upper", e, []byte("m"), []byte("m"))
	must(t, "Delete", e.Delete([]byte("m"), engine.NoSync))
	check("engine emptied by a delete", e, nil, nil)
}

// iterPoints are the keys and the probes of iterExhaustive: every probe
// falls on a key, between two keys, or outside them.
var (
	iterKeys   = []string{"b", "d", "d\x00", "f", "f\xff", "h"}
	iterProbes = []string{"\x00", "a", "b", "c", "d", "d\x00", "d\x00\x00", "e", "f", "f\xff", "g", "h", "h\x00", "i", "\xff\xff"}
)

func iterExhaustive(t *testing.T, e engine.Engine) {
	m := newModel()
	for i, k := range iterKeys {
		must(t, "Set", e.Set([]byte(k), val("v", i), engine.NoSync))
		m.set([]byte(k), val("v", i))
	}
	// A deleted key and an overwritten key, so that bounds and seeks land
	// on entries a backend may still hold internally.
	must(t, "Set", e.Set([]byte("e"), []byte("gone"), engine.NoSync))
	must(t, "Delete", e.Delete([]byte("e"), engine.NoSync))
	must(t, "Set", e.Set([]byte("f"), []byte("f-new"), engine.NoSync))
	m.set([]byte("f"), []byte("f-new"))

	bounds := append([][]byte{nil}, toBytes(iterProbes)...)
	var starts []iterMove
	starts = append(starts, iterMove{name: "First"}, iterMove{name: "Last"})
	for _, p := range toBytes(iterProbes) {
		starts = append(starts, iterMove{name: "SeekGE", arg: p}, iterMove{name: "SeekLT", arg: p})
	}
	for _, lower := range bounds {
		for _, upper := range bounds {
			if lower != nil && upper != nil && bytes.Compare(lower, upper) > 0 {
				continue
			}
			it, err := e.NewIter(engine.IterOptions{Lower: lower, Upper: upper})
			must(t, "NewIter", err)
			c := newIterChecker(it, m.newIter(lower, upper))
			if err := c.checkAllMoves(starts); err != nil {
				it.Close()
				t.Fatal(err)
			}
			must(t, "iterator Close", it.Close())
		}
	}
}

func toBytes(ss []string) [][]byte {
	bs := make([][]byte, len(ss))
	for i, s := range ss {
		bs[i] = []byte(s)
	}
	return bs
}

func iterWhileWriting(t *testing.T, e engine.Engine) {
	m := newModel()
	for i := 0; i < 100; i += 2 {
		must(t, "Set", e.Set(key("k", i), val("v", i), engine.NoSync))
		m.set(key("k", i), val("v", i))
	}
	for _, bounded := range []bool{false, true} {
		var lower, upper []byte
		if bounded {
			lower, upper = key("k", 20), key("k", 80)
		}
		it, err := e.NewIter(engine.IterOptions{Lower: lower, Upper: upper})
		must(t, "NewIter", err)
		c := newIterChecker(it, m.newIter(lower, upper))
		if _, err := c.move(iterMove{name: "First"}); err != nil {
			t.Fatal(err)
		}
		// Write between every move: new keys right after the current one,
		// deletes and overwrites ahead. The iterator keeps its view.
		for i := 0; ; i++ {
			n := 2*i + 1
			must(t, "Set", e.Set(key("k", n), val("new", n), engine.NoSync))
			m.set(key("k", n), val("new", n))
			must(t, "Delete", e.Delete(key("k", (n+5)%100), engine.NoSync))
			m.del(key("k", (n+5)%100))
			must(t, "Set", e.Set(key("k", (n+9)%100), val("over", n), engine.NoSync))
			m.set(key("k", (n+9)%100), val("over", n))
			valid, err := c.move(iterMove{name: "Next"})
			if err != nil {
				t.Fatalf("iterating while writing: %v", err)
			}
			if !valid {
				break
			}
		}
		if err := c.walk("Last", "Prev", "Prev", "Next"); err != nil {
			t.Fatalf("iterating while writing: %v", err)
		}
		must(t, "Close", it.Close())
		expectState(t, "after writes made while iterating", e, m)
	}
}

func iterManyOpen(t *testing.T, e engine.Engine) {
	const n = 1000
	m := newModel()
	for i := range 200 {
		must(t, "Set", e.Set(key("k", i), val("v", i), engine.NoSync))
		m.set(key("k", i), val("v", i))
	}
	checkers := make([]*iterChecker, 0, n)
	defer func() {
		for _, c := range checkers {
			c.it.Close()
		}
	}()
	var view *modelIter
	for i := range n {
		if i%100 == 0 {
			// Change the data every 100 iterators: each group has its own view.
			must(t, "Set", e.Set(key("k", i/5), val("round", i), engine.NoSync))
			m.set(key("k", i/5), val("round", i))
			must(t, "Delete", e.Delete(key("k", i/5+1), engine.NoSync))
			m.del(key("k", i/5+1))
			view = m.newIter(nil, nil)
		}
		it, err := e.NewIter(engine.IterOptions{})
		must(t, fmt.Sprintf("NewIter number %d", i+1), err)
		mi := *view
		c := newIterChecker(it, &mi)
		checkers = append(checkers, c)
		if _, err := c.move(iterMove{name: "SeekGE", arg: key("k", i%200)}); err != nil {
			t.Fatalf("iterator %d: %v", i, err)
		}
	}
	for i, c := range checkers {
		if err := c.walk("Next", "Next", "Prev"); err != nil {
			t.Fatalf("iterator %d of %d open: %v", i, n, err)
		}
	}
	for i, c := range checkers {
		if err := c.it.Close(); err != nil {
			t.Fatalf("Close of iterator %d: %v", i, err)
		}
	}
	checkers = nil
}

func iterOwnership(t *testing.T, e engine.Engine) {
	for i := range 10 {
		must(t, "Set", e.Set(key("k", i), val("value", i), engine.NoSync))
	}
	it, err := e.NewIter(engine.IterOptions{})
	must(t, "NewIter", err)
	defer it.Close()
	if !it.SeekGE(key("k", 3)) {
		t.Fatalf("SeekGE(k-3) not valid")
	}
	k, v := it.Key(), it.Value()
	k2, v2 := it.Key(), it.Value()
	if !bytes.Equal(k, k2) || !bytes.Equal(v, v2) {
		t.Fatalf("Key/Value called twice at one position differ")
	}
	// Writes to the same key do not change what the iterator returned.
	must(t, "Set", e.Set(key("k", 3), []byte("overwritten-with-a-longer-value"), engine.NoSync))
	must(t, "Set", e.Set(key("k", 3), []byte("xx"), engine.NoSync))
	must(t, "Delete", e.Delete(key("k", 3), engine.NoSync))
	if !bytes.Equal(k, key("k", 3)) || !bytes.Equal(v, val("value", 3)) {
		t.Fatalf("Key/Value slices changed by writes while the iterator did not move: %s=%s", fmtKey(k), fmtVal(v))
	}
	if !bytes.Equal(it.Key(), key("k", 3)) || !bytes.Equal(it.Value(), val("value", 3)) {
		t.Fatalf("iterator at k-3 reads %s=%s after writes to k-3", fmtKey(it.Key()), fmtVal(it.Value()))
	}
	// Another iterator moving does not change this one's slices.
	it2, err := e.NewIter(engine.IterOptions{})
	must(t, "NewIter", err)
	for ok := it2.First(); ok; ok = it2.Next() {
	}
	must(t, "Close", it2.Close())
	if !bytes.Equal(k, key("k", 3)) || !bytes.Equal(v, val("value", 3)) {
		t.Fatalf("Key/Value slices changed by another iterator: %s=%s", fmtKey(k), fmtVal(v))
	}
	// Copies taken along the way stay right after the iterator moves on.
	var keys, vals [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, bytes.Clone(it.Key()))
		vals = append(vals, bytes.Clone(it.Value()))
	}
	for i := range keys {
		if !bytes.Equal(keys[i], key("k", i)) || !bytes.Equal(vals[i], val("value", i)) {
			t.Fatalf("copy %d = %s=%s, want %s=%s", i, fmtKey(keys[i]), fmtVal(vals[i]), fmtKey(key("k", i)), fmtVal(val("value", i)))
		}
	}
	if len(keys) != 10 {
		t.Fatalf("iterator created before the delete sees %d keys, want 10", len(keys))
	}
}

func iterClose(t *testing.T, e engine.Engine) {
	must(t, "Set", e.Set([]byte("a"), []byte("1"), engine.NoSync))
	it, err := e.NewIter(engine.IterOptions{})
	must(t, "NewIter", err)
	it.First()
	must(t, "Close", it.Close())
	if err := it.Close(); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("second iterator Close = %v, want ErrClosed", err)
	}
	// Bounds are copied: changing them after NewIter changes nothing.
	lower, upper := []byte("a"), []byte("b")
	it, err = e.NewIter(engine.IterOptions{Lower: lower, Upper: upper})
	must(t, "NewIter", err)
	defer it.Close()
	lower[0], upper[0] = 'x', 'y'
	if !it.First() || string(it.Key()) != "a" {
		t.Fatalf("iterator changed by the caller reusing its bound slices")
	}
}
