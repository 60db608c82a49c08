package vfs

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

var seedFlag = flag.Int64("seed", 0, "seed for randomized tests (0: pick one from the clock)")

// testSeed returns the -seed flag or a fresh seed, and logs it.
func testSeed(t *testing.T) int64 {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (rerun with -seed=%d)", seed, seed)
	return seed
}

// fsUnderTest is a file system and a directory in it to work in.
type fsUnderTest struct {
	name string
	fs   FS
	dir  string
}

func bothFSes(t *testing.T) []fsUnderTest {
	t.Helper()
	mem := NewMem()
	if err := mem.MkdirAll("/work", 0o755); err != nil {
		t.Fatal(err)
	}
	return []fsUnderTest{
		{"os", Default, t.TempDir()},
		{"mem", mem, "/work"},
	}
}

// errClass names the kind of err the way both FSes must agree on.
func errClass(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, io.EOF):
		return "EOF"
	case errors.Is(err, os.ErrNotExist):
		return "ENOENT"
	case errors.Is(err, os.ErrClosed):
		return "closed"
	case errors.Is(err, ErrLocked):
		return "locked"
	}
	for _, e := range []syscall.Errno{syscall.EISDIR, syscall.ENOTDIR, syscall.ENOTEMPTY,
		syscall.EEXIST, syscall.EINVAL, syscall.EBADF, syscall.EBUSY} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "other: " + err.Error()
}

func wantClass(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := errClass(err); got != want {
		t.Fatalf("%s: error %v (class %q), want class %q", what, err, got, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, fs FS, name, data string) {
	t.Helper()
	must(t, WriteFileSync(fs, name, []byte(data)))
}

func wantContent(t *testing.T, fs FS, name, want string) {
	t.Helper()
	got, err := ReadFile(fs, name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	if string(got) != want {
		t.Fatalf("%s holds %q, want %q", name, got, want)
	}
}

func wantList(t *testing.T, fs FS, dir string, want ...string) {
	t.Helper()
	got, err := fs.List(dir)
	if err != nil {
		t.Fatalf("list %s: %v", dir, err)
	}
	if want == nil {
		want = []string{}
	}
	if got == nil {
		got = []string{}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("list %s = %q, want %q", dir, got, want)
	}
}

// behaviourCases is the shared behavioural table: every case must pass on
// the OS FS and on MemFS.
var behaviourCases = []struct {
	name string
	run  func(t *testing.T, fs FS, dir string)
}{
	{"create-write-read-stat", func(t *testing.T, fs FS, dir string) {
		p := filepath.Join(dir, "f")
		f, err := fs.Create(p)
		must(t, err)
		for _, s := range []string{"hello", " ", "world"} {
			if n, err := f.Write([]byte(s)); err != nil || n != len(s) {
				t.Fatalf("write %q = %d, %v", s, n, err)
			}
		}
		fi, err := f.Stat()
		must(t, err)
		if fi.Name() != "f" || fi.Size() != 11 || fi.IsDir() || !fi.Mode().IsRegular() {
			t.Fatalf("file stat: name %q size %d dir %v mode %v", fi.Name(), fi.Size(), fi.IsDir(), fi.Mode())
		}
		must(t, f.Sync())
		must(t, f.Close())
		wantContent(t, fs, p, "hello world")
		fi, err = fs.Stat(p)
		must(t, err)
		if fi.Name() != "f" || fi.Size() != 11 || fi.IsDir() {
			t.Fatalf("fs stat: name %q size %d dir %v", fi.Name(), fi.Size(), fi.IsDir())
		}
	}},
	{"create-truncates", func(t *testing.T, fs FS, dir string) {
		p := filepath.Join(dir, "f")
		writeFile(t, fs, p, "0123456789")
		f, err := fs.Create(p)
		must(t, err)
		must(t, f.Close())
		wantContent(t, fs, p, "")
	}},
	{"open-missing", func(t *testing.T, fs FS, dir string) {
		for _, op := range []func(string) error{
			func(p string) error { _, err := fs.Open(p); return err },
			func(p string) error { _, err := fs.Stat(p); return err },
			func(p string) error { return fs.Remove(p) },
			func(p string) error { _, err := fs.List(p); return err },
			func(p string) error { return fs.SyncDir(p) },
			func(p string) error { return fs.Rename(p, p+"2") },
		} {
			err := op(filepath.Join(dir, "missing"))
			wantClass(t, "op on missing file", err, "ENOENT")
			if !IsNotExist(err) {
				t.Fatalf("IsNotExist(%v) = false", err)
			}
		}
		var pe *os.PathError
		if _, err := fs.Open(filepath.Join(dir, "missing")); !errors.As(err, &pe) {
			t.Fatalf("open missing: %T, want *os.PathError", err)
		}
	}},
	{"missing-parent", func(t *testing.T, fs FS, dir string) {
		_, err := fs.Create(filepath.Join(dir, "nodir", "f"))
		wantClass(t, "create in missing dir", err, "ENOENT")
		writeFile(t, fs, filepath.Join(dir, "file"), "x")
		_, err = fs.Create(filepath.Join(dir, "file", "f"))
		wantClass(t, "create below a file", err, "not a directory")
		_, err = fs.Stat(filepath.Join(dir, "file", "f"))
		wantClass(t, "stat below a file", err, "not a directory")
		_, err = fs.Open(filepath.Join(dir, "file", "f"))
		wantClass(t, "open below a file", err, "not a directory")
	}},
	{"open-is-read-only", func(t *testing.T, fs FS, dir string) {
		p := filepath.Join(dir, "f")
		writeFile(t, fs, p, "abc")
		f, err := fs.Open(p)
		must(t, err)
		defer f.Close()
		_, err = f.Write([]byte("x"))
		wantClass(t, "write on read-only", err, "bad file descriptor")
		_, err = f.WriteAt([]byte("x"), 0)
		wantClass(t, "writeat on read-only", err, "bad file descriptor")
		wantClass(t, "truncate on read-only", f.Truncate(0), "invalid argument")
		must(t, f.Sync()) // fsync of a read-only descriptor is allowed
		wantContent(t, fs, p, "abc")
	}},
	{"read-write-share-offset", func(t *testing.T, fs FS, dir string) {
		p := filepath.Join(dir, "f")
		writeFile(t, fs, p, "abcdef")
		f, err := fs.OpenReadWrite(p)
		must(t, err)
		buf := make([]byte, 3)
		if n, err := f.Read(buf); n != 3 || err != nil || string(buf) != "abc" {
			t.Fatalf("read = %d %v %q", n, err, buf)
		}
		if _, err := f.Write([]byte("XY")); err != nil {
			t.Fatal(err)
		}
		if n, err := f.Read(buf); n != 1 || err != nil || buf[0] != 'f' {
			t.Fatalf("read after write = %d %v %q", n, err, buf[:n])
		}
		if n, err := f.Read(buf); n != 0 || err != io.EOF {
			t.Fatalf("read at end = %d %v, want 0 EOF", n, err)
		}
		must(t, f.Close())
		wantContent(t, fs, p, "abcXYf")
	}},
	{"openreadwrite-creates-keeps", func(t *testing.T, fs FS, dir string) {
		p := filepath.Join(dir, "f")
		f, err := fs.OpenReadWrite(p)
		must(t, err)
		_, err = f.Write([]byte("1234"))
		must(t, err)
		must(t, f.Close())
		f, err = fs.OpenReadWrite(p)
		must(t, err)
		_, err = f.Write([]byte("ab")) // offset starts at 0, no truncation
		must(t, err)
		must(t, f.Close())
		wantContent(t, fs, p, "ab34")
	}},
	{"writeat-extends-with-zeros", func(t *testing.T, fs FS, dir string) {
		p := filepath.Join(dir, "f")
		f, err := fs.Create(p)
		must(t, err)
		_, err = f.WriteAt([]byte("z"), 5)
		must(t, err)
		_, err = f.Write([]byte("ab")) // WriteAt does not move the offset
		must(t, err)
		_, err = f.WriteAt(nil, 100) // an empty write does not extend
		must(t, err)
		must(t, f.Close())
		wantContent(t, fs, p, "ab\x00\x00\x00z")
	}},
	{"readat", func(t *testing.T, fs FS, dir string) {
		p := filepath.Join(dir, "f")
		writeFile(t, fs, p, "abcdef")
		f, err := fs.Open(p)
		must(t, err)
		defer f.Close()
		for _, tc := range []struct {
			off     int64
			size    int
			want    string
			wantErr string
		}{
			{0, 6, "abcdef", "nil"},
			{2, 3, "cde", "nil"},
			{4, 5, "ef", "EOF"},
			{6, 1, "", "EOF"},
			{60, 1, "", "EOF"},
			{60, 0, "", "nil"},
		} {
			buf := make([]byte, tc.size)
			n, err := f.ReadAt(buf, tc.off)
			if string(buf[:n]) != tc.want || errClass(err) != tc.wantErr {
				t.Errorf("ReadAt(%d bytes, %d) = %q, %v; want %q, %s", tc.size, tc.off, buf[:n], err, tc.want, tc.wantErr)
			}
		}
		buf := make([]byte, 10)
		if n, err := f.Read(buf); n != 6 || err != nil { // ReadAt did not move the offset
			t.Fatalf("read = %d %v", n, err)
		}
	}},
	{"truncate", func(t *testing.T, fs FS, dir string) {
		p := filepath.Join(dir, "f")
		writeFile(t, fs, p, "abcdef")
		f, err := fs.OpenReadWrite(p)
		must(t, err)
		must(t, f.Truncate(3))
		wantContent(t, fs, p, "abc")
		must(t, f.Truncate(5))
		fi, err := f.Stat()
		must(t, err)
		if fi.Size() != 5 {
			t.Fatalf("size %d after truncate(5)", fi.Size())
		}
		wantClass(t, "negative truncate", f.Truncate(-1), "invalid argument")
		must(t, f.Close())
		wantContent(t, fs, p, "abc\x00\x00")
	}},
	{"rename", func(t *testing.T, fs FS, dir string) {
		a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		writeFile(t, fs, a, "A")
		writeFile(t, fs, b, "B")
		must(t, fs.Rename(a, b)) // replaces b
		wantList(t, fs, dir, "b")
		wantContent(t, fs, b, "A")
		must(t, fs.Rename(b, b)) // same name: no-op
		wantContent(t, fs, b, "A")
		must(t, fs.MkdirAll(filepath.Join(dir, "d", "sub"), 0o755))
		must(t, fs.Rename(b, filepath.Join(dir, "d", "moved")))
		wantList(t, fs, dir, "d")
		wantContent(t, fs, filepath.Join(dir, "d", "moved"), "A")
	}},
	{"rename-errors", func(t *testing.T, fs FS, dir string) {
		d, e, f := filepath.Join(dir, "d"), filepath.Join(dir, "e"), filepath.Join(dir, "f")
		must(t, fs.MkdirAll(filepath.Join(d, "sub"), 0o755))
		must(t, fs.MkdirAll(e, 0o755))
		writeFile(t, fs, f, "F")
		// os.Rename refuses every existing directory target.
		wantClass(t, "file over dir", fs.Rename(f, e), "file exists")
		wantClass(t, "dir over empty dir", fs.Rename(d, e), "file exists")
		wantClass(t, "dir over itself", fs.Rename(d, d), "file exists")
		wantClass(t, "missing over dir", fs.Rename(filepath.Join(dir, "nope"), e), "ENOENT")
		wantClass(t, "dir over file", fs.Rename(d, f), "not a directory")
		wantClass(t, "dir into itself", fs.Rename(d, filepath.Join(d, "sub", "x")), "invalid argument")
		wantClass(t, "into missing dir", fs.Rename(f, filepath.Join(dir, "nodir", "f")), "ENOENT")
		must(t, fs.Rename(d, filepath.Join(dir, "g"))) // directories move
		wantList(t, fs, dir, "e", "f", "g")
		wantList(t, fs, filepath.Join(dir, "g"), "sub")
		var le *os.LinkError
		if err := fs.Rename(d, f); !errors.As(err, &le) {
			t.Fatalf("rename error %T, want *os.LinkError", err)
		}
	}},
	{"remove", func(t *testing.T, fs FS, dir string) {
		d := filepath.Join(dir, "d")
		must(t, fs.MkdirAll(d, 0o755))
		writeFile(t, fs, filepath.Join(d, "f"), "x")
		wantClass(t, "remove non-empty dir", fs.Remove(d), "directory not empty")
		must(t, fs.Remove(filepath.Join(d, "f")))
		wantClass(t, "remove again", fs.Remove(filepath.Join(d, "f")), "ENOENT")
		must(t, fs.Remove(d))
		wantList(t, fs, dir)
	}},
	{"open-file-survives-remove", func(t *testing.T, fs FS, dir string) {
		p := filepath.Join(dir, "f")
		writeFile(t, fs, p, "still here")
		f, err := fs.Open(p)
		must(t, err)
		must(t, fs.Remove(p))
		got, err := io.ReadAll(f)
		if err != nil || string(got) != "still here" {
			t.Fatalf("read after remove = %q, %v", got, err)
		}
		must(t, f.Close())
	}},
	{"mkdirall-list-stat", func(t *testing.T, fs FS, dir string) {
		must(t, fs.MkdirAll(filepath.Join(dir, "x", "y", "z"), 0o755))
		must(t, fs.MkdirAll(filepath.Join(dir, "x", "y"), 0o755)) // exists: fine
		for _, n := range []string{"c", "a", "b"} {
			writeFile(t, fs, filepath.Join(dir, "x", n), n)
		}
		wantList(t, fs, filepath.Join(dir, "x"), "a", "b", "c", "y")
		wantList(t, fs, filepath.Join(dir, "x", "y", "z"))
		fi, err := fs.Stat(filepath.Join(dir, "x", "y"))
		must(t, err)
		if !fi.IsDir() || !fi.Mode().IsDir() || fi.Name() != "y" {
			t.Fatalf("stat dir: name %q dir %v mode %v", fi.Name(), fi.IsDir(), fi.Mode())
		}
		err = fs.MkdirAll(filepath.Join(dir, "x", "a"), 0o755)
		wantClass(t, "mkdirall over file", err, "not a directory")
		err = fs.MkdirAll(filepath.Join(dir, "x", "a", "b"), 0o755)
		wantClass(t, "mkdirall below file", err, "not a directory")
		_, err = fs.List(filepath.Join(dir, "x", "a"))
		wantClass(t, "list a file", err, "not a directory")
		must(t, fs.SyncDir(filepath.Join(dir, "x")))
	}},
	{"directory-handle", func(t *testing.T, fs FS, dir string) {
		f, err := fs.Open(dir)
		must(t, err)
		_, err = f.Read(make([]byte, 4))
		wantClass(t, "read a directory", err, "is a directory")
		fi, err := f.Stat()
		must(t, err)
		if !fi.IsDir() {
			t.Fatal("stat of a directory handle: not a dir")
		}
		must(t, f.Sync())
		must(t, f.Close())
		_, err = fs.Create(dir)
		wantClass(t, "create a directory", err, "is a directory")
		_, err = fs.OpenReadWrite(dir)
		wantClass(t, "openreadwrite a directory", err, "is a directory")
	}},
	{"closed-file", func(t *testing.T, fs FS, dir string) {
		f, err := fs.Create(filepath.Join(dir, "f"))
		must(t, err)
		must(t, f.Close())
		buf := make([]byte, 1)
		_, err = f.Read(buf)
		wantClass(t, "read", err, "closed")
		_, err = f.ReadAt(buf, 0)
		wantClass(t, "readat", err, "closed")
		_, err = f.Write(buf)
		wantClass(t, "write", err, "closed")
		_, err = f.WriteAt(buf, 0)
		wantClass(t, "writeat", err, "closed")
		wantClass(t, "sync", f.Sync(), "closed")
		wantClass(t, "truncate", f.Truncate(0), "closed")
		_, err = f.Stat()
		wantClass(t, "stat", err, "closed")
		wantClass(t, "second close", f.Close(), "closed")
	}},
	{"lock", func(t *testing.T, fs FS, dir string) {
		p := filepath.Join(dir, "LOCK")
		l, err := fs.Lock(p)
		must(t, err)
		if _, err := fs.Stat(p); err != nil {
			t.Fatalf("lock did not create its file: %v", err)
		}
		_, err = fs.Lock(p)
		wantClass(t, "second lock", err, "locked")
		must(t, l.Close())
		must(t, l.Close()) // idempotent
		l2, err := fs.Lock(p)
		must(t, err)
		must(t, l2.Close())
		_, err = fs.Lock(filepath.Join(dir, "nodir", "LOCK"))
		wantClass(t, "lock in missing dir", err, "ENOENT")
	}},
	{"helpers", func(t *testing.T, fs FS, dir string) {
		p := filepath.Join(dir, "f")
		writeFile(t, fs, p, "one")
		writeFile(t, fs, p, "two") // truncates
		wantContent(t, fs, p, "two")
		_, err := ReadFile(fs, filepath.Join(dir, "missing"))
		wantClass(t, "ReadFile missing", err, "ENOENT")
	}},
}

func TestBehaviour(t *testing.T) {
	for _, tc := range behaviourCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, u := range bothFSes(t) {
				t.Run(u.name, func(t *testing.T) { tc.run(t, u.fs, u.dir) })
			}
		})
	}
}

// TestDifferential runs one seeded random sequence of operations on the OS
// FS and on MemFS and requires identical results (data, sizes, names and
// error classes) at every step.
func TestDifferential(t *testing.T) {
	seed := testSeed(t)
	steps := 20000
	if testing.Short() {
		steps = 2000
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	fses := bothFSes(t)
	type handle struct{ files [2]File }
	var handles []handle
	var history []string

	comps := []string{"a", "b", "c"}
	randPath := func() string {
		p := comps[rng.IntN(len(comps))]
		if rng.IntN(2) == 0 {
			p += "/" + comps[rng.IntN(len(comps))]
		}
		return p
	}
	randBytes := func() []byte {
		b := make([]byte, rng.IntN(20))
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		return b
	}
	fmtInfo := func(fi os.FileInfo, err error) string {
		if err != nil {
			return errClass(err)
		}
		size := fi.Size()
		if fi.IsDir() {
			size = 0 // directory sizes differ between file systems
		}
		return fmt.Sprintf("name=%s dir=%v size=%d", fi.Name(), fi.IsDir(), size)
	}
	for step := range steps {
		kind := rng.IntN(17)
		p1, p2 := randPath(), randPath()
		data := randBytes()
		off := int64(rng.IntN(40))
		size := rng.IntN(24)
		h := -1
		if len(handles) > 0 {
			h = rng.IntN(len(handles))
		}
		if kind >= 9 && h < 0 {
			kind = rng.IntN(9)
		}
		if kind == 10 {
			data = append(data, 'z')
		}
		var desc string
		var results [2]string
		var opened handle
		for i, u := range fses {
			full1, full2 := filepath.Join(u.dir, p1), filepath.Join(u.dir, p2)
			var r string
			switch kind {
			case 0, 1, 2:
				var f File
				var err error
				switch kind {
				case 0:
					desc = "create " + p1
					f, err = u.fs.Create(full1)
				case 1:
					desc = "open " + p1
					f, err = u.fs.Open(full1)
				case 2:
					desc = "openrw " + p1
					f, err = u.fs.OpenReadWrite(full1)
				}
				r = errClass(err)
				opened.files[i] = f
			case 3:
				desc = "remove " + p1
				r = errClass(u.fs.Remove(full1))
			case 4:
				desc = "rename " + p1 + " " + p2
				r = errClass(u.fs.Rename(full1, full2))
			case 5:
				desc = "mkdirall " + p1
				r = errClass(u.fs.MkdirAll(full1, 0o755))
			case 6:
				desc = "list " + p1
				names, err := u.fs.List(full1)
				r = errClass(err) + " " + strings.Join(names, ",")
			case 7:
				desc = "stat " + p1
				r = fmtInfo(u.fs.Stat(full1))
			case 8:
				desc = "readfile " + p1
				b, err := ReadFile(u.fs, full1)
				r = errClass(err) + " " + string(b)
			case 9:
				desc = fmt.Sprintf("h%d.write %q", h, data)
				n, err := handles[h].files[i].Write(data)
				r = fmt.Sprintf("%d %s", n, errClass(err))
			case 10:
				// Never empty: os.File.WriteAt and ReadAt skip the system
				// call for empty buffers, so they succeed even on a closed
				// handle, where MemFS (deliberately stricter) says closed.
				desc = fmt.Sprintf("h%d.writeat %q %d", h, data, off)
				n, err := handles[h].files[i].WriteAt(data, off)
				r = fmt.Sprintf("%d %s", n, errClass(err))
			case 11:
				desc = fmt.Sprintf("h%d.read %d", h, size)
				buf := make([]byte, size)
				n, err := handles[h].files[i].Read(buf)
				r = fmt.Sprintf("%q %s", buf[:n], errClass(err))
			case 12:
				size = max(size, 1) // never empty: see writeat
				desc = fmt.Sprintf("h%d.readat %d %d", h, size, off)
				buf := make([]byte, size)
				n, err := handles[h].files[i].ReadAt(buf, off)
				r = fmt.Sprintf("%q %s", buf[:n], errClass(err))
			case 13:
				desc = fmt.Sprintf("h%d.truncate %d", h, off)
				r = errClass(handles[h].files[i].Truncate(off))
			case 14:
				desc = fmt.Sprintf("h%d.sync", h)
				r = errClass(handles[h].files[i].Sync())
			case 15:
				desc = fmt.Sprintf("h%d.stat", h)
				r = fmtInfo(handles[h].files[i].Stat())
			case 16:
				desc = fmt.Sprintf("h%d.close", h)
				r = errClass(handles[h].files[i].Close())
			}
			results[i] = r
		}
		if opened.files[0] != nil && opened.files[1] != nil {
			handles = append(handles, opened)
		}
		// Keep the handle table small: forget closed handles now and then.
		if kind == 16 && rng.IntN(2) == 0 {
			handles = slices.Delete(handles, h, h+1)
		}
		history = append(history, fmt.Sprintf("%d: %s -> %s", step, desc, results[0]))
		if results[0] != results[1] {
			t.Fatalf("step %d: %s\nos:  %s\nmem: %s\nlast steps:\n%s", step, desc, results[0], results[1],
				strings.Join(history[max(0, len(history)-15):], "\n"))
		}
	}
	for _, h := range handles {
		for _, f := range h.files {
			f.Close()
		}
	}
}

func TestRelativeAndAbsolutePaths(t *testing.T) {
	fs := NewMem()
	must(t, fs.MkdirAll("db", 0o755))
	writeFile(t, fs, "db/x", "data")
	wantContent(t, fs, "/db/x", "data")
	wantContent(t, fs, "/db/../db/./x", "data")
	wantList(t, fs, "/", "db")
	wantList(t, fs, ".", "db")
	wantList(t, fs, "..", "db") // ".." above the root stays at the root
	_, err := fs.Stat("")
	wantClass(t, "stat empty name", err, "ENOENT")
	wantClass(t, "remove root", fs.Remove("/"), "device or resource busy")
	wantClass(t, "rename root", fs.Rename("/", "/x"), "device or resource busy")
	fi, err := fs.Stat("/")
	must(t, err)
	if !fi.IsDir() || fi.Name() != "/" {
		t.Fatalf("stat root: name %q dir %v", fi.Name(), fi.IsDir())
	}
	if !bytes.Equal([]byte(fs.String()), []byte("/\n/db/\n/db/x size=4 synced=4 (entry not dir-synced)\n")) {
		t.Fatalf("String:\n%s", fs)
	}
}
