package compress

import "fmt"

// Codec identifies a block compression format. Its values are stored on
// disk and are frozen (see the package documentation).
type Codec uint8

const (
	// None stores the bytes as they are.
	None Codec = 0
	// Snappy is the Snappy block format.
	Snappy Codec = 1
	// S2 is the S2 block format, a faster and denser Snappy extension.
	S2 Codec = 2
	// Zstd is one Zstandard frame.
	Zstd Codec = 3
)

var codecNames = [...]string{None: "none", Snappy: "snappy", S2: "s2", Zstd: "zstd"}

// String returns the codec's name as engine.Options.Compression spells it
// ("none", "snappy", "s2", "zstd"), or "Codec(n)" for an unknown id.
func (c Codec) String() string {
	if c.Valid() {
		return codecNames[c]
	}
	return fmt.Sprintf("Codec(%d)", uint8(c))
}

// Valid reports whether c is a known codec.
func (c Codec) Valid() bool { return int(c) < len(codecNames) }

// ParseCodec returns the codec named s: "none", "snappy", "s2" or "zstd".
// Any other name is an error wrapping ErrUnknownCodec.
func ParseCodec(s string) (Codec, error) {
	for c, name := range codecNames {
		if name == s {
			return Codec(c), nil
		}
	}
	return 0, fmt.Errorf("%w %q (want \"none\", \"snappy\", \"s2\" or \"zstd\")", ErrUnknownCodec, s)
}

// CodecOf returns the codec whose on-disk id is b, or an error wrapping
// ErrUnknownCodec.
func CodecOf(b byte) (Codec, error) {
	if c := Codec(b); c.Valid() {
		return c, nil
	}
	return 0, fmt.Errorf("%w: id %d", ErrUnknownCodec, b)
}
