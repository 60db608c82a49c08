package wal

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/record"
	"github.com/lightningdb/lightning/engine/vfs"
)

// ReplayStats describe what Replay read.
type ReplayStats struct {
	// Segments and Records count the segments and records read.
	Segments, Records int
	// End is the logical end of the log: the position just past the last
	// record of the last segment (at its seal, or where its torn tail
	// starts). Zero for an empty log.
	End Position
	// Torn reports that the last segment had no seal: the log was not
	// closed (a crash, or a log still open).
	Torn bool
}

// Replay calls fn for every record of the log in dir, in log order, with
// the record's position. The payload is valid only during the call. An
// error from fn stops the replay and is returned as is. A missing
// directory is an empty log.
//
// The log ends at the torn tail of the last segment. Every other segment
// must end with its seal: one that does not, a gap in the segment numbers,
// or damage inside a segment that the record reader proves is not a torn
// tail is an error satisfying errors.Is(err, engine.ErrCorruption). Replay
// a log before Open or after Close, not while a Log writes it.
//
// Segments that DeleteObsolete was removing when a crash came may be read
// again: a backend skips the records it has already made durable
// elsewhere (by sequence number).
func Replay(fs vfs.FS, dir string, fn func(pos Position, payload []byte) error) (ReplayStats, error) {
	var st ReplayStats
	segs, _, _, err := listDir(fs, dir)
	if err != nil {
		return st, err
	}
	for i, num := range segs {
		path := filepath.Join(dir, SegmentName(num))
		if i > 0 && num != segs[i-1]+1 {
			return st, engine.Corruptf(filepath.Join(dir, SegmentName(segs[i-1]+1)), 0,
				"segment missing: the log has segments %d and %d but none between", segs[i-1], num)
		}
		f, err := fs.Open(path)
		if err != nil {
			return st, fmt.Errorf("wal: %w", err)
		}
		r := record.NewReader(f, num, path)
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err == nil {
				st.Records++
				err = fn(Position{num, r.Offset()}, rec)
			}
			if err != nil {
				f.Close()
				return st, err
			}
		}
		f.Close()
		st.Segments++
		st.End, st.Torn = Position{num, r.End()}, !r.Sealed()
		if i < len(segs)-1 && !r.Sealed() {
			return st, engine.Corruptf(path, r.End(),
				"segment %d ends without its seal but is not the last segment (segment %d follows)", num, segs[i+1])
		}
	}
	return st, nil
}
