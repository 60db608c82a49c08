package vfs

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// lockChildEnv, when set, makes TestOSLockChild try to lock the file it
// names and print the outcome; the parent test runs it as a second process.
const lockChildEnv = "LIGHTNING_VFS_LOCK_CHILD"

// TestOSLockChild is the child half of TestOSLockOtherProcess. It does
// nothing unless run by that test.
func TestOSLockChild(t *testing.T) {
	name := os.Getenv(lockChildEnv)
	if name == "" {
		t.Skip("only run as a child process of TestOSLockOtherProcess")
	}
	l, err := Default.Lock(name)
	switch {
	case err == nil:
		os.Stdout.WriteString("RESULT acquired\n")
		l.Close()
	case errors.Is(err, ErrLocked):
		os.Stdout.WriteString("RESULT locked\n")
	default:
		os.Stdout.WriteString("RESULT error " + err.Error() + "\n")
	}
}

// lockInChild runs the test binary as a child process that tries to lock
// name, and returns "acquired", "locked" or "error ...".
func lockInChild(t *testing.T, name string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestOSLockChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), lockChildEnv+"="+name)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		if r, ok := strings.CutPrefix(strings.TrimSpace(line), "RESULT "); ok {
			return r
		}
	}
	t.Fatalf("child printed no result:\n%s", out)
	return ""
}

func TestOSLockOtherProcess(t *testing.T) {
	name := filepath.Join(t.TempDir(), "LOCK")
	l, err := Default.Lock(name)
	must(t, err)
	if got := lockInChild(t, name); got != "locked" {
		t.Fatalf("child while the parent holds the lock: %s, want locked", got)
	}
	must(t, l.Close())
	if got := lockInChild(t, name); got != "acquired" {
		t.Fatalf("child after the parent released the lock: %s, want acquired", got)
	}
	// The child released its lock by exiting; the parent can take it again.
	l, err = Default.Lock(name)
	must(t, err)
	must(t, l.Close())
}

func TestOSLockInProcess(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "LOCK")
	l, err := Default.Lock(name)
	must(t, err)
	// Another spelling of the same path is the same lock.
	_, err = Default.Lock(filepath.Join(dir, ".", "LOCK"))
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	must(t, l.Close())
	must(t, l.Close())
	l, err = Default.Lock(name)
	must(t, err)
	must(t, l.Close())
}

func TestOSSyncDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, Default, filepath.Join(dir, "f"), "x")
	must(t, Default.SyncDir(dir))
	wantClass(t, "syncdir missing", Default.SyncDir(filepath.Join(dir, "missing")), "ENOENT")
}

func TestOSPreallocate(t *testing.T) {
	tests := []struct {
		name      string
		have      int   // bytes written first (0xAB)
		size      int64 // Preallocate(size)
		wantSize  int64
		allocated bool // the blocks below wantSize must be allocated
	}{
		{"empty file", 0, 3 << 20, 3 << 20, true},
		{"unaligned end", 1000, preallocChunk + 4097, preallocChunk + 4097, true},
		{"already longer", 5000, 100, 5000, false},
		{"exactly long enough", 4096, 4096, 4096, false},
		{"zero size", 0, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Default.Create(filepath.Join(t.TempDir(), "f"))
			must(t, err)
			defer f.Close()
			data := bytes.Repeat([]byte{0xAB}, tt.have)
			_, err = f.Write(data)
			must(t, err)
			must(t, f.(Preallocator).Preallocate(tt.size))
			fi, err := f.Stat()
			must(t, err)
			if fi.Size() != tt.wantSize {
				t.Fatalf("size %d, want %d", fi.Size(), tt.wantSize)
			}
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && tt.allocated && st.Blocks*512 < tt.wantSize {
				t.Fatalf("%d bytes allocated for a file of %d: the file is sparse", st.Blocks*512, tt.wantSize)
			}
			// The offset did not move: the next Write lands after data.
			_, err = f.Write([]byte{0xCD})
			must(t, err)
			got := make([]byte, max(tt.wantSize, int64(tt.have+1)))
			_, err = f.ReadAt(got, 0)
			if err != nil && err != io.EOF {
				t.Fatal(err)
			}
			want := append(data, 0xCD)
			want = append(want, make([]byte, len(got)-len(want))...)
			if !bytes.Equal(got, want) {
				t.Fatalf("content changed: first difference at %d", firstDiff(got, want))
			}
		})
	}
	t.Run("closed file", func(t *testing.T) {
		f, err := Default.Create(filepath.Join(t.TempDir(), "f"))
		must(t, err)
		must(t, f.Close())
		if err := f.(Preallocator).Preallocate(4096); !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Preallocate on a closed file: %v, want os.ErrClosed", err)
		}
	})
	t.Run("read-only file", func(t *testing.T) {
		name := filepath.Join(t.TempDir(), "f")
		writeFile(t, Default, name, "x")
		f, err := Default.Open(name)
		must(t, err)
		defer f.Close()
		if err := f.(Preallocator).Preallocate(4096); err == nil {
			t.Fatal("Preallocate on a read-only file succeeded")
		}
	})
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
