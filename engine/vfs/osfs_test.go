package vfs

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
