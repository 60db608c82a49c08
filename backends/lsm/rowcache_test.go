package lsm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/cache"
	"github.com/lightningdb/lightning/engine/vfs"
)

func TestRowCacheBudget(t *testing.T) {
	per := 2 * (256 + int64(cache.RowEntryOverhead)) // bytes per set with the default max entry
	for _, tc := range []struct {
		name           string
		cacheSize, ask int64
		maxEntry       int
		want           int64
	}{
		{"off", 64 << 20, 0, 256, 0},
		{"default rounds up to the nearest", 256 << 20, -1, 256, 131072 * per},
		{"default rounds down to the nearest", 64 << 20, -1, 256, 32768 * per},
		{"default never takes over half", 3 * 1024 * per, -1, 256, 512 * per},
		{"explicit size rounds down", 64 << 20, 10 << 20, 256, 16384 * per},
		{"explicit size capped by the cache", 1 << 20, 64 << 20, 256, 1024 * per},
		{"too small for one set", 64 << 20, per - 1, 256, 0},
		{"tiny cache", 1000, -1, 256, 0},
		{"smaller rows, more sets", 64 << 20, -1, 64, 65536 * 2 * (64 + cache.RowEntryOverhead)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rowCacheBudget(tc.cacheSize, tc.ask, tc.maxEntry)
			if got != tc.want {
				t.Fatalf("rowCacheBudget(%d, %d, %d) = %d, want %d", tc.cacheSize, tc.ask, tc.maxEntry, got, tc.want)
			}
			if got > 0 {
				rc, err := cache.NewRowCache(got, tc.maxEntry)
				if err != nil {
					t.Fatal(err)
				}
				if sets := int64(rc.Sets()); sets*2*(int64(tc.maxEntry)+cache.RowEntryOverhead) != got {
					t.Errorf("a row cache of %d bytes has %d sets: the budget does not match its geometry", got, sets)
				}
			}
		})
	}
}

// TestRowCacheNeverStale runs writers that count up a few keys and
// readers that check that a Get never returns a value older than one
// acknowledged before it started, through a small row cache where keys
// share sets. The writers start before any reader, so writes happen both
// while invalidation is skipped (no Get yet) and after.
func TestRowCacheNeverStale(t *testing.T) {
	const keys = 64
	o := smallOptions(t, vfs.NewMem(), map[string]string{"lsm.row_cache_size": "10KiB", "lsm.row_cache_max_entry": "64"})
	d := mustOpen(t, "db", o)
	defer d.Close()
	if d.rc == nil || d.rc.Sets() >= keys {
		t.Fatalf("row cache of %d sets: want fewer than %d keys", d.rc.Sets(), keys)
	}
	var acked [keys]atomic.Uint64
	key := func(i int) []byte { return fmt.Appendf(nil, "key%03d", i) }
	ops := 3000
	if testing.Short() {
		ops = 800
	}
	var wg sync.WaitGroup
	var started sync.WaitGroup
	started.Add(2)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			val := make([]byte, 8)
			for n := range ops {
				i := (n*7 + w) % keys
				if i%2 != w {
					i = (i + 1) % keys // writer w owns the keys of its parity
				}
				v := acked[i].Load() + 1
				binary.BigEndian.PutUint64(val, v)
				if err := d.Set(key(i), val, engine.NoSync); err != nil {
					t.Error(err)
					return
				}
				acked[i].Store(v)
				if n == 50 {
					started.Done()
				}
			}
		}()
	}
	started.Wait()
	for r := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for n := range ops {
				i := (n*13 + r) % keys
				min := acked[i].Load()
				v, err := d.Get(key(i), buf[:0])
				if errors.Is(err, engine.ErrNotFound) && min == 0 {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				if got := binary.BigEndian.Uint64(v); got < min {
					t.Errorf("Get(%s) = %d after %d was acknowledged", key(i), got, min)
					return
				}
				buf = v
			}
		}()
	}
	wg.Wait()
	if hits := d.Metrics().Extra["lsm.row_cache.hits"]; hits == 0 {
		t.Error("no Get was served by the row cache: the test proves nothing")
	}
}
