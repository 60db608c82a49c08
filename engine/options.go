package engine

import (
	"bufio"
	"fmt"
	"log"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/lightningdb/lightning/engine/vfs"
)

// Limits on Options values, checked by Validate.
const (
	// MaxKeySizeLimit is the largest MaxKeySize a backend must support.
	MaxKeySizeLimit = 1 << 20
	// MaxValueSizeLimit is the largest MaxValueSize a backend must support.
	MaxValueSizeLimit = 1 << 30
)

// Logger receives the engine's log lines (write stalls, recovery notes).
// It must be safe for concurrent use.
type Logger interface {
	Logf(format string, args ...any)
}

type stdLogger struct{}

func (stdLogger) Logf(format string, args ...any) { log.Printf(format, args...) }

// DefaultLogger writes through the standard library's log package.
var DefaultLogger Logger = stdLogger{}

// Options configure an engine. A zero field means "use the default", so
// &Options{} is valid. Open clones the options, fills in defaults
// (EnsureDefaults) and validates them (Validate); the caller's value is
// never modified or retained.
//
// Options print as text (String) and parse back (ParseOptions), so a
// benchmark report can embed the exact configuration. FS and Logger are
// not part of the text.
type Options struct {
	// FS is the file system every byte of I/O goes through.
	// Default: vfs.Default (the operating system's).
	FS vfs.FS
	// Logger receives log lines. Default: DefaultLogger.
	Logger Logger

	// MaxKeySize is the largest key accepted, in bytes. Default 64 KiB.
	MaxKeySize int
	// MaxValueSize is the largest value accepted, in bytes. Default 64 MiB.
	MaxValueSize int
	// CacheSize bounds the block/page cache, in bytes. Default 64 MiB.
	CacheSize int64
	// MemTableSize is the size at which a memtable (or the set of dirty
	// pages) is flushed, in bytes. Default 32 MiB, unless the backend
	// gives its own (SetDefaults; the lsm's is 8 MiB).
	MemTableSize int64
	// WALSegmentSize is the size at which the WAL rotates to a new
	// segment, in bytes. Default 64 MiB.
	WALSegmentSize int64
	// Checksum names the checksum kind for new files: "crc32c" (default)
	// or "xxh3".
	Checksum string
	// Compression names the block codec for new files: "none", "snappy"
	// (default), "s2" or "zstd".
	Compression string
	// ReadOnly opens the engine without writing anything; writes return
	// ErrReadOnly.
	ReadOnly bool

	// Extra holds backend-specific settings as name=value text. Names are
	// prefixed with the backend's name ("lsm.level_ratio"); a backend
	// validates the names under its own prefix, rejects unknown ones, and
	// ignores the others, so one Options can configure every backend of a
	// comparison.
	Extra map[string]string
}

// DefaultOptions returns a fresh Options with every default filled in.
// Each call returns a new value; changing it affects nobody else.
func DefaultOptions() *Options {
	o := &Options{}
	o.EnsureDefaults()
	return o
}

// Clone returns a deep copy of o. Clone of nil is an empty Options.
func (o *Options) Clone() *Options {
	if o == nil {
		return &Options{}
	}
	c := *o
	c.Extra = maps.Clone(o.Extra)
	return &c
}

// EnsureDefaults replaces every zero field with its default and returns o.
func (o *Options) EnsureDefaults() *Options {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.Logger == nil {
		o.Logger = DefaultLogger
	}
	if o.MaxKeySize == 0 {
		o.MaxKeySize = 64 << 10
	}
	if o.MaxValueSize == 0 {
		o.MaxValueSize = 64 << 20
	}
	if o.CacheSize == 0 {
		o.CacheSize = 64 << 20
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = 32 << 20
	}
	if o.WALSegmentSize == 0 {
		o.WALSegmentSize = 64 << 20
	}
	if o.Checksum == "" {
		o.Checksum = "crc32c"
	}
	if o.Compression == "" {
		o.Compression = "snappy"
	}
	return o
}

// Validate checks every field and returns an error wrapping
// ErrInvalidOptions that names the first bad one.
func (o *Options) Validate() error {
	bad := func(field string, v any, why string) error {
		return fmt.Errorf("%w: %s=%v: %s", ErrInvalidOptions, field, v, why)
	}
	switch {
	case o.MaxKeySize < 1 || o.MaxKeySize > MaxKeySizeLimit:
		return bad("max_key_size", o.MaxKeySize, fmt.Sprintf("must be in [1, %d]", MaxKeySizeLimit))
	case o.MaxValueSize < 0 || o.MaxValueSize > MaxValueSizeLimit:
		return bad("max_value_size", o.MaxValueSize, fmt.Sprintf("must be in [0, %d]", MaxValueSizeLimit))
	case o.CacheSize < 0:
		return bad("cache_size", o.CacheSize, "must not be negative")
	case o.MemTableSize < 64<<10:
		return bad("memtable_size", o.MemTableSize, "must be at least 64 KiB")
	case o.WALSegmentSize < 64<<10:
		return bad("wal_segment_size", o.WALSegmentSize, "must be at least 64 KiB")
	}
	if !slices.Contains([]string{"crc32c", "xxh3"}, o.Checksum) {
		return bad("checksum", o.Checksum, `must be "crc32c" or "xxh3"`)
	}
	if !slices.Contains([]string{"none", "snappy", "s2", "zstd"}, o.Compression) {
		return bad("compression", o.Compression, `must be "none", "snappy", "s2" or "zstd"`)
	}
	for k := range o.Extra {
		if k == "" || strings.ContainsAny(k, "= \t\r\n[]#") || !strings.Contains(k, ".") {
			return bad("extra", k, `names look like "backend.setting" without spaces, '=', '[', ']' or '#'`)
		}
		if strings.ContainsAny(o.Extra[k], "\r\n") {
			return bad(k, o.Extra[k], "values must be one line")
		}
	}
	return nil
}

// Prepare returns a validated copy of o with defaults filled in: clone,
// EnsureDefaults, Validate. Backends' Open functions start with it (or
// with PrepareWith).
func (o *Options) Prepare() (*Options, error) {
	return o.PrepareWith(nil)
}

// PrepareWith is Prepare with a backend's own defaults: fill (if not nil)
// runs on the clone first and sets the fields it has a default for when
// they are zero; EnsureDefaults then fills the rest.
func (o *Options) PrepareWith(fill func(*Options)) (*Options, error) {
	c := o.Clone()
	if fill != nil {
		fill(c)
	}
	c.EnsureDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// CheckKey returns ErrEmptyKey or ErrKeyTooLarge (with the sizes) for a
// key a write may not use, and nil otherwise.
func (o *Options) CheckKey(key []byte) error {
	if len(key) == 0 {
		return ErrEmptyKey
	}
	if len(key) > o.MaxKeySize {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrKeyTooLarge, len(key), o.MaxKeySize)
	}
	return nil
}

// CheckValue returns ErrValueTooLarge (with the sizes) for a value over
// the limit, and nil otherwise.
func (o *Options) CheckValue(value []byte) error {
	if len(value) > o.MaxValueSize {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrValueTooLarge, len(value), o.MaxValueSize)
	}
	return nil
}

// CheckBatch validates every operation of b against the limits. The error
// names the index of the first bad operation.
func (o *Options) CheckBatch(b *Batch) error {
	r := b.Reader()
	for i := 0; ; i++ {
		kind, key, value, ok := r.Next()
		if !ok {
			return r.Err()
		}
		err := o.CheckKey(key)
		if err == nil && kind == KindSet {
			err = o.CheckValue(value)
		}
		if err != nil {
			return fmt.Errorf("batch op %d (%s): %w", i, kind, err)
		}
	}
}

// String renders the options as text that ParseOptions reads back:
//
//	[Options]
//	  cache_size=67108864
//	  ...
//	[Extra]
//	  lsm.level_ratio=10
func (o *Options) String() string {
	var sb strings.Builder
	sb.WriteString("[Options]\n")
	for _, f := range optionFields {
		fmt.Fprintf(&sb, "  %s=%s\n", f.name, f.get(o))
	}
	if len(o.Extra) > 0 {
		sb.WriteString("[Extra]\n")
		for _, k := range slices.Sorted(maps.Keys(o.Extra)) {
			fmt.Fprintf(&sb, "  %s=%s\n", k, o.Extra[k])
		}
	}
	return sb.String()
}

type optionField struct {
	name string
	get  func(*Options) string
	set  func(*Options, string) error
}

func intField(name string, p func(*Options) *int) optionField {
	return optionField{name,
		func(o *Options) string { return strconv.Itoa(*p(o)) },
		func(o *Options, s string) error {
			v, err := strconv.Atoi(s)
			*p(o) = v
			return err
		}}
}

func int64Field(name string, p func(*Options) *int64) optionField {
	return optionField{name,
		func(o *Options) string { return strconv.FormatInt(*p(o), 10) },
		func(o *Options, s string) error {
			v, err := strconv.ParseInt(s, 10, 64)
			*p(o) = v
			return err
		}}
}

func stringField(name string, p func(*Options) *string) optionField {
	return optionField{name,
		func(o *Options) string { return *p(o) },
		func(o *Options, s string) error { *p(o) = s; return nil }}
}

// optionFields lists the printable fields in the order String writes them.
var optionFields = []optionField{
	int64Field("cache_size", func(o *Options) *int64 { return &o.CacheSize }),
	stringField("checksum", func(o *Options) *string { return &o.Checksum }),
	stringField("compression", func(o *Options) *string { return &o.Compression }),
	intField("max_key_size", func(o *Options) *int { return &o.MaxKeySize }),
	intField("max_value_size", func(o *Options) *int { return &o.MaxValueSize }),
	int64Field("memtable_size", func(o *Options) *int64 { return &o.MemTableSize }),
	{"read_only",
		func(o *Options) string { return strconv.FormatBool(o.ReadOnly) },
		func(o *Options, s string) error {
			v, err := strconv.ParseBool(s)
			o.ReadOnly = v
			return err
		}},
	int64Field("wal_segment_size", func(o *Options) *int64 { return &o.WALSegmentSize }),
}

// ParseOptions reads the text String writes. Fields it does not mention
// stay zero (default). An unknown section or field, a malformed line or a
// bad number is an error wrapping ErrInvalidOptions that names the line.
// The result is not validated; Open does that.
func ParseOptions(text string) (*Options, error) {
	o := &Options{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		fail := func(format string, args ...any) (*Options, error) {
			return nil, fmt.Errorf("%w: line %d: %s", ErrInvalidOptions, line, fmt.Sprintf(format, args...))
		}
		if strings.HasPrefix(s, "[") {
			if s != "[Options]" && s != "[Extra]" {
				return fail("unknown section %q", s)
			}
			section = s
			continue
		}
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return fail("want name=value, got %q", s)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch section {
		case "[Options]":
			i := slices.IndexFunc(optionFields, func(f optionField) bool { return f.name == k })
			if i < 0 {
				return fail("unknown option %q", k)
			}
			if err := optionFields[i].set(o, v); err != nil {
				return fail("option %s: bad value %q", k, v)
			}
		case "[Extra]":
			if o.Extra == nil {
				o.Extra = map[string]string{}
			}
			o.Extra[k] = v
		default:
			return fail("%q before any [Options] or [Extra] section", s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOptions, err)
	}
	return o, nil
}
