package enginetest

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

// scan reads every key of r in [lower, upper) with a forward iteration,
// checking that keys come strictly increasing and in bounds.
func scan(r engine.Reader, lower, upper []byte, reverse bool) (keys, vals [][]byte, err error) {
	it, err := r.NewIter(engine.IterOptions{Lower: lower, Upper: upper})
	if err != nil {
		return nil, nil, fmt.Errorf("NewIter: %w", err)
	}
	ok := it.First()
	if reverse {
		ok = it.Last()
	}
	for ; ok; ok = step(it, reverse) {
		k := it.Key()
		if !inBounds(k, lower, upper) {
			it.Close()
			return keys, vals, fmt.Errorf("iterator returned %s outside bounds [%s, %s)", fmtKey(k), fmtKey(lower), fmtKey(upper))
		}
		if n := len(keys); n > 0 {
			c := bytes.Compare(keys[n-1], k)
			if (!reverse && c >= 0) || (reverse && c <= 0) {
				it.Close()
				return keys, vals, fmt.Errorf("iterator (reverse=%v) returned %s after %s: out of order", reverse, fmtKey(k), fmtKey(keys[n-1]))
			}
		}
		keys = append(keys, slices.Clone(k))
		vals = append(vals, append([]byte{}, it.Value()...))
	}
	if err := it.Close(); err != nil {
		return keys, vals, fmt.Errorf("iteration (reverse=%v): %w", reverse, err)
	}
	return keys, vals, nil
}

func step(it engine.Iterator, reverse bool) bool {
	if reverse {
		return it.Prev()
	}
	return it.Next()
}

// readState reads the whole content of r: a forward and a reverse
// iteration, which must agree, and a Get of every key found and every key
// in probes, which must agree with the iterations. The result is what r
// holds, or an error naming the first inconsistency.
func readState(r engine.Reader, probes [][]byte) (*model, error) {
	fk, fv, err := scan(r, nil, nil, false)
	if err != nil {
		return nil, err
	}
	rk, rv, err := scan(r, nil, nil, true)
	if err != nil {
		return nil, err
	}
	m := newModel()
	for i := range fk {
		m.set(fk[i], fv[i])
	}
	if len(rk) != len(fk) {
		return nil, fmt.Errorf("forward iteration finds %d keys, reverse %d", len(fk), len(rk))
	}
	for i := range rk {
		j := len(fk) - 1 - i
		if !bytes.Equal(rk[i], fk[j]) || !bytes.Equal(rv[i], fv[j]) {
			return nil, fmt.Errorf("forward and reverse iterations differ: forward has %s=%s, reverse %s=%s",
				fmtKey(fk[j]), fmtVal(fv[j]), fmtKey(rk[i]), fmtVal(rv[i]))
		}
	}
	check := func(k []byte) error {
		got, err := r.Get(k, nil)
		want, present := m.get(k)
		switch {
		case errors.Is(err, engine.ErrNotFound):
			if present {
				return fmt.Errorf("Get(%s) = ErrNotFound, but iteration finds it = %s", fmtKey(k), fmtVal(want))
			}
		case err != nil:
			return fmt.Errorf("Get(%s): %w", fmtKey(k), err)
		case !present:
			return fmt.Errorf("Get(%s) = %s, but iteration does not find the key", fmtKey(k), fmtVal(got))
		case !bytes.Equal(got, want):
			return fmt.Errorf("Get(%s) = %s, but iteration finds %s", fmtKey(k), fmtVal(got), fmtVal(want))
		}
		return nil
	}
	for _, k := range fk {
		if err := check(k); err != nil {
			return nil, err
		}
	}
	for _, k := range probes {
		if err := check(k); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// probeKeys returns every key the model or the history mention, for Gets
// that catch stale values a deleted key might still show.
func probeKeys(ms ...*model) [][]byte {
	set := map[string]bool{}
	for _, m := range ms {
		for k := range m.m {
			set[k] = true
		}
	}
	var ks [][]byte
	for _, k := range slices.Sorted(maps.Keys(set)) {
		ks = append(ks, []byte(k))
	}
	return ks
}

// historyKeys returns the keys written by h (and present in its base).
func (h *history) keys() [][]byte {
	m := h.base.clone()
	for _, hw := range h.writes {
		for _, o := range hw.w.ops {
			m.set(o.key, nil)
		}
	}
	return probeKeys(m)
}

// expectState fails t unless r holds exactly want (probing also the keys
// in probes, which must be absent unless in want).
func expectState(t testing.TB, what string, r engine.Reader, want *model, probes ...[]byte) {
	t.Helper()
	got, err := readState(r, append(probeKeys(want), probes...))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !want.equal(got) {
		t.Fatalf("%s: content differs from the model (want = model):\n%s", what, want.diff(got, 20))
	}
}

// mustGet fails t unless Get(key) returns want.
func mustGet(t testing.TB, what string, r engine.Reader, key, want []byte) {
	t.Helper()
	got, err := r.Get(key, nil)
	if err != nil {
		t.Fatalf("%s: Get(%s): %v, want %s", what, fmtKey(key), err, fmtVal(want))
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: Get(%s) = %s, want %s", what, fmtKey(key), fmtVal(got), fmtVal(want))
	}
}

// mustAbsent fails t unless Get(key) returns ErrNotFound.
func mustAbsent(t testing.TB, what string, r engine.Reader, key []byte) {
	t.Helper()
	got, err := r.Get(key, nil)
	if !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("%s: Get(%s) = %s, %v; want ErrNotFound", what, fmtKey(key), fmtVal(got), err)
	}
}

// must fails t if err is not nil.
func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
