package compare

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/reports"
)

// Side is one side of a comparison (the baseline or the new build): the
// reports of its runs and the files they came from.
type Side struct {
	// Files name the reports, in the order of Reports.
	Files []string
	// Reports hold the runs. Every run of every report is one sample of
	// its benchmark; a report may hold several runs of one benchmark
	// (lbench bench -repeat).
	Reports []*reports.Report
}

// NewSide returns a side of reports already in memory; their names in
// messages are "name#1", "name#2", ...
func NewSide(name string, reps ...*reports.Report) *Side {
	s := &Side{}
	for i, r := range reps {
		s.Files = append(s.Files, fmt.Sprintf("%s#%d", name, i+1))
		s.Reports = append(s.Reports, r)
	}
	return s
}

// Load reads the reports of one side from fs. Each path is a report file
// (report.json, or any JSON report) or a folder, searched recursively for
// files whose names end in ".json" -- each must be an lbench report. Files
// are read in sorted order. A path that does not exist, a report that
// does not decode (errors matching engine.ErrCorruption or
// reports.ErrSchema, naming the file), or no report at all (ErrNoReports)
// is an error.
func Load(fs vfs.FS, paths ...string) (*Side, error) {
	s := &Side{}
	for _, p := range paths {
		fi, err := fs.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("compare: %w", err)
		}
		before := len(s.Files)
		if fi.IsDir() {
			err = s.loadDir(fs, p)
		} else {
			err = s.loadFile(fs, p)
		}
		if err != nil {
			return nil, err
		}
		if len(s.Files) == before {
			return nil, fmt.Errorf("%w: no report (*.json) under %s", ErrNoReports, p)
		}
	}
	if len(s.Files) == 0 {
		return nil, fmt.Errorf("%w: no path given", ErrNoReports)
	}
	return s, nil
}

// loadDir loads every *.json under dir, depth first in name order.
func (s *Side) loadDir(fs vfs.FS, dir string) error {
	names, err := fs.List(dir)
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	for _, name := range names {
		p := filepath.Join(dir, name)
		fi, err := fs.Stat(p)
		if err != nil {
			return fmt.Errorf("compare: %w", err)
		}
		switch {
		case fi.IsDir():
			err = s.loadDir(fs, p)
		case strings.HasSuffix(name, ".json"):
			err = s.loadFile(fs, p)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Side) loadFile(fs vfs.FS, name string) error {
	rep, err := reports.ReadJSON(fs, name)
	if err != nil {
		if vfs.IsNotExist(err) {
			return fmt.Errorf("compare: %w", err)
		}
		return err
	}
	s.Files = append(s.Files, name)
	s.Reports = append(s.Reports, rep)
	return nil
}
