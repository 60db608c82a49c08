package btree

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

var seedFlag = flag.Uint64("seed", 0, "seed for the randomized btree tests (0: time-based)")

// testSeed returns the seed of a randomized test and logs how to replay it.
func testSeed(t testing.TB) uint64 {
	t.Helper()
	s := *seedFlag
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d; replay: go test ./backends/btree -run '^%s$' -seed=%d", s, t.Name(), s)
	return s
}

// testOptions returns small options on fs: 4 KiB pages and a 64 KiB
// dirty budget, so that little data makes deep trees and many checkpoints.
func testOptions(fs vfs.FS) *engine.Options {
	return &engine.Options{
		FS:             fs,
		MaxKeySize:     4096,
		MaxValueSize:   1 << 20,
		CacheSize:      1 << 20,
		MemTableSize:   64 << 10,
		WALSegmentSize: 64 << 10,
		Logger:         quietLogger{},
		// No idle checkpoints: tests that count checkpoints or dirty
		// bytes must not see one because the machine paused them for a
		// second; TestIdleCheckpoint turns them on.
		Extra: map[string]string{OptPageSize: "4096", OptIdleCheckpoint: "0"},
	}
}

type quietLogger struct{}

func (quietLogger) Logf(string, ...any) {}

func mustOpen(t testing.TB, dir string, opts *engine.Options) *DB {
	t.Helper()
	db, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return db
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// dump reads everything r holds with a forward iteration, checks that a
// backward iteration and a Get of every key agree, and returns it.
func dump(r engine.Reader) (map[string]string, error) {
	it, err := r.NewIter(engine.IterOptions{})
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	var keys []string
	for ok := it.First(); ok; ok = it.Next() {
		m[string(it.Key())] = string(it.Value())
		keys = append(keys, string(it.Key()))
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	if !slices.IsSorted(keys) {
		return nil, errors.New("forward iteration out of order")
	}
	it, err = r.NewIter(engine.IterOptions{})
	if err != nil {
		return nil, err
	}
	i := len(keys)
	for ok := it.Last(); ok; ok = it.Prev() {
		i--
		if i < 0 || string(it.Key()) != keys[i] || m[keys[i]] != string(it.Value()) {
			it.Close()
			return nil, fmt.Errorf("backward iteration differs at %d", i)
		}
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	if i != 0 {
		return nil, fmt.Errorf("backward iteration saw %d fewer keys", i)
	}
	for k, v := range m {
		got, err := r.Get([]byte(k), nil)
		if err != nil {
			return nil, fmt.Errorf("Get(%q): %w", trunc([]byte(k)), err)
		}
		if !bytes.Equal(got, []byte(v)) {
			return nil, fmt.Errorf("Get(%q) disagrees with the iterator", trunc([]byte(k)))
		}
	}
	return m, nil
}

// diff describes the first difference between two states, or "".
func diff(got, want map[string]string) string {
	for _, k := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[k]
		if !ok {
			return fmt.Sprintf("key %q missing", trunc([]byte(k)))
		}
		if g != want[k] {
			return fmt.Sprintf("key %q: value of %d bytes, want %d bytes", trunc([]byte(k)), len(g), len(want[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			return fmt.Sprintf("unexpected key %q", trunc([]byte(k)))
		}
	}
	return ""
}

// fileSize returns the size of name on fs.
func fileSize(t testing.TB, fs vfs.FS, name string) int64 {
	t.Helper()
	fi, err := fs.Stat(name)
	must(t, "Stat", err)
	return fi.Size()
}
