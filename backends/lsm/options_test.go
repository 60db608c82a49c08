package lsm

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/compress"
	"github.com/lightningdb/lightning/engine/vfs"
)

// TestDefaultSettings pins the defaults (a change must be deliberate).
func TestDefaultSettings(t *testing.T) {
	want := "block_size=4096 block_workers=0 compaction_concurrency=1 compression_per_level= filter_bits=10 grandparent_overlap=10 index_budget=-1 l0_compaction_trigger=4 l0_stop_writes_trigger=12 " +
		"l1_size=67108864 level_ratio=10 manifest_size=4194304 max_immutable_memtables=2 max_open_files=1000 " +
		"pin_index=false rate_limit_bytes_per_sec=0 read_compaction_interval=1s restart_interval=4 row_cache_size=-1 row_cache_max_entry=256 target_file_size=8388608"
	var got []string
	for _, st := range settings {
		got = append(got, st.name+"="+st.def)
	}
	if g := strings.Join(got, " "); g != want {
		t.Errorf("defaults:\n got %s\nwant %s", g, want)
	}
	s := DefaultSettings()
	if s.L0CompactionTrigger != 4 || s.L1Size != 64<<20 || s.TargetFileSize != 8<<20 || s.FilterBits != 10 || s.PinIndex {
		t.Errorf("DefaultSettings = %+v", s)
	}
	if len(SettingNames()) != len(settings) {
		t.Errorf("SettingNames has %d names", len(SettingNames()))
	}
}

func TestParseSettings(t *testing.T) {
	cases := []struct {
		extra map[string]string
		check func(Settings) bool
		err   string // substring of the error; "" for success
	}{
		{map[string]string{"lsm.level_ratio": "4", "btree.page_size": "x"}, func(s Settings) bool { return s.LevelRatio == 4 }, ""},
		{map[string]string{"lsm.l1_size": "2MiB"}, func(s Settings) bool { return s.L1Size == 2<<20 }, ""},
		{map[string]string{"lsm.target_file_size": " 3KiB "}, func(s Settings) bool { return s.TargetFileSize == 3<<10 }, ""},
		{map[string]string{"lsm.pin_index": "true"}, func(s Settings) bool { return s.PinIndex }, ""},
		{map[string]string{"lsm.block_workers": "3"}, func(s Settings) bool { return s.BlockWorkers == 3 }, ""},
		{map[string]string{"lsm.block_workers": "65"}, nil, "must be in [0, 64]"},
		{map[string]string{"lsm.filter_bits": "0"}, func(s Settings) bool { return s.FilterBits == 0 }, ""},
		{map[string]string{"lsm.rate_limit_bytes_per_sec": "1GiB"}, func(s Settings) bool { return s.RateLimit == 1<<30 }, ""},
		{map[string]string{"lsm.read_compaction_interval": "250ms"}, func(s Settings) bool { return s.ReadCompactionInterval == 250*time.Millisecond }, ""},
		{map[string]string{"lsm.read_compaction_interval": "0"}, func(s Settings) bool { return s.ReadCompactionInterval == 0 }, ""},
		{map[string]string{"lsm.read_compaction_interval": "soon"}, nil, "not a duration"},
		{map[string]string{"lsm.read_compaction_interval": "-1s"}, nil, "must be in"},
		{map[string]string{"lsm.compression_per_level": "none, snappy,zstd"}, func(s Settings) bool {
			return len(s.CompressionPerLevel) == 3 && s.CompressionPerLevel[2] == compress.Zstd
		}, ""},
		{map[string]string{"lsm.compression_per_level": "none,lz4"}, nil, "entry 1"},
		{map[string]string{"lsm.compression_per_level": "none,none,none,none,none,none,none,none"}, nil, "8 entries for 7 levels"},
		{map[string]string{"lsm.no_such": "1"}, nil, "unknown setting lsm.no_such"},
		{map[string]string{"lsm.level_ratio": "1"}, nil, "lsm.level_ratio=1: must be in [2, 1000]"},
		{map[string]string{"lsm.level_ratio": "ten"}, nil, "lsm.level_ratio=ten: not an integer"},
		{map[string]string{"lsm.pin_index": "maybe"}, nil, "lsm.pin_index=maybe: not a boolean"},
		{map[string]string{"lsm.block_size": "9GiB"}, nil, "lsm.block_size"},
		{map[string]string{"lsm.l1_size": "99999999999GiB"}, nil, "too large"},
		{map[string]string{"lsm.l0_compaction_trigger": "20"}, nil, "lsm.l0_stop_writes_trigger=12 is below lsm.l0_compaction_trigger=20"},
	}
	for i, c := range cases {
		s, err := ParseSettings(c.extra)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("case %d %v: %v", i, c.extra, err)
		case c.err == "" && !c.check(s):
			t.Errorf("case %d %v: got %+v", i, c.extra, s)
		case c.err != "" && (!errors.Is(err, engine.ErrInvalidOptions) || !strings.Contains(err.Error(), c.err)):
			t.Errorf("case %d %v: err = %v, want ErrInvalidOptions mentioning %q", i, c.extra, err, c.err)
		}
	}
}

func TestOpenRejectsBadSettings(t *testing.T) {
	o := smallOptions(t, nil, map[string]string{"lsm.max_open_files": "1"})
	if _, err := Open(t.TempDir(), o); !errors.Is(err, engine.ErrInvalidOptions) || !strings.Contains(err.Error(), "lsm.max_open_files") {
		t.Fatalf("Open: %v, want an invalid-options error naming lsm.max_open_files", err)
	}
	if _, err := engine.Open("lsm", t.TempDir(), &engine.Options{Extra: map[string]string{"lsm.bogus": "1"}}); !errors.Is(err, engine.ErrInvalidOptions) {
		t.Fatalf("engine.Open: %v, want ErrInvalidOptions", err)
	}
}

// TestMemTableDefault: the lsm's memtable is DefaultMemTableSize when the
// caller leaves MemTableSize zero, through Open and engine.Open alike, and
// the caller's value otherwise.
func TestMemTableDefault(t *testing.T) {
	for _, c := range []struct{ set, want int64 }{{0, DefaultMemTableSize}, {1 << 20, 1 << 20}} {
		p, err := engine.PrepareFor("lsm", &engine.Options{MemTableSize: c.set})
		if err != nil {
			t.Fatal(err)
		}
		o := smallOptions(t, vfs.NewMem(), nil)
		o.MemTableSize = c.set
		d := mustOpen(t, "db", o)
		got := d.opts.MemTableSize
		d.Close()
		if p.MemTableSize != c.want || got != c.want {
			t.Errorf("memtable_size %d: engine.PrepareFor gives %d, Open uses %d, want %d", c.set, p.MemTableSize, got, c.want)
		}
	}
}
