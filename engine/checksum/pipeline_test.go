package checksum

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/compress"
	"github.com/lightningdb/lightning/engine/vfs"
)

// testBlocks returns n raw blocks of mixed sizes and compressibility.
func testBlocks(r *rand.Rand, n int) [][]byte {
	blocks := make([][]byte, n)
	for i := range blocks {
		size := r.IntN(6000)
		switch i % 3 {
		case 0:
			blocks[i] = randBytes(r, size)
		case 1:
			blocks[i] = bytes.Repeat([]byte{byte(i)}, size)
		default:
			blocks[i] = []byte(strings.Repeat(fmt.Sprintf("key%06d=value;", i), size/15))
		}
	}
	return blocks
}

// serial is the reference: what the pipeline must write, computed one
// block after another on the calling goroutine.
func serial(t *testing.T, kind Kind, c *compress.Compressor, blocks [][]byte) []byte {
	t.Helper()
	var out []byte
	for _, raw := range blocks {
		start := len(out)
		codec := compress.None
		if c != nil {
			out, codec = c.Compress(out, raw)
		} else {
			out = append(out, raw...)
		}
		var err error
		if out, err = AppendTrailer(out, start, kind, byte(codec)); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func newTestCompressor(t *testing.T, codec compress.Codec) *compress.Compressor {
	t.Helper()
	c, err := compress.New(codec, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestPipelineEqualsSerial runs blocks through pipelines of many shapes
// and compares the output with the serial path byte for byte, checking
// order, offsets and tags in the sink and bounding the blocks in flight.
func TestPipelineEqualsSerial(t *testing.T) {
	r := newRand(t)
	blocks := testBlocks(r, 60)
	for _, kind := range []Kind{CRC32C, XXH3} {
		for _, codec := range []compress.Codec{compress.None, compress.Snappy, compress.Zstd} {
			var c *compress.Compressor
			if codec != compress.None {
				c = newTestCompressor(t, codec)
			}
			want := serial(t, kind, c, blocks)
			for _, shape := range []struct{ workers, inFlight int }{{1, 1}, {1, 4}, {3, 3}, {4, 16}, {0, 0}} {
				name := fmt.Sprintf("%v/%v/workers=%d/inflight=%d", kind, codec, shape.workers, shape.inFlight)
				t.Run(name, func(t *testing.T) {
					var out bytes.Buffer
					var next uint64
					var submitted, sunk atomic.Int64
					limit := int64(shape.inFlight)
					if limit == 0 {
						limit = 2 * int64(runtime.GOMAXPROCS(0))
					}
					p, err := NewPipeline(PipelineOptions{
						Workers: shape.workers, MaxInFlight: shape.inFlight,
						Checksum: kind, Compressor: c,
						Writer: &out, StartOffset: 100,
						Sink: func(b *Block) error {
							if b.Seq != next || b.Tag != int(next) {
								return fmt.Errorf("got block %d tag %v, want %d", b.Seq, b.Tag, next)
							}
							if b.Offset != 100+int64(out.Len()-len(b.Out)) {
								return fmt.Errorf("block %d: offset %d, written %d", b.Seq, b.Offset, out.Len())
							}
							if !bytes.Equal(b.Raw, blocks[b.Seq]) {
								return fmt.Errorf("block %d: Raw differs", b.Seq)
							}
							next++
							sunk.Add(1)
							return nil
						},
					})
					if err != nil {
						t.Fatal(err)
					}
					for i, raw := range blocks {
						if err := p.Submit(raw, i); err != nil {
							t.Fatal(err)
						}
						if n := submitted.Add(1) - sunk.Load(); n > limit {
							t.Fatalf("%d blocks in flight, limit %d", n, limit)
						}
					}
					if err := p.Close(); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(out.Bytes(), want) {
						t.Fatalf("pipeline output (%d bytes) differs from the serial path (%d bytes)", out.Len(), len(want))
					}
					if p.Offset() != 100+int64(len(want)) {
						t.Errorf("Offset() = %d, want %d", p.Offset(), 100+len(want))
					}
					if a := p.allocated.Load(); a > limit {
						t.Errorf("%d blocks allocated, more than the %d in flight", a, limit)
					}
				})
			}
		}
	}
}

// TestPipelineOrderUnderRandomDelays makes processing take random times so
// that blocks finish out of order, and checks that the sink still sees
// them in submission order. Run it with -race.
func TestPipelineOrderUnderRandomDelays(t *testing.T) {
	r := newRand(t)
	seed := r.Uint64()
	blocks := testBlocks(r, 200)
	std, err := NewBlockProcessor(XXH3, nil)
	if err != nil {
		t.Fatal(err)
	}
	var next uint64
	var mu sync.Mutex
	rr := rand.New(rand.NewPCG(seed, 1))
	p, err := NewPipeline(PipelineOptions{
		Workers: 4, MaxInFlight: 8,
		Process: func(b *Block) error {
			mu.Lock()
			d := time.Duration(rr.IntN(200)) * time.Microsecond
			mu.Unlock()
			time.Sleep(d)
			return std(b)
		},
		Sink: func(b *Block) error {
			if b.Seq != next {
				return fmt.Errorf("sink got block %d, want %d", b.Seq, next)
			}
			stored, _, err := VerifyTrailer("mem", b.Offset, XXH3, b.Out)
			if err != nil || !bytes.Equal(stored, blocks[b.Seq]) {
				return fmt.Errorf("block %d: bad output (%v)", b.Seq, err)
			}
			next++
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, raw := range blocks {
		if err := p.Submit(raw, nil); err != nil {
			t.Fatalf("Submit %d: %v", i, err)
		}
		if i%50 == 49 {
			if err := p.Flush(); err != nil {
				t.Fatal(err)
			}
			if next != uint64(i+1) {
				t.Fatalf("after Flush of %d blocks the sink saw %d", i+1, next)
			}
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if next != uint64(len(blocks)) {
		t.Fatalf("sink saw %d blocks, want %d", next, len(blocks))
	}
}

// TestPipelineToFile writes an SSTable-like file through the pipeline on
// the in-memory FS and reads every block back by its handle.
func TestPipelineToFile(t *testing.T) {
	r := newRand(t)
	blocks := testBlocks(r, 40)
	fs := vfs.NewMem()
	f, err := fs.Create("000001.sst")
	if err != nil {
		t.Fatal(err)
	}
	header := []byte("LIGHTNING-TEST-HEADER")
	if _, err := f.Write(header); err != nil {
		t.Fatal(err)
	}
	c := newTestCompressor(t, compress.S2)
	type handle struct{ off, n int64 }
	var handles []handle
	p, err := NewPipeline(PipelineOptions{
		Workers: 2, Checksum: CRC32C, Compressor: c,
		Writer: f, StartOffset: int64(len(header)),
		Sink: func(b *Block) error {
			handles = append(handles, handle{b.Offset, int64(len(b.Out))})
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range blocks {
		if err := p.Submit(raw, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	rf, err := fs.Open("000001.sst")
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	for i, h := range handles {
		buf := make([]byte, h.n)
		if _, err := rf.ReadAt(buf, h.off); err != nil {
			t.Fatal(err)
		}
		stored, codec, err := VerifyTrailer("000001.sst", h.off, CRC32C, buf)
		if err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		raw, err := c.Decompress(nil, stored, compress.Codec(codec))
		if err != nil {
			t.Fatalf("block %d: %v", i, compress.Locate(err, "000001.sst", h.off))
		}
		if !bytes.Equal(raw, blocks[i]) {
			t.Fatalf("block %d read back differs", i)
		}
	}
	// Damage one block on disk: the read reports corruption at its offset.
	data, err := vfs.ReadFile(fs, "000001.sst")
	if err != nil {
		t.Fatal(err)
	}
	h := handles[len(handles)/2]
	data[h.off+h.n/2] ^= 0x10
	_, _, err = VerifyTrailer("000001.sst", h.off, CRC32C, data[h.off:h.off+h.n])
	var ce *engine.CorruptionError
	if !errors.As(err, &ce) || ce.Offset != h.off || !errors.Is(err, engine.ErrCorruption) {
		t.Fatalf("damaged block: %v", err)
	}
}

var errBoom = errors.New("boom")

// failingWriter accepts limit bytes, then fails (with a short write).
type failingWriter struct {
	buf   bytes.Buffer
	limit int
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if room := w.limit - w.buf.Len(); len(p) > room {
		w.buf.Write(p[:max(room, 0)])
		return max(room, 0), errBoom
	}
	return w.buf.Write(p)
}

// TestPipelineErrors checks that the first error of Process, Writer or
// Sink stops the pipeline: nothing after the failing block is written,
// everything before it is, and Submit, Flush and Close report the error.
func TestPipelineErrors(t *testing.T) {
	r := newRand(t)
	blocks := testBlocks(r, 50)
	want := serial(t, CRC32C, nil, blocks)
	std, _ := NewBlockProcessor(CRC32C, nil)
	const failAt = 20
	// Bytes of the blocks before failAt.
	prefix := len(serial(t, CRC32C, nil, blocks[:failAt]))

	tests := []struct {
		name    string
		opts    func(w *failingWriter) PipelineOptions
		written int // bytes expected in the writer
	}{
		{"process", func(w *failingWriter) PipelineOptions {
			return PipelineOptions{Writer: w, Process: func(b *Block) error {
				if b.Seq == failAt {
					return errBoom
				}
				return std(b)
			}}
		}, prefix},
		{"sink", func(w *failingWriter) PipelineOptions {
			return PipelineOptions{Writer: w, Sink: func(b *Block) error {
				if b.Seq == failAt {
					return errBoom
				}
				return nil
			}}
		}, prefix + len(blocks[failAt]) + TrailerLen(CRC32C)},
		{"writer", func(w *failingWriter) PipelineOptions {
			w.limit = prefix + 3
			return PipelineOptions{Writer: w}
		}, prefix + 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &failingWriter{limit: len(want) + 1}
			opts := tt.opts(w)
			opts.Workers, opts.MaxInFlight = 3, 5
			p, err := NewPipeline(opts)
			if err != nil {
				t.Fatal(err)
			}
			var submitErr error
			for i, raw := range blocks {
				if submitErr = p.Submit(raw, nil); submitErr != nil {
					if i <= failAt {
						t.Fatalf("Submit %d failed before the failing block: %v", i, submitErr)
					}
					break
				}
			}
			flushErr := p.Flush()
			closeErr := p.Close()
			for what, err := range map[string]error{"Flush": flushErr, "Close": closeErr} {
				if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), fmt.Sprintf("block %d", failAt)) {
					t.Errorf("%s error = %v, want boom naming block %d", what, err, failAt)
				}
			}
			if submitErr != nil && !errors.Is(submitErr, errBoom) {
				t.Errorf("Submit error = %v", submitErr)
			}
			if got := w.buf.Bytes(); !bytes.Equal(got, want[:tt.written]) {
				t.Errorf("written %d bytes, want the first %d of the serial output", len(got), tt.written)
			}
			if err := p.Submit([]byte("x"), nil); !errors.Is(err, ErrPipelineClosed) {
				t.Errorf("Submit after Close: %v", err)
			}
		})
	}
}

// TestPipelineSubmitReportsFailure checks that once a block failed, Submit
// refuses further blocks with the error.
func TestPipelineSubmitReportsFailure(t *testing.T) {
	p, err := NewPipeline(PipelineOptions{
		Workers: 1, MaxInFlight: 1,
		Sink: func(*Block) error { return errBoom },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Submit([]byte("a"), nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(); !errors.Is(err, errBoom) {
		t.Fatalf("Flush: %v", err)
	}
	if err := p.Submit([]byte("b"), nil); !errors.Is(err, errBoom) {
		t.Fatalf("Submit after failure: %v", err)
	}
	if err := p.Close(); !errors.Is(err, errBoom) {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(); !errors.Is(err, ErrPipelineClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if err := p.Flush(); !errors.Is(err, ErrPipelineClosed) {
		t.Fatalf("Flush after Close: %v", err)
	}
}

// TestPipelineNoGoroutineLeak checks that Close leaves no goroutine behind,
// after success, after failure, and with blocks still queued at Close.
func TestPipelineNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for i, sinkErr := range []error{nil, errBoom} {
		p, err := NewPipeline(PipelineOptions{
			Workers: 4, MaxInFlight: 8,
			Sink: func(*Block) error { return sinkErr },
		})
		if err != nil {
			t.Fatal(err)
		}
		for range 30 {
			if p.Submit(make([]byte, 1000), nil) != nil {
				break
			}
		}
		// No Flush: Close must drain the queue itself.
		if err := p.Close(); (err != nil) != (sinkErr != nil) {
			t.Fatalf("run %d: Close: %v", i, err)
		}
	}
	// Exited goroutines may take a moment to leave the count; Close has
	// already waited for them to return.
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Fatalf("%d goroutines before, %d after Close:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
}

func TestPipelineOptions(t *testing.T) {
	sink := func(*Block) error { return nil }
	tests := []struct {
		name string
		opts PipelineOptions
		ok   bool
	}{
		{"defaults with sink", PipelineOptions{Sink: sink}, true},
		{"writer only", PipelineOptions{Writer: io.Discard}, true},
		{"no writer or sink", PipelineOptions{}, false},
		{"negative workers", PipelineOptions{Sink: sink, Workers: -1}, false},
		{"negative in flight", PipelineOptions{Sink: sink, MaxInFlight: -1}, false},
		{"in flight below workers", PipelineOptions{Sink: sink, Workers: 4, MaxInFlight: 2}, false},
		{"negative start offset", PipelineOptions{Sink: sink, StartOffset: -1}, false},
		{"bad kind", PipelineOptions{Sink: sink, Checksum: 5}, false},
	}
	for _, tt := range tests {
		p, err := NewPipeline(tt.opts)
		if tt.ok != (err == nil) {
			t.Errorf("%s: NewPipeline error = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, engine.ErrInvalidOptions) {
			t.Errorf("%s: error %v does not wrap engine.ErrInvalidOptions", tt.name, err)
		}
		if p != nil {
			if err := p.Close(); err != nil {
				t.Errorf("%s: Close: %v", tt.name, err)
			}
		}
	}
	if _, err := NewBlockProcessor(0, nil); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("NewBlockProcessor(kind 0): %v", err)
	}
}

// TestPipelineDropsHugeBuffers checks that a block far larger than the
// others does not stay pinned in the pipeline's recycled buffers.
func TestPipelineDropsHugeBuffers(t *testing.T) {
	var p *Pipeline
	var maxCap int
	p, err := NewPipeline(PipelineOptions{Workers: 1, MaxInFlight: 1, Writer: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Submit(make([]byte, 4<<20), nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	for range len(p.free) {
		b := <-p.free
		maxCap = max(maxCap, cap(b.Raw), cap(b.Out))
		p.free <- b
	}
	if maxCap > maxKeptBuffer {
		t.Errorf("a recycled block keeps a %d-byte buffer", maxCap)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestPipelineRunsBlocksConcurrently proves that workers overlap: each of
// the first Workers blocks waits in Process until all of them have
// started, which only completes if they run at the same time. (The
// timeout only turns a deadlock into a failure; it measures nothing.)
func TestPipelineRunsBlocksConcurrently(t *testing.T) {
	const workers = 3
	var started sync.WaitGroup
	started.Add(workers)
	allIn := make(chan struct{})
	go func() { started.Wait(); close(allIn) }()
	std, _ := NewBlockProcessor(CRC32C, nil)
	p, err := NewPipeline(PipelineOptions{
		Workers: workers, MaxInFlight: workers,
		Process: func(b *Block) error {
			if b.Seq < workers {
				started.Done()
				select {
				case <-allIn:
				case <-time.After(30 * time.Second):
					return fmt.Errorf("block %d: the other workers never started", b.Seq)
				}
			}
			return std(b)
		},
		Writer: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 * workers {
		if err := p.Submit([]byte("block"), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}
