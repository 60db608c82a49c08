package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/lightningdb/lightning/engine/vfs"
)

// dataDir is the database directory of a command: the -dir given, or a
// fresh temporary directory removed at exit unless -keep.
type dataDir struct {
	path string
	temp bool // created here
	keep bool
}

// newDataDir returns the -dir flag's directory, or creates a fresh one
// under the system's temporary directory.
func newDataDir(flagDir string, keep bool) (*dataDir, error) {
	if flagDir != "" {
		return &dataDir{path: flagDir, keep: true}, nil
	}
	for range 10 {
		var b [8]byte
		if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
			return nil, err
		}
		dir := filepath.Join(os.TempDir(), "lbench-"+hex.EncodeToString(b[:]))
		if _, err := vfs.Default.Stat(dir); !vfs.IsNotExist(err) {
			continue // taken (or unreadable): try another name
		}
		if err := vfs.Default.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		return &dataDir{path: dir, temp: true, keep: keep}, nil
	}
	return nil, fmt.Errorf("cannot create a temporary directory under %s", os.TempDir())
}

// sub returns the directory of one workload/backend pair of a bench.
func (d *dataDir) sub(workload, backend string) string {
	return filepath.Join(d.path, workload+"-"+backend)
}

// drop removes the database directory dir (one of sub's) once its runs
// are done, unless the data is kept (-keep, or a -dir given): a long
// repeated bench then needs the room of one database at a time.
func (d *dataDir) drop(dir string) error {
	if !d.temp || d.keep {
		return nil
	}
	return removeAll(vfs.Default, dir)
}

// cleanup removes a temporary directory unless kept, and says where kept
// data is.
func (d *dataDir) cleanup(stderr io.Writer, quiet bool) error {
	if !d.temp {
		return nil
	}
	if d.keep {
		if !quiet {
			fmt.Fprintf(stderr, "database kept in %s\n", d.path)
		}
		return nil
	}
	return removeAll(vfs.Default, d.path)
}

// removeAll removes name and everything under it on fs.
func removeAll(fs vfs.FS, name string) error {
	fi, err := fs.Stat(name)
	if vfs.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		names, err := fs.List(name)
		if err != nil {
			return err
		}
		for _, n := range names {
			if err := removeAll(fs, filepath.Join(name, n)); err != nil {
				return err
			}
		}
	}
	return fs.Remove(name)
}
