package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/lightningdb/lightning/backends/btree"
	"github.com/lightningdb/lightning/engine/vfs"
)

// cmdCheck is "lbench check -backend btree -dir DIR": the offline checker
// of a closed database. It walks every page and verifies every invariant
// (btree.Check), prints what it walked, and exits 0 when the database is
// sound, 1 when it is damaged (engine.ErrCorruption, or an I/O error while
// reading it), and 2 on bad input: a bad flag, a backend without a
// checker, a directory that does not exist or holds no database of that
// backend, or a database still open (locked).
func cmdCheck(e *env, args []string) error {
	fs := e.newFlagSet("check", "-backend btree -dir DIR",
		"Check a closed database offline: every page, checksum and invariant; exit 1 if it is damaged.")
	backend := fs.String("backend", btree.Name, "`backend` of the database (only btree has a checker)")
	dir := fs.String("dir", "", "database `directory` (required)")
	if err := fs.parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usagef("check takes no arguments, got %q (see lbench check -h)", fs.Args())
	case *backend != btree.Name:
		return usagef("check: backend %q has no offline checker (only %s)", *backend, btree.Name)
	case *dir == "":
		return usagef("check: -dir is required (see lbench check -h)")
	}
	if fi, err := vfs.Default.Stat(*dir); err != nil || !fi.IsDir() {
		return usagef("check: %s is not a directory (%v)", *dir, err)
	}
	data := filepath.Join(*dir, btree.DataFile)
	if _, err := vfs.Default.Stat(data); err != nil {
		return usagef("check: %s holds no %s database: %v", *dir, btree.Name, err)
	}
	st, err := btree.CheckWithStats(vfs.Default, *dir, nil)
	switch {
	case errors.Is(err, vfs.ErrLocked):
		return usagef("check: %s is in use by an open engine: %v", *dir, err)
	case err != nil:
		return failedError{fmt.Sprintf("%s is damaged: %v", *dir, err)}
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s: ok (%s backend)\n", *dir, btree.Name)
	row := func(name string, v any) { fmt.Fprintf(tw, "  %s\t%v\n", name, v) }
	row("checkpoint", st.Checkpoint)
	row("page size", st.PageSize)
	row("height", st.Height)
	row("keys", st.Keys)
	row("pages", st.PageCount)
	row("branch pages", st.BranchPages)
	row("leaf pages", st.LeafPages)
	row("overflow pages", st.OverflowPages)
	row("free-list pages", st.FreelistPages)
	row("free pages", st.FreePages)
	row("wal batches to replay", st.WALBatches)
	row("wal operations to replay", st.WALOps)
	return tw.Flush()
}
