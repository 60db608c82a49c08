package compress

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

var allCodecs = []Codec{None, Snappy, S2, Zstd}

func newCompressor(t testing.TB, codec Codec, opts *Options) *Compressor {
	t.Helper()
	c, err := New(codec, opts)
	if err != nil {
		t.Fatalf("New(%v): %v", codec, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestCodecNames(t *testing.T) {
	tests := []struct {
		c     Codec
		name  string
		valid bool
	}{
		{None, "none", true},
		{Snappy, "snappy", true},
		{S2, "s2", true},
		{Zstd, "zstd", true},
		{4, "Codec(4)", false},
		{255, "Codec(255)", false},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.name {
			t.Errorf("Codec(%d).String() = %q, want %q", uint8(tt.c), got, tt.name)
		}
		if got := tt.c.Valid(); got != tt.valid {
			t.Errorf("Codec(%d).Valid() = %v", uint8(tt.c), got)
		}
		got, err := CodecOf(byte(tt.c))
		if tt.valid != (err == nil) || (tt.valid && got != tt.c) {
			t.Errorf("CodecOf(%d) = %v, %v", uint8(tt.c), got, err)
		}
		if !tt.valid && !errors.Is(err, ErrUnknownCodec) {
			t.Errorf("CodecOf(%d) error %v does not wrap ErrUnknownCodec", uint8(tt.c), err)
		}
		if tt.valid {
			p, err := ParseCodec(tt.name)
			if err != nil || p != tt.c {
				t.Errorf("ParseCodec(%q) = %v, %v", tt.name, p, err)
			}
		}
	}
}

func TestParseCodecErrors(t *testing.T) {
	for _, s := range []string{"", "Snappy", "lz4", "zstd ", "gzip"} {
		_, err := ParseCodec(s)
		if !errors.Is(err, ErrUnknownCodec) || !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
			t.Errorf("ParseCodec(%q) error = %v, want ErrUnknownCodec naming the input", s, err)
		}
	}
}

// TestCodecNamesMatchEngineOptions checks that every compression name the
// engine's options accept parses here, and that a name outside our set is
// refused by both.
func TestCodecNamesMatchEngineOptions(t *testing.T) {
	for _, c := range allCodecs {
		o := engine.DefaultOptions()
		o.Compression = c.String()
		if err := o.Validate(); err != nil {
			t.Errorf("engine rejects compression %q: %v", c, err)
		}
	}
	o := engine.DefaultOptions()
	if _, err := ParseCodec(o.Compression); err != nil {
		t.Errorf("default engine compression %q does not parse: %v", o.Compression, err)
	}
}

func TestNewOptions(t *testing.T) {
	tests := []struct {
		name  string
		codec Codec
		opts  *Options
		ok    bool
	}{
		{"nil options", Zstd, nil, true},
		{"zero options", Snappy, &Options{}, true},
		{"negative MinSaving", S2, &Options{MinSaving: -1}, true},
		{"MinSaving 1", S2, &Options{MinSaving: 1}, false},
		{"ZstdLevel 23", Zstd, &Options{ZstdLevel: 23}, false},
		{"ZstdLevel -1", Zstd, &Options{ZstdLevel: -1}, false},
		{"negative MaxDecodedSize", None, &Options{MaxDecodedSize: -1}, false},
		{"negative Concurrency", Zstd, &Options{Concurrency: -2}, false},
		{"unknown codec", Codec(7), nil, false},
	}
	for _, tt := range tests {
		c, err := New(tt.codec, tt.opts)
		if tt.ok != (err == nil) {
			t.Errorf("%s: New error = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, engine.ErrInvalidOptions) {
			t.Errorf("%s: error %v does not wrap engine.ErrInvalidOptions", tt.name, err)
		}
		if c != nil {
			if c.Codec() != tt.codec {
				t.Errorf("%s: Codec() = %v", tt.name, c.Codec())
			}
			c.Close()
		}
	}
}

func TestRoundTrip(t *testing.T) {
	r := newRand(t)
	inputs := []struct {
		name         string
		data         []byte
		compressible int // 1 yes, 0 no, -1 depends on the codec
	}{
		{"empty", nil, 0},
		{"one byte", []byte("x"), 0},
		{"tiny", []byte("hello, hello"), 0},
		{"random 4KiB", randBytes(r, 4096), 0},
		{"repetitive 4KiB", bytes.Repeat([]byte("lightning "), 410), 1},
		{"zeros 32KiB", make([]byte, 32<<10), 1},
		{"ycsb 4KiB", ycsbBlock(r, 4096), -1},
		{"ycsb 1MiB", ycsbBlock(r, 1<<20), -1},
	}
	for _, codec := range allCodecs {
		for _, mode := range []struct {
			name      string
			minSaving float64
		}{{"adaptive", 0}, {"always", -1}} {
			c := newCompressor(t, codec, &Options{MinSaving: mode.minSaving})
			for _, in := range inputs {
				name := fmt.Sprintf("%v/%s/%s", codec, mode.name, in.name)
				prefix := []byte("prefix")
				stored, got := c.Compress(bytes.Clone(prefix), in.data)
				if !bytes.HasPrefix(stored, prefix) {
					t.Fatalf("%s: Compress lost the dst prefix", name)
				}
				stored = stored[len(prefix):]
				want := codec
				switch {
				case len(in.data) == 0:
					want = None
				case mode.minSaving == 0 && in.compressible == 0:
					want = None
				case mode.minSaving == 0 && in.compressible < 0:
					want = got
				}
				if got != want {
					t.Errorf("%s: codec %v, want %v (%d -> %d bytes)", name, got, want, len(in.data), len(stored))
				}
				if got == None && !bytes.Equal(stored, in.data) {
					t.Errorf("%s: codec none but stored bytes differ from the input", name)
				}
				if got != None && mode.minSaving == 0 && len(stored) > len(in.data)*7/8 {
					t.Errorf("%s: kept %d compressed bytes for %d input bytes", name, len(stored), len(in.data))
				}
				dec, err := c.Decompress(bytes.Clone(prefix), stored, got)
				if err != nil {
					t.Fatalf("%s: Decompress: %v", name, err)
				}
				if !bytes.HasPrefix(dec, prefix) || !bytes.Equal(dec[len(prefix):], in.data) {
					t.Fatalf("%s: round trip differs (%d bytes in, %d out)", name, len(in.data), len(dec)-len(prefix))
				}
			}
		}
	}
}

// TestDecompressAnyCodec checks that a Compressor reads blocks written by
// a Compressor of another codec.
func TestDecompressAnyCodec(t *testing.T) {
	r := newRand(t)
	in := ycsbBlock(r, 8192)
	reader := newCompressor(t, None, nil)
	for _, codec := range allCodecs {
		w := newCompressor(t, codec, &Options{MinSaving: -1})
		stored, got := w.Compress(nil, in)
		if got != codec {
			t.Fatalf("%v: YCSB block stored as %v", codec, got)
		}
		out, err := reader.Decompress(nil, stored, got)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("%v block read by a none compressor: err %v, equal %v", codec, err, bytes.Equal(out, in))
		}
	}
}

func TestMinSavingThreshold(t *testing.T) {
	// Half zeros, half random: compresses to a bit over half.
	r := newRand(t)
	in := append(make([]byte, 2048), randBytes(r, 2048)...)
	tests := []struct {
		minSaving float64
		want      Codec
	}{
		{0, S2},     // default 1/8: ~50% saving passes
		{0.4, S2},   // 40% passes
		{0.6, None}, // 60% does not
		{0.99, None},
		{-1, S2},
	}
	for _, tt := range tests {
		c := newCompressor(t, S2, &Options{MinSaving: tt.minSaving})
		stored, got := c.Compress(nil, in)
		if got != tt.want {
			t.Errorf("MinSaving %v: codec %v (%d -> %d bytes), want %v", tt.minSaving, got, len(in), len(stored), tt.want)
		}
	}
}

func TestUnknownCodecIsCorruption(t *testing.T) {
	c := newCompressor(t, None, nil)
	for _, codec := range []Codec{4, 200} {
		_, err := c.Decompress(nil, []byte("abc"), codec)
		if !errors.Is(err, engine.ErrCorruption) || !strings.Contains(err.Error(), fmt.Sprint(uint8(codec))) {
			t.Errorf("codec %d: error %v, want corruption naming the id", uint8(codec), err)
		}
	}
}

// TestCorruption damages each codec's output in many ways and checks that
// Decompress never panics, reports every failure as corruption, detects
// the structural damage every codec must detect, and never exceeds the
// decoded size limit.
func TestCorruption(t *testing.T) {
	r := newRand(t)
	in := ycsbBlock(r, 4096)
	for _, codec := range []Codec{Snappy, S2, Zstd} {
		c := newCompressor(t, codec, &Options{MinSaving: -1, MaxDecodedSize: 64 << 10})
		good, _ := c.Compress(nil, in)
		check := func(what string, block []byte, mustFail bool) {
			t.Helper()
			out, err := c.Decompress(nil, block, codec)
			if err != nil {
				var ce *engine.CorruptionError
				if !errors.Is(err, engine.ErrCorruption) || !errors.As(err, &ce) || ce.File != "" || ce.Offset != -1 {
					t.Fatalf("%v %s: error %v is not an unlocated corruption error", codec, what, err)
				}
				return
			}
			if mustFail {
				t.Fatalf("%v %s: decoded %d bytes without error", codec, what, len(out))
			}
			if len(out) > c.MaxDecodedSize() {
				t.Fatalf("%v %s: decoded %d bytes, over the limit", codec, what, len(out))
			}
		}
		check("empty", nil, true)
		for n := 1; n < len(good); n += 1 + n/8 {
			check(fmt.Sprintf("truncated to %d bytes", n), good[:n], true)
		}
		for i := range good {
			for _, mask := range []byte{0x01, 0x80, 0xff} {
				bad := bytes.Clone(good)
				bad[i] ^= mask
				check(fmt.Sprintf("byte %d ^ %#x", i, mask), bad, false)
			}
		}
		for range 200 {
			check("random bytes", randBytes(r, r.IntN(200)), false)
		}
		check("trailing garbage", append(bytes.Clone(good), 0xAB, 0xCD, 0xEF, 0x01), codec == Zstd)
	}
}

func TestDecodedSizeLimit(t *testing.T) {
	r := newRand(t)
	in := ycsbBlock(r, 4096)
	for _, codec := range allCodecs {
		w := newCompressor(t, codec, &Options{MinSaving: -1})
		stored, _ := w.Compress(nil, in)
		rd := newCompressor(t, None, &Options{MaxDecodedSize: 4095})
		_, err := rd.Decompress(nil, stored, codec)
		if !errors.Is(err, engine.ErrCorruption) || !strings.Contains(err.Error(), "limit") {
			t.Errorf("%v: 4096-byte block with limit 4095: error %v, want corruption naming the limit", codec, err)
		}
		rd = newCompressor(t, None, &Options{MaxDecodedSize: 4096})
		if out, err := rd.Decompress(nil, stored, codec); err != nil || !bytes.Equal(out, in) {
			t.Errorf("%v: 4096-byte block with limit 4096: %v", codec, err)
		}
	}
	// Headers claiming 1 GiB are refused before the output is allocated.
	c := newCompressor(t, None, nil)
	bombs := []struct {
		codec Codec
		block []byte
	}{
		{Snappy, []byte{0x80, 0x80, 0x80, 0x80, 0x04, 0x00}},
		{S2, []byte{0x80, 0x80, 0x80, 0x80, 0x04, 0x00}},
		// zstd magic, single segment with an 8-byte content size of 1 GiB.
		{Zstd, []byte{0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0x01, 0, 0}},
	}
	for _, b := range bombs {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := c.Decompress(nil, b.block, b.codec)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, engine.ErrCorruption) || !strings.Contains(err.Error(), "limit") {
			t.Errorf("%v bomb: error %v, want corruption naming the limit", b.codec, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("%v bomb: allocated %d bytes to refuse it", b.codec, n)
		}
	}
}

func TestLocate(t *testing.T) {
	c := newCompressor(t, None, nil)
	_, err := c.Decompress(nil, []byte{0xff}, S2)
	located := Locate(err, "000012.sst", 4096)
	var ce *engine.CorruptionError
	if !errors.As(located, &ce) || ce.File != "000012.sst" || ce.Offset != 4096 || !errors.Is(located, engine.ErrCorruption) {
		t.Fatalf("Locate: %#v", located)
	}
	if !strings.Contains(located.Error(), "000012.sst at offset 4096") {
		t.Errorf("located error text %q", located.Error())
	}
	// The original is not modified, an already located error and other
	// errors pass through.
	if errors.As(err, &ce) && ce.File != "" {
		t.Errorf("Locate modified its argument")
	}
	if again := Locate(located, "other", 1); again != located {
		t.Errorf("Locate relocated an error that had a file")
	}
	other := errors.New("boom")
	if Locate(other, "f", 1) != other || Locate(nil, "f", 1) != nil {
		t.Errorf("Locate changed a non-corruption error")
	}
}

// TestZstdNoEncoderPerBlock checks that compressing and decompressing zstd
// blocks reuses long-lived encoder and decoder states: with a dst that has
// room, a block costs (almost) no allocation, far below what building an
// encoder (hundreds of allocations, megabytes) would cost.
func TestZstdNoEncoderPerBlock(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	r := newRand(t)
	in := ycsbBlock(r, 4096)
	c := newCompressor(t, Zstd, nil)
	buf := make([]byte, 0, 2*len(in))
	stored, _ := c.Compress(buf, in) // warm up: creates the encoder state
	stored = bytes.Clone(stored)
	out := make([]byte, 0, 2*len(in))
	if _, err := c.Decompress(out, stored, Zstd); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(50, func() { c.Compress(buf[:0], in) }); a > 1 {
		t.Errorf("zstd Compress: %.1f allocations per 4 KiB block", a)
	}
	if a := testing.AllocsPerRun(50, func() {
		if _, err := c.Decompress(out[:0], stored, Zstd); err != nil {
			t.Fatal(err)
		}
	}); a > 1 {
		t.Errorf("zstd Decompress: %.1f allocations per 4 KiB block", a)
	}
	for _, codec := range []Codec{Snappy, S2} {
		cs := newCompressor(t, codec, &Options{MinSaving: -1})
		s, _ := cs.Compress(nil, in)
		if a := testing.AllocsPerRun(50, func() { cs.Compress(buf[:0], in) }); a != 0 {
			t.Errorf("%v Compress: %.1f allocations per block", codec, a)
		}
		if a := testing.AllocsPerRun(50, func() {
			if _, err := cs.Decompress(out[:0], s, codec); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%v Decompress: %.1f allocations per block", codec, a)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	r := newRand(t)
	blocks := make([][]byte, 16)
	for i := range blocks {
		blocks[i] = ycsbBlock(r, 1024+r.IntN(8192))
	}
	for _, codec := range allCodecs {
		c := newCompressor(t, codec, &Options{Concurrency: 2})
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var st, out []byte
				for i := range 50 {
					in := blocks[(g+i)%len(blocks)]
					var cd Codec
					st, cd = c.Compress(st[:0], in)
					var err error
					out, err = c.Decompress(out[:0], st, cd)
					if err != nil || !bytes.Equal(out, in) {
						errs <- fmt.Errorf("%v goroutine %d block %d: %v", codec, g, i, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
}

func TestClose(t *testing.T) {
	in := bytes.Repeat([]byte("abcd"), 1024)
	for _, codec := range allCodecs {
		c, err := New(codec, nil)
		if err != nil {
			t.Fatal(err)
		}
		stored, got := c.Compress(nil, in)
		if _, err := c.Decompress(nil, stored, got); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("%v: Close: %v", codec, err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("%v: second Close: %v", codec, err)
		}
		if out, cd := c.Compress(nil, in); cd != None || !bytes.Equal(out, in) {
			t.Errorf("%v: Compress after Close stored %v", codec, cd)
		}
		if _, err := c.Decompress(nil, stored, got); !errors.Is(err, ErrClosed) {
			t.Errorf("%v: Decompress after Close: %v", codec, err)
		}
	}
}
