package lsm

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lightningdb/lightning/backends/lsm/internal/bloom"
	"github.com/lightningdb/lightning/backends/lsm/internal/manifest"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/compress"
)

// ExtraPrefix is the prefix of the LSM's settings in engine.Options.Extra.
const ExtraPrefix = "lsm."

// Settings are the LSM-specific options, read from engine.Options.Extra
// under the "lsm." prefix (e.g. "lsm.level_ratio=10"). Every field has a
// default; ParseSettings lists them.
type Settings struct {
	// L0CompactionTrigger: an L0→L1 compaction starts when level 0 has
	// this many files. Default 4.
	L0CompactionTrigger int
	// L0StopWritesTrigger: writers stall while level 0 has this many
	// files. Default 12.
	L0StopWritesTrigger int
	// MaxImmutableMemTables: writers stall while this many full memtables
	// wait to be flushed. Default 2.
	MaxImmutableMemTables int
	// LevelRatio is the size ratio between consecutive levels. Default 10.
	LevelRatio int
	// L1Size is the target size of level 1 in bytes; level n targets
	// L1Size * LevelRatio^(n-1). Default 64 MiB.
	L1Size int64
	// TargetFileSize is the size at which a compaction cuts its output
	// into a new table, in bytes. Default 8 MiB.
	TargetFileSize int64
	// GrandparentOverlap bounds, in multiples of TargetFileSize, the bytes
	// of the level below its own that one compaction output may overlap
	// (the output is cut early otherwise), so that compacting it later
	// rewrites a bounded amount of that level. 0: no bound. Default 10.
	GrandparentOverlap int
	// BlockSize is the target size of a data block, in bytes. Default 4096.
	BlockSize int
	// BlockWorkers is the number of goroutines that compress and checksum
	// the data blocks of each table a flush or compaction writes (the
	// engine/checksum Pipeline), while the writer builds the next blocks.
	// 0 (the default) does it inline: on the 2-core reference machine,
	// where writers, a flush and a compaction already keep both cores
	// busy, the pipeline measured no faster (sstable BenchmarkWriter,
	// zstd: same wall time, more CPU). Worth trying with idle cores and an
	// expensive codec. At most 64.
	BlockWorkers int
	// RestartInterval is the number of keys between restart points in data
	// blocks: a point read decodes on average half of an interval after a
	// binary search over the restart points, so short intervals make
	// reads faster and blocks a little larger. Default 4.
	RestartInterval int
	// FilterBits is the bloom filter's bits per key; 0 writes no filter.
	// Default 10.
	FilterBits int
	// MaxOpenFiles bounds the tables kept open by the table cache.
	// Default 1000.
	MaxOpenFiles int
	// CompactionConcurrency is the number of compactions that may run at
	// once. Default 1.
	CompactionConcurrency int
	// RateLimit bounds the bytes per second compactions write; 0 means
	// unlimited. Flushes are never limited. Default 0.
	RateLimit int64
	// PinIndex keeps every open table's index block in memory outside the
	// block cache (faster point reads; memory not bounded by the cache).
	// Default false.
	PinIndex bool
	// IndexBudget is the memory, taken out of engine.Options.CacheSize,
	// for index blocks pinned in open tables (one block cache lookup less
	// per table a Get reads); tables whose index does not fit keep it in
	// the block cache. 0 pins nothing; -1 (the default) means a sixteenth
	// of CacheSize.
	IndexBudget int64
	// ManifestSize is the size past which the MANIFEST is rewritten as a
	// new file holding one snapshot. Default 4 MiB.
	ManifestSize int64
	// RowCacheSize is the memory of the row cache (hot key → value rows in
	// front of Get; see engine/cache.RowCache), taken out of
	// engine.Options.CacheSize: the block cache gets the rest. 0 turns it
	// off; -1 (the default) means about a quarter of CacheSize (the row
	// cache has a power-of-two number of sets: the nearest, at most half
	// of CacheSize). Memory the geometry leaves unused goes to the block
	// cache.
	RowCacheSize int64
	// RowCacheMaxEntry is the largest key+value the row cache keeps.
	// Default 256.
	RowCacheMaxEntry int
	// ReadCompactionInterval is how often the DB looks at read pressure on
	// level 0: when, over one interval, no memtable was flushed and Gets
	// consulted level-0 tables without finding their key more often than
	// the level's size in 16 KiB units (at least 1000 times), level 0 is
	// compacted into level 1 even below L0CompactionTrigger, so that a
	// read-mostly phase stops paying for the files a write burst left.
	// 0 turns it off. Default 1s.
	ReadCompactionInterval time.Duration
	// CompressionPerLevel gives the codec of each level's new tables, as a
	// comma-separated list of codec names ("none,none,snappy,zstd"): level
	// n uses entry n, levels past the list its last entry. Empty (the
	// default) uses engine.Options.Compression everywhere.
	CompressionPerLevel []compress.Codec
}

// setting describes one Extra name: its default text and how to set it.
type setting struct {
	name string
	def  string
	set  func(s *Settings, v string) error
}

func intSetting(name string, def, lo, hi int64, p func(*Settings) *int) setting {
	return setting{name, strconv.FormatInt(def, 10), func(s *Settings, v string) error {
		n, err := parseSize(v)
		if err != nil {
			return err
		}
		if n < lo || n > hi {
			return fmt.Errorf("must be in [%d, %d]", lo, hi)
		}
		*p(s) = int(n)
		return nil
	}}
}

func int64Setting(name string, def, lo, hi int64, p func(*Settings) *int64) setting {
	return setting{name, strconv.FormatInt(def, 10), func(s *Settings, v string) error {
		n, err := parseSize(v)
		if err != nil {
			return err
		}
		if n < lo || n > hi {
			return fmt.Errorf("must be in [%d, %d]", lo, hi)
		}
		*p(s) = n
		return nil
	}}
}

// parseSize reads an integer with an optional KiB/MiB/GiB suffix.
func parseSize(v string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if s, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = s, u.m
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("not an integer")
	}
	if n > 0 && n > (1<<62)/mult {
		return 0, fmt.Errorf("too large")
	}
	return n * mult, nil
}

// settings lists every LSM setting with its default, in name order.
var settings = []setting{
	intSetting("block_size", 4096, 256, 1<<20, func(s *Settings) *int { return &s.BlockSize }),
	intSetting("block_workers", 0, 0, 64, func(s *Settings) *int { return &s.BlockWorkers }),
	intSetting("compaction_concurrency", 1, 1, 64, func(s *Settings) *int { return &s.CompactionConcurrency }),
	{"compression_per_level", "", func(s *Settings, v string) error {
		s.CompressionPerLevel = nil
		if v == "" {
			return nil
		}
		for i, name := range strings.Split(v, ",") {
			c, err := compress.ParseCodec(strings.TrimSpace(name))
			if err != nil {
				return fmt.Errorf("entry %d: %v", i, err)
			}
			s.CompressionPerLevel = append(s.CompressionPerLevel, c)
		}
		if len(s.CompressionPerLevel) > manifest.NumLevels {
			return fmt.Errorf("%d entries for %d levels", len(s.CompressionPerLevel), manifest.NumLevels)
		}
		return nil
	}},
	intSetting("filter_bits", 10, 0, bloom.MaxBitsPerKey, func(s *Settings) *int { return &s.FilterBits }),
	intSetting("grandparent_overlap", 10, 0, 1000, func(s *Settings) *int { return &s.GrandparentOverlap }),
	int64Setting("index_budget", -1, -1, 1<<50, func(s *Settings) *int64 { return &s.IndexBudget }),
	intSetting("l0_compaction_trigger", 4, 1, 1000, func(s *Settings) *int { return &s.L0CompactionTrigger }),
	intSetting("l0_stop_writes_trigger", 12, 1, 10000, func(s *Settings) *int { return &s.L0StopWritesTrigger }),
	int64Setting("l1_size", 64<<20, 1<<10, 1<<50, func(s *Settings) *int64 { return &s.L1Size }),
	intSetting("level_ratio", 10, 2, 1000, func(s *Settings) *int { return &s.LevelRatio }),
	int64Setting("manifest_size", 4<<20, 256, 1<<40, func(s *Settings) *int64 { return &s.ManifestSize }),
	intSetting("max_immutable_memtables", 2, 1, 100, func(s *Settings) *int { return &s.MaxImmutableMemTables }),
	intSetting("max_open_files", 1000, 16, 1<<20, func(s *Settings) *int { return &s.MaxOpenFiles }),
	{"pin_index", "false", func(s *Settings, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("not a boolean")
		}
		s.PinIndex = b
		return nil
	}},
	int64Setting("rate_limit_bytes_per_sec", 0, 0, 1<<50, func(s *Settings) *int64 { return &s.RateLimit }),
	{"read_compaction_interval", "1s", func(s *Settings, v string) error {
		d, err := time.ParseDuration(v)
		if v == "0" {
			d, err = 0, nil
		}
		if err != nil {
			return fmt.Errorf("not a duration (like 1s or 500ms, or 0 to turn it off)")
		}
		if d < 0 || d > time.Hour {
			return fmt.Errorf("must be in [0, 1h]")
		}
		s.ReadCompactionInterval = d
		return nil
	}},
	intSetting("restart_interval", 4, 1, 1024, func(s *Settings) *int { return &s.RestartInterval }),
	int64Setting("row_cache_size", -1, -1, 1<<50, func(s *Settings) *int64 { return &s.RowCacheSize }),
	intSetting("row_cache_max_entry", 256, 16, 1<<20, func(s *Settings) *int { return &s.RowCacheMaxEntry }),
	int64Setting("target_file_size", 8<<20, 1<<10, 1<<40, func(s *Settings) *int64 { return &s.TargetFileSize }),
}

// DefaultSettings returns the settings used when Extra says nothing.
func DefaultSettings() Settings {
	s, err := ParseSettings(nil)
	if err != nil {
		panic("lsm: default settings do not parse: " + err.Error())
	}
	return s
}

// SettingNames returns the names of the LSM settings (with the "lsm."
// prefix) mapped to their default values, as text.
func SettingNames() map[string]string {
	m := map[string]string{}
	for _, st := range settings {
		m[ExtraPrefix+st.name] = st.def
	}
	return m
}

// ParseSettings reads the "lsm." entries of extra (other entries are
// ignored: they configure other backends) over the defaults. An unknown
// "lsm." name, a malformed value or one out of range is an error wrapping
// engine.ErrInvalidOptions that names the setting. Sizes accept a KiB,
// MiB or GiB suffix.
func ParseSettings(extra map[string]string) (Settings, error) {
	var s Settings
	for _, st := range settings {
		if err := st.set(&s, st.def); err != nil {
			return s, fmt.Errorf("lsm: default of %s: %v", st.name, err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		name, ok := strings.CutPrefix(k, ExtraPrefix)
		if !ok {
			continue
		}
		i := slices.IndexFunc(settings, func(st setting) bool { return st.name == name })
		if i < 0 {
			return s, fmt.Errorf("%w: unknown setting %s (known: %s)", engine.ErrInvalidOptions, k, strings.Join(knownNames(), ", "))
		}
		if err := settings[i].set(&s, strings.TrimSpace(extra[k])); err != nil {
			return s, fmt.Errorf("%w: %s=%s: %v", engine.ErrInvalidOptions, k, extra[k], err)
		}
	}
	if s.L0StopWritesTrigger < s.L0CompactionTrigger {
		return s, fmt.Errorf("%w: lsm.l0_stop_writes_trigger=%d is below lsm.l0_compaction_trigger=%d",
			engine.ErrInvalidOptions, s.L0StopWritesTrigger, s.L0CompactionTrigger)
	}
	return s, nil
}

func knownNames() []string {
	var n []string
	for _, st := range settings {
		n = append(n, ExtraPrefix+st.name)
	}
	return n
}

// levelTarget returns the target size of level (>= 1).
func (s *Settings) levelTarget(level int) float64 {
	t := float64(s.L1Size)
	for l := 1; l < level; l++ {
		t *= float64(s.LevelRatio)
	}
	return t
}
