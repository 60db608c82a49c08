package wal

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// FuzzReplay replays logs made of two segments with arbitrary contents:
// Replay and Open must never panic, and fail only with corruption.
func FuzzReplay(f *testing.F) {
	mem := vfs.NewMem()
	l, err := Open(mem, dir, Options{})
	if err != nil {
		f.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		l.WriteRecord(rec(0, i, 30*i), false)
		if i == 2 {
			l.Rotate()
		}
	}
	if err := l.Close(); err != nil {
		f.Fatal(err)
	}
	s1, _ := vfs.ReadFile(mem, filepath.Join(dir, SegmentName(1)))
	s2, _ := vfs.ReadFile(mem, filepath.Join(dir, SegmentName(2)))
	f.Add(s1, s2)
	f.Add(s1[:len(s1)-3], s2)
	f.Add(s1, s2[:50])
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		fs := vfs.NewMem()
		if err := fs.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, data := range [][]byte{a, b} {
			if err := vfs.WriteFileSync(fs, filepath.Join(dir, SegmentName(uint64(i+1))), data); err != nil {
				t.Fatal(err)
			}
		}
		n := 0
		_, rerr := Replay(fs, dir, func(Position, []byte) error { n++; return nil })
		if rerr != nil && !errors.Is(rerr, engine.ErrCorruption) {
			t.Fatalf("Replay: %v", rerr)
		}
		l, err := Open(fs, dir, Options{})
		if err != nil {
			if !errors.Is(err, engine.ErrCorruption) {
				t.Fatalf("Open: %v", err)
			}
			return
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		// Open sealed segment 2 where it ended: replaying again gives the
		// same records, now with segment 3 after them.
		m := 0
		_, err2 := Replay(fs, dir, func(Position, []byte) error { m++; return nil })
		if (rerr == nil) != (err2 == nil) || err2 == nil && m != n {
			t.Fatalf("before Open: %d records, %v; after: %d records, %v", n, rerr, m, err2)
		}
	})
}
