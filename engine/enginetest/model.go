package enginetest

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lightningdb/lightning/engine"
)

// model is the trivially correct engine the kit compares backends with: a
// map from key to value. A present key with an empty value maps to a
// non-nil empty slice.
type model struct {
	m map[string][]byte
}

func newModel() *model { return &model{m: map[string][]byte{}} }

func (m *model) clone() *model {
	return &model{m: maps.Clone(m.m)}
}

func (m *model) get(key []byte) ([]byte, bool) {
	v, ok := m.m[string(key)]
	return v, ok
}

func (m *model) set(key, value []byte) {
	m.m[string(key)] = append([]byte{}, value...)
}

func (m *model) del(key []byte) { delete(m.m, string(key)) }

// apply applies the ops of w in order.
func (m *model) apply(w write) {
	for _, o := range w.ops {
		if o.del {
			m.del(o.key)
		} else {
			m.set(o.key, o.value)
		}
	}
}

func (m *model) equal(o *model) bool {
	return maps.EqualFunc(m.m, o.m, bytes.Equal)
}

// keys returns the keys in [lower, upper) in order; nil bounds are open.
func (m *model) keys(lower, upper []byte) []string {
	var ks []string
	for k := range m.m {
		if inBounds([]byte(k), lower, upper) {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

func inBounds(k, lower, upper []byte) bool {
	return (lower == nil || bytes.Compare(k, lower) >= 0) && (upper == nil || bytes.Compare(k, upper) < 0)
}

// diff describes how got differs from want, at most max lines.
func (m *model) diff(got *model, max int) string {
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(m.m)) {
		g, ok := got.m[k]
		switch {
		case !ok:
			lines = append(lines, fmt.Sprintf("  %s: want %s, missing", fmtKey([]byte(k)), fmtVal(m.m[k])))
		case !bytes.Equal(g, m.m[k]):
			lines = append(lines, fmt.Sprintf("  %s: want %s, got %s", fmtKey([]byte(k)), fmtVal(m.m[k]), fmtVal(g)))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got.m)) {
		if _, ok := m.m[k]; !ok {
			lines = append(lines, fmt.Sprintf("  %s: want absent, got %s", fmtKey([]byte(k)), fmtVal(got.m[k])))
		}
	}
	slices.SortStableFunc(lines, strings.Compare)
	if len(lines) > max {
		n := len(lines)
		lines = append(lines[:max], fmt.Sprintf("  ... %d more differences", n-max))
	}
	return strings.Join(lines, "\n")
}

// modelIter iterates over a frozen sorted copy of a model, with the
// positioning semantics of engine.Iterator.
type modelIter struct {
	keys         []string
	vals         [][]byte
	lower, upper []byte
	pos          int // index into keys; -1 or len(keys) when not valid
}

func (m *model) newIter(lower, upper []byte) *modelIter {
	it := &modelIter{keys: m.keys(lower, upper), lower: lower, upper: upper, pos: -1}
	it.vals = make([][]byte, len(it.keys))
	for i, k := range it.keys {
		it.vals[i] = m.m[k]
	}
	return it
}

func (it *modelIter) valid() bool { return it.pos >= 0 && it.pos < len(it.keys) }

func (it *modelIter) first() bool { it.pos = 0; return it.valid() }

func (it *modelIter) last() bool { it.pos = len(it.keys) - 1; return it.valid() }

func (it *modelIter) seekGE(key []byte) bool {
	it.pos, _ = slices.BinarySearch(it.keys, string(key))
	return it.valid()
}

func (it *modelIter) seekLT(key []byte) bool {
	i, _ := slices.BinarySearch(it.keys, string(key))
	it.pos = i - 1
	return it.valid()
}

func (it *modelIter) next() bool {
	if it.pos < len(it.keys) {
		it.pos++
	}
	return it.valid()
}

func (it *modelIter) prev() bool {
	if it.pos >= 0 {
		it.pos--
	}
	return it.valid()
}

func (it *modelIter) key() []byte { return []byte(it.keys[it.pos]) }

func (it *modelIter) value() []byte { return it.vals[it.pos] }

// op is one operation of a write.
type op struct {
	del   bool
	key   []byte
	value []byte
}

// write is one call to Set, Delete or Apply as the kit issued it.
type write struct {
	ops   []op
	batch bool // issued with Apply (even if it has one op)
	sync  bool
}

func (w write) String() string {
	var sb strings.Builder
	switch {
	case w.batch:
		fmt.Fprintf(&sb, "BATCH(%d)", len(w.ops))
	case len(w.ops) == 1 && w.ops[0].del:
		sb.WriteString("DEL")
	default:
		sb.WriteString("SET")
	}
	if w.sync {
		sb.WriteString(" sync")
	} else {
		sb.WriteString(" nosync")
	}
	for i, o := range w.ops {
		if i == 4 {
			fmt.Fprintf(&sb, " ... +%d ops", len(w.ops)-4)
			break
		}
		if o.del {
			fmt.Fprintf(&sb, " del %s", fmtKey(o.key))
		} else {
			fmt.Fprintf(&sb, " %s=%s", fmtKey(o.key), fmtVal(o.value))
		}
	}
	return sb.String()
}

// batch returns w as an engine.Batch.
func (w write) batchOf() *engine.Batch {
	b := engine.NewBatch()
	for _, o := range w.ops {
		if o.del {
			b.Delete(o.key)
		} else {
			b.Set(o.key, o.value)
		}
	}
	return b
}

// do issues w on e.
func (w write) do(e engine.Engine) error {
	opts := engine.WriteOptions{Sync: w.sync}
	switch {
	case w.batch:
		return e.Apply(w.batchOf(), opts)
	case w.ops[0].del:
		return e.Delete(w.ops[0].key, opts)
	default:
		return e.Set(w.ops[0].key, w.ops[0].value, opts)
	}
}

// fmtKey renders a key readably: printable ASCII as is, other bytes as
// \xNN; long keys shortened.
func fmtKey(k []byte) string {
	if k == nil {
		return "nil"
	}
	return fmtBytes(k, 40)
}

// fmtVal renders a value like fmtKey, with its length when shortened.
func fmtVal(v []byte) string {
	if v == nil {
		return "<absent>"
	}
	return fmtBytes(v, 24)
}

func fmtBytes(b []byte, max int) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for i, c := range b {
		if i == max {
			fmt.Fprintf(&sb, "...\"(%d bytes)", len(b))
			return sb.String()
		}
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "\\x%02x", c)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}
