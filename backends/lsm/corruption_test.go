package lsm

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// allFiles lists the files under dir (recursively), except the lock.
func allFiles(t *testing.T, fs vfs.FS, dir string) []string {
	t.Helper()
	names, err := fs.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		fi, err := fs.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case fi.IsDir():
			out = append(out, allFiles(t, fs, p)...)
		case n != LockName && fi.Size() > 0:
			out = append(out, p)
		}
	}
	return out
}

// TestCorruptionSweep builds a database with tables on several levels, a
// MANIFEST, CURRENT and WAL segments, everything flushed and closed, then
// flips single bytes all over every file, one copy of the disk per flip.
// Each copy must either fail with engine.ErrCorruption (at Open or at a
// read) or read back exactly the data: never wrong or missing data, never
// another error.
func TestCorruptionSweep(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 5))
	perFile := 40
	if testing.Short() {
		perFile = 3
	}
	fs := vfs.NewMem()
	d := mustOpen(t, "db", smallOptions(t, fs, nil))
	m := model{}
	for i := range 3000 {
		w := randOp(rng, i, 1500, 200)
		if err := w.do(d, i%50 == 0); err != nil {
			t.Fatal(err)
		}
		w.apply(m)
		if i == 1500 {
			if err := d.Compact(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	files := allFiles(t, fs, "db")
	kinds := map[string]int{}
	for _, f := range files {
		kinds[fileKind(f)]++
	}
	t.Logf("files by kind: %v", kinds)
	for _, k := range []string{"table", "manifest", "current", "wal"} {
		if kinds[k] == 0 {
			t.Fatalf("no %s file to damage", k)
		}
	}
	probe := make([]string, 1500)
	for i := range probe {
		probe[i] = fmt.Sprintf("key%05d", i)
	}
	outcomes := map[string]int{}
	for _, f := range files {
		data, err := vfs.ReadFile(fs, f)
		if err != nil {
			t.Fatal(err)
		}
		offs := []int{0, len(data) - 1}
		for range perFile {
			offs = append(offs, rng.IntN(len(data)))
		}
		for _, off := range offs {
			disk := fs.Clone()
			bad := append([]byte(nil), data...)
			bad[off] ^= byte(1 + rng.IntN(255))
			if err := vfs.WriteFileSync(disk, f, bad); err != nil {
				t.Fatal(err)
			}
			outcome := checkDamaged(t, disk, m, probe)
			if outcome == "" {
				continue
			}
			if outcome != "ok" && outcome != "corruption" {
				t.Fatalf("byte %d of %s flipped: %s", off, f, outcome)
			}
			outcomes[fileKind(f)+" "+outcome]++
		}
	}
	t.Logf("outcomes: %v", outcomes)
}

func fileKind(path string) string {
	base := filepath.Base(path)
	switch {
	case filepath.Ext(base) == ".sst":
		return "table"
	case filepath.Ext(base) == ".log" || filepath.Ext(base) == ".free":
		return "wal"
	case base == "CURRENT":
		return "current"
	default:
		return "manifest"
	}
}

// checkDamaged opens disk and reads everything: "corruption" if an
// ErrCorruption error came up, "ok" if the data was exactly m, or a
// description of what went wrong.
func checkDamaged(t *testing.T, disk *vfs.MemFS, m model, probe []string) (outcome string) {
	defer func() {
		if r := recover(); r != nil {
			outcome = fmt.Sprintf("panic: %v", r)
		}
	}()
	o := smallOptions(t, disk, nil)
	o.Logger = quietLogger{}
	d, err := Open("db", o)
	if err != nil {
		if errors.Is(err, engine.ErrCorruption) {
			return "corruption"
		}
		return fmt.Sprintf("Open: %v", err)
	}
	diff, rerr := diffState(d, m, probe)
	cerr := d.Close()
	switch {
	case rerr != nil && errors.Is(rerr, engine.ErrCorruption):
		return "corruption"
	case rerr != nil:
		return fmt.Sprintf("read: %v", rerr)
	case diff != "":
		return "wrong data: " + diff
	case cerr != nil && errors.Is(cerr, engine.ErrCorruption):
		// A background compaction met the damage first.
		return "corruption"
	case cerr != nil:
		return fmt.Sprintf("Close: %v", cerr)
	}
	return "ok"
}

// quietLogger drops log lines (the expected failures of damaged copies).
type quietLogger struct{}

func (quietLogger) Logf(string, ...any) {}
