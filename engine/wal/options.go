package wal

import (
	"fmt"
	"time"

	"github.com/lightningdb/lightning/engine"
)

// Limits checked by Open.
const (
	// MinSegmentSize is the smallest Options.SegmentSize.
	MinSegmentSize = 64 << 10
	// MaxSegmentSize is the largest Options.SegmentSize. With records of
	// at most MaxRecordSize it keeps every segment within the 4 GiB a
	// record stream may span.
	MaxSegmentSize = 1 << 30
	// MaxRecordSize is the largest record WriteRecord accepts.
	MaxRecordSize = 2 << 30
)

// Default values of Options.
const (
	DefaultSegmentSize     = 64 << 20
	DefaultSyncInterval    = 100 * time.Millisecond
	DefaultRecycleSegments = 2
	DefaultMaxPending      = 4 << 20
)

// Options configure a Log. A zero field means its default.
type Options struct {
	// SegmentSize is the size at which the log moves to a new segment, in
	// bytes: a segment is sealed after the record that makes it reach
	// SegmentSize. Default 64 MiB; range [MinSegmentSize, MaxSegmentSize].
	SegmentSize int64
	// SyncInterval is how often a background fsync makes durable the
	// records written without sync. Default 100 ms; negative means never
	// (such records become durable only at a sync write, Sync, rotation
	// or Close).
	SyncInterval time.Duration
	// RecycleSegments is how many obsolete segments DeleteObsolete keeps
	// for reuse as new segments. Default 2; negative means none (obsolete
	// segments are removed).
	RecycleSegments int
	// MaxPending bounds the bytes encoded but not yet written: a writer
	// that finds more waits for the flusher. Default 4 MiB.
	MaxPending int
}

// FromEngine returns the Options an engine's WAL uses: its segment size
// (engine.Options.WALSegmentSize) and defaults for the rest. o may be nil.
func FromEngine(o *engine.Options) Options {
	if o == nil {
		return Options{}
	}
	return Options{SegmentSize: o.WALSegmentSize}
}

// prepare fills in defaults and validates.
func (o Options) prepare() (Options, error) {
	if o.SegmentSize == 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	if o.SyncInterval == 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	if o.RecycleSegments == 0 {
		o.RecycleSegments = DefaultRecycleSegments
	}
	if o.RecycleSegments < 0 {
		o.RecycleSegments = 0
	}
	if o.MaxPending == 0 {
		o.MaxPending = DefaultMaxPending
	}
	switch {
	case o.SegmentSize < MinSegmentSize || o.SegmentSize > MaxSegmentSize:
		return o, fmt.Errorf("%w: wal segment size %d outside [%d, %d]", engine.ErrInvalidOptions, o.SegmentSize, MinSegmentSize, MaxSegmentSize)
	case o.MaxPending < 0:
		return o, fmt.Errorf("%w: wal max pending %d is negative", engine.ErrInvalidOptions, o.MaxPending)
	}
	return o, nil
}
