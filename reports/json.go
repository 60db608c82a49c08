package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/harness/measure"
)

// ErrSchema is wrapped by the error of DecodeJSON for a report whose
// schema is not this package's (another tool's JSON, or a future major
// version).
var ErrSchema = errors.New("reports: unsupported report schema")

// WriteJSON writes rep as indented JSON.
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

// DecodeJSON parses a report written by WriteJSON; file names it in
// errors. Malformed JSON, a histogram that does not decode or has another
// geometry, and inconsistent counts are errors matching
// engine.ErrCorruption, with the byte offset of a JSON syntax error (-1
// when the damage is not at one place). A report of another schema is an
// error wrapping ErrSchema. Every histogram is decoded and checked here,
// so Latency.Histogram does not fail on a decoded report.
func DecodeJSON(file string, data []byte) (*Report, error) {
	var probe struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, jsonCorruption(file, data, err)
	}
	if probe.Schema == nil {
		return nil, fmt.Errorf("%w: %s has no \"schema\" field (not an lbench report)", ErrSchema, file)
	}
	if *probe.Schema != Schema {
		return nil, fmt.Errorf("%w: %s has schema %q, this lbench reads %q", ErrSchema, file, clip(*probe.Schema), Schema)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	rep := &Report{}
	if err := dec.Decode(rep); err != nil {
		return nil, jsonCorruption(file, data, err)
	}
	if dec.More() {
		return nil, engine.Corruptf(file, dec.InputOffset(), "data after the report")
	}
	for i := range rep.Runs {
		if err := rep.Runs[i].check(); err != nil {
			return nil, &engine.CorruptionError{File: file, Offset: -1, Reason: fmt.Sprintf("run %d (%s)", i, rep.Runs[i].Name()), Err: err}
		}
	}
	return rep, nil
}

// ReadJSON reads and decodes the report file name from fs.
func ReadJSON(fs vfs.FS, name string) (*Report, error) {
	data, err := vfs.ReadFile(fs, name)
	if err != nil {
		return nil, err
	}
	return DecodeJSON(name, data)
}

// check validates a decoded run: names usable in file names, histograms
// decodable with the harness's geometry and consistent with the counts.
func (r *Run) check() error {
	if r.Workload == "" || r.Backend == "" || (r.Phase != "load" && r.Phase != "run") {
		return fmt.Errorf("missing workload/backend or phase %q not load or run", clip(r.Phase))
	}
	if r.RunTimeNS < 0 || r.IntervalNS < 0 || r.Threads < 0 || r.Repeat < 0 {
		return fmt.Errorf("negative runtime, interval, threads or repeat")
	}
	seen := map[string]bool{}
	for i := range r.Ops {
		o := &r.Ops[i]
		if op, ok := measure.ParseOp(o.Op); !ok || op.Name() != o.Op {
			return fmt.Errorf("unknown op %q", clip(o.Op))
		}
		if seen[o.Op] {
			return fmt.Errorf("op %q twice", o.Op)
		}
		seen[o.Op] = true
		if o.Service == nil {
			return fmt.Errorf("op %s has no service histogram", o.Op)
		}
		for _, l := range []*Latency{o.Service, o.Intended} {
			if l == nil {
				continue
			}
			h, err := l.Histogram()
			if err != nil {
				return fmt.Errorf("op %s: %w", o.Op, err)
			}
			if h.TotalCount() != l.Count {
				return fmt.Errorf("op %s: histogram holds %d values, count says %d", o.Op, h.TotalCount(), l.Count)
			}
		}
	}
	return nil
}

// jsonCorruption turns a JSON decoding error into a corruption error at
// the offending offset.
func jsonCorruption(file string, data []byte, err error) error {
	off := int64(-1)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		off = int64(len(data))
	}
	return &engine.CorruptionError{File: file, Offset: off, Reason: "malformed report JSON", Err: err}
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
