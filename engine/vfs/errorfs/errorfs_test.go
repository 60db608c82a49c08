package errorfs

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine/vfs"
)

var seedFlag = flag.Int64("seed", 0, "seed for randomized tests (0: pick one from the clock)")

func testSeed(t *testing.T) int64 {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (rerun with -seed=%d)", seed, seed)
	return seed
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// recorder is an Injector that records every Op it sees and fails none.
type recorder struct {
	mu  sync.Mutex
	ops []Op
}

func (r *recorder) MaybeError(op Op) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, op)
	return nil
}

func TestOpKindString(t *testing.T) {
	want := map[OpKind]string{
		OpCreate: "create", OpOpen: "open", OpOpenReadWrite: "openrw", OpRemove: "remove",
		OpRename: "rename", OpMkdirAll: "mkdirall", OpList: "list", OpStat: "stat",
		OpLock: "lock", OpSyncDir: "syncdir", OpRead: "read", OpReadAt: "readat",
		OpWrite: "write", OpWriteAt: "writeat", OpSync: "sync", OpTruncate: "truncate",
		OpFileStat: "filestat", OpKind(200): "OpKind(200)",
	}
	if len(want) != int(numOpKinds)+1 {
		t.Fatalf("table covers %d kinds, want %d", len(want)-1, numOpKinds)
	}
	for k, s := range want {
		if got := k.String(); got != s {
			t.Errorf("OpKind(%d).String() = %q, want %q", uint8(k), got, s)
		}
	}
}

func TestOpKindIsWrite(t *testing.T) {
	writes := []OpKind{OpCreate, OpOpenReadWrite, OpRemove, OpRename, OpMkdirAll, OpLock,
		OpSyncDir, OpWrite, OpWriteAt, OpSync, OpTruncate}
	for k := range numOpKinds + 1 {
		if got, want := k.IsWrite(), slices.Contains(writes, k); got != want {
			t.Errorf("%s.IsWrite() = %v, want %v", k, got, want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		err  *Error
		want string
	}{
		{&Error{Op: Op{Kind: OpWrite, Path: "/db/000001.log", Index: 17}, Err: ErrInjected},
			"errorfs: injected error: write /db/000001.log (op 17)"},
		{&Error{Op: Op{Kind: OpRename, Path: "/a", NewPath: "/b", Index: 0}, Err: ErrInjected},
			"errorfs: injected error: rename /a -> /b (op 0)"},
		{&Error{Op: Op{Kind: OpSync, Path: "f", Index: 3}, Err: syscall.ENOSPC},
			"errorfs: injected error: sync f (op 3): " + syscall.ENOSPC.Error()},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
		if !errors.Is(tc.err, ErrInjected) {
			t.Errorf("%v does not match ErrInjected", tc.err)
		}
	}
	fs := Wrap(vfs.NewMem(), InjectorFunc(func(Op) error { return syscall.ENOSPC }))
	_, err := fs.Create("/f")
	var e *Error
	if !errors.Is(err, ErrInjected) || !errors.Is(err, syscall.ENOSPC) || !errors.As(err, &e) {
		t.Fatalf("injected ENOSPC: %v does not match ErrInjected, ENOSPC and *Error", err)
	}
	if e.Op != (Op{Kind: OpCreate, Path: "/f", Index: 0}) {
		t.Fatalf("error's Op = %+v", e.Op)
	}
}

// TestForwarding runs every operation through a recording FS over MemFS
// and checks both that results are the inner FS's and that each operation
// was announced once, in order, with the right kind, path and index.
func TestForwarding(t *testing.T) {
	mem := vfs.NewMem()
	rec := &recorder{}
	fs := Wrap(mem, rec)
	if fs.Inner() != mem {
		t.Fatal("Inner is not the wrapped FS")
	}
	must(t, fs.MkdirAll("/db", 0o755))
	f, err := fs.Create("/db/a")
	must(t, err)
	_, err = f.Write([]byte("hello"))
	must(t, err)
	_, err = f.WriteAt([]byte("J"), 0)
	must(t, err)
	must(t, f.Sync())
	must(t, f.Truncate(4))
	fi, err := f.Stat()
	must(t, err)
	if fi.Size() != 4 {
		t.Fatalf("file size %d", fi.Size())
	}
	must(t, f.Close())
	f, err = fs.Open("/db/a")
	must(t, err)
	buf := make([]byte, 2)
	_, err = f.Read(buf)
	must(t, err)
	_, err = f.ReadAt(buf, 2)
	must(t, err)
	if string(buf) != "ll" {
		t.Fatalf("ReadAt = %q", buf)
	}
	must(t, f.Close())
	f, err = fs.OpenReadWrite("/db/b")
	must(t, err)
	must(t, f.Close())
	must(t, fs.Rename("/db/b", "/db/c"))
	must(t, fs.Remove("/db/c"))
	names, err := fs.List("/db")
	must(t, err)
	if !slices.Equal(names, []string{"a"}) {
		t.Fatalf("List = %v", names)
	}
	_, err = fs.Stat("/db/a")
	must(t, err)
	l, err := fs.Lock("/db/LOCK")
	must(t, err)
	if _, err := mem.Lock("/db/LOCK"); !errors.Is(err, vfs.ErrLocked) {
		t.Fatalf("lock through the wrapper not held in the inner FS: %v", err)
	}
	must(t, l.Close())
	must(t, fs.SyncDir("/db"))
	_, err = fs.Open("/db/missing")
	if !vfs.IsNotExist(err) || errors.Is(err, ErrInjected) {
		t.Fatalf("inner error not passed through unchanged: %v", err)
	}
	got, err := vfs.ReadFile(mem, "/db/a")
	must(t, err)
	if string(got) != "Jell" {
		t.Fatalf("inner FS holds %q", got)
	}

	want := []Op{
		{Kind: OpMkdirAll, Path: "/db"},
		{Kind: OpCreate, Path: "/db/a"},
		{Kind: OpWrite, Path: "/db/a"},
		{Kind: OpWriteAt, Path: "/db/a"},
		{Kind: OpSync, Path: "/db/a"},
		{Kind: OpTruncate, Path: "/db/a"},
		{Kind: OpFileStat, Path: "/db/a"},
		{Kind: OpOpen, Path: "/db/a"},
		{Kind: OpRead, Path: "/db/a"},
		{Kind: OpReadAt, Path: "/db/a"},
		{Kind: OpOpenReadWrite, Path: "/db/b"},
		{Kind: OpRename, Path: "/db/b", NewPath: "/db/c"},
		{Kind: OpRemove, Path: "/db/c"},
		{Kind: OpList, Path: "/db"},
		{Kind: OpStat, Path: "/db/a"},
		{Kind: OpLock, Path: "/db/LOCK"},
		{Kind: OpSyncDir, Path: "/db"},
		{Kind: OpOpen, Path: "/db/missing"},
	}
	for i := range want {
		want[i].Index = int64(i)
	}
	if !slices.Equal(rec.ops, want) {
		t.Fatalf("ops:\n%v\nwant:\n%v", rec.ops, want)
	}
	if fs.Ops() != int64(len(want)) {
		t.Fatalf("Ops() = %d, want %d", fs.Ops(), len(want))
	}
	// A nil injector fails nothing and still counts.
	nfs := Wrap(mem, nil)
	_, err = nfs.Stat("/db")
	must(t, err)
	if nfs.Ops() != 1 {
		t.Fatalf("Ops() = %d with a nil injector", nfs.Ops())
	}
}

// TestFailedOpsChangeNothing fails each kind of operation and checks the
// error and that the inner FS was not touched.
func TestFailedOpsChangeNothing(t *testing.T) {
	setup := func(t *testing.T) (*vfs.MemFS, string) {
		mem := vfs.NewMem()
		must(t, mem.MkdirAll("/db", 0o755))
		must(t, vfs.WriteFileSync(mem, "/db/f", []byte("data")))
		return mem, mem.String()
	}
	for _, tc := range []struct {
		kind OpKind
		run  func(fs *FS) error
	}{
		{OpCreate, func(fs *FS) error { _, err := fs.Create("/db/f"); return err }},
		{OpCreate, func(fs *FS) error { _, err := fs.Create("/db/new"); return err }},
		{OpOpen, func(fs *FS) error { _, err := fs.Open("/db/f"); return err }},
		{OpOpenReadWrite, func(fs *FS) error { _, err := fs.OpenReadWrite("/db/new"); return err }},
		{OpRemove, func(fs *FS) error { return fs.Remove("/db/f") }},
		{OpRename, func(fs *FS) error { return fs.Rename("/db/f", "/db/g") }},
		{OpMkdirAll, func(fs *FS) error { return fs.MkdirAll("/db/sub", 0o755) }},
		{OpList, func(fs *FS) error { _, err := fs.List("/db"); return err }},
		{OpStat, func(fs *FS) error { _, err := fs.Stat("/db/f"); return err }},
		{OpLock, func(fs *FS) error { _, err := fs.Lock("/db/LOCK"); return err }},
		{OpSyncDir, func(fs *FS) error { return fs.SyncDir("/db") }},
		{OpRead, func(fs *FS) error {
			return withFile(fs, func(f vfs.File) error { _, err := f.Read(make([]byte, 4)); return err })
		}},
		{OpReadAt, func(fs *FS) error {
			return withFile(fs, func(f vfs.File) error { _, err := f.ReadAt(make([]byte, 4), 0); return err })
		}},
		{OpWrite, func(fs *FS) error {
			return withFile(fs, func(f vfs.File) error { _, err := f.Write([]byte("XX")); return err })
		}},
		{OpWriteAt, func(fs *FS) error {
			return withFile(fs, func(f vfs.File) error { _, err := f.WriteAt([]byte("XX"), 10); return err })
		}},
		{OpSync, func(fs *FS) error { return withFile(fs, func(f vfs.File) error { return f.Sync() }) }},
		{OpTruncate, func(fs *FS) error { return withFile(fs, func(f vfs.File) error { return f.Truncate(0) }) }},
		{OpFileStat, func(fs *FS) error { return withFile(fs, func(f vfs.File) error { _, err := f.Stat(); return err }) }},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			mem, before := setup(t)
			fs := Wrap(mem, OpKinds(FromIndex(0), tc.kind))
			err := tc.run(fs)
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInjected) || e.Op.Kind != tc.kind {
				t.Fatalf("error %v (%T), want an injected %s error", err, err, tc.kind)
			}
			if after := mem.String(); after != before {
				t.Fatalf("a failed %s changed the FS:\n%s\nwas:\n%s", tc.kind, after, before)
			}
		})
	}
}

// TestFailedSyncLeavesDataUnsynced: a failed Sync does not reach the
// inner FS, so a crash loses what it should have made durable.
func TestFailedSyncLeavesDataUnsynced(t *testing.T) {
	mem := vfs.NewMem()
	fs := Wrap(mem, OpKinds(Nth(1), OpSync)) // the second sync fails
	f, err := fs.Create("/f")
	must(t, err)
	must(t, fs.SyncDir("/"))
	_, err = f.Write([]byte("one"))
	must(t, err)
	must(t, f.Sync())
	_, err = f.Write([]byte("two"))
	must(t, err)
	if err := f.Sync(); !errors.Is(err, ErrInjected) {
		t.Fatalf("second sync: %v", err)
	}
	must(t, f.Close())
	got, err := vfs.ReadFile(mem.CrashClone(vfs.CrashOptions{}), "/f")
	must(t, err)
	if string(got) != "one" {
		t.Fatalf("after crash: %q, want %q", got, "one")
	}
}

// withFile opens /db/f read-write through fs, calls fn and closes it.
func withFile(fs *FS, fn func(vfs.File) error) error {
	f, err := fs.OpenReadWrite("/db/f")
	if err != nil {
		return fmt.Errorf("setup open: %w", err)
	}
	defer f.Close()
	return fn(f)
}

// failedIndices runs n Stat calls through Wrap(mem, inj) and returns the
// indices that failed.
func failedIndices(t *testing.T, inj Injector, n int) []int64 {
	t.Helper()
	fs := Wrap(vfs.NewMem(), inj)
	var failed []int64
	for range n {
		if _, err := fs.Stat("/"); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("not an injected error: %v", err)
			}
			failed = append(failed, e.Op.Index)
		}
	}
	return failed
}

func TestIndexInjectors(t *testing.T) {
	for _, tc := range []struct {
		name string
		inj  Injector
		want []int64
	}{
		{"OnIndex(3)", OnIndex(3), []int64{3}},
		{"OnIndex(0)", OnIndex(0), []int64{0}},
		{"OnIndex(99)", OnIndex(99), nil},
		{"OnIndex(-1)", OnIndex(-1), nil},
		{"FromIndex(7)", FromIndex(7), []int64{7, 8, 9}},
		{"Nth(2)", Nth(2), []int64{2}},
		{"Filter-odd-Nth(1)", Filter(func(op Op) bool { return op.Index%2 == 1 }, Nth(1)), []int64{3}},
		{"Filter-nil-inner", Filter(func(Op) bool { return true }, nil), nil},
		{"Toggle-on", NewToggle(OnIndex(4)), []int64{4}},
		{"InjectorFunc", InjectorFunc(func(op Op) error {
			if op.Index == 5 || op.Index == 6 {
				return ErrInjected
			}
			return nil
		}), []int64{5, 6}},
	} {
		if got := failedIndices(t, tc.inj, 10); !slices.Equal(got, tc.want) {
			t.Errorf("%s: failed %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestOpKindsAndNth(t *testing.T) {
	mem := vfs.NewMem()
	fs := Wrap(mem, OpKinds(Nth(2), OpSync, OpSyncDir)) // the third sync or syncdir
	f, err := fs.Create("/f")
	must(t, err)
	defer f.Close()
	var results []string
	for i := range 3 {
		_, err := f.Write([]byte("x"))
		must(t, err)
		if i%2 == 0 {
			err = f.Sync()
		} else {
			err = fs.SyncDir("/")
		}
		results = append(results, fmt.Sprint(errors.Is(err, ErrInjected)))
	}
	must(t, f.Sync()) // the fourth passes
	if want := []string{"false", "false", "true"}; !slices.Equal(results, want) {
		t.Fatalf("injected = %v, want %v", results, want)
	}
}

func TestPathMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{"*.log", "/db/000001.log", true},
		{"*.log", "000001.log", true},
		{"*.log", "/db/000001.sst", false},
		{"/db/*.log", "/db/000001.log", true},
		{"/db/*.log", "/other/000001.log", false},
		{"/db/*", "/db/sub/x", false}, // * does not cross "/"
		{"MANIFEST-*", "/db/MANIFEST-000004", true},
		{"LOCK", "/db/LOCK", true},
		{"LOCK", "/db/LOCK2", false},
		{"[0-9]*", "/db/123", true},
	} {
		inj, err := PathMatch(tc.pattern, FromIndex(0))
		must(t, err)
		got := inj.MaybeError(Op{Kind: OpOpen, Path: tc.path}) != nil
		if got != tc.want {
			t.Errorf("PathMatch(%q) on %q = %v, want %v", tc.pattern, tc.path, got, tc.want)
		}
	}
	// A rename matches on either name.
	inj, err := PathMatch("*.tmp", FromIndex(0))
	must(t, err)
	if inj.MaybeError(Op{Kind: OpRename, Path: "/db/CURRENT.tmp", NewPath: "/db/CURRENT"}) == nil ||
		inj.MaybeError(Op{Kind: OpRename, Path: "/db/a", NewPath: "/db/b.tmp"}) == nil ||
		inj.MaybeError(Op{Kind: OpRename, Path: "/db/a", NewPath: "/db/b"}) != nil {
		t.Error("rename not matched on both names")
	}
	if _, err := PathMatch("[", FromIndex(0)); err == nil {
		t.Error("bad pattern accepted")
	}
	pf := PathFunc(func(p string) bool { return p == "/x" }, FromIndex(0))
	if pf.MaybeError(Op{Path: "/x"}) == nil || pf.MaybeError(Op{Path: "/y"}) != nil {
		t.Error("PathFunc does not filter")
	}
}

func TestRandom(t *testing.T) {
	const n = 20000
	for _, p := range []float64{0.01, 0.1, 0.5} {
		a := failedIndices(t, Random(p, 1), n)
		b := failedIndices(t, Random(p, 1), n)
		c := failedIndices(t, Random(p, 2), n)
		if !slices.Equal(a, b) {
			t.Fatalf("p=%v: same seed, different failures", p)
		}
		if slices.Equal(a, c) {
			t.Fatalf("p=%v: different seeds, same failures", p)
		}
		// Binomial: mean n*p, standard deviation sqrt(n*p*(1-p)); allow 6.
		mean, sd := n*p, math.Sqrt(n*p*(1-p))
		if got := float64(len(a)); math.Abs(got-mean) > 6*sd {
			t.Errorf("p=%v: %d failures in %d ops, want about %.0f", p, len(a), n, mean)
		}
	}
	for _, tc := range []struct {
		p    float64
		want int
	}{{0, 0}, {-1, 0}, {math.NaN(), 0}, {1, 100}, {2, 100}} {
		if got := len(failedIndices(t, Random(tc.p, 5), 100)); got != tc.want {
			t.Errorf("Random(%v): %d of 100 failed, want %d", tc.p, got, tc.want)
		}
	}
}

// TestRandomConcurrent: under concurrency the failed set depends only on
// the indices, so it equals the sequential one.
func TestRandomConcurrent(t *testing.T) {
	seed := testSeed(t)
	const workers, per = 4, 500
	want := failedIndices(t, Random(0.2, seed), workers*per)
	fs := Wrap(vfs.NewMem(), Random(0.2, seed))
	var mu sync.Mutex
	var got []int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range per {
				var e *Error
				if _, err := fs.Stat("/"); errors.As(err, &e) {
					mu.Lock()
					got = append(got, e.Op.Index)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("concurrent run failed %d ops, sequential %d; sets differ", len(got), len(want))
	}
}

func TestCounter(t *testing.T) {
	var c Counter
	fs := Wrap(vfs.NewMem(), &c)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				if _, err := fs.Stat("/"); err != nil {
					t.Error(err)
				}
				if err := fs.SyncDir("/"); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if c.Count() != 800 || c.CountOf(OpStat) != 400 || c.CountOf(OpSyncDir) != 400 ||
		c.CountOf(OpWrite) != 0 || c.CountOf(OpKind(200)) != 0 {
		t.Fatalf("count %d stat %d syncdir %d", c.Count(), c.CountOf(OpStat), c.CountOf(OpSyncDir))
	}
	if c.Count() != fs.Ops() {
		t.Fatalf("counter %d, FS ops %d", c.Count(), fs.Ops())
	}
	// Behind a filter it counts only matching ops.
	var w Counter
	fs = Wrap(vfs.NewMem(), OpKinds(&w, OpWrite))
	f, err := fs.Create("/f")
	must(t, err)
	_, err = f.Write([]byte("x"))
	must(t, err)
	must(t, f.Sync())
	must(t, f.Close())
	if w.Count() != 1 {
		t.Fatalf("filtered counter = %d, want 1", w.Count())
	}
}

func TestToggle(t *testing.T) {
	tog := NewToggle(FromIndex(0))
	fs := Wrap(vfs.NewMem(), tog)
	if !tog.Enabled() {
		t.Fatal("new Toggle is disabled")
	}
	if _, err := fs.Stat("/"); !errors.Is(err, ErrInjected) {
		t.Fatalf("enabled: %v", err)
	}
	tog.Enable(false)
	if tog.Enabled() {
		t.Fatal("Enable(false) left it enabled")
	}
	if _, err := fs.Stat("/"); err != nil {
		t.Fatalf("disabled: %v", err)
	}
	tog.Enable(true)
	if _, err := fs.Stat("/"); !errors.Is(err, ErrInjected) {
		t.Fatalf("re-enabled: %v", err)
	}
	if NewToggle(nil).MaybeError(Op{}) != nil {
		t.Fatal("Toggle with nil inner failed an op")
	}
}

// TestOSForwarding wraps the OS FS: the wrapper is not tied to MemFS.
func TestOSForwarding(t *testing.T) {
	dir := t.TempDir()
	fs := Wrap(vfs.Default, OpKinds(FromIndex(0), OpSync))
	f, err := fs.Create(filepath.Join(dir, "f"))
	must(t, err)
	_, err = f.Write([]byte("abc"))
	must(t, err)
	if err := f.Sync(); !errors.Is(err, ErrInjected) {
		t.Fatalf("sync: %v", err)
	}
	must(t, f.Close())
	f, err = fs.Open(filepath.Join(dir, "f"))
	must(t, err)
	got, err := io.ReadAll(f)
	must(t, err)
	must(t, f.Close())
	if string(got) != "abc" {
		t.Fatalf("read %q", got)
	}
}
