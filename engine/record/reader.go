package record

import (
	"errors"
	"fmt"
	"io"

	"github.com/lightningdb/lightning/engine"
)

// Reader reads the records of one stream in order. It is not safe for
// concurrent use.
type Reader struct {
	r    io.Reader
	log  uint32
	name string

	buf      [BlockSize]byte
	blockOff int64 // stream offset of buf[0]
	n        int   // valid bytes in buf
	pos      int   // next chunk starts at buf[pos]
	eof      bool  // r is exhausted: buf holds the last (possibly short) block

	rec    []byte // reassembly buffer for records of several chunks
	recOff int64  // offset of the record Next returned last
	end    int64  // logical end, once known
	sealed bool
	err    error // sticky: io.EOF, a corruption or a read error
}

// NewReader returns a Reader of the stream r written with log number
// logNum. name identifies the stream (a file path) in corruption errors.
func NewReader(r io.Reader, logNum uint64, name string) *Reader {
	return &Reader{r: r, log: uint32(logNum), name: name, blockOff: -BlockSize, n: BlockSize, pos: BlockSize, end: -1}
}

// Next returns the next record. At the logical end of the stream — a
// seal, the end of the data, or a torn tail (see the package
// documentation) — it returns io.EOF. Damage that is not a torn tail is
// an error satisfying errors.Is(err, engine.ErrCorruption) that names the
// offset of the bad chunk. A failure of the underlying reader is returned
// wrapped. Once Next has returned an error it returns it again.
//
// The returned slice is owned by the Reader and valid until the next call
// to Next.
func (r *Reader) Next() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	inRec := false
	var recOff int64
	r.rec = r.rec[:0]
	for {
		if r.n-r.pos < HeaderSize {
			if r.eof {
				// The stream ends here: after the last record, or in the
				// middle of one (torn), or with a few trailing bytes that
				// cannot hold a header (torn).
				end := r.blockOff + int64(r.pos)
				if inRec {
					end = recOff
				}
				return nil, r.finish(end, false)
			}
			if err := r.readBlock(); err != nil {
				return nil, r.fail(err)
			}
			continue
		}
		chunkOff := r.blockOff + int64(r.pos)
		h, reason := r.check(r.buf[r.pos:r.n])
		if reason != "" {
			end := chunkOff
			if inRec {
				end = recOff
			}
			return nil, r.bad(chunkOff, end, reason)
		}
		if int64(h.synced) > chunkOff {
			return nil, r.fail(engine.Corruptf(r.name, chunkOff, "chunk claims %d bytes synced before its own offset", h.synced))
		}
		payload := r.buf[r.pos+HeaderSize : r.pos+HeaderSize+h.length]
		r.pos += HeaderSize + h.length
		switch h.typ {
		case typeFull:
			if inRec {
				return nil, r.fail(engine.Corruptf(r.name, chunkOff, "full chunk inside the record that starts at offset %d", recOff))
			}
			r.recOff = chunkOff
			return payload, nil
		case typeFirst:
			if inRec {
				return nil, r.fail(engine.Corruptf(r.name, chunkOff, "first chunk inside the record that starts at offset %d", recOff))
			}
			inRec, recOff = true, chunkOff
			r.rec = append(r.rec, payload...)
		case typeMiddle, typeLast:
			if !inRec {
				return nil, r.fail(engine.Corruptf(r.name, chunkOff, "continuation chunk (type %d) without a first chunk", h.typ))
			}
			r.rec = append(r.rec, payload...)
			if h.typ == typeLast {
				r.recOff = recOff
				return r.rec, nil
			}
		case typeSeal:
			if inRec {
				return nil, r.fail(engine.Corruptf(r.name, chunkOff, "seal inside the record that starts at offset %d", recOff))
			}
			return nil, r.finish(chunkOff, true)
		}
	}
}

// check validates the chunk at the start of b (at least HeaderSize bytes,
// up to the end of the data of its block) and returns its header, or why
// it is not a valid chunk of this log.
func (r *Reader) check(b []byte) (header, string) {
	h := decodeHeader(b)
	switch {
	case h.typ == 0 && h.length == 0 && h.crc == 0:
		return h, "zeroed chunk header"
	case h.typ < typeFull || h.typ > typeSeal:
		return h, fmt.Sprintf("invalid chunk type %d", h.typ)
	case HeaderSize+h.length > len(b):
		if len(b) < BlockSize && r.eof {
			return h, fmt.Sprintf("chunk of %d bytes truncated at the end of the stream", h.length)
		}
		return h, fmt.Sprintf("chunk length %d overflows its block", h.length)
	case chunkCRC(b[:HeaderSize+h.length]) != h.crc:
		return h, "checksum mismatch"
	case h.log != r.log:
		return h, fmt.Sprintf("chunk of log %d, reading log %d", h.log, r.log)
	}
	return h, ""
}

// bad handles a bad chunk at offset off, end being where the stream
// logically ends if it is a torn tail: it scans the starts of the later
// blocks for a valid chunk of this log claiming off was synced.
func (r *Reader) bad(off, end int64, reason string) error {
	for !r.eof {
		if err := r.readBlock(); err != nil {
			return r.fail(err)
		}
		if r.n < HeaderSize {
			continue
		}
		h, why := r.check(r.buf[:r.n])
		if why == "" && int64(h.synced) > off {
			return r.fail(engine.Corruptf(r.name, off, "%s (the chunk at offset %d, written after offset %d was synced, is intact)", reason, r.blockOff, h.synced))
		}
	}
	return r.finish(end, false)
}

// readBlock loads the next block into buf.
func (r *Reader) readBlock() error {
	r.blockOff += int64(r.n)
	r.pos = 0
	n, err := io.ReadFull(r.r, r.buf[:])
	r.n = n
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		r.eof = true
		return nil
	}
	return fmt.Errorf("record: reading %s at offset %d: %w", r.name, r.blockOff+int64(n), err)
}

func (r *Reader) finish(end int64, sealed bool) error {
	r.end, r.sealed = end, sealed
	r.err = io.EOF
	return io.EOF
}

func (r *Reader) fail(err error) error {
	r.err = err
	return err
}

// Offset returns the stream offset of the first chunk of the record Next
// returned last.
func (r *Reader) Offset() int64 { return r.recOff }

// End returns the logical end of the stream once Next has returned io.EOF,
// and -1 before: the offset just past the last complete record (where a
// torn tail starts), or the offset of the seal chunk. A writer appending
// to the stream starts there (WriterOptions.Offset).
func (r *Reader) End() int64 { return r.end }

// Sealed reports whether the stream ended with a seal chunk. It is
// meaningful once Next has returned io.EOF.
func (r *Reader) Sealed() bool { return r.sealed }
