package compress

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/lightningdb/lightning/engine"
)

// Defaults of Options.
const (
	// DefaultMinSaving is the default Options.MinSaving: a block must
	// shrink by 1/8 to be stored compressed.
	DefaultMinSaving = 0.125
	// DefaultZstdLevel is the default Options.ZstdLevel, zstd's own default.
	DefaultZstdLevel = 3
	// DefaultMaxDecodedSize is the default Options.MaxDecodedSize: 128 MiB,
	// above the largest value engine.Options allows by default (64 MiB).
	// Backends with smaller blocks should set their own limit.
	DefaultMaxDecodedSize = 128 << 20
)

// ErrClosed is returned by Decompress after Close.
var ErrClosed = errors.New("compress: compressor closed")

// Options configure a Compressor. A zero field means the default, so a nil
// *Options or &Options{} is valid.
type Options struct {
	// MinSaving is the fraction of the input a compressed block must save
	// to be stored compressed; otherwise it is stored raw (codec None).
	// Default DefaultMinSaving (1/8). A negative value disables the rule:
	// every block is stored compressed, even one that grew. Values of 1 or
	// more are invalid.
	MinSaving float64
	// ZstdLevel is the Zstandard level, numbered as the zstd tool numbers
	// them (1 fastest .. 22 densest); klauspost/compress maps it to the
	// nearest of its four encoder speeds. Default 3. Only used by Zstd.
	ZstdLevel int
	// MaxDecodedSize is the most bytes Decompress produces for one block;
	// a block that claims more is reported as corrupt. Default
	// DefaultMaxDecodedSize.
	MaxDecodedSize int
	// Concurrency is the number of Zstandard encoder and decoder states,
	// that is how many goroutines can compress (or decompress) zstd blocks
	// at the same time; more wait. Default runtime.GOMAXPROCS(0).
	Concurrency int
}

// Compressor compresses blocks with one codec, adaptively, and
// decompresses blocks of every codec. It is safe for concurrent use;
// Close must not run concurrently with other calls.
type Compressor struct {
	codec       Codec
	minSaving   float64
	maxDecoded  int
	zstdLevel   zstd.EncoderLevel
	concurrency int

	enc *zstd.Encoder // non-nil iff codec == Zstd

	decOnce sync.Once
	dec     *zstd.Decoder
	decErr  error

	closed atomic.Bool
}

// New returns a Compressor that compresses with codec. Invalid options or
// an unknown codec are an error wrapping engine.ErrInvalidOptions.
func New(codec Codec, opts *Options) (*Compressor, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	bad := func(format string, args ...any) (*Compressor, error) {
		return nil, fmt.Errorf("%w: compress: %s", engine.ErrInvalidOptions, fmt.Sprintf(format, args...))
	}
	switch {
	case !codec.Valid():
		return bad("unknown codec %v", codec)
	case math.IsNaN(o.MinSaving) || o.MinSaving >= 1:
		return bad("MinSaving %v must be below 1", o.MinSaving)
	case o.ZstdLevel < 0 || o.ZstdLevel > 22:
		return bad("ZstdLevel %d must be in 1..22 (0: default)", o.ZstdLevel)
	case o.MaxDecodedSize < 0:
		return bad("MaxDecodedSize %d must not be negative", o.MaxDecodedSize)
	case o.Concurrency < 0:
		return bad("Concurrency %d must not be negative", o.Concurrency)
	}
	if o.MinSaving == 0 {
		o.MinSaving = DefaultMinSaving
	}
	if o.ZstdLevel == 0 {
		o.ZstdLevel = DefaultZstdLevel
	}
	if o.MaxDecodedSize == 0 {
		o.MaxDecodedSize = DefaultMaxDecodedSize
	}
	if o.Concurrency == 0 {
		o.Concurrency = runtime.GOMAXPROCS(0)
	}
	c := &Compressor{
		codec:       codec,
		minSaving:   o.MinSaving,
		maxDecoded:  o.MaxDecodedSize,
		zstdLevel:   zstd.EncoderLevelFromZstd(o.ZstdLevel),
		concurrency: o.Concurrency,
	}
	if codec == Zstd {
		enc, err := zstd.NewWriter(nil,
			zstd.WithEncoderLevel(c.zstdLevel),
			zstd.WithEncoderConcurrency(c.concurrency),
			zstd.WithEncoderCRC(false), // the block trailer has a checksum
			zstd.WithZeroFrames(true),
			// Single segment: the frame header always carries the content
			// size, which Decompress checks before decoding.
			zstd.WithSingleSegment(true),
		)
		if err != nil {
			return nil, fmt.Errorf("compress: zstd encoder: %w", err)
		}
		c.enc = enc
	}
	return c, nil
}

// Codec returns the codec the Compressor compresses with.
func (c *Compressor) Codec() Codec { return c.codec }

// MaxDecodedSize returns the limit on Decompress's output, in bytes.
func (c *Compressor) MaxDecodedSize() int { return c.maxDecoded }

// Compress appends the stored form of src to dst and returns the extended
// slice and the codec of what it appended: the compressed bytes and
// c.Codec() if compression saved at least MinSaving, else a copy of src
// and None. An empty src is always stored as None (zero bytes).
//
// dst and src must not overlap. When dst has room (compressed size up to
// about len(src)+len(src)/6+32 for Snappy/S2, len(src)+64 for Zstd) Compress
// does not allocate. After Close, Compress stores every block raw.
func (c *Compressor) Compress(dst, src []byte) (out []byte, codec Codec) {
	if len(src) == 0 || c.codec == None || c.closed.Load() {
		return append(dst, src...), None
	}
	start := len(dst)
	switch c.codec {
	case Snappy, S2:
		n := s2.MaxEncodedLen(len(src))
		if n < 0 { // too large for the block format
			return append(dst, src...), None
		}
		dst = slices.Grow(dst, n)
		var enc []byte
		if c.codec == Snappy {
			enc = s2.EncodeSnappy(dst[start:start+n], src)
		} else {
			enc = s2.Encode(dst[start:start+n], src)
		}
		out = dst[:start+len(enc)]
	case Zstd:
		out = c.enc.EncodeAll(src, slices.Grow(dst, len(src)+64))
	}
	if c.keep(len(src), len(out)-start) {
		return out, c.codec
	}
	return append(out[:start], src...), None
}

// keep reports whether a block of n bytes compressed to m bytes is stored
// compressed.
func (c *Compressor) keep(n, m int) bool {
	if c.minSaving < 0 {
		return true
	}
	return m < n && m <= n-int(float64(n)*c.minSaving)
}

// Decompress appends the decoded form of src, a block stored with codec,
// to dst and returns the extended slice. A block that does not decode, or
// decodes to more than MaxDecodedSize bytes, or an unknown codec, is an
// error satisfying errors.Is(err, engine.ErrCorruption), without file and
// offset (see Locate); on error the returned slice is nil.
//
// dst and src must not overlap. When dst has room for the decoded block
// Decompress does not allocate (Zstd blocks may need a little more room).
func (c *Compressor) Decompress(dst, src []byte, codec Codec) ([]byte, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	switch codec {
	case None:
		if len(src) > c.maxDecoded {
			return nil, corrupt(nil, "raw block of %d bytes is over the limit of %d", len(src), c.maxDecoded)
		}
		return append(dst, src...), nil
	case Snappy, S2:
		n, err := s2.DecodedLen(src)
		if err != nil {
			return nil, corrupt(err, "%v block of %d bytes: bad length header", codec, len(src))
		}
		if n > c.maxDecoded {
			return nil, corrupt(nil, "%v block claims %d decoded bytes, over the limit of %d", codec, n, c.maxDecoded)
		}
		start := len(dst)
		dst = slices.Grow(dst, n)
		if _, err := s2.Decode(dst[start:start+n], src); err != nil {
			return nil, corrupt(err, "%v block of %d bytes does not decode", codec, len(src))
		}
		return dst[:start+n], nil
	case Zstd:
		return c.decodeZstd(dst, src)
	}
	return nil, corrupt(nil, "unknown codec id %d", uint8(codec))
}

func (c *Compressor) decodeZstd(dst, src []byte) ([]byte, error) {
	var h zstd.Header
	if err := h.Decode(src); err != nil {
		return nil, corrupt(err, "zstd block of %d bytes: bad frame header", len(src))
	}
	if h.Skippable || !h.HasFCS {
		return nil, corrupt(nil, "zstd block of %d bytes: frame without content size", len(src))
	}
	if h.FrameContentSize > uint64(c.maxDecoded) {
		return nil, corrupt(nil, "zstd block claims %d decoded bytes, over the limit of %d", h.FrameContentSize, c.maxDecoded)
	}
	dec, err := c.decoder()
	if err != nil {
		return nil, err
	}
	start, size := len(dst), int(h.FrameContentSize)
	out, err := dec.DecodeAll(src, slices.Grow(dst, size))
	if err != nil {
		return nil, corrupt(err, "zstd block of %d bytes does not decode", len(src))
	}
	if len(out)-start != size {
		return nil, corrupt(nil, "zstd block decoded to %d bytes, its header says %d", len(out)-start, size)
	}
	return out, nil
}

// decoder returns the shared zstd decoder, creating it on first use.
func (c *Compressor) decoder() (*zstd.Decoder, error) {
	c.decOnce.Do(func() {
		window := uint64(max(c.maxDecoded, zstd.MinWindowSize))
		c.dec, c.decErr = zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(c.concurrency),
			zstd.WithDecoderMaxMemory(uint64(c.maxDecoded)),
			zstd.WithDecoderMaxWindow(window),
		)
		if c.decErr != nil {
			c.decErr = fmt.Errorf("compress: zstd decoder: %w", c.decErr)
		}
	})
	return c.dec, c.decErr
}

// Close releases the Zstandard encoder and decoder. After Close, Compress
// stores blocks raw and Decompress returns ErrClosed. Close is idempotent.
func (c *Compressor) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	var err error
	if c.enc != nil {
		err = c.enc.Close()
	}
	c.decOnce.Do(func() {}) // no decoder may be created after Close
	if c.dec != nil {
		c.dec.Close()
	}
	return err
}
