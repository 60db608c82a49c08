package memengine

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

// choices is where a model run takes its decisions from: a seeded
// generator (TestModelRandom) or fuzzer bytes (FuzzModel).
type choices interface {
	// intn returns a number in [0, n); ok=false when the source is dry.
	intn(n int) (int, bool)
}

type randChoices struct{ r *rand.Rand }

func (c randChoices) intn(n int) (int, bool) { return c.r.IntN(n), true }

type byteChoices struct{ b []byte }

func (c *byteChoices) intn(n int) (int, bool) {
	if len(c.b) == 0 {
		return 0, false
	}
	v := int(c.b[0]) % n
	c.b = c.b[1:]
	return v, true
}

// kvModel is the reference store: a map and its keys in order.
type kvModel struct {
	m    map[string]string
	keys []string // sorted
}

func newKVModel() *kvModel { return &kvModel{m: map[string]string{}} }

func (km *kvModel) set(k, v string) {
	if _, ok := km.m[k]; !ok {
		i := sort.SearchStrings(km.keys, k)
		km.keys = slices.Insert(km.keys, i, k)
	}
	km.m[k] = v
}

func (km *kvModel) del(k string) {
	if _, ok := km.m[k]; ok {
		i := sort.SearchStrings(km.keys, k)
		km.keys = slices.Delete(km.keys, i, i+1)
		delete(km.m, k)
	}
}

func (km *kvModel) clone() *kvModel {
	return &kvModel{m: maps.Clone(km.m), keys: slices.Clone(km.keys)}
}

// modelIter is the reference iterator: a sorted list of the keys within
// the bounds and a position, with memengine's documented end behaviour.
type modelIter struct {
	keys  []string
	vals  map[string]string
	pos   int // index into keys; -1 before the start, len(keys) after the end
	fresh bool
}

// newModelIter returns an iterator over km; km must not change while it
// is in use.
func newModelIter(km *kvModel, lower, upper []byte) *modelIter {
	lo, hi := 0, len(km.keys)
	if lower != nil {
		lo = sort.SearchStrings(km.keys, string(lower))
	}
	if upper != nil {
		hi = sort.SearchStrings(km.keys, string(upper))
	}
	it := &modelIter{vals: km.m, fresh: true}
	if lo < hi {
		it.keys = km.keys[lo:hi]
	}
	return it
}

func (it *modelIter) valid() bool { return !it.fresh && it.pos >= 0 && it.pos < len(it.keys) }

func (it *modelIter) first() bool { it.fresh = false; it.pos = 0; return it.valid() }
func (it *modelIter) last() bool  { it.fresh = false; it.pos = len(it.keys) - 1; return it.valid() }

func (it *modelIter) seekGE(k []byte) bool {
	it.fresh = false
	it.pos = sort.SearchStrings(it.keys, string(k))
	return it.valid()
}

func (it *modelIter) seekLT(k []byte) bool {
	it.fresh = false
	it.pos = sort.SearchStrings(it.keys, string(k)) - 1
	return it.valid()
}

func (it *modelIter) next() bool {
	switch {
	case it.fresh || it.pos < 0:
		return it.first()
	case it.pos < len(it.keys):
		it.pos++
	}
	return it.valid()
}

func (it *modelIter) prev() bool {
	switch {
	case it.fresh || it.pos >= len(it.keys):
		return it.last()
	case it.pos >= 0:
		it.pos--
	}
	return it.valid()
}

// modelRun applies choices to a DB and to a map model and fails on the
// first difference.
type modelRun struct {
	t     testing.TB
	c     choices
	db    *DB
	model *kvModel
	snaps []modelSnap
	space int
	step  int
}

type modelSnap struct {
	snap  engine.Snapshot
	model *kvModel
}

func (m *modelRun) pick(n int) int {
	v, _ := m.c.intn(n)
	return v
}

func (m *modelRun) key() []byte {
	prefixes := []string{"", "a", "user", "\x00", "\xff\xff", "0123456789abcdef"}
	alphabet := []byte{0x00, 0x01, 'a', 'b', 0xfe, 0xff}
	k := []byte(prefixes[m.pick(len(prefixes))])
	for n := m.pick(m.space); n > 0 || len(k) == 0; n /= len(alphabet) {
		k = append(k, alphabet[n%len(alphabet)])
	}
	return k
}

func (m *modelRun) value() []byte {
	if m.pick(8) == 0 {
		return []byte{}
	}
	return fmt.Appendf(nil, "v%d", m.step)
}

// bound returns nil (unbounded) or a key.
func (m *modelRun) bound() []byte {
	if m.pick(3) == 0 {
		return nil
	}
	return m.key()
}

func (m *modelRun) fail(format string, args ...any) {
	m.t.Helper()
	m.t.Fatalf("step %d: %s", m.step, fmt.Sprintf(format, args...))
}

// checkGet compares r.Get(k) with the model.
func (m *modelRun) checkGet(r engine.Reader, model *kvModel, k []byte, what string) {
	m.t.Helper()
	got, err := r.Get(k, nil)
	want, ok := model.m[string(k)]
	switch {
	case ok && (err != nil || string(got) != want):
		m.fail("%s Get(%q) = %q, %v; want %q", what, k, got, err, want)
	case !ok && !errors.Is(err, engine.ErrNotFound):
		m.fail("%s Get(%q) = %q, %v; want ErrNotFound", what, k, got, err)
	}
}

// checkIter runs random moves on an iterator of r and on the model's.
func (m *modelRun) checkIter(r engine.Reader, model *kvModel, what string) {
	m.t.Helper()
	lower, upper := m.bound(), m.bound()
	it, err := r.NewIter(engine.IterOptions{Lower: lower, Upper: upper})
	if err != nil {
		m.fail("%s NewIter: %v", what, err)
	}
	mi := newModelIter(model, lower, upper)
	moves := 1 + m.pick(20)
	for i := range moves {
		var ok, want bool
		var desc string
		switch m.pick(6) {
		case 0:
			desc, ok, want = "First", it.First(), mi.first()
		case 1:
			desc, ok, want = "Last", it.Last(), mi.last()
		case 2:
			k := m.key()
			desc, ok, want = fmt.Sprintf("SeekGE(%q)", k), it.SeekGE(k), mi.seekGE(k)
		case 3:
			k := m.key()
			desc, ok, want = fmt.Sprintf("SeekLT(%q)", k), it.SeekLT(k), mi.seekLT(k)
		case 4:
			desc, ok, want = "Next", it.Next(), mi.next()
		default:
			desc, ok, want = "Prev", it.Prev(), mi.prev()
		}
		if ok != want || ok != it.Valid() {
			m.fail("%s iter [%q, %q) move %d %s = %v (Valid %v), want %v", what, lower, upper, i, desc, ok, it.Valid(), want)
		}
		if ok {
			k := mi.keys[mi.pos]
			if string(it.Key()) != k || string(it.Value()) != model.m[k] {
				m.fail("%s iter [%q, %q) move %d %s at %q=%q, want %q=%q", what, lower, upper, i, desc, it.Key(), it.Value(), k, model.m[k])
			}
		}
	}
	if err := it.Close(); err != nil {
		m.fail("%s iter Close: %v", what, err)
	}
}

// doStep performs one random operation. It returns false when the choices
// are exhausted.
func (m *modelRun) doStep() bool {
	m.step++
	op, ok := m.c.intn(12)
	if !ok {
		return false
	}
	switch op {
	case 0, 1, 2:
		k, v := m.key(), m.value()
		if err := m.db.Set(k, v, engine.NoSync); err != nil {
			m.fail("Set(%q): %v", k, err)
		}
		m.model.set(string(k), string(v))
	case 3:
		k := m.key()
		if err := m.db.Delete(k, engine.NoSync); err != nil {
			m.fail("Delete(%q): %v", k, err)
		}
		m.model.del(string(k))
	case 4:
		b := engine.NewBatch()
		n := 1 + m.pick(12)
		type op struct {
			k, v string
			del  bool
		}
		var ops []op
		for range n {
			k := m.key()
			if m.pick(3) == 0 {
				b.Delete(k)
				ops = append(ops, op{string(k), "", true})
			} else {
				v := m.value()
				b.Set(k, v)
				ops = append(ops, op{string(k), string(v), false})
			}
		}
		if m.pick(10) == 0 {
			b.Set(nil, []byte("bad")) // an invalid op: nothing may change
			if err := m.db.Apply(b, engine.NoSync); !errors.Is(err, engine.ErrEmptyKey) {
				m.fail("Apply with an empty key: %v, want ErrEmptyKey", err)
			}
			break
		}
		if err := m.db.Apply(b, engine.NoSync); err != nil {
			m.fail("Apply: %v", err)
		}
		for _, o := range ops {
			if o.del {
				m.model.del(o.k)
			} else {
				m.model.set(o.k, o.v)
			}
		}
	case 5, 6:
		m.checkGet(m.db, m.model, m.key(), "db")
	case 7:
		if len(m.snaps) < 4 {
			s, err := m.db.NewSnapshot()
			if err != nil {
				m.fail("NewSnapshot: %v", err)
			}
			m.snaps = append(m.snaps, modelSnap{s, m.model.clone()})
		}
	case 8:
		if len(m.snaps) > 0 {
			s := m.snaps[m.pick(len(m.snaps))]
			for range 4 {
				m.checkGet(s.snap, s.model, m.key(), "snapshot")
			}
			if m.pick(2) == 0 {
				m.checkIter(s.snap, s.model, "snapshot")
			}
		}
	case 9:
		if len(m.snaps) > 0 {
			i := m.pick(len(m.snaps))
			if err := m.snaps[i].snap.Close(); err != nil {
				m.fail("snapshot Close: %v", err)
			}
			m.snaps = slices.Delete(m.snaps, i, i+1)
		}
	case 10:
		m.checkIter(m.db, m.model, "db")
	case 11:
		if m.pick(40) == 0 {
			m.checkAll()
		} else {
			m.checkGet(m.db, m.model, m.key(), "db")
		}
	}
	return true
}

// checkAll compares every key of the DB with the model, and the counts.
func (m *modelRun) checkAll() {
	m.t.Helper()
	it, err := m.db.NewIter(engine.IterOptions{})
	if err != nil {
		m.fail("NewIter: %v", err)
	}
	var got []string
	for ok := it.First(); ok; ok = it.Next() {
		got = append(got, fmt.Sprintf("%q=%q", it.Key(), it.Value()))
	}
	if err := it.Close(); err != nil {
		m.fail("iter Close: %v", err)
	}
	if want := modelContents(m.model.m); !slices.Equal(got, want) {
		m.fail("contents differ:\n got %q\nwant %q", got, want)
	}
	for k := range m.model.m {
		m.checkGet(m.db, m.model, []byte(k), "db")
	}
	if n := m.db.Metrics().Extra["mem.keys"]; int(n) != len(m.model.m) {
		m.fail("mem.keys = %v, model has %d", n, len(m.model.m))
	}
	checkTree(m.t, m.db.cur.Load().root)
}

func newModelRun(t testing.TB, c choices, space int) *modelRun {
	db, err := Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &modelRun{t: t, c: c, db: db, model: newKVModel(), space: space}
}

// TestModelRandom runs a seeded random mix of every operation against the
// DB and a map model. Replay a failure with -seed.
func TestModelRandom(t *testing.T) {
	seed := testSeed(t)
	steps := 60000
	if testing.Short() {
		steps = 6000
	}
	for _, space := range []int{20, 400, 5000} {
		t.Run(fmt.Sprintf("space=%d", space), func(t *testing.T) {
			m := newModelRun(t, randChoices{rand.New(rand.NewPCG(seed, uint64(space)))}, space)
			for range steps {
				m.doStep()
			}
			m.checkAll()
		})
	}
}

// FuzzModel interprets the fuzzer's bytes as a sequence of operations and
// compares the DB with a map model after each.
func FuzzModel(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add(bytes.Repeat([]byte{0, 3, 7}, 40))
	f.Add(bytes.Repeat([]byte{4, 11, 200, 10, 1, 2, 9, 8}, 30))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := newModelRun(t, &byteChoices{data}, 64)
		for m.doStep() {
		}
		m.checkAll()
	})
}

// TestModelIter checks the reference iterator against hand-worked cases,
// so that the model test's expectations rest on something.
func TestModelIter(t *testing.T) {
	m := newKVModel()
	for _, k := range []string{"f", "b", "d"} {
		m.set(k, "v"+k)
	}
	tests := []struct {
		lower, upper string
		moves        string // f=first l=last n=next p=prev g<k>=seekGE s<k>=seekLT
		want         string
	}{
		{"", "", "fnnnp", "b d f . f"},
		{"", "", "lpppn", "f d b . b"},
		{"", "", "n", "b"},
		{"", "", "p", "f"},
		{"c", "f", "fnl", "d . d"},
		{"", "", "gcgzpsasd", "d . f . b"},
	}
	for _, tc := range tests {
		var lo, hi []byte
		if tc.lower != "" {
			lo = []byte(tc.lower)
		}
		if tc.upper != "" {
			hi = []byte(tc.upper)
		}
		it := newModelIter(m, lo, hi)
		var got []string
		for i := 0; i < len(tc.moves); i++ {
			var ok bool
			switch tc.moves[i] {
			case 'f':
				ok = it.first()
			case 'l':
				ok = it.last()
			case 'n':
				ok = it.next()
			case 'p':
				ok = it.prev()
			case 'g':
				i++
				ok = it.seekGE([]byte{tc.moves[i]})
			case 's':
				i++
				ok = it.seekLT([]byte{tc.moves[i]})
			}
			if ok {
				got = append(got, it.keys[it.pos])
			} else {
				got = append(got, ".")
			}
		}
		if g := fmt.Sprint(got); g != "["+tc.want+"]" {
			t.Errorf("[%s, %s) %s: got %s, want [%s]", tc.lower, tc.upper, tc.moves, g, tc.want)
		}
	}
}
