package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/lightningdb/lightning/engine"
)

// This file is the -debug-delay flag: a decorator that makes an engine
// slower on purpose, by busy-waiting before chosen operations. It exists
// only to prove that a performance gate (lbench compare, .ci/perf/run-gate)
// catches a real backend getting slower; a report made with it does not
// measure any real build. The flag is recorded in the report's args, and
// lbench warns on stderr whenever it is in effect.

// delayOp is an engine operation the decorator can slow down.
type delayOp uint8

const (
	delayGet    delayOp = iota // Engine.Get and Snapshot.Get
	delaySet                   // Engine.Set
	delayDelete                // Engine.Delete
	delayApply                 // Engine.Apply
	delayIter                  // NewIter, of the engine or a snapshot
	delayStep                  // each iterator positioning call: First, Last, SeekGE, SeekLT, Next, Prev
	numDelayOps
)

var delayOpNames = [numDelayOps]string{"get", "set", "delete", "apply", "iter", "step"}

// maxDelay bounds one injected delay: anything longer is a typo.
const maxDelay = time.Second

// delays holds the delay of each op; zero means none.
type delays [numDelayOps]time.Duration

// any reports whether some op is delayed.
func (d *delays) any() bool { return *d != delays{} }

// delayRule is one -debug-delay value: delay op of backend (every backend
// when backend is "") by d.
type delayRule struct {
	backend string
	op      delayOp
	d       time.Duration
}

// delayFlag is the repeatable -debug-delay flag, "[backend:]op=duration".
type delayFlag []delayRule

// String renders the rules as they were given, comma-separated.
func (f *delayFlag) String() string {
	var parts []string
	for _, r := range *f {
		s := delayOpNames[r.op] + "=" + r.d.String()
		if r.backend != "" {
			s = r.backend + ":" + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ",")
}

// Set parses one rule, "[backend:]op=duration", or several separated by
// commas.
func (f *delayFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		r, err := parseDelayRule(strings.TrimSpace(part))
		if err != nil {
			return err
		}
		*f = append(*f, r)
	}
	return nil
}

// parseDelayRule parses "[backend:]op=duration".
func parseDelayRule(s string) (delayRule, error) {
	var r delayRule
	lhs, dur, ok := strings.Cut(s, "=")
	if !ok {
		return r, fmt.Errorf("%q: want [backend:]op=duration, like lsm:get=500ns", s)
	}
	opName := lhs
	if b, o, ok := strings.Cut(lhs, ":"); ok {
		if b == "" {
			return r, fmt.Errorf("%q: empty backend name before ':'", s)
		}
		r.backend, opName = b, o
	}
	found := false
	for i, n := range delayOpNames {
		if n == opName {
			r.op, found = delayOp(i), true
		}
	}
	if !found {
		return r, fmt.Errorf("%q: unknown op %q (want %s)", s, opName, strings.Join(delayOpNames[:], ", "))
	}
	d, err := time.ParseDuration(dur)
	if err != nil {
		return r, fmt.Errorf("%q: bad duration %q (like 500ns or 2us)", s, dur)
	}
	if d <= 0 || d > maxDelay {
		return r, fmt.Errorf("%q: duration %v not in (0, %v]", s, d, maxDelay)
	}
	r.d = d
	return r, nil
}

// check returns a usage error for a rule naming a backend that is not
// registered.
func (f delayFlag) check() error {
	for _, r := range f {
		if r.backend != "" {
			if err := checkBackend(r.backend); err != nil {
				return usagef("-debug-delay: %v", err)
			}
		}
	}
	return nil
}

// forBackend returns the delays that apply to backend: the rules without
// a backend and those naming it, a later rule overriding an earlier one
// for the same op.
func (f delayFlag) forBackend(backend string) delays {
	var d delays
	for _, r := range f {
		if r.backend == "" || r.backend == backend {
			d[r.op] = r.d
		}
	}
	return d
}

// withDelays returns eng slowed down by d, or eng itself when d delays
// nothing.
func withDelays(eng engine.Engine, d delays) engine.Engine {
	if !d.any() {
		return eng
	}
	return &delayEngine{Engine: eng, d: d, wait: spin}
}

// spin busy-waits for d: a sleep would round sub-microsecond delays up to
// the scheduler's granularity and hand the CPU to another goroutine,
// which is not what a slower engine does.
func spin(d time.Duration) {
	if d <= 0 {
		return
	}
	start := time.Now()
	for time.Since(start) < d {
	}
}

// delayEngine is an engine.Engine that waits (busy-waits: spin) before
// the operations d names, then calls the engine it wraps. It adds nothing
// else.
type delayEngine struct {
	engine.Engine
	d    delays
	wait func(time.Duration) // spin; tests record the calls instead
}

var (
	_ engine.Engine   = (*delayEngine)(nil)
	_ engine.Snapshot = (*delaySnapshot)(nil)
	_ engine.Iterator = (*delayIterator)(nil)
)

// Get delays then reads.
func (e *delayEngine) Get(key, dst []byte) ([]byte, error) {
	e.wait(e.d[delayGet])
	return e.Engine.Get(key, dst)
}

// Set delays then writes.
func (e *delayEngine) Set(key, value []byte, opts engine.WriteOptions) error {
	e.wait(e.d[delaySet])
	return e.Engine.Set(key, value, opts)
}

// Delete delays then deletes.
func (e *delayEngine) Delete(key []byte, opts engine.WriteOptions) error {
	e.wait(e.d[delayDelete])
	return e.Engine.Delete(key, opts)
}

// Apply delays then applies b.
func (e *delayEngine) Apply(b *engine.Batch, opts engine.WriteOptions) error {
	e.wait(e.d[delayApply])
	return e.Engine.Apply(b, opts)
}

// NewIter delays then opens an iterator whose moves are delayed too.
func (e *delayEngine) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	return newDelayIter(e.Engine, &e.d, e.wait, opts)
}

// NewSnapshot returns a snapshot whose reads are delayed like the
// engine's.
func (e *delayEngine) NewSnapshot() (engine.Snapshot, error) {
	s, err := e.Engine.NewSnapshot()
	if err != nil {
		return nil, err
	}
	return &delaySnapshot{Snapshot: s, d: &e.d, wait: e.wait}, nil
}

// delaySnapshot is a snapshot of a delayEngine.
type delaySnapshot struct {
	engine.Snapshot
	d    *delays
	wait func(time.Duration)
}

// Get delays then reads.
func (s *delaySnapshot) Get(key, dst []byte) ([]byte, error) {
	s.wait(s.d[delayGet])
	return s.Snapshot.Get(key, dst)
}

// NewIter delays then opens an iterator whose moves are delayed too.
func (s *delaySnapshot) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	return newDelayIter(s.Snapshot, s.d, s.wait, opts)
}

// newDelayIter waits d's iter delay, opens an iterator on r and wraps it
// when moves are delayed.
func newDelayIter(r engine.Reader, d *delays, wait func(time.Duration), opts engine.IterOptions) (engine.Iterator, error) {
	wait(d[delayIter])
	it, err := r.NewIter(opts)
	if err != nil || d[delayStep] == 0 {
		return it, err
	}
	return &delayIterator{Iterator: it, d: d[delayStep], wait: wait}, nil
}

// delayIterator waits d before each positioning call.
type delayIterator struct {
	engine.Iterator
	d    time.Duration
	wait func(time.Duration)
}

// First delays then moves.
func (it *delayIterator) First() bool { it.wait(it.d); return it.Iterator.First() }

// Last delays then moves.
func (it *delayIterator) Last() bool { it.wait(it.d); return it.Iterator.Last() }

// SeekGE delays then moves.
func (it *delayIterator) SeekGE(key []byte) bool { it.wait(it.d); return it.Iterator.SeekGE(key) }

// SeekLT delays then moves.
func (it *delayIterator) SeekLT(key []byte) bool { it.wait(it.d); return it.Iterator.SeekLT(key) }

// Next delays then moves.
func (it *delayIterator) Next() bool { it.wait(it.d); return it.Iterator.Next() }

// Prev delays then moves.
func (it *delayIterator) Prev() bool { it.wait(it.d); return it.Iterator.Prev() }
