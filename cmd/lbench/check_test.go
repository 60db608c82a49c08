package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/backends/btree"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// makeBtree writes n keys to a btree database with 4 KiB pages in a fresh
// directory on the OS file system (as lbench uses), closes it and returns
// the directory.
func makeBtree(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "db")
	db, err := btree.Open(dir, &engine.Options{Extra: map[string]string{btree.OptPageSize: "4096"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := db.Set(fmt.Appendf(nil, "key%06d", i), fmt.Appendf(nil, "value%06d", i), engine.NoSync); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheckSound(t *testing.T) {
	dir := makeBtree(t, 2000)
	code, stdout, stderr := lbench(t, "check", "-backend", "btree", "-dir", dir)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	for _, want := range []string{dir + ": ok (btree backend)", "keys                      2000", "page size                 4096", "height                    2"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	// -backend defaults to btree.
	if code, _, stderr := lbench(t, "check", "-dir", dir); code != exitOK {
		t.Errorf("without -backend: exit %d, stderr:\n%s", code, stderr)
	}
}

func TestCheckDamaged(t *testing.T) {
	for _, tc := range []struct {
		name string
		page int64 // page whose byte 100 is flipped; -1: both metas
	}{{"data page", 2}, {"both metas", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := makeBtree(t, 2000)
			pages := []int64{tc.page}
			if tc.page < 0 {
				pages = []int64{0, 1}
			}
			f, err := vfs.Default.OpenReadWrite(filepath.Join(dir, btree.DataFile))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pages {
				b := make([]byte, 1)
				if _, err := f.ReadAt(b, p*4096+100); err != nil {
					t.Fatal(err)
				}
				b[0] ^= 0x55
				if _, err := f.WriteAt(b, p*4096+100); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := lbench(t, "check", "-dir", dir)
			if code != exitFail || stdout != "" {
				t.Fatalf("exit %d (want %d), stdout:\n%s", code, exitFail, stdout)
			}
			if !strings.Contains(stderr, "lbench check: "+dir+" is damaged") || !strings.Contains(stderr, "corruption") {
				t.Errorf("stderr does not report the damage:\n%s", stderr)
			}
		})
	}
}

func TestCheckBadInput(t *testing.T) {
	dir := makeBtree(t, 10)
	empty := t.TempDir()
	openDir := filepath.Join(t.TempDir(), "open")
	open, err := btree.Open(openDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check"}, "-dir is required"},
		{[]string{"check", "-dir", dir, "extra"}, "takes no arguments"},
		{[]string{"check", "-backend", "lsm", "-dir", dir}, `backend "lsm" has no offline checker`},
		{[]string{"check", "-dir", filepath.Join(empty, "nosuch")}, "is not a directory"},
		{[]string{"check", "-dir", empty}, "holds no btree database"},
		{[]string{"check", "-dir", openDir}, "is in use by an open engine"},
		{[]string{"check", "-frob"}, "flag provided but not defined"},
	} {
		code, stdout, stderr := lbench(t, tc.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("lbench %s: exit %d (want %d), stdout %q, stderr %q (want %q)", strings.Join(tc.args, " "), code, exitUsage, stdout, stderr, tc.want)
		}
	}
	if names, _ := vfs.Default.List(empty); len(names) != 0 {
		t.Errorf("check left files in a directory without a database: %v", names)
	}
}
