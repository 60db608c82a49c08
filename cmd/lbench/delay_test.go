package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/memengine"
)

func TestParseDelayRule(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want delayRule
		err  string // substring of the error; "" for none
	}{
		{"get=500ns", delayRule{"", delayGet, 500 * time.Nanosecond}, ""},
		{"lsm:get=2us", delayRule{"lsm", delayGet, 2 * time.Microsecond}, ""},
		{"mem:set=1ms", delayRule{"mem", delaySet, time.Millisecond}, ""},
		{"delete=1s", delayRule{"", delayDelete, time.Second}, ""},
		{"apply=3µs", delayRule{"", delayApply, 3 * time.Microsecond}, ""},
		{"iter=10ns", delayRule{"", delayIter, 10}, ""},
		{"btree:step=1ns", delayRule{"btree", delayStep, 1}, ""},
		{"get", delayRule{}, "want [backend:]op=duration"},
		{":get=1us", delayRule{}, "empty backend"},
		{"read=1us", delayRule{}, `unknown op "read"`},
		{"lsm:=1us", delayRule{}, `unknown op ""`},
		{"get=fast", delayRule{}, "bad duration"},
		{"get=500", delayRule{}, "bad duration"},
		{"get=0s", delayRule{}, "not in (0, 1s]"},
		{"get=-1us", delayRule{}, "not in (0, 1s]"},
		{"get=2s", delayRule{}, "not in (0, 1s]"},
	} {
		got, err := parseDelayRule(tc.in)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want one containing %q", tc.in, err, tc.err)
		case tc.err == "" && got != tc.want:
			t.Errorf("%q: got %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestDelayFlag(t *testing.T) {
	var f delayFlag
	for _, v := range []string{"get=1us,set=2us", "lsm:get=5us", "mem:iter=3us"} {
		if err := f.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := f.String(), "get=1µs,set=2µs,lsm:get=5µs,mem:iter=3µs"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	for _, tc := range []struct {
		backend string
		want    delays
	}{
		{"lsm", delays{delayGet: 5 * time.Microsecond, delaySet: 2 * time.Microsecond}},
		{"mem", delays{delayGet: time.Microsecond, delaySet: 2 * time.Microsecond, delayIter: 3 * time.Microsecond}},
		{"btree", delays{delayGet: time.Microsecond, delaySet: 2 * time.Microsecond}},
	} {
		if got := f.forBackend(tc.backend); got != tc.want {
			t.Errorf("forBackend(%s) = %v, want %v", tc.backend, got, tc.want)
		}
	}
	if err := f.check(); err != nil {
		t.Errorf("check: %v", err)
	}
	bad := delayFlag{{backend: "nosuch", op: delayGet, d: 1}}
	if err := bad.check(); err == nil || !strings.Contains(err.Error(), `unknown backend "nosuch"`) {
		t.Errorf("check of an unknown backend: %v", err)
	}
	var none delayFlag
	if d := none.forBackend("lsm"); d.any() {
		t.Errorf("no rules delay %v", d)
	}
}

// logEngine is an engine that logs the calls made to it in log, shared
// with the wait function of the delay decorator under test.
type logEngine struct {
	engine.Engine
	log *[]string
}

func (e *logEngine) Get(key, dst []byte) ([]byte, error) {
	*e.log = append(*e.log, "get")
	return e.Engine.Get(key, dst)
}

func (e *logEngine) Set(key, value []byte, opts engine.WriteOptions) error {
	*e.log = append(*e.log, "set")
	return e.Engine.Set(key, value, opts)
}

func (e *logEngine) Delete(key []byte, opts engine.WriteOptions) error {
	*e.log = append(*e.log, "delete")
	return e.Engine.Delete(key, opts)
}

func (e *logEngine) Apply(b *engine.Batch, opts engine.WriteOptions) error {
	*e.log = append(*e.log, "apply")
	return e.Engine.Apply(b, opts)
}

func (e *logEngine) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	*e.log = append(*e.log, "iter")
	it, err := e.Engine.NewIter(opts)
	if err != nil {
		return nil, err
	}
	return &logIter{Iterator: it, log: e.log}, nil
}

type logIter struct {
	engine.Iterator
	log *[]string
}

func (it *logIter) First() bool  { *it.log = append(*it.log, "first"); return it.Iterator.First() }
func (it *logIter) Next() bool   { *it.log = append(*it.log, "next"); return it.Iterator.Next() }
func (it *logIter) Close() error { *it.log = append(*it.log, "close"); return it.Iterator.Close() }

// TestDelayEngine checks that the decorator waits the configured delay
// right before each delayed op and not before the others, that results
// pass through unchanged, and that snapshots and iterators are covered.
func TestDelayEngine(t *testing.T) {
	db, err := memengine.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var log []string
	inner := &logEngine{Engine: db, log: &log}
	d := delays{delayGet: 7, delaySet: 11, delayIter: 13, delayStep: 17}
	eng := withDelays(inner, d)
	eng.(*delayEngine).wait = func(d time.Duration) {
		if d != 0 {
			log = append(log, fmt.Sprintf("wait %d", d))
		}
	}

	for _, k := range []string{"a", "b"} {
		if err := eng.Set([]byte(k), []byte("v"+k), engine.NoSync); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := eng.Get([]byte("a"), nil); err != nil || string(v) != "va" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if _, err := eng.Get([]byte("zz"), nil); err != engine.ErrNotFound {
		t.Fatalf("Get of an absent key: %v, want ErrNotFound", err)
	}
	if err := eng.Delete([]byte("b"), engine.NoSync); err != nil {
		t.Fatal(err)
	}
	b := engine.NewBatch()
	b.Set([]byte("c"), []byte("vc"))
	if err := eng.Apply(b, engine.NoSync); err != nil {
		t.Fatal(err)
	}
	it, err := eng.NewIter(engine.IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, string(it.Key()))
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(keys, ","); got != "a,c" {
		t.Errorf("iterator saw %s, want a,c", got)
	}
	want := "wait 11 set wait 11 set wait 7 get wait 7 get delete apply wait 13 iter " +
		"wait 17 first wait 17 next wait 17 next close"
	if got := strings.Join(log, " "); got != want {
		t.Errorf("calls:\n got %s\nwant %s", got, want)
	}

	log = nil
	snap, err := eng.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	if v, err := snap.Get([]byte("c"), nil); err != nil || string(v) != "vc" {
		t.Fatalf("snapshot Get = %q, %v", v, err)
	}
	sit, err := snap.NewIter(engine.IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !sit.First() || string(sit.Key()) != "a" {
		t.Errorf("snapshot iterator First: not at a")
	}
	if err := sit.Close(); err != nil {
		t.Fatal(err)
	}
	// The snapshot's own calls go to memengine's snapshot, not through
	// logEngine: only the waits are logged.
	if got, want := strings.Join(log, " "), "wait 7 wait 13 wait 17"; got != want {
		t.Errorf("snapshot calls: got %s, want %s", got, want)
	}

	if got := withDelays(inner, delays{}); got != engine.Engine(inner) {
		t.Errorf("withDelays with no delay wrapped the engine: %T", got)
	}
}

// TestSpin: spin waits at least the duration asked (a lower bound the
// busy-wait guarantees, not a speed measurement) and returns at once for
// zero or less.
func TestSpin(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second, time.Microsecond, 50 * time.Microsecond} {
		start := time.Now()
		spin(d)
		if got := time.Since(start); got < d {
			t.Errorf("spin(%v) returned after %v", d, got)
		}
	}
}
