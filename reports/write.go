package reports

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"

	"github.com/lightningdb/lightning/engine/vfs"
)

// File names written by WriteAll in the output folder.
const (
	SummaryFile    = "summary.txt"
	JSONFile       = "report.json"
	CSVFile        = "timeseries.csv"
	BenchFile      = "bench.txt"
	SummaryPattern = "summary.txt, report.json, timeseries.csv, bench.txt, *.hgrm, *.png, *.svg"
)

// WriteOptions tune WriteAll.
type WriteOptions struct {
	// NoPlots skips the PNG and SVG plots.
	NoPlots bool
}

// WriteAll writes every file of the report into dir on fs (creating dir):
// summary.txt (WriteSummary), report.json (WriteJSON), timeseries.csv
// (WriteCSV), bench.txt (WriteGoBench), one .hgrm file per op type of
// each run (WriteHgrm; "_intended" ones too in open-loop runs), and the
// plots (WritePlots). It returns the names written, relative to dir. It
// stops at the first error.
func WriteAll(fs vfs.FS, dir string, rep *Report, opts *WriteOptions) ([]string, error) {
	if opts == nil {
		opts = &WriteOptions{}
	}
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	write := func(name string, fn func(io.Writer) error) error {
		var buf bytes.Buffer
		if err := fn(&buf); err != nil {
			return fmt.Errorf("reports: %s: %w", name, err)
		}
		if err := vfs.WriteFileSync(fs, filepath.Join(dir, name), buf.Bytes()); err != nil {
			return err
		}
		files = append(files, name)
		return nil
	}
	for _, f := range []struct {
		name string
		fn   func(io.Writer, *Report) error
	}{{SummaryFile, WriteSummary}, {JSONFile, WriteJSON}, {CSVFile, WriteCSV}, {BenchFile, WriteGoBench}} {
		if err := write(f.name, func(w io.Writer) error { return f.fn(w, rep) }); err != nil {
			return files, err
		}
	}
	for i := range rep.Runs {
		r := &rep.Runs[i]
		for j := range r.Ops {
			o := &r.Ops[j]
			for _, l := range []*Latency{o.Service, o.Intended} {
				if l == nil {
					continue
				}
				h, err := l.Histogram()
				if err != nil {
					return files, fmt.Errorf("reports: %s %s: %w", r.Name(), o.Op, err)
				}
				if err := write(hgrmName(r, o.Op, l == o.Intended), func(w io.Writer) error { return WriteHgrm(w, h) }); err != nil {
					return files, err
				}
			}
		}
	}
	if !opts.NoPlots {
		plots, err := WritePlots(fs, dir, rep)
		files = append(files, plots...)
		if err != nil {
			return files, err
		}
	}
	if err := fs.SyncDir(dir); err != nil {
		return files, err
	}
	return files, nil
}
