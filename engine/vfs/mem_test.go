package vfs

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
)

// snapshot returns every file of fs as path -> content, and every
// directory as path + "/" -> "".
func snapshot(t *testing.T, fs *MemFS) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(dir string)
	walk = func(dir string) {
		names, err := fs.List(dir)
		must(t, err)
		for _, n := range names {
			p := path.Join(dir, n)
			fi, err := fs.Stat(p)
			must(t, err)
			if fi.IsDir() {
				out[p+"/"] = ""
				walk(p)
				continue
			}
			b, err := ReadFile(fs, p)
			must(t, err)
			out[p] = string(b)
		}
	}
	walk("/")
	return out
}

func wantSnapshot(t *testing.T, fs *MemFS, want map[string]string) {
	t.Helper()
	got := snapshot(t, fs)
	if !maps.Equal(got, want) {
		t.Fatalf("state:\n%v\nwant:\n%v\nString():\n%s", got, want, fs)
	}
}

// appendFile appends data to name without syncing.
func appendFile(t *testing.T, fs FS, name, data string) {
	t.Helper()
	f, err := fs.OpenReadWrite(name)
	must(t, err)
	fi, err := f.Stat()
	must(t, err)
	_, err = f.WriteAt([]byte(data), fi.Size())
	must(t, err)
	must(t, f.Close())
}

func syncFile(t *testing.T, fs FS, name string) {
	t.Helper()
	f, err := fs.Open(name)
	must(t, err)
	must(t, f.Sync())
	must(t, f.Close())
}

// crashCases: one scenario per durability rule. Each starts from a MemFS
// holding a synced, dir-synced /db/ with nothing in it, mutates it, and
// states what CrashClone(CrashOptions{}) must hold, and what the live FS
// must hold (nil: not checked).
var crashCases = []struct {
	name      string
	run       func(t *testing.T, fs *MemFS)
	wantCrash map[string]string
	wantLive  map[string]string
}{
	{"unsynced-data-dropped", func(t *testing.T, fs *MemFS) {
		f, err := fs.Create("/db/f")
		must(t, err)
		must(t, fs.SyncDir("/db"))
		_, err = f.Write([]byte("never synced"))
		must(t, err)
		must(t, f.Close())
	}, map[string]string{"/db/": "", "/db/f": ""}, map[string]string{"/db/": "", "/db/f": "never synced"}},

	{"synced-data-kept", func(t *testing.T, fs *MemFS) {
		f, err := fs.Create("/db/f")
		must(t, err)
		must(t, fs.SyncDir("/db"))
		_, err = f.Write([]byte("synced"))
		must(t, err)
		must(t, f.Sync())
		_, err = f.Write([]byte("+lost"))
		must(t, err)
	}, map[string]string{"/db/": "", "/db/f": "synced"}, map[string]string{"/db/": "", "/db/f": "synced+lost"}},

	{"created-synced-dir-not-synced", func(t *testing.T, fs *MemFS) {
		writeFile(t, fs, "/db/f", "data") // synced file, entry never dir-synced
	}, map[string]string{"/db/": ""}, map[string]string{"/db/": "", "/db/f": "data"}},

	{"rename-not-dir-synced-undone", func(t *testing.T, fs *MemFS) {
		writeFile(t, fs, "/db/old", "data")
		must(t, fs.SyncDir("/db"))
		must(t, fs.Rename("/db/old", "/db/new"))
	}, map[string]string{"/db/": "", "/db/old": "data"}, map[string]string{"/db/": "", "/db/new": "data"}},

	{"rename-dir-synced-kept", func(t *testing.T, fs *MemFS) {
		writeFile(t, fs, "/db/old", "data")
		must(t, fs.SyncDir("/db"))
		must(t, fs.Rename("/db/old", "/db/new"))
		must(t, fs.SyncDir("/db"))
	}, map[string]string{"/db/": "", "/db/new": "data"}, nil},

	{"rename-over-target-undone", func(t *testing.T, fs *MemFS) {
		writeFile(t, fs, "/db/CURRENT", "v1")
		must(t, fs.SyncDir("/db"))
		writeFile(t, fs, "/db/CURRENT.tmp", "v2")
		must(t, fs.Rename("/db/CURRENT.tmp", "/db/CURRENT"))
	}, map[string]string{"/db/": "", "/db/CURRENT": "v1"}, map[string]string{"/db/": "", "/db/CURRENT": "v2"}},

	{"remove-not-dir-synced-undone", func(t *testing.T, fs *MemFS) {
		writeFile(t, fs, "/db/f", "synced")
		must(t, fs.SyncDir("/db"))
		appendFile(t, fs, "/db/f", "+unsynced")
		must(t, fs.Remove("/db/f"))
	}, map[string]string{"/db/": "", "/db/f": "synced"}, map[string]string{"/db/": ""}},

	{"remove-dir-synced-kept", func(t *testing.T, fs *MemFS) {
		writeFile(t, fs, "/db/f", "synced")
		must(t, fs.SyncDir("/db"))
		must(t, fs.Remove("/db/f"))
		must(t, fs.SyncDir("/db"))
	}, map[string]string{"/db/": ""}, nil},

	{"overwrite-after-sync-dropped", func(t *testing.T, fs *MemFS) {
		writeFile(t, fs, "/db/f", "abcdef")
		must(t, fs.SyncDir("/db"))
		f, err := fs.OpenReadWrite("/db/f")
		must(t, err)
		_, err = f.WriteAt([]byte("XY"), 2)
		must(t, err)
		must(t, f.Close())
	}, map[string]string{"/db/": "", "/db/f": "abcdef"}, map[string]string{"/db/": "", "/db/f": "abXYef"}},

	{"truncate-and-regrow-after-sync-dropped", func(t *testing.T, fs *MemFS) {
		writeFile(t, fs, "/db/f", "abcdef")
		must(t, fs.SyncDir("/db"))
		f, err := fs.OpenReadWrite("/db/f")
		must(t, err)
		must(t, f.Truncate(2))
		_, err = f.WriteAt([]byte("zz"), 2)
		must(t, err)
		must(t, f.Truncate(5))
		must(t, f.Close())
	}, map[string]string{"/db/": "", "/db/f": "abcdef"}, map[string]string{"/db/": "", "/db/f": "abzz\x00"}},

	{"shrunk-below-synced-then-copied", func(t *testing.T, fs *MemFS) {
		writeFile(t, fs, "/db/f", strings.Repeat("s", 1000))
		must(t, fs.SyncDir("/db"))
		f, err := fs.OpenReadWrite("/db/f")
		must(t, err)
		must(t, f.Truncate(1))
		_, err = f.WriteAt([]byte("X"), 0) // copies 1 byte away from the synced array
		must(t, err)
		must(t, f.Close())
	}, map[string]string{"/db/": "", "/db/f": strings.Repeat("s", 1000)}, map[string]string{"/db/": "", "/db/f": "X"}},

	{"create-truncating-synced-file-dropped", func(t *testing.T, fs *MemFS) {
		writeFile(t, fs, "/db/f", "old")
		must(t, fs.SyncDir("/db"))
		f, err := fs.Create("/db/f")
		must(t, err)
		_, err = f.Write([]byte("n"))
		must(t, err)
		must(t, f.Close())
	}, map[string]string{"/db/": "", "/db/f": "old"}, map[string]string{"/db/": "", "/db/f": "n"}},

	{"mkdirall-durable-at-once", func(t *testing.T, fs *MemFS) {
		must(t, fs.MkdirAll("/db/a/b", 0o755))
	}, map[string]string{"/db/": "", "/db/a/": "", "/db/a/b/": ""}, nil},

	{"dir-handle-sync-is-syncdir", func(t *testing.T, fs *MemFS) {
		writeFile(t, fs, "/db/f", "x")
		syncFile(t, fs, "/db")
	}, map[string]string{"/db/": "", "/db/f": "x"}, nil},

	{"sync-through-read-only-handle", func(t *testing.T, fs *MemFS) {
		writeFile(t, fs, "/db/f", "x")
		must(t, fs.SyncDir("/db"))
		appendFile(t, fs, "/db/f", "y")
		syncFile(t, fs, "/db/f")
	}, map[string]string{"/db/": "", "/db/f": "xy"}, nil},

	{"cross-dir-rename-half-synced", func(t *testing.T, fs *MemFS) {
		must(t, fs.MkdirAll("/db/a", 0o755))
		must(t, fs.MkdirAll("/db/b", 0o755))
		writeFile(t, fs, "/db/a/f", "x")
		must(t, fs.SyncDir("/db/a"))
		must(t, fs.Rename("/db/a/f", "/db/b/f"))
		must(t, fs.SyncDir("/db/b")) // only the target directory
	}, map[string]string{"/db/": "", "/db/a/": "", "/db/b/": "", "/db/a/f": "x", "/db/b/f": "x"}, nil},

	{"file-in-removed-dir-comes-back", func(t *testing.T, fs *MemFS) {
		must(t, fs.MkdirAll("/db/d", 0o755))
		writeFile(t, fs, "/db/d/f", "x")
		must(t, fs.SyncDir("/db/d"))
		must(t, fs.Remove("/db/d/f"))
		must(t, fs.Remove("/db/d"))
	}, map[string]string{"/db/": "", "/db/d/": "", "/db/d/f": "x"}, map[string]string{"/db/": ""}},
}

func TestCrashClone(t *testing.T) {
	for _, tc := range crashCases {
		t.Run(tc.name, func(t *testing.T) {
			fs := NewMem()
			must(t, fs.MkdirAll("/db", 0o755))
			tc.run(t, fs)
			before := fs.String()
			crashed := fs.CrashClone(CrashOptions{})
			if fs.String() != before {
				t.Fatalf("CrashClone changed the original:\n%s\nwas:\n%s", fs, before)
			}
			wantSnapshot(t, crashed, tc.wantCrash)
			if tc.wantLive != nil {
				wantSnapshot(t, fs, tc.wantLive)
			}
			// Everything in a clone is durable: crashing again changes nothing.
			wantSnapshot(t, crashed.CrashClone(CrashOptions{UnsyncedDataPercent: 100}), tc.wantCrash)
			// A process-crash Clone keeps the live state, and crashes like
			// the original.
			cl := fs.Clone()
			wantSnapshot(t, cl, snapshot(t, fs))
			wantSnapshot(t, cl.CrashClone(CrashOptions{}), tc.wantCrash)
		})
	}
}

func TestCrashCloneTornWrites(t *testing.T) {
	build := func() *MemFS {
		fs := NewMem()
		must(t, fs.MkdirAll("/db", 0o755))
		for i := range 8 {
			name := fmt.Sprintf("/db/%d", i)
			writeFile(t, fs, name, "synced-")
			appendFile(t, fs, name, strings.Repeat(string(rune('a'+i)), 100))
		}
		must(t, fs.SyncDir("/db"))
		return fs
	}
	fs := build()
	for _, pct := range []int{0, 25, 100} {
		seen := map[string]bool{}
		for seed := range int64(20) {
			opts := CrashOptions{UnsyncedDataPercent: pct, Seed: seed}
			got := snapshot(t, fs.CrashClone(opts))
			// Deterministic: same state, same seed, same result, also from a
			// separately built but identical FS.
			if again := snapshot(t, build().CrashClone(opts)); !maps.Equal(got, again) {
				t.Fatalf("pct %d seed %d: two clones differ:\n%v\n%v", pct, seed, got, again)
			}
			for i := range 8 {
				name := fmt.Sprintf("/db/%d", i)
				full := "synced-" + strings.Repeat(string(rune('a'+i)), 100)
				c := got[name]
				if !strings.HasPrefix(full, c) || len(c) < len("synced-") {
					t.Fatalf("pct %d seed %d: %s = %q, not synced data plus a prefix of the tail", pct, seed, name, c)
				}
				if kept := len(c) - len("synced-"); kept > 100*pct/100 {
					t.Fatalf("pct %d seed %d: %s kept %d unsynced bytes, max %d", pct, seed, name, kept, pct)
				}
				seen[c] = true
			}
		}
		if pct == 0 && len(seen) != 1 {
			t.Fatalf("pct 0 kept unsynced data: %d distinct contents", len(seen))
		}
		if pct > 0 && len(seen) < 20 {
			t.Fatalf("pct %d: only %d distinct contents over 160 draws: not random", pct, len(seen))
		}
	}
	// Out-of-range percentages are clamped, not errors.
	a := snapshot(t, fs.CrashClone(CrashOptions{UnsyncedDataPercent: 1000, Seed: 3}))
	b := snapshot(t, fs.CrashClone(CrashOptions{UnsyncedDataPercent: 100, Seed: 3}))
	if !maps.Equal(a, b) {
		t.Fatal("percent 1000 is not treated as 100")
	}
	a = snapshot(t, fs.CrashClone(CrashOptions{UnsyncedDataPercent: -5, Seed: 3}))
	b = snapshot(t, fs.CrashClone(CrashOptions{}))
	if !maps.Equal(a, b) {
		t.Fatal("percent -5 is not treated as 0")
	}
}

func TestCrashCloneIndependent(t *testing.T) {
	fs := NewMem()
	must(t, fs.MkdirAll("/db", 0o755))
	writeFile(t, fs, "/db/f", "abc")
	must(t, fs.SyncDir("/db"))
	lock, err := fs.Lock("/db/LOCK")
	must(t, err)
	defer lock.Close()

	for _, clone := range []*MemFS{fs.CrashClone(CrashOptions{}), fs.Clone()} {
		// Locks are not carried over.
		l, err := clone.Lock("/db/LOCK")
		must(t, err)
		must(t, l.Close())
		// Writes to the clone do not reach the original...
		f, err := clone.OpenReadWrite("/db/f")
		must(t, err)
		_, err = f.WriteAt([]byte("X"), 0)
		must(t, err)
		must(t, f.Close())
		writeFile(t, clone, "/db/g", "new")
		wantContent(t, fs, "/db/f", "abc")
		if _, err := fs.Stat("/db/g"); !IsNotExist(err) {
			t.Fatalf("file created in the clone exists in the original: %v", err)
		}
		// ...and writes to the original do not reach the clone.
		f, err = fs.OpenReadWrite("/db/f")
		must(t, err)
		_, err = f.WriteAt([]byte("Y"), 1)
		must(t, err)
		must(t, f.Sync())
		must(t, f.Close())
		wantContent(t, clone, "/db/f", "Xbc")
		must(t, fs.Remove("/db/f"))
		writeFile(t, fs, "/db/f", "abc")
	}
}

func TestMemLock(t *testing.T) {
	fs := NewMem()
	l, err := fs.Lock("LOCK")
	must(t, err)
	_, err = fs.Lock("/LOCK") // same file, other spelling
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	other := NewMem() // lock tables are per MemFS
	l2, err := other.Lock("/LOCK")
	must(t, err)
	must(t, l2.Close())
	must(t, l.Close())
	l, err = fs.Lock("/LOCK")
	must(t, err)
	must(t, l.Close())
	_, err = fs.Lock("/")
	wantClass(t, "lock a directory", err, "is a directory")
}

func TestMemString(t *testing.T) {
	fs := NewMem()
	must(t, fs.MkdirAll("/db/sub", 0o755))
	writeFile(t, fs, "/db/a", "12345")
	appendFile(t, fs, "/db/a", "67")
	writeFile(t, fs, "/db/gone", "x")
	must(t, fs.SyncDir("/db"))
	must(t, fs.Remove("/db/gone"))
	writeFile(t, fs, "/db/new", "")
	want := strings.Join([]string{
		"/",
		"/db/",
		"/db/a size=7 synced=5",
		"/db/gone (removed or renamed; not dir-synced)",
		"/db/new size=0 synced=0 (entry not dir-synced)",
		"/db/sub/",
		"",
	}, "\n")
	if got := fs.String(); got != want {
		t.Fatalf("String:\n%s\nwant:\n%s", got, want)
	}
}

// TestMemCorruptInPlace shows the documented way to damage a file.
func TestMemCorruptInPlace(t *testing.T) {
	fs := NewMem()
	writeFile(t, fs, "/f", "hello")
	f, err := fs.OpenReadWrite("/f")
	must(t, err)
	_, err = f.WriteAt([]byte{'h' ^ 0x01}, 0)
	must(t, err)
	must(t, f.Close())
	wantContent(t, fs, "/f", "iello")
}

// TestMemConcurrent hammers one MemFS from several goroutines: appends to
// private files, concurrent ReadAt of a shared file, directory changes and
// crash clones. Run with -race. Each writer checks its own file at the end.
func TestMemConcurrent(t *testing.T) {
	seed := testSeed(t)
	fs := NewMem()
	must(t, fs.MkdirAll("/db", 0o755))
	shared := bytes.Repeat([]byte("0123456789"), 100)
	must(t, WriteFileSync(fs, "/db/shared", shared))
	must(t, fs.SyncDir("/db"))
	sf, err := fs.Open("/db/shared")
	must(t, err)
	defer sf.Close()

	const workers, rounds = 4, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers*2+1)
	for w := range workers {
		wg.Add(2)
		go func() { // writer
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(seed), uint64(w)))
			name := fmt.Sprintf("/db/w%d", w)
			f, err := fs.Create(name)
			if err != nil {
				errs <- err
				return
			}
			var want []byte
			for i := range rounds {
				b := bytes.Repeat([]byte{byte('a' + w)}, 1+rng.IntN(50))
				if _, err := f.Write(b); err != nil {
					errs <- err
					return
				}
				want = append(want, b...)
				if i%10 == 0 {
					if err := f.Sync(); err != nil {
						errs <- err
						return
					}
					if err := fs.SyncDir("/db"); err != nil {
						errs <- err
						return
					}
				}
			}
			f.Close()
			got, err := ReadFile(fs, name)
			if err != nil || !bytes.Equal(got, want) {
				errs <- fmt.Errorf("%s: %d bytes, %v; want %d bytes", name, len(got), err, len(want))
			}
		}()
		go func() { // reader
			defer wg.Done()
			buf := make([]byte, 10)
			for i := range rounds {
				off := int64(i%90) * 10
				if _, err := sf.ReadAt(buf, off); err != nil || string(buf) != "0123456789" {
					errs <- fmt.Errorf("ReadAt %d = %q, %v", off, buf, err)
					return
				}
				if _, err := fs.List("/db"); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // crasher
		defer wg.Done()
		for i := range 20 {
			c := fs.CrashClone(CrashOptions{UnsyncedDataPercent: 50, Seed: int64(i)})
			got, err := ReadFile(c, "/db/shared")
			if err != nil || !bytes.Equal(got, shared) {
				errs <- fmt.Errorf("clone %d: shared = %d bytes, %v", i, len(got), err)
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	names, err := fs.List("/db")
	must(t, err)
	if want := []string{"shared", "w0", "w1", "w2", "w3"}; !slices.Equal(names, want) {
		t.Fatalf("list = %v, want %v", names, want)
	}
}

// TestCrashCloneRandom checks MemFS's durable file bytes against a model
// that copies each file's bytes at every Sync. Namespace changes are
// dir-synced at once, so after any sequence of writes, truncations, syncs,
// creations, renames and removals, CrashClone must hold exactly the
// model's synced bytes and the live FS the model's current bytes.
func TestCrashCloneRandom(t *testing.T) {
	seed := testSeed(t)
	steps := 5000
	if testing.Short() {
		steps = 1000
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 3))
	type model struct{ data, synced []byte }
	fs := NewMem()
	files := map[string]*model{}
	type handle struct {
		f File
		m *model
	}
	var handles []handle
	names := []string{"a", "b", "c", "d"}
	check := func(step int) {
		crashed := fs.CrashClone(CrashOptions{})
		want := map[string]string{}
		live := map[string]string{}
		for name, m := range files {
			want["/"+name] = string(m.synced)
			live["/"+name] = string(m.data)
		}
		if got := snapshot(t, crashed); !maps.Equal(got, want) {
			t.Fatalf("step %d: crash clone %q, want %q\n%s", step, got, want, fs)
		}
		if got := snapshot(t, fs); !maps.Equal(got, live) {
			t.Fatalf("step %d: live %q, want %q", step, got, live)
		}
		// A torn-write clone: synced bytes, then a prefix of the unsynced tail.
		torn := snapshot(t, fs.CrashClone(CrashOptions{UnsyncedDataPercent: 100, Seed: int64(step)}))
		for name, m := range files {
			got := []byte(torn["/"+name])
			tail := []byte{}
			if len(m.data) > len(m.synced) {
				tail = m.data[len(m.synced):]
			}
			if !bytes.HasPrefix(got, m.synced) || !bytes.HasPrefix(tail, got[len(m.synced):]) {
				t.Fatalf("step %d: torn clone of %s = %q; synced %q, current %q", step, name, got, m.synced, m.data)
			}
		}
	}
	for step := range steps {
		name := names[rng.IntN(len(names))]
		switch op := rng.IntN(8); {
		case op == 0: // create (truncates an existing file)
			f, err := fs.Create(name)
			must(t, err)
			m := files[name]
			if m == nil {
				m = &model{}
				files[name] = m
			}
			m.data = nil
			handles = append(handles, handle{f, m})
			must(t, fs.SyncDir("/"))
		case op == 1 && len(handles) > 0: // writeat
			h := handles[rng.IntN(len(handles))]
			off := rng.IntN(len(h.m.data) + 8)
			if rng.IntN(3) == 0 {
				off = rng.IntN(min(len(h.m.data), 4) + 1) // overwrite near the start
			}
			b := bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, 1+rng.IntN(16))
			_, err := h.f.WriteAt(b, int64(off))
			must(t, err)
			if end := off + len(b); end > len(h.m.data) {
				h.m.data = append(h.m.data, make([]byte, end-len(h.m.data))...)
			}
			copy(h.m.data[off:], b)
		case op == 2 && len(handles) > 0: // truncate
			h := handles[rng.IntN(len(handles))]
			size := rng.IntN(len(h.m.data) + 8)
			if rng.IntN(3) == 0 {
				size = rng.IntN(3) // shrinking far below the synced size is the tricky case
			}
			must(t, h.f.Truncate(int64(size)))
			if size <= len(h.m.data) {
				h.m.data = h.m.data[:size:size]
			} else {
				h.m.data = append(h.m.data, make([]byte, size-len(h.m.data))...)
			}
		case op == 3 && len(handles) > 0: // sync
			h := handles[rng.IntN(len(handles))]
			must(t, h.f.Sync())
			h.m.synced = slices.Clone(h.m.data)
		case op == 4 && files[name] != nil: // rename
			to := names[rng.IntN(len(names))]
			must(t, fs.Rename(name, to))
			m := files[name]
			delete(files, name)
			files[to] = m
			must(t, fs.SyncDir("/"))
		case op == 5 && files[name] != nil: // remove
			must(t, fs.Remove(name))
			delete(files, name)
			must(t, fs.SyncDir("/"))
		case op == 6 && len(handles) > 4: // close a handle
			i := rng.IntN(len(handles))
			must(t, handles[i].f.Close())
			handles = slices.Delete(handles, i, i+1)
		case op == 7:
			check(step)
		}
	}
	check(steps)
}
