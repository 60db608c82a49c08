package compress

import (
	"errors"
	"fmt"

	"github.com/lightningdb/lightning/engine"
)

// ErrUnknownCodec is wrapped by the errors of ParseCodec and CodecOf for a
// name or id that is not a codec.
var ErrUnknownCodec = errors.New("compress: unknown codec")

// corrupt returns the corruption error Decompress reports: a
// *engine.CorruptionError without file and offset, for Locate to fill in.
func corrupt(cause error, format string, args ...any) error {
	return &engine.CorruptionError{
		File:   "",
		Offset: -1,
		Reason: "compress: " + fmt.Sprintf(format, args...),
		Err:    cause,
	}
}

// Locate returns err with the file and offset of the block filled in, if
// err is a corruption error from this package (a *engine.CorruptionError
// without a file). Any other error, including nil, is returned unchanged.
func Locate(err error, file string, offset int64) error {
	var ce *engine.CorruptionError
	if !errors.As(err, &ce) || ce.File != "" {
		return err
	}
	located := *ce
	located.File, located.Offset = file, offset
	return &located
}
