package record

import (
	"encoding/binary"
	"fmt"
	"io"
)

// autoFlush is the buffered size past which WriteRecord writes the
// buffer through to the underlying writer, so memory stays bounded when
// many records are written without Flush.
const autoFlush = 1 << 20

// WriterOptions configure NewWriterWithOptions. The zero value gives the
// writer NewWriter returns.
type WriterOptions struct {
	// Offset is the stream offset of the first byte the writer writes: 0
	// for a new stream, or the logical end of an existing one (Reader.End)
	// to append to it. The io.Writer must write at that offset.
	Offset int64
	// TrackSyncs makes chunks claim, in their synced field, only the
	// stream prefix last reported by MarkSynced (0 until then) instead of
	// every byte before them. Use it when unsynced data may be lost in a
	// crash, so that the reader takes a damaged unsynced tail for a torn
	// tail rather than corruption.
	TrackSyncs bool
}

// Writer frames records into chunks and buffers them: WriteRecord costs no
// call to the underlying io.Writer until Flush (or until more than 1 MiB
// is buffered). A Writer is not safe for concurrent use.
//
// After the underlying writer fails, every later call returns that error:
// what reached the stream is unknown.
type Writer struct {
	w      io.Writer
	log    uint32
	track  bool
	synced int64 // last MarkSynced value (TrackSyncs)

	buf    []byte // encoded bytes not yet written to w
	off    int64  // stream offset of the end of buf
	sealed bool
	err    error
}

// NewWriter returns a strict Writer of a new stream of log number logNum
// (its low 32 bits are stored in every chunk): every chunk claims that all
// bytes before it are intact, so a reader reports damage followed by later
// valid chunks as corruption.
func NewWriter(w io.Writer, logNum uint64) *Writer {
	return NewWriterWithOptions(w, logNum, WriterOptions{})
}

// NewWriterWithOptions returns a Writer configured by o.
func NewWriterWithOptions(w io.Writer, logNum uint64, o WriterOptions) *Writer {
	wr := &Writer{w: w, log: uint32(logNum), track: o.TrackSyncs, off: o.Offset}
	if o.Offset < 0 || o.Offset > MaxStreamSize {
		wr.err = fmt.Errorf("record: writer offset %d out of range [0, %d]", o.Offset, int64(MaxStreamSize))
	}
	return wr
}

// WriteRecord appends p as one record and returns the stream offset of its
// first chunk. p is copied; the caller may reuse it at once. The record
// reaches the underlying writer at the next Flush.
func (w *Writer) WriteRecord(p []byte) (offset int64, err error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.sealed {
		return 0, ErrSealed
	}
	if w.off+EncodedSize(w.off, len(p)) > MaxStreamSize {
		return 0, fmt.Errorf("%w: record of %d bytes at offset %d", ErrStreamFull, len(p), w.off)
	}
	w.padBlock()
	offset = w.off
	var typ byte
	for first := true; ; first = false {
		avail := BlockSize - int(w.off%BlockSize) - HeaderSize
		n := len(p)
		last := n <= avail
		switch {
		case first && last:
			typ = typeFull
		case first:
			typ, n = typeFirst, avail
		case last:
			typ = typeLast
		default:
			typ, n = typeMiddle, avail
		}
		w.emit(typ, p[:n])
		p = p[n:]
		if last {
			break
		}
	}
	if len(w.buf) >= autoFlush {
		return offset, w.Flush()
	}
	return offset, nil
}

// Seal ends the stream for every reader: bytes after the seal are never
// read. Later WriteRecord calls return ErrSealed. Like a record, the seal
// reaches the underlying writer at Flush.
//
// Unless the stream is at a block boundary, the seal is two chunks: one
// whose zero payload fills the rest of the block, where readers stop,
// and a witness at the start of the next block. Starting a block, the
// witness is found by the scan that tells corruption from a torn tail, so
// its synced claim vouches for every byte before the seal: for a strict
// writer, or a sync-tracking one whose data up to Size was synced (and
// MarkSynced) before Seal, damage anywhere in a sealed stream is
// corruption.
func (w *Writer) Seal() error {
	if w.err != nil {
		return w.err
	}
	if w.sealed {
		return ErrSealed
	}
	if w.off+BlockSize+HeaderSize > MaxStreamSize {
		return fmt.Errorf("%w: seal at offset %d", ErrStreamFull, w.off)
	}
	w.padBlock()
	if r := BlockSize - int(w.off%BlockSize); r < BlockSize {
		w.emit(typeSeal, make([]byte, r-HeaderSize))
	}
	w.emit(typeSeal, nil)
	w.sealed = true
	return nil
}

// padBlock zero-fills the rest of the block when a header does not fit.
func (w *Writer) padBlock() {
	if r := BlockSize - int(w.off%BlockSize); r < HeaderSize {
		w.buf = append(w.buf, make([]byte, r)...)
		w.off += int64(r)
	}
}

// emit appends one chunk at w.off; the caller ensures it fits the block.
func (w *Writer) emit(typ byte, payload []byte) {
	claim := w.off
	if w.track {
		claim = min(w.synced, w.off)
	}
	start := len(w.buf)
	w.buf = append(w.buf, make([]byte, HeaderSize)...)
	w.buf = append(w.buf, payload...)
	chunk := w.buf[start:]
	putHeader(chunk, typ, len(payload), w.log, uint32(claim))
	binary.LittleEndian.PutUint32(chunk[0:4], chunkCRC(chunk))
	w.off += int64(len(chunk))
}

// MarkSynced tells a sync-tracking writer (WriterOptions.TrackSyncs) that
// the first n bytes of the stream are on stable storage; chunks written
// afterwards claim them. n should be a value Size returned after a Flush
// that the sync covered. Claims never go backwards. On a strict writer
// MarkSynced has no effect.
func (w *Writer) MarkSynced(n int64) {
	if n > w.synced {
		w.synced = n
	}
}

// Flush writes the buffered bytes to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	n, err := w.w.Write(w.buf)
	if err == nil && n < len(w.buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = fmt.Errorf("record: write: %w", err)
		return w.err
	}
	if cap(w.buf) > 4*autoFlush {
		w.buf = nil // do not keep a huge record's buffer
	} else {
		w.buf = w.buf[:0]
	}
	return nil
}

// Size returns the stream's logical size: the offset the next chunk (or
// its padding) starts at, counting buffered bytes.
func (w *Writer) Size() int64 { return w.off }

// Buffered returns the number of bytes waiting for Flush.
func (w *Writer) Buffered() int { return len(w.buf) }
