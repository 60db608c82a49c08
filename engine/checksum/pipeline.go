package checksum

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/compress"
)

// ErrPipelineClosed is returned by Submit, Flush and a second Close after
// Close.
var ErrPipelineClosed = errors.New("checksum: pipeline closed")

// maxKeptBuffer is the largest buffer capacity a recycled Block keeps; a
// larger one (left by an unusually large block) is dropped so that the
// pipeline's memory follows its typical block size.
const maxKeptBuffer = 1 << 20

// Block is one unit of work of a Pipeline. The pipeline owns it: a Block
// passed to Process or Sink is valid only during that call and is reused
// afterwards.
type Block struct {
	// Seq is the block's position in submission order, counting from 0.
	Seq uint64
	// Raw is a copy of the bytes given to Submit.
	Raw []byte
	// Out is what the pipeline writes, set by Process. The default
	// processor sets it to the stored bytes followed by the block trailer.
	Out []byte
	// Codec is the codec of the stored bytes (set by the default processor).
	Codec compress.Codec
	// Sum is the checksum in the trailer (set by the default processor).
	Sum uint64
	// Offset is the position of Out in the output: PipelineOptions.
	// StartOffset plus every byte written before it. Set before Sink runs.
	Offset int64
	// Tag is the value given to Submit, for the sink (an index key, say).
	Tag any

	err  error         // from Process
	done chan struct{} // receives once Process has run
}

// PipelineOptions configure a Pipeline. A zero field means the default.
type PipelineOptions struct {
	// Workers is the number of goroutines running Process. Default
	// runtime.GOMAXPROCS(0).
	Workers int
	// MaxInFlight bounds the blocks submitted but not yet through the sink;
	// Submit waits when it is reached. Default 2*Workers; at least Workers.
	MaxInFlight int

	// Process turns b.Raw into b.Out on a worker goroutine. It may run
	// concurrently for different blocks. Default: the processor
	// NewBlockProcessor(Checksum, Compressor) returns.
	Process func(b *Block) error
	// Checksum is the kind the default processor uses. Default CRC32C.
	Checksum Kind
	// Compressor is the compressor of the default processor; nil stores
	// every block raw (codec none).
	Compressor *compress.Compressor

	// Writer, if set, receives every block's Out, in submission order, in
	// one Write call per block.
	Writer io.Writer
	// StartOffset is the offset of the first block (Block.Offset), for a
	// file that already holds a header.
	StartOffset int64
	// Sink, if set, is called with every block in submission order, after
	// its Out was written to Writer, on a single goroutine. Use it to
	// record block handles (Offset, len(Out)) for an index.
	Sink func(b *Block) error
}

// NewBlockProcessor returns the standard Process function: compress b.Raw
// with c (nil: store raw), then append the block trailer for kind. It sets
// b.Out, b.Codec and b.Sum. It is safe for concurrent use (as c is). An
// invalid kind is an error wrapping ErrUnknownKind.
func NewBlockProcessor(kind Kind, c *compress.Compressor) (func(b *Block) error, error) {
	if !kind.Valid() {
		return nil, fmt.Errorf("checksum: NewBlockProcessor: %w: value %d", ErrUnknownKind, uint8(kind))
	}
	return func(b *Block) error {
		codec := compress.None
		if c != nil {
			b.Out, codec = c.Compress(b.Out[:0], b.Raw)
		} else {
			b.Out = append(b.Out[:0], b.Raw...)
		}
		var err error
		b.Codec = codec
		b.Out, b.Sum, err = appendTrailer(b.Out, 0, kind, byte(codec))
		return err
	}, nil
}

// Pipeline processes blocks on worker goroutines while its producer keeps
// building the next ones, and delivers them in submission order to a
// Writer and/or a Sink.
//
// Submit, Flush and Close are for one producer: they must not be called
// concurrently with each other. The first error of Process, Writer or Sink
// stops the pipeline: later blocks are neither processed nor written, and
// Submit, Flush and Close return that error.
type Pipeline struct {
	process func(*Block) error
	w       io.Writer
	sink    func(*Block) error

	work  chan *Block   // to the workers
	order chan *Block   // to the sequencer, in submission order
	slots chan struct{} // one token per block in flight
	free  chan *Block   // recycled blocks

	pending sync.WaitGroup // blocks submitted and not yet through the sink
	wg      sync.WaitGroup // the pipeline's goroutines

	failed atomic.Bool
	errMu  sync.Mutex
	err    error

	offset    atomic.Int64 // offset after the last block written
	allocated atomic.Int64 // Blocks ever allocated (for tests)
	seq       uint64
	closed    bool
}

// NewPipeline starts a pipeline's goroutines. Bad options are an error
// wrapping engine.ErrInvalidOptions. The pipeline must be closed.
func NewPipeline(opts PipelineOptions) (*Pipeline, error) {
	bad := func(format string, args ...any) (*Pipeline, error) {
		return nil, fmt.Errorf("%w: checksum pipeline: %s", engine.ErrInvalidOptions, fmt.Sprintf(format, args...))
	}
	switch {
	case opts.Workers < 0:
		return bad("Workers %d is negative", opts.Workers)
	case opts.MaxInFlight < 0:
		return bad("MaxInFlight %d is negative", opts.MaxInFlight)
	case opts.StartOffset < 0:
		return bad("StartOffset %d is negative", opts.StartOffset)
	case opts.Checksum != 0 && !opts.Checksum.Valid():
		return bad("unknown checksum kind %v", opts.Checksum)
	case opts.Writer == nil && opts.Sink == nil:
		return bad("neither Writer nor Sink is set: results would be lost")
	}
	workers := opts.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	inFlight := opts.MaxInFlight
	if inFlight == 0 {
		inFlight = 2 * workers
	}
	if inFlight < workers {
		return bad("MaxInFlight %d is below Workers %d", inFlight, workers)
	}
	process := opts.Process
	if process == nil {
		kind := opts.Checksum
		if kind == 0 {
			kind = CRC32C
		}
		var err error
		if process, err = NewBlockProcessor(kind, opts.Compressor); err != nil {
			return nil, err
		}
	}
	p := &Pipeline{
		process: process,
		w:       opts.Writer,
		sink:    opts.Sink,
		work:    make(chan *Block, inFlight),
		order:   make(chan *Block, inFlight),
		slots:   make(chan struct{}, inFlight),
		free:    make(chan *Block, inFlight),
	}
	p.offset.Store(opts.StartOffset)
	p.wg.Add(workers + 1)
	for range workers {
		go p.worker()
	}
	go p.sequencer()
	return p, nil
}

// Submit queues a copy of raw as the next block, with tag for the sink.
// It returns as soon as the block is queued, and waits only while
// MaxInFlight blocks are in flight. It returns the pipeline's error if it
// has failed (the block is then not queued), or ErrPipelineClosed.
func (p *Pipeline) Submit(raw []byte, tag any) error {
	if p.closed {
		return ErrPipelineClosed
	}
	if err := p.Err(); err != nil {
		return err
	}
	p.slots <- struct{}{}
	b := p.getBlock()
	b.Seq = p.seq
	p.seq++
	b.Raw = append(b.Raw[:0], raw...)
	b.Tag = tag
	p.pending.Add(1)
	p.order <- b
	p.work <- b
	return nil
}

// Flush waits until every submitted block has gone through the writer and
// the sink (or was dropped after a failure) and returns the pipeline's
// error, if any. It does not flush or sync the Writer itself.
func (p *Pipeline) Flush() error {
	if p.closed {
		return ErrPipelineClosed
	}
	p.pending.Wait()
	return p.Err()
}

// Close flushes, stops the pipeline's goroutines and returns the
// pipeline's error, if any. When Close returns, no goroutine of the
// pipeline is left. A second Close returns ErrPipelineClosed.
func (p *Pipeline) Close() error {
	if p.closed {
		return ErrPipelineClosed
	}
	p.pending.Wait()
	p.closed = true
	close(p.work)
	close(p.order)
	p.wg.Wait()
	return p.Err()
}

// Err returns the error that stopped the pipeline, or nil.
func (p *Pipeline) Err() error {
	if !p.failed.Load() {
		return nil
	}
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return p.err
}

// Offset returns StartOffset plus the bytes written to Writer so far. After
// Flush it is where the next byte of the file goes (a footer, say).
func (p *Pipeline) Offset() int64 { return p.offset.Load() }

func (p *Pipeline) fail(err error) {
	p.errMu.Lock()
	if p.err == nil {
		p.err = err
		p.failed.Store(true)
	}
	p.errMu.Unlock()
}

func (p *Pipeline) getBlock() *Block {
	select {
	case b := <-p.free:
		return b
	default:
		p.allocated.Add(1)
		return &Block{done: make(chan struct{}, 1)}
	}
}

// release recycles b and frees its slot.
func (p *Pipeline) release(b *Block) {
	if cap(b.Raw) > maxKeptBuffer {
		b.Raw = nil
	}
	if cap(b.Out) > maxKeptBuffer {
		b.Out = nil
	}
	b.Raw, b.Out = b.Raw[:0], b.Out[:0]
	b.Tag, b.err = nil, nil
	b.Codec, b.Sum, b.Offset = 0, 0, 0
	select {
	case p.free <- b:
	default:
	}
	<-p.slots
	p.pending.Done()
}

func (p *Pipeline) worker() {
	defer p.wg.Done()
	for b := range p.work {
		if !p.failed.Load() {
			b.err = p.process(b)
		}
		b.done <- struct{}{}
	}
}

// sequencer takes blocks in submission order, waits for each to be
// processed, writes it and hands it to the sink.
func (p *Pipeline) sequencer() {
	defer p.wg.Done()
	for b := range p.order {
		<-b.done
		switch {
		case p.failed.Load():
			// Dropped: the pipeline stopped at an earlier block.
		case b.err != nil:
			p.fail(fmt.Errorf("checksum pipeline: block %d: %w", b.Seq, b.err))
		default:
			if err := p.deliver(b); err != nil {
				p.fail(fmt.Errorf("checksum pipeline: block %d: %w", b.Seq, err))
			}
		}
		p.release(b)
	}
}

func (p *Pipeline) deliver(b *Block) error {
	b.Offset = p.offset.Load()
	if p.w != nil {
		n, err := p.w.Write(b.Out)
		p.offset.Add(int64(n))
		if err == nil && n != len(b.Out) {
			err = io.ErrShortWrite
		}
		if err != nil {
			return fmt.Errorf("write at offset %d: %w", b.Offset, err)
		}
	}
	if p.sink != nil {
		return p.sink(b)
	}
	return nil
}
