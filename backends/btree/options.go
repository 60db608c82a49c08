package btree

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lightningdb/lightning/backends/btree/internal/page"
	"github.com/lightningdb/lightning/engine"
)

// Names of the btree settings in engine.Options.Extra.
const (
	// OptPageSize is the page size of a new data file in bytes: a power of
	// two from 4096 to 65536 (default 8192). An existing file keeps its
	// page size; setting another one is an error.
	OptPageSize = "btree.page_size"
	// OptCheckpointInterval is the longest time dirty data waits for a
	// checkpoint, as a Go duration ("30s", "500ms"); "0" turns the time
	// trigger off (checkpoints then happen on size, Flush and Close).
	// Default 60s. It bounds how much WAL recovery may have to replay
	// under a light write load.
	OptCheckpointInterval = "btree.checkpoint_interval"
	// OptIdleCheckpoint is how long writes must pause before the dirty
	// data is checkpointed, as a Go duration; "0" turns the idle trigger
	// off. Default 1s. After a burst of writes (a load), reads then
	// search clean pages, with the page cache's digests and leaf
	// indexes, instead of dirty nodes and deltas; a steady write load
	// never pauses that long and is not affected.
	OptIdleCheckpoint = "btree.idle_checkpoint"
	// OptCheckpointWorkers is the number of goroutines that seal
	// (checksum) the pages a checkpoint writes and build their cache
	// entries (leaf index or digest), through an engine/checksum
	// Pipeline, while the checkpoint goes on building the next pages: an
	// integer from 0 to 64. Default 0: the checkpoint does that work
	// itself. The file's bytes are the same either way.
	OptCheckpointWorkers = "btree.checkpoint_workers"
	// OptWriteBuffer turns the write buffer on ("true", the default) or
	// off ("false"). On, a write goes to the WAL and a memtable, and full
	// memtables are merged into the tree in key order in the background,
	// so that one leaf change carries every buffered write to that leaf;
	// off, every write changes the tree itself (copy-on-write of its
	// path) before it returns: less memory (no memtables), much slower
	// random writes. See the package doc, "The write buffer".
	OptWriteBuffer = "btree.write_buffer"
	// OptMemTables is the most memtables the write buffer holds: the
	// active one and up to n-1 full ones, waiting for the merger or being
	// merged. The merger takes every full one at once, so that one pass
	// over the tree carries them all: when merges are slower than writes
	// (a tree larger than the page cache), the merges grow instead of the
	// writers stalling behind each one. An integer from 2 to 16; default
	// DefaultMemTables. Each memtable is engine.Options.MemTableSize.
	OptMemTables = "btree.memtables"
)

// DefaultMemTables is the default of OptMemTables.
const DefaultMemTables = 2

// maxMemTables bounds OptMemTables.
const maxMemTables = 16

// maxCheckpointWorkers bounds OptCheckpointWorkers.
const maxCheckpointWorkers = 64

// DefaultCheckpointInterval is the default of OptCheckpointInterval.
const DefaultCheckpointInterval = time.Minute

// DefaultIdleCheckpoint is the default of OptIdleCheckpoint.
const DefaultIdleCheckpoint = time.Second

// settings are the btree-specific options parsed from Extra.
type settings struct {
	pageSize     int // 0: the file's, or the default for a new file
	ckptInterval time.Duration
	idleCkpt     time.Duration
	ckptWorkers  int
	writeBuffer  bool
	memTables    int
}

// parseSettings reads the "btree." entries of extra. An unknown name under
// the prefix or a bad value is an error wrapping engine.ErrInvalidOptions;
// other backends' entries are ignored.
func parseSettings(extra map[string]string) (settings, error) {
	st := settings{ckptInterval: DefaultCheckpointInterval, idleCkpt: DefaultIdleCheckpoint, writeBuffer: true, memTables: DefaultMemTables}
	for k, v := range extra {
		if !strings.HasPrefix(k, "btree.") {
			continue
		}
		switch k {
		case OptPageSize:
			n, err := strconv.Atoi(v)
			if err != nil || n < page.MinPageSize || n > page.MaxPageSize || n&(n-1) != 0 {
				return st, fmt.Errorf("%w: %s=%q: want a power of two in [%d, %d]", engine.ErrInvalidOptions, k, v, page.MinPageSize, page.MaxPageSize)
			}
			st.pageSize = n
		case OptCheckpointInterval, OptIdleCheckpoint:
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return st, fmt.Errorf("%w: %s=%q: want a duration >= 0 such as \"30s\"", engine.ErrInvalidOptions, k, v)
			}
			if k == OptCheckpointInterval {
				st.ckptInterval = d
			} else {
				st.idleCkpt = d
			}
		case OptCheckpointWorkers:
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > maxCheckpointWorkers {
				return st, fmt.Errorf("%w: %s=%q: want an integer in [0, %d]", engine.ErrInvalidOptions, k, v, maxCheckpointWorkers)
			}
			st.ckptWorkers = n
		case OptWriteBuffer:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return st, fmt.Errorf("%w: %s=%q: want true or false", engine.ErrInvalidOptions, k, v)
			}
			st.writeBuffer = b
		case OptMemTables:
			n, err := strconv.Atoi(v)
			if err != nil || n < 2 || n > maxMemTables {
				return st, fmt.Errorf("%w: %s=%q: want an integer in [2, %d]", engine.ErrInvalidOptions, k, v, maxMemTables)
			}
			st.memTables = n
		default:
			return st, fmt.Errorf("%w: unknown btree setting %q (known: %s, %s, %s, %s, %s, %s)", engine.ErrInvalidOptions, k, OptPageSize, OptCheckpointInterval, OptIdleCheckpoint, OptCheckpointWorkers, OptWriteBuffer, OptMemTables)
		}
	}
	return st, nil
}
