package sstable

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/backends/lsm/internal/bloom"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/checksum"
	"github.com/lightningdb/lightning/engine/compress"
	"github.com/lightningdb/lightning/engine/vfs"
)

// Defaults and limits of WriterOptions.
const (
	// DefaultBlockSize is the default target size of a data block.
	DefaultBlockSize = 4096
	// DefaultRestartInterval is the default number of entries between
	// restart points in data blocks.
	DefaultRestartInterval = 16
	// DefaultFilterBitsPerKey is the default bloom filter density.
	DefaultFilterBitsPerKey = bloom.DefaultBitsPerKey
	// NoFilter as WriterOptions.FilterBitsPerKey writes no filter block.
	NoFilter = -1

	// maxBlockSize bounds WriterOptions.BlockSize.
	maxBlockSize = 256 << 20
	// maxKeyLen and maxValueLen bound one entry: the largest key and value
	// an engine may be configured to accept (see engine.Options).
	maxKeyLen   = engine.MaxKeySizeLimit + base.TrailerLen
	maxValueLen = engine.MaxValueSizeLimit
	// maxDecodedBlock is the largest block a reader decodes: one entry of
	// the largest key and value plus its header and the restart trailer,
	// or a full block of the largest BlockSize.
	maxDecodedBlock = maxKeyLen + maxValueLen + 64

	// writeBufferSize is the writer's file buffer.
	writeBufferSize = 256 << 10
	// indexRestartInterval: every index entry is a restart point, so an
	// index seek is a pure binary search.
	indexRestartInterval = 1
)

// WriterOptions configure a Writer. A zero field means its default.
type WriterOptions struct {
	// BlockSize is the target size of a data block before compression, in
	// bytes: a block is cut before an entry that would take it over. An
	// entry larger than BlockSize gets a block of its own. Default 4096;
	// at most 256 MiB.
	BlockSize int
	// RestartInterval is the number of entries between restart points in
	// data blocks (1 = no prefix compression, fastest seeks). Default 16.
	RestartInterval int
	// FilterBitsPerKey is the bloom filter's bits per distinct user key.
	// Default 10 (about 1% false positives); NoFilter (-1) writes no
	// filter. At most bloom.MaxBitsPerKey.
	FilterBitsPerKey int
	// Compression is the codec of data and index blocks, applied
	// adaptively (a block that does not shrink by the compressor's
	// MinSaving is stored raw). Default compress.None. Ignored when
	// Compressor is set.
	Compression compress.Codec
	// Compressor, if set, is used instead of a compressor the writer makes
	// from Compression; it may be shared by many writers and readers (it
	// is safe for concurrent use) and the writer does not close it.
	Compressor *compress.Compressor
	// Checksum is the checksum kind of block trailers. Default
	// checksum.CRC32C.
	Checksum checksum.Kind
	// FileNum is recorded in the properties (Properties.FileNum) and
	// returned in Meta.
	FileNum uint64
	// CreationTime is recorded in the properties. Default: time.Now().
	CreationTime time.Time
	// BlockWorkers, when > 0, compresses and checksums data blocks on that
	// many goroutines of an engine/checksum Pipeline while Add goes on
	// building the next blocks; blocks are written in order, and the file
	// is byte-for-byte the one the inline path (0, the default) writes.
	// It pays when cores are idle; on a machine whose cores are busy with
	// writers and other compactions it only adds hand-offs. At most 64.
	BlockWorkers int
}

// prepare fills defaults and validates; errors wrap
// engine.ErrInvalidOptions.
func (o WriterOptions) prepare() (WriterOptions, error) {
	bad := func(field string, v any, why string) (WriterOptions, error) {
		return o, fmt.Errorf("%w: sstable: %s=%v: %s", engine.ErrInvalidOptions, field, v, why)
	}
	if o.BlockSize == 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.RestartInterval == 0 {
		o.RestartInterval = DefaultRestartInterval
	}
	if o.FilterBitsPerKey == 0 {
		o.FilterBitsPerKey = DefaultFilterBitsPerKey
	}
	if o.Checksum == 0 {
		o.Checksum = checksum.CRC32C
	}
	if o.CreationTime.IsZero() {
		o.CreationTime = time.Now()
	}
	switch {
	case o.BlockSize < 1 || o.BlockSize > maxBlockSize:
		return bad("BlockSize", o.BlockSize, fmt.Sprintf("must be in [1, %d]", maxBlockSize))
	case o.RestartInterval < 1:
		return bad("RestartInterval", o.RestartInterval, "must be at least 1")
	case o.FilterBitsPerKey < NoFilter || o.FilterBitsPerKey > bloom.MaxBitsPerKey:
		return bad("FilterBitsPerKey", o.FilterBitsPerKey, fmt.Sprintf("must be NoFilter (-1) or in [1, %d]", bloom.MaxBitsPerKey))
	case !o.Checksum.Valid():
		return bad("Checksum", o.Checksum, "unknown checksum kind")
	case o.Compressor == nil && !o.Compression.Valid():
		return bad("Compression", o.Compression, "unknown codec")
	case o.BlockWorkers < 0 || o.BlockWorkers > 64:
		return bad("BlockWorkers", o.BlockWorkers, "must be in [0, 64]")
	}
	return o, nil
}

// Meta describes a finished table, for the manifest. Keys are copies owned
// by the Meta.
type Meta struct {
	// FileNum is WriterOptions.FileNum.
	FileNum uint64
	// Size is the file's size in bytes.
	Size uint64
	// Smallest and Largest are the first and last internal keys.
	Smallest, Largest base.InternalKey
	// SmallestSeq and LargestSeq bound the sequence numbers.
	SmallestSeq, LargestSeq uint64
	// Entries counts all entries, Deletions the deletions among them.
	Entries, Deletions uint64
	// Properties is everything recorded in the properties block.
	Properties Properties
}

// Writer writes one table. Add entries in strictly increasing internal-key
// order, then Close. The Writer owns the file from NewWriter on: Close
// (or Abort) closes it. It is not safe for concurrent use.
//
// Errors are sticky: after any error from Add, every later Add returns
// it, and Close returns it after closing the file; the caller should
// remove the partial file.
type Writer struct {
	f    vfs.File
	name string
	opts WriterOptions
	bw   *bufio.Writer
	comp *compress.Compressor
	own  bool // comp was made here and is closed by Close

	offset  uint64 // bytes written so far
	data    blockWriter
	index   blockWriter
	filter  *bloom.Builder
	lastKey []byte // encoded internal key of the last Add
	curKey  []byte // scratch for the key being added
	sepBuf  []byte
	hbuf    []byte
	outBuf  []byte // stored block + trailer

	props Properties
	err   error
	done  bool

	// With BlockWorkers > 0, data blocks go through pipe. Its sink (on
	// the pipeline's goroutine) owns index, sinkBuf and the data-block
	// counts in props until pipe is flushed; Add reads only the estimates
	// below, kept on its own side.
	pipe      *checksum.Pipeline
	sinkBuf   []byte
	rawQueued uint64 // raw bytes of blocks submitted
	rawDone   atomic.Uint64
	indexEst  uint64 // bytes the index entries of submitted blocks take, about
}

// errWriterDone is returned by Add, Close and Abort after Close or Abort.
var errWriterDone = fmt.Errorf("sstable: writer: %w", engine.ErrClosed)

// NewWriter returns a Writer that writes a table to f, which should be new
// and empty; name is the file's path, for error messages. Invalid options
// are reported (wrapping engine.ErrInvalidOptions) by the first Add or
// Close.
func NewWriter(f vfs.File, name string, opts WriterOptions) *Writer {
	w := &Writer{f: f, name: name}
	o, err := opts.prepare()
	w.opts = o
	if err != nil {
		w.err = err
		return w
	}
	w.bw = bufio.NewWriterSize(f, writeBufferSize)
	w.data.restartInterval = o.RestartInterval
	w.index.restartInterval = indexRestartInterval
	if o.FilterBitsPerKey > 0 {
		w.filter, _ = bloom.NewBuilder(o.FilterBitsPerKey) // validated above
	}
	w.comp = o.Compressor
	if w.comp == nil && o.Compression != compress.None {
		w.comp, err = compress.New(o.Compression, nil)
		if err != nil {
			w.err = err
			return w
		}
		w.own = true
	}
	codec := o.Compression
	if o.Compressor != nil {
		codec = o.Compressor.Codec()
	}
	w.props = Properties{
		FileNum:         o.FileNum,
		Codec:           codec,
		Checksum:        o.Checksum,
		BlockSize:       o.BlockSize,
		RestartInterval: o.RestartInterval,
		CreationTime:    o.CreationTime.UTC(),
		Creator:         creator,
	}
	if w.filter != nil {
		w.props.FilterBitsPerKey = o.FilterBitsPerKey
	}
	if o.BlockWorkers > 0 {
		process, err := checksum.NewBlockProcessor(o.Checksum, w.comp)
		if err == nil {
			w.pipe, err = checksum.NewPipeline(checksum.PipelineOptions{
				Workers: o.BlockWorkers,
				Process: process,
				Writer:  w.bw,
				Sink:    w.sink,
			})
		}
		if err != nil {
			w.err = err
		}
	}
	return w
}

// sink records the index entry of a data block the pipeline wrote; the
// block's tag is its separator key. It runs on the pipeline's goroutine.
func (w *Writer) sink(b *checksum.Block) error {
	h := handle{offset: uint64(b.Offset), length: uint64(len(b.Out))}
	w.sinkBuf = appendHandle(w.sinkBuf[:0], h)
	w.index.add(b.Tag.([]byte), w.sinkBuf)
	w.props.DataBlocks++
	w.props.DataBytes += h.length
	w.rawDone.Add(uint64(len(b.Raw)))
	return nil
}

// Errors of Add.
var (
	// ErrOutOfOrder is wrapped by the error of an Add whose key is not
	// strictly greater than the previous one; the error names both.
	ErrOutOfOrder = errors.New("sstable: keys out of order")
	// ErrBadKind is wrapped by the error of an Add whose key's kind is not
	// engine.KindSet or engine.KindDelete.
	ErrBadKind = errors.New("sstable: unknown key kind")
	// ErrEntryTooLarge is wrapped by the error of an Add whose user key is
	// over engine.MaxKeySizeLimit or value over engine.MaxValueSizeLimit.
	ErrEntryTooLarge = errors.New("sstable: entry too large")
	// ErrEmptyTable is returned by Close when nothing was added: a table
	// holds at least one entry.
	ErrEmptyTable = errors.New("sstable: empty table")
)

// Add appends an entry. key must sort strictly after the previous key (by
// base.Compare); its kind must be KindSet or KindDelete. key and value are
// copied (or written) before Add returns.
func (w *Writer) Add(key base.InternalKey, value []byte) error {
	if w.done {
		return errWriterDone
	}
	if w.err != nil {
		return w.err
	}
	if k := key.Kind(); k != engine.KindSet && k != engine.KindDelete {
		return w.fail(fmt.Errorf("%w: %s", ErrBadKind, key))
	}
	if len(key.UserKey) > engine.MaxKeySizeLimit || len(value) > maxValueLen {
		return w.fail(fmt.Errorf("%w: key %d bytes, value %d bytes (limits %d, %d)",
			ErrEntryTooLarge, len(key.UserKey), len(value), engine.MaxKeySizeLimit, maxValueLen))
	}
	ek := key.Append(w.curKey[:0])
	w.curKey = ek
	if w.props.Entries > 0 && base.CompareEncoded(w.lastKey, ek) >= 0 {
		return w.fail(fmt.Errorf("%w: %s added after %s", ErrOutOfOrder, key, fmtKey(w.lastKey)))
	}
	// Cut the block before an entry that would take it over BlockSize.
	if w.data.entries > 0 && w.data.size()+len(ek)+len(value)+3*5 > w.opts.BlockSize {
		if err := w.flushBlock(ek); err != nil {
			return err
		}
	}
	w.data.add(ek, value)
	if w.filter != nil {
		w.filter.Add(key.UserKey)
	}
	p := &w.props
	seq := key.Seq()
	if p.Entries == 0 {
		p.Smallest = base.InternalKey{UserKey: append([]byte(nil), key.UserKey...), Trailer: key.Trailer}
		p.SmallestSeq, p.LargestSeq = seq, seq
	}
	p.SmallestSeq = min(p.SmallestSeq, seq)
	p.LargestSeq = max(p.LargestSeq, seq)
	p.Entries++
	if key.Kind() == engine.KindDelete {
		p.Deletions++
	}
	p.RawKeyBytes += uint64(len(key.UserKey))
	p.RawValueBytes += uint64(len(value))
	w.lastKey, w.curKey = w.curKey, w.lastKey
	return nil
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// flushBlock writes the current data block and its index entry. next is
// the first key of the next block, or nil after the last one.
func (w *Writer) flushBlock(next []byte) error {
	if w.pipe != nil {
		raw := w.data.finish()
		sep := appendSeparator(nil, w.lastKey, next)
		if err := w.pipe.Submit(raw, sep); err != nil {
			return w.fail(fmt.Errorf("sstable: write %s: %w", w.name, err))
		}
		w.rawQueued += uint64(len(raw))
		w.indexEst += uint64(len(sep)) + 2*binary.MaxVarintLen64
		w.data.reset()
		return nil
	}
	h, err := w.writeBlock(w.data.finish(), true)
	if err != nil {
		return err
	}
	w.sepBuf = appendSeparator(w.sepBuf[:0], w.lastKey, next)
	w.hbuf = appendHandle(w.hbuf[:0], h)
	w.index.add(w.sepBuf, w.hbuf)
	w.data.reset()
	w.props.DataBlocks++
	w.props.DataBytes += h.length
	return nil
}

// writeBlock compresses raw (if compressed and a compressor is set),
// appends the trailer and writes the block.
func (w *Writer) writeBlock(raw []byte, compressed bool) (handle, error) {
	codec := compress.None
	if compressed && w.comp != nil {
		w.outBuf, codec = w.comp.Compress(w.outBuf[:0], raw)
	} else {
		w.outBuf = append(w.outBuf[:0], raw...)
	}
	out, err := checksum.AppendTrailer(w.outBuf, 0, w.opts.Checksum, byte(codec))
	if err != nil {
		return handle{}, w.fail(err)
	}
	w.outBuf = out
	if _, err := w.bw.Write(out); err != nil {
		return handle{}, w.fail(fmt.Errorf("sstable: write %s: %w", w.name, err))
	}
	h := handle{offset: w.offset, length: uint64(len(out))}
	w.offset += uint64(len(out))
	return h, nil
}

// EstimatedSize returns about how large the file would be if Close were
// called now: the bytes written plus the pending data block, index and
// filter. A compaction cuts its output at a target size with it.
func (w *Writer) EstimatedSize() uint64 {
	if w.pipe != nil {
		// Written bytes, plus the raw size of blocks still in flight (an
		// overestimate by what compressing them will save), plus the
		// index entries of every block submitted.
		n := uint64(w.pipe.Offset()) + w.rawQueued - w.rawDone.Load() + uint64(w.data.size()) + w.indexEst + FooterLen + 512
		if w.filter != nil {
			n += uint64(w.filter.EstimatedSize())
		}
		return n
	}
	n := w.offset + uint64(w.data.size()) + uint64(w.index.size()) + FooterLen + 512
	if w.filter != nil {
		n += uint64(w.filter.EstimatedSize())
	}
	return n
}

// Entries returns the number of entries added so far.
func (w *Writer) Entries() uint64 { return w.props.Entries }

// Close finishes the table: the last data block, the filter, index and
// properties blocks and the footer; then it syncs and closes the file and
// returns the table's Meta. Close always closes the file; on any error
// (including ErrEmptyTable when nothing was added) the file is partial and
// the caller should remove it.
func (w *Writer) Close() (Meta, error) {
	if w.done {
		return Meta{}, errWriterDone
	}
	meta, err := w.finish()
	w.done = true
	w.closePipe()
	if w.own {
		w.comp.Close()
	}
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("sstable: close %s: %w", w.name, cerr)
	}
	if err != nil {
		return Meta{}, err
	}
	return meta, nil
}

// Abort closes the file without finishing the table (the caller removes
// it). It returns the error of closing the file.
func (w *Writer) Abort() error {
	if w.done {
		return errWriterDone
	}
	w.done = true
	w.closePipe()
	if w.own {
		w.comp.Close()
	}
	return w.f.Close()
}

// closePipe stops the pipeline's goroutines, if any (its error, if it
// matters, was returned by finish).
func (w *Writer) closePipe() {
	if w.pipe != nil {
		w.pipe.Close()
		w.pipe = nil
	}
}

func (w *Writer) finish() (Meta, error) {
	if w.err != nil {
		return Meta{}, w.err
	}
	if w.props.Entries == 0 {
		return Meta{}, w.fail(fmt.Errorf("%w: %s", ErrEmptyTable, w.name))
	}
	if err := w.flushBlock(nil); err != nil {
		return Meta{}, err
	}
	if w.pipe != nil {
		// Every data block is written and indexed: the writer's own
		// writes go on after them.
		if err := w.pipe.Close(); err != nil {
			return Meta{}, w.fail(fmt.Errorf("sstable: write %s: %w", w.name, err))
		}
		w.offset = uint64(w.pipe.Offset())
		w.pipe = nil
	}
	p := &w.props
	lk, _ := base.Decode(w.lastKey) // validated by Add
	p.Largest = base.InternalKey{UserKey: append([]byte(nil), lk.UserKey...), Trailer: lk.Trailer}

	var ft footer
	ft.version, ft.kind = FormatVersion, w.opts.Checksum
	if w.filter != nil {
		h, err := w.writeBlock(w.filter.Finish(nil), false)
		if err != nil {
			return Meta{}, err
		}
		ft.filter, p.FilterBytes = h, h.length
	}
	h, err := w.writeBlock(w.index.finish(), true)
	if err != nil {
		return Meta{}, err
	}
	ft.index, p.IndexBytes = h, h.length
	var pb blockWriter
	pb.restartInterval = DefaultRestartInterval
	if ft.props, err = w.writeBlock(p.encode(&pb), false); err != nil {
		return Meta{}, err
	}
	if _, err := w.bw.Write(ft.encode()); err != nil {
		return Meta{}, w.fail(fmt.Errorf("sstable: write %s: %w", w.name, err))
	}
	w.offset += FooterLen
	if err := w.bw.Flush(); err != nil {
		return Meta{}, w.fail(fmt.Errorf("sstable: write %s: %w", w.name, err))
	}
	if err := w.f.Sync(); err != nil {
		return Meta{}, w.fail(fmt.Errorf("sstable: sync %s: %w", w.name, err))
	}
	return Meta{
		FileNum:     p.FileNum,
		Size:        w.offset,
		Smallest:    p.Smallest,
		Largest:     p.Largest,
		SmallestSeq: p.SmallestSeq,
		LargestSeq:  p.LargestSeq,
		Entries:     p.Entries,
		Deletions:   p.Deletions,
		Properties:  *p,
	}, nil
}
