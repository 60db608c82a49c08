package wal

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/lightningdb/lightning/engine/record"
	"github.com/lightningdb/lightning/engine/vfs"
)

// TestCrashGenerations runs a log through many generations on one
// (cloned) disk: each generation opens the log, writes records of random
// sizes with and without sync, rotates, deletes and recycles segments, and
// then either closes the log or loses power at a random moment (a crash
// clone keeping a random part of the unsynced data). After each one the
// replayed log must be exactly a prefix of what was written (minus the
// deleted segments) that includes every acknowledged record. It checks
// recycling across crashes: segments reuse files that held other logs'
// records, and segments sealed by Open after a crash.
func TestCrashGenerations(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 7))
	gens := 60
	if testing.Short() {
		gens = 15
	}
	fs := vfs.NewMem()
	var log []replayed // what the log holds, in order, as far as the test knows
	acked := 0         // log[:acked] must survive anything
	id := 0
	for g := range gens {
		opts := Options{SegmentSize: MinSegmentSize, SyncInterval: -1, RecycleSegments: rng.IntN(4) - 1}
		l := mustOpen(t, fs, opts)
		if got, _ := replayAll(t, fs); !sameRecords(got, log) {
			t.Fatalf("gen %d: Open changed the log: %d records, want %d", g, len(got), len(log))
		}
		for op := rng.IntN(300); op > 0; op-- {
			switch x := rng.IntN(100); {
			case x < 85:
				var n int
				switch rng.IntN(10) {
				case 0:
					n = record.BlockSize + rng.IntN(2*record.BlockSize)
				case 1:
					n = record.BlockSize - record.HeaderSize - rng.IntN(64)
				default:
					n = 16 + rng.IntN(2000)
				}
				p := rec(g, id, n)
				id++
				sync := rng.IntN(4) == 0
				pos, err := l.WriteRecord(p, sync)
				if err != nil {
					t.Fatalf("gen %d: %v", g, err)
				}
				log = append(log, replayed{pos, p})
				if sync {
					acked = len(log)
				}
			case x < 90:
				if _, err := l.Rotate(); err != nil {
					t.Fatal(err)
				}
			case x < 95:
				segs := l.Segments()
				upTo := segs[rng.IntN(len(segs))]
				if err := l.DeleteObsolete(upTo); err != nil {
					t.Fatalf("gen %d: DeleteObsolete(%d): %v", g, upTo, err)
				}
				k := 0
				for k < len(log) && log[k].pos.Segment < upTo {
					k++
				}
				log, acked = log[k:], max(acked-k, 0)
			default:
				if err := l.Sync(); err != nil {
					t.Fatal(err)
				}
				acked = len(log)
			}
		}
		if rng.IntN(3) == 0 {
			if err := l.Close(); err != nil {
				t.Fatalf("gen %d: Close: %v", g, err)
			}
			acked = len(log)
			got, st := replayAll(t, fs)
			if !sameRecords(got, log) || st.Torn {
				t.Fatalf("gen %d: after Close: %d records (torn %v), want %d", g, len(got), st.Torn, len(log))
			}
			continue
		}
		if rng.IntN(2) == 0 {
			waitWritten(t, l) // unsynced records in the file, not only in memory
		}
		crashed := fs.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: rng.IntN(101), Seed: int64(rng.Uint64())})
		l.Close()
		got, _ := replayAll(t, crashed)
		if len(got) < acked || len(got) > len(log) || !sameRecords(got, log[:len(got)]) {
			t.Fatalf("gen %d: after a crash: %d records, want a prefix of the %d written with at least %d acknowledged",
				g, len(got), len(log), acked)
		}
		t.Logf("gen %d: crash kept %d of %d records (%d acknowledged)", g, len(got), len(log), acked)
		fs, log, acked = crashed, got, len(got)
	}
}

func sameRecords(a, b []replayed) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].pos != b[i].pos || !bytes.Equal(a[i].payload, b[i].payload) {
			return false
		}
	}
	return true
}
