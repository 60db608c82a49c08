package manifest

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/record"
	"github.com/lightningdb/lightning/engine/vfs"
)

// File names in the database directory.
const (
	// CurrentName is the file naming the MANIFEST in use.
	CurrentName = "CURRENT"
	// CurrentTempName is where a new CURRENT is written before the rename.
	CurrentTempName = "CURRENT.tmp"
	manifestPrefix  = "MANIFEST-"
)

// FileName returns the name of MANIFEST number num, e.g. "MANIFEST-000005".
func FileName(num uint64) string { return fmt.Sprintf("%s%06d", manifestPrefix, num) }

// ParseFileName returns the number of a MANIFEST file name.
func ParseFileName(name string) (num uint64, ok bool) {
	digits, ok := strings.CutPrefix(name, manifestPrefix)
	if !ok || len(digits) < 6 || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	num, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || num == 0 || FileName(num) != name {
		return 0, false
	}
	return num, true
}

// WriteCurrent points CURRENT at MANIFEST num atomically: it writes and
// syncs CURRENT.tmp, renames it over CURRENT and syncs the directory.
func WriteCurrent(fs vfs.FS, dir string, num uint64) error {
	tmp := filepath.Join(dir, CurrentTempName)
	if err := vfs.WriteFileSync(fs, tmp, []byte(FileName(num)+"\n")); err != nil {
		return fmt.Errorf("manifest: writing %s: %w", tmp, err)
	}
	if err := fs.Rename(tmp, filepath.Join(dir, CurrentName)); err != nil {
		return fmt.Errorf("manifest: installing %s: %w", CurrentName, err)
	}
	if err := fs.SyncDir(dir); err != nil {
		return fmt.Errorf("manifest: syncing %s: %w", dir, err)
	}
	return nil
}

// ReadCurrent returns the MANIFEST number CURRENT names. A missing CURRENT
// is returned as the FS's not-exist error (test with vfs.IsNotExist);
// content that is not exactly a MANIFEST name and a newline is corruption.
func ReadCurrent(fs vfs.FS, dir string) (uint64, error) {
	path := filepath.Join(dir, CurrentName)
	b, err := vfs.ReadFile(fs, path)
	if err != nil {
		return 0, err
	}
	name, ok := strings.CutSuffix(string(b), "\n")
	num, ok2 := ParseFileName(name)
	if !ok || !ok2 {
		return 0, engine.Corruptf(path, 0, "content %q is not a MANIFEST name and a newline", clip(b))
	}
	return num, nil
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// State is what a MANIFEST describes: the Version and the counters.
type State struct {
	Version     *Version
	LogNum      uint64
	NextFileNum uint64
	LastSeq     uint64
	// Edits counts the records read; Size is the logical end of the log.
	Edits int
	Size  int64
}

// apply folds an edit into the state.
func (s *State) apply(e *VersionEdit) error {
	v, err := s.Version.Apply(e)
	if err != nil {
		return err
	}
	s.Version = v
	if e.LogNum != 0 {
		if e.LogNum < s.LogNum {
			return fmt.Errorf("%w: log number goes back from %d to %d", ErrInvalidEdit, s.LogNum, e.LogNum)
		}
		s.LogNum = e.LogNum
	}
	if e.NextFileNum != 0 {
		s.NextFileNum = e.NextFileNum
	}
	if e.LastSeq != 0 {
		if e.LastSeq < s.LastSeq {
			return fmt.Errorf("%w: last sequence goes back from %d to %d", ErrInvalidEdit, s.LastSeq, e.LastSeq)
		}
		s.LastSeq = e.LastSeq
	}
	for _, a := range e.Added {
		if a.Meta.FileNum >= s.NextFileNum {
			s.NextFileNum = a.Meta.FileNum + 1
		}
	}
	return nil
}

// Load reads MANIFEST num in dir and returns the state it describes. Any
// damage other than a torn tail, an edit that does not apply, and a
// MANIFEST without its first (snapshot) record are errors satisfying
// errors.Is(err, engine.ErrCorruption). A missing MANIFEST is corruption
// too: CURRENT names it.
func Load(fs vfs.FS, dir string, num uint64) (*State, error) {
	path := filepath.Join(dir, FileName(num))
	f, err := fs.Open(path)
	if err != nil {
		if vfs.IsNotExist(err) {
			return nil, &engine.CorruptionError{File: filepath.Join(dir, CurrentName), Offset: 0,
				Reason: fmt.Sprintf("names %s, which does not exist", FileName(num)), Err: err}
		}
		return nil, fmt.Errorf("manifest: %w", err)
	}
	defer f.Close()
	st := &State{Version: &Version{}}
	r := record.NewReader(f, num, path)
	var e VersionEdit
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, engine.ErrCorruption) {
				return nil, err
			}
			return nil, fmt.Errorf("manifest: reading %s: %w", path, err)
		}
		if err := e.Decode(rec); err != nil {
			return nil, &engine.CorruptionError{File: path, Offset: r.Offset(), Reason: "bad version edit", Err: err}
		}
		if st.Edits == 0 && e.FormatVersion == 0 {
			return nil, engine.Corruptf(path, r.Offset(), "first record is not a snapshot (no format version)")
		}
		if err := st.apply(&e); err != nil {
			return nil, &engine.CorruptionError{File: path, Offset: r.Offset(), Reason: "version edit does not apply", Err: err}
		}
		st.Edits++
	}
	if st.Edits == 0 {
		return nil, engine.Corruptf(path, 0, "no readable snapshot record")
	}
	st.Size = r.End()
	return st, nil
}

// Writer appends version edits to a MANIFEST. It is not safe for
// concurrent use. After a failed Append the file's state is unknown: the
// owner must stop using it (and the database must stop changing).
type Writer struct {
	fs   vfs.FS
	path string
	num  uint64
	f    vfs.File
	w    *record.Writer
	buf  []byte
	err  error
}

// Create writes a new MANIFEST num in dir whose first record is snapshot,
// syncs it and syncs the directory. It does not touch CURRENT (see
// WriteCurrent). On error the partial file may remain; it is not named by
// CURRENT and can be removed.
func Create(fs vfs.FS, dir string, num uint64, snapshot *VersionEdit) (*Writer, error) {
	path := filepath.Join(dir, FileName(num))
	f, err := fs.Create(path)
	if err != nil {
		return nil, fmt.Errorf("manifest: creating %s: %w", path, err)
	}
	w := &Writer{fs: fs, path: path, num: num, f: f, w: record.NewWriter(f, num)}
	if err := w.Append(snapshot); err != nil {
		f.Close()
		return nil, err
	}
	if err := fs.SyncDir(dir); err != nil {
		f.Close()
		return nil, fmt.Errorf("manifest: syncing %s: %w", dir, err)
	}
	return w, nil
}

// Append writes e as one record and syncs the file. An error is sticky.
func (w *Writer) Append(e *VersionEdit) error {
	if w.err != nil {
		return w.err
	}
	w.buf = e.Encode(w.buf[:0])
	_, err := w.w.WriteRecord(w.buf)
	if err == nil {
		err = w.w.Flush()
	}
	if err == nil {
		err = w.f.Sync()
	}
	if err != nil {
		w.err = fmt.Errorf("manifest: appending to %s: %w", w.path, err)
		return w.err
	}
	return nil
}

// Num returns the MANIFEST's file number.
func (w *Writer) Num() uint64 { return w.num }

// Size returns the bytes written so far.
func (w *Writer) Size() int64 { return w.w.Size() }

// Close closes the file. It returns the sticky error, if any.
func (w *Writer) Close() error {
	err := w.f.Close()
	if w.err != nil {
		return w.err
	}
	return err
}
