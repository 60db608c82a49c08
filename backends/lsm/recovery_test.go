package lsm

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lightningdb/lightning/backends/lsm/internal/manifest"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/engine/vfs/errorfs"
	"github.com/lightningdb/lightning/engine/wal"
)

// fill writes n keys with ~200-byte values and returns the model.
func fill(t *testing.T, d *DB, n int, tag string) model {
	t.Helper()
	m := model{}
	for i := range n {
		k, v := fmt.Sprintf("key%05d", i), fmt.Sprintf("%s-%0200d", tag, i)
		if err := d.Set([]byte(k), []byte(v), engine.NoSync); err != nil {
			t.Fatal(err)
		}
		m[k] = v
	}
	return m
}

// TestOpenDetectsLostFiles checks that files the MANIFEST needs but the
// directory lacks are reported as corruption at Open, not as missing data.
func TestOpenDetectsLostFiles(t *testing.T) {
	build := func(t *testing.T) (*vfs.MemFS, model) {
		fs := vfs.NewMem()
		d := mustOpen(t, "db", smallOptions(t, fs, nil))
		m := fill(t, d, 2000, "a")
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		return fs, m
	}
	cases := []struct {
		name   string
		damage func(t *testing.T, fs *vfs.MemFS)
	}{
		{"table", func(t *testing.T, fs *vfs.MemFS) {
			names, _ := fs.List("db")
			for _, n := range names {
				if strings.HasSuffix(n, ".sst") {
					if err := fs.Remove(filepath.Join("db", n)); err != nil {
						t.Fatal(err)
					}
					return
				}
			}
			t.Fatal("no table")
		}},
		{"manifest", func(t *testing.T, fs *vfs.MemFS) {
			num, err := manifest.ReadCurrent(fs, "db")
			if err != nil {
				t.Fatal(err)
			}
			if err := fs.Remove(filepath.Join("db", manifest.FileName(num))); err != nil {
				t.Fatal(err)
			}
		}},
		{"current", func(t *testing.T, fs *vfs.MemFS) {
			if err := fs.Remove(filepath.Join("db", manifest.CurrentName)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs, _ := build(t)
			c.damage(t, fs)
			d, err := Open("db", smallOptions(t, fs, nil))
			if err == nil {
				d.Close()
				t.Fatalf("Open succeeded after losing the %s", c.name)
			}
			if !errors.Is(err, engine.ErrCorruption) {
				t.Fatalf("Open: %v, want corruption", err)
			}
		})
	}
}

// TestWALSegmentsNeeded checks the log-number rule: WAL segments at or
// above the MANIFEST's log number must all be there.
func TestWALSegmentsNeeded(t *testing.T) {
	for _, lose := range []string{"first", "all"} {
		t.Run(lose, func(t *testing.T) {
			fs := vfs.NewMem()
			d := mustOpen(t, "db", smallOptions(t, fs, nil))
			fill(t, d, 100, "a")
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
			fill(t, d, 50, "b") // in the WAL only
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			d = mustOpen(t, "db", smallOptions(t, fs, nil)) // a second segment
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			segs, _ := walSegments(fs, "db/wal")
			if len(segs) < 2 {
				t.Fatalf("segments %v", segs)
			}
			if lose == "first" {
				segs = segs[:1]
			}
			for _, s := range segs {
				if err := fs.Remove("db/wal/" + wal.SegmentName(s)); err != nil {
					t.Fatal(err)
				}
			}
			if d, err := Open("db", smallOptions(t, fs, nil)); !errors.Is(err, engine.ErrCorruption) {
				if d != nil {
					d.Close()
				}
				t.Fatalf("Open without the %s WAL segment(s): %v, want corruption", lose, err)
			}
		})
	}
}

// TestDamagedTableRead flips a byte in a data block: a read that needs the
// block fails with a corruption error naming the table.
func TestDamagedTableRead(t *testing.T) {
	fs := vfs.NewMem()
	d := mustOpen(t, "db", smallOptions(t, fs, map[string]string{"lsm.l0_compaction_trigger": "100", "lsm.l0_stop_writes_trigger": "100"}))
	fill(t, d, 2000, "a")
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	names, _ := fs.List("db")
	var table string
	for _, n := range names {
		if strings.HasSuffix(n, ".sst") {
			table = filepath.Join("db", n)
			break
		}
	}
	data, err := vfs.ReadFile(fs, table)
	if err != nil {
		t.Fatal(err)
	}
	data[10] ^= 0x55
	if err := vfs.WriteFileSync(fs, table, data); err != nil {
		t.Fatal(err)
	}
	d = mustOpen(t, "db", smallOptions(t, fs, nil))
	defer d.Close()
	var corrupt int
	for i := range 2000 {
		_, err := d.Get([]byte(fmt.Sprintf("key%05d", i)), nil)
		if err != nil {
			if !errors.Is(err, engine.ErrCorruption) || !strings.Contains(err.Error(), table) {
				t.Fatalf("Get: %v, want corruption in %s", err, table)
			}
			corrupt++
		}
	}
	if corrupt == 0 {
		t.Fatalf("no Get met the damaged block")
	}
	it, _ := d.NewIter(engine.IterOptions{})
	for it.First(); it.Valid(); it.Next() {
	}
	if err := it.Close(); !errors.Is(err, engine.ErrCorruption) {
		t.Fatalf("iteration over the damaged table: %v, want corruption", err)
	}
}

// TestBackgroundFailureSurfaces fails a read of a compaction's input:
// the failure must refuse later writes, be returned by Flush, Compact and
// Close, and leave a database that reopens with every acknowledged write.
func TestBackgroundFailureSurfaces(t *testing.T) {
	mem := vfs.NewMem()
	var armed, fired atomic.Bool
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		// Only compactions read tables while no Get runs.
		if armed.Load() && op.Kind == errorfs.OpReadAt && strings.HasSuffix(op.Path, ".sst") && fired.CompareAndSwap(false, true) {
			return errorfs.ErrInjected
		}
		return nil
	})
	o := smallOptions(t, errorfs.Wrap(mem, inj), nil)
	d := mustOpen(t, "db", o)
	armed.Store(true)
	m := model{}
	var werr error
	for i := 0; i < 20000 && werr == nil; i++ {
		k, v := fmt.Sprintf("key%05d", i%3000), fmt.Sprintf("%0300d", i)
		if werr = d.Set([]byte(k), []byte(v), engine.NoSync); werr == nil {
			m[k] = v
		}
	}
	if !fired.Load() {
		t.Fatalf("no compaction read a table")
	}
	if werr == nil {
		werr = d.Set([]byte("probe"), []byte("x"), engine.NoSync)
	}
	if !errors.Is(werr, errorfs.ErrInjected) {
		t.Fatalf("write after the failure: %v, want the injected error", werr)
	}
	if err := d.Flush(); !errors.Is(err, errorfs.ErrInjected) {
		t.Errorf("Flush: %v, want the injected error", err)
	}
	if err := d.Compact(); !errors.Is(err, errorfs.ErrInjected) {
		t.Errorf("Compact: %v, want the injected error", err)
	}
	if err := d.Close(); !errors.Is(err, errorfs.ErrInjected) {
		t.Errorf("Close: %v, want the injected error", err)
	}
	armed.Store(false)
	d = mustOpen(t, "db", smallOptions(t, mem, nil))
	defer d.Close()
	mustMatch(t, "reopened after the failure", d, m)
}
