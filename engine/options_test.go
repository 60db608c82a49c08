package engine_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

// The default options' text is pinned: a change to a default is a change
// to every benchmark's configuration and must be deliberate.
func TestDefaultOptionsText(t *testing.T) {
	got := engine.DefaultOptions().String()
	want, err := os.ReadFile(filepath.Join("testdata", "default_options.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("default options changed:\n--- got\n%s--- want\n%s", got, want)
	}
}

func TestDefaultOptionsFresh(t *testing.T) {
	a := engine.DefaultOptions()
	a.CacheSize = 1
	a.Extra = map[string]string{"lsm.x": "1"}
	b := engine.DefaultOptions()
	if b.CacheSize == 1 || b.Extra != nil {
		t.Fatal("DefaultOptions returned shared state")
	}
}

func TestOptionsRoundTrip(t *testing.T) {
	o := engine.DefaultOptions()
	o.CacheSize = 12345
	o.Compression = "zstd"
	o.Checksum = "xxh3"
	o.ReadOnly = true
	o.Extra = map[string]string{"lsm.level_ratio": "8", "btree.page_size": "16384"}
	text := o.String()
	p, err := engine.ParseOptions(text)
	if err != nil {
		t.Fatal(err)
	}
	if p.String() != text {
		t.Fatalf("round trip differs:\n%s\nvs\n%s", p.String(), text)
	}
}

func TestParseOptionsZeroMeansDefault(t *testing.T) {
	p, err := engine.ParseOptions("[Options]\n  cache_size=1048576\n")
	if err != nil {
		t.Fatal(err)
	}
	q, err := p.Prepare()
	if err != nil {
		t.Fatal(err)
	}
	if q.CacheSize != 1<<20 || q.MaxKeySize != engine.DefaultOptions().MaxKeySize {
		t.Fatalf("got %+v", q)
	}
	if p.MaxKeySize != 0 {
		t.Fatal("Prepare modified its receiver")
	}
}

func TestParseOptionsErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"[Bogus]\n", `line 1: unknown section "[Bogus]"`},
		{"[Options]\n  nope=1\n", `line 2: unknown option "nope"`},
		{"[Options]\n  cache_size=big\n", `line 2: option cache_size: bad value "big"`},
		{"[Options]\n  read_only=maybe\n", `line 2: option read_only: bad value "maybe"`},
		{"[Options]\n  cache_size\n", `line 2: want name=value`},
		{"cache_size=1\n", `line 1: "cache_size=1" before any [Options] or [Extra] section`},
	} {
		_, err := engine.ParseOptions(tc.text)
		if !errors.Is(err, engine.ErrInvalidOptions) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseOptions(%q) = %v, want error containing %q", tc.text, err, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*engine.Options)
		want string
	}{
		{func(o *engine.Options) { o.MaxKeySize = -1 }, "max_key_size=-1"},
		{func(o *engine.Options) { o.MaxKeySize = engine.MaxKeySizeLimit + 1 }, "max_key_size"},
		{func(o *engine.Options) { o.MaxValueSize = engine.MaxValueSizeLimit + 1 }, "max_value_size"},
		{func(o *engine.Options) { o.CacheSize = -5 }, "cache_size=-5"},
		{func(o *engine.Options) { o.MemTableSize = 100 }, "memtable_size=100"},
		{func(o *engine.Options) { o.WALSegmentSize = 1 }, "wal_segment_size=1"},
		{func(o *engine.Options) { o.Checksum = "md5" }, "checksum=md5"},
		{func(o *engine.Options) { o.Compression = "lz4" }, "compression=lz4"},
		{func(o *engine.Options) { o.Extra = map[string]string{"noprefix": "1"} }, "extra=noprefix"},
		{func(o *engine.Options) { o.Extra = map[string]string{"a.b": "x\ny"} }, "values must be one line"},
	} {
		o := engine.DefaultOptions()
		tc.mod(o)
		err := o.Validate()
		if !errors.Is(err, engine.ErrInvalidOptions) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate = %v, want error containing %q", err, tc.want)
		}
	}
	if err := engine.DefaultOptions().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}

func TestCheckLimits(t *testing.T) {
	o := &engine.Options{MaxKeySize: 4, MaxValueSize: 8}
	for _, tc := range []struct {
		key, value []byte
		want       error
	}{
		{[]byte("k"), []byte("v"), nil},
		{[]byte("kkkk"), []byte("vvvvvvvv"), nil},
		{nil, nil, engine.ErrEmptyKey},
		{[]byte("kkkkk"), nil, engine.ErrKeyTooLarge},
		{[]byte("k"), []byte("vvvvvvvvv"), engine.ErrValueTooLarge},
	} {
		err := o.CheckKey(tc.key)
		if err == nil {
			err = o.CheckValue(tc.value)
		}
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("check(%q, %q) = %v, want %v", tc.key, tc.value, err, tc.want)
		}
	}
	b := engine.NewBatch()
	b.Set([]byte("a"), []byte("1"))
	b.Delete([]byte("toolong"))
	err := o.CheckBatch(b)
	if !errors.Is(err, engine.ErrKeyTooLarge) || !strings.Contains(err.Error(), "batch op 1 (DEL)") {
		t.Fatalf("CheckBatch = %v", err)
	}
}

func TestCorruptionError(t *testing.T) {
	err := engine.Corruptf("db/000001.sst", 4096, "checksum mismatch: %x != %x", 1, 2)
	wrapped := errors.Join(errors.New("reading block"), err)
	if !errors.Is(wrapped, engine.ErrCorruption) {
		t.Fatal("not ErrCorruption")
	}
	var ce *engine.CorruptionError
	if !errors.As(wrapped, &ce) || ce.File != "db/000001.sst" || ce.Offset != 4096 {
		t.Fatalf("As: %+v", ce)
	}
	if want := "engine: corruption in db/000001.sst at offset 4096: checksum mismatch: 1 != 2"; err.Error() != want {
		t.Fatalf("got %q want %q", err.Error(), want)
	}
}
