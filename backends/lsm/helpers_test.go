package lsm

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

var seedFlag = flag.Uint64("lsm.seed", 0, "seed of the lsm package's randomized tests (0: time-based)")

// testSeed returns the seed of a randomized test and logs how to replay it.
func testSeed(t testing.TB) uint64 {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -lsm.seed=%d)", seed, seed)
	return seed
}

// testLogger sends the DB's log lines to the test log.
type testLogger struct{ t testing.TB }

func (l testLogger) Logf(format string, args ...any) { l.t.Logf(format, args...) }

// smallOptions returns options with tiny memtables, tables and levels, so
// that flushes, compactions and several levels happen with little data.
func smallOptions(t testing.TB, fs vfs.FS, extra map[string]string) *engine.Options {
	o := &engine.Options{
		FS:             fs,
		Logger:         testLogger{t},
		MemTableSize:   64 << 10,
		WALSegmentSize: 64 << 10,
		CacheSize:      1 << 20,
		Extra: map[string]string{
			"lsm.l0_compaction_trigger": "2",
			"lsm.l1_size":               "64KiB",
			"lsm.level_ratio":           "2",
			"lsm.target_file_size":      "16KiB",
			"lsm.block_size":            "1024",
			// Tests that check level shapes must not see read-triggered
			// compactions; TestReadTriggeredCompaction turns them on.
			"lsm.read_compaction_interval": "0",
		},
	}
	maps.Copy(o.Extra, extra)
	return o
}

func mustOpen(t testing.TB, dir string, o *engine.Options) *DB {
	t.Helper()
	d, err := Open(dir, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return d
}

// model is the expected content: key -> value.
type model map[string]string

func (m model) clone() model { return maps.Clone(m) }

// op is one write of a history.
type op struct {
	keys, values []string
	del          []bool
}

func (o op) apply(m model) {
	for i, k := range o.keys {
		if o.del[i] {
			delete(m, k)
		} else {
			m[k] = o.values[i]
		}
	}
}

func (o op) do(e engine.Engine, sync bool) error {
	wo := engine.WriteOptions{Sync: sync}
	if len(o.keys) == 1 {
		if o.del[0] {
			return e.Delete([]byte(o.keys[0]), wo)
		}
		return e.Set([]byte(o.keys[0]), []byte(o.values[0]), wo)
	}
	b := engine.NewBatch()
	for i, k := range o.keys {
		if o.del[i] {
			b.Delete([]byte(k))
		} else {
			b.Set([]byte(k), []byte(o.values[i]))
		}
	}
	return e.Apply(b, wo)
}

// randOp returns a random write over nkeys keys: mostly sets of values of
// about vlen bytes, some deletes, some batches.
func randOp(rng *rand.Rand, n, nkeys, vlen int) op {
	var o op
	ops := 1
	if rng.IntN(10) == 0 {
		ops = 2 + rng.IntN(6)
	}
	for range ops {
		k := fmt.Sprintf("key%05d", rng.IntN(nkeys))
		del := rng.IntN(5) == 0
		v := ""
		if !del {
			b := make([]byte, rng.IntN(vlen))
			for i := range b {
				b[i] = byte('a' + rng.IntN(26)) // incompressible enough
			}
			v = fmt.Sprintf("w%d.", n) + string(b)
		}
		o.keys, o.values, o.del = append(o.keys, k), append(o.values, v), append(o.del, del)
	}
	return o
}

// diffState compares the engine's content with m: Gets of every key in
// probe and m, and full iterations both ways. It returns a description of
// the first difference, or "" if none.
func diffState(r engine.Reader, m model, probe []string) (string, error) {
	for _, k := range slices.Concat(probe, slices.Collect(maps.Keys(m))) {
		got, err := r.Get([]byte(k), nil)
		want, ok := m[k]
		switch {
		case errors.Is(err, engine.ErrNotFound):
			if ok {
				return fmt.Sprintf("Get(%q): not found, want %q", k, want), nil
			}
		case err != nil:
			return "", fmt.Errorf("Get(%q): %w", k, err)
		case !ok:
			return fmt.Sprintf("Get(%q) = %q, want not found", k, got), nil
		case string(got) != want:
			return fmt.Sprintf("Get(%q) = %q, want %q", k, got, want), nil
		}
	}
	keys := slices.Sorted(maps.Keys(m))
	it, err := r.NewIter(engine.IterOptions{})
	if err != nil {
		return "", err
	}
	defer it.Close()
	i := 0
	for ok := it.First(); ok; ok = it.Next() {
		if i >= len(keys) || string(it.Key()) != keys[i] || string(it.Value()) != m[keys[i]] {
			return fmt.Sprintf("forward iteration at %d: %q=%q, want %v", i, it.Key(), it.Value(), at(keys, m, i)), nil
		}
		i++
	}
	if err := it.Error(); err != nil {
		return "", err
	}
	if i != len(keys) {
		return fmt.Sprintf("forward iteration ended after %d keys, want %d", i, len(keys)), nil
	}
	i = len(keys) - 1
	for ok := it.Last(); ok; ok = it.Prev() {
		if i < 0 || string(it.Key()) != keys[i] || string(it.Value()) != m[keys[i]] {
			return fmt.Sprintf("reverse iteration at %d: %q=%q, want %v", i, it.Key(), it.Value(), at(keys, m, i)), nil
		}
		i--
	}
	if err := it.Error(); err != nil {
		return "", err
	}
	if i != -1 {
		return fmt.Sprintf("reverse iteration ended with %d keys left", i+1), nil
	}
	return "", nil
}

func at(keys []string, m model, i int) string {
	if i < 0 || i >= len(keys) {
		return "the end"
	}
	return fmt.Sprintf("%q=%q", keys[i], m[keys[i]])
}

func mustMatch(t testing.TB, what string, r engine.Reader, m model, probe ...string) {
	t.Helper()
	diff, err := diffState(r, m, probe)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if diff != "" {
		t.Fatalf("%s: %s", what, diff)
	}
}
