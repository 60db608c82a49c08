package record

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
)

var seedFlag = flag.Uint64("seed", 0, "seed for randomized tests (0: time-based)")

// testSeed returns the seed to use and logs it so a failure can be rerun
// with -seed.
func testSeed(t testing.TB) uint64 {
	s := *seedFlag
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -seed=%d)", s, s)
	return s
}

// payload returns n deterministic bytes tagged by i.
func payload(i, n int) []byte {
	p := make([]byte, n)
	for j := range p {
		p[j] = byte(i*131 + j*7 + j>>8)
	}
	return p
}

// writeStream writes records of the given sizes with a strict writer and
// returns the stream, the records and their offsets.
func writeStream(t testing.TB, logNum uint64, sizes []int) (stream []byte, recs [][]byte, offs []int64) {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, logNum)
	for i, n := range sizes {
		p := payload(i, n)
		off, err := w.WriteRecord(p)
		if err != nil {
			t.Fatalf("WriteRecord(%d bytes): %v", n, err)
		}
		recs = append(recs, p)
		offs = append(offs, off)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != w.Size() {
		t.Fatalf("stream has %d bytes, Size says %d", buf.Len(), w.Size())
	}
	return buf.Bytes(), recs, offs
}

// readAll reads every record until an error and returns them (copied),
// their offsets and the error (io.EOF at a clean end).
func readAll(stream []byte, logNum uint64) ([][]byte, []int64, *Reader, error) {
	r := NewReader(bytes.NewReader(stream), logNum, "test.log")
	var recs [][]byte
	var offs []int64
	for {
		rec, err := r.Next()
		if err != nil {
			return recs, offs, r, err
		}
		recs = append(recs, bytes.Clone(rec))
		offs = append(offs, r.Offset())
	}
}

// checkPrefix fails unless got equals want[:len(got)] and len(got) == n.
func checkPrefix(t *testing.T, got, want [][]byte, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("got %d records, want %d", len(got), n)
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("record %d: got %d bytes, want %d (content differs)", i, len(got[i]), len(want[i]))
		}
	}
}

type chunkInfo struct {
	off    int64
	typ    byte
	length int
}

// layout lists the chunks of a well-formed stream.
func layout(stream []byte) []chunkInfo {
	var cs []chunkInfo
	for off := 0; off < len(stream); {
		if BlockSize-off%BlockSize < HeaderSize {
			off += BlockSize - off%BlockSize
			continue
		}
		h := decodeHeader(stream[off:])
		cs = append(cs, chunkInfo{int64(off), h.typ, h.length})
		off += HeaderSize + h.length
	}
	return cs
}

func TestEncodedSize(t *testing.T) {
	const B, H = BlockSize, HeaderSize
	tests := []struct {
		off  int64
		n    int
		want int64
	}{
		{0, 0, H},
		{0, 1, H + 1},
		{0, B - H, B},
		{0, B - H + 1, B + H + 1},
		{0, 2 * (B - H), 2 * B},
		{0, 3*(B-H) + 5, 3*B + H + 5},
		{B - H, 0, H},                   // header fits exactly: empty full chunk
		{B - H, 1, H + H + 1},           // empty first chunk, then a last chunk
		{B - H + 1, 0, H - 1 + H},       // padding, then the chunk
		{B - 1, 10, 1 + H + 10},         // one byte of padding
		{B + 100, B - H - 100, B - 100}, // exactly fills the block
	}
	for _, tt := range tests {
		if got := EncodedSize(tt.off, tt.n); got != tt.want {
			t.Errorf("EncodedSize(%d, %d) = %d, want %d", tt.off, tt.n, got, tt.want)
		}
	}
}

func TestChunkLayout(t *testing.T) {
	const B, H = BlockSize, HeaderSize
	const (
		full, first, middle, last = typeFull, typeFirst, typeMiddle, typeLast
	)
	tests := []struct {
		name  string
		sizes []int
		want  []chunkInfo
	}{
		{"empty stream", nil, nil},
		{"empty record", []int{0}, []chunkInfo{{0, full, 0}}},
		{"small records", []int{1, 2}, []chunkInfo{{0, full, 1}, {H + 1, full, 2}}},
		{"record exactly filling a block", []int{B - H, 3}, []chunkInfo{{0, full, B - H}, {B, full, 3}}},
		{"one byte over a block", []int{B - H + 1}, []chunkInfo{{0, first, B - H}, {B, last, 1}}},
		{"two blocks exactly", []int{2 * (B - H)}, []chunkInfo{{0, first, B - H}, {B, last, B - H}}},
		{"three blocks", []int{2*(B-H) + 7}, []chunkInfo{{0, first, B - H}, {B, middle, B - H}, {2 * B, last, 7}}},
		{"header fits exactly, empty record", []int{B - 2*H, 0}, []chunkInfo{{0, full, B - 2*H}, {B - H, full, 0}}},
		{"header fits exactly, record continues", []int{B - 2*H, 5}, []chunkInfo{{0, full, B - 2*H}, {B - H, first, 0}, {B, last, 5}}},
		{"header does not fit: padding", []int{B - 2*H + 1, 5}, []chunkInfo{{0, full, B - 2*H + 1}, {B, full, 5}}},
		{"one byte left: padding", []int{B - H - 1, 0}, []chunkInfo{{0, full, B - H - 1}, {B, full, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream, recs, offs := writeStream(t, 1, tt.sizes)
			got := layout(stream)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("chunks %v, want %v", got, tt.want)
			}
			var wantLen int64
			for _, n := range tt.sizes {
				wantLen += EncodedSize(wantLen, n)
			}
			if int64(len(stream)) != wantLen {
				t.Fatalf("stream of %d bytes, EncodedSize sums to %d", len(stream), wantLen)
			}
			gotRecs, gotOffs, r, err := readAll(stream, 1)
			if err != io.EOF {
				t.Fatalf("Next: %v, want io.EOF", err)
			}
			checkPrefix(t, gotRecs, recs, len(recs))
			if fmt.Sprint(gotOffs) != fmt.Sprint(offs) {
				t.Fatalf("offsets %v, writer said %v", gotOffs, offs)
			}
			if r.End() != int64(len(stream)) || r.Sealed() {
				t.Fatalf("End %d Sealed %v, want %d false", r.End(), r.Sealed(), len(stream))
			}
		})
	}
}

// layouts used by the damage tests: several records over several blocks,
// with a last record that spans three blocks or fits in one.
var damageLayouts = []struct {
	name  string
	sizes []int
}{
	{"small last record", []int{100, 5000, BlockSize, 3000, 40000, 200}},
	{"last record spans three blocks", []int{100, 5000, BlockSize - 5200, 2*BlockSize + 300}},
	{"last record after padding", []int{BlockSize - HeaderSize - 3, 50}},
	{"empty last record", []int{10, 20, 0}},
}

func TestTornTailEveryOffset(t *testing.T) {
	for _, l := range damageLayouts {
		t.Run(l.name, func(t *testing.T) {
			stream, recs, offs := writeStream(t, 9, l.sizes)
			lastOff := offs[len(offs)-1]
			step := int64(1)
			if testing.Short() && len(stream)-int(lastOff) > 4096 {
				step = 97 // still crosses every block boundary region
			}
			check := func(cut int64) {
				got, _, r, err := readAll(stream[:cut], 9)
				if err != io.EOF {
					t.Fatalf("cut at %d: Next: %v, want io.EOF", cut, err)
				}
				checkPrefix(t, got, recs, len(recs)-1)
				if r.End() != lastOff {
					t.Fatalf("cut at %d: End %d, want %d", cut, r.End(), lastOff)
				}
			}
			for cut := lastOff; cut < int64(len(stream)); cut += step {
				check(cut)
			}
			// Always cover the bytes around every block boundary.
			for b := (lastOff/BlockSize + 1) * BlockSize; b < int64(len(stream)); b += BlockSize {
				for cut := b - HeaderSize - 1; cut <= b+HeaderSize+1; cut++ {
					if cut >= lastOff && cut < int64(len(stream)) {
						check(cut)
					}
				}
			}
		})
	}
}

// A torn tail may also read as zeros (preallocated space), garbage (a
// partly written page), or an older log's chunks (a recycled file).
func TestTornTailContents(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	stream, recs, offs := writeStream(t, 9, damageLayouts[1].sizes)
	old, _, _ := writeStream(t, 8, []int{1000, 3 * BlockSize, 7, 5 * BlockSize})
	lastOff := offs[len(offs)-1]
	fills := map[string]func(dst []byte, off int64){
		"zeros":  func(dst []byte, off int64) { clear(dst) },
		"random": func(dst []byte, off int64) { fillRandom(rng, dst) },
		"older log": func(dst []byte, off int64) {
			copy(dst, old[off:])
		},
	}
	for name, fill := range fills {
		t.Run(name, func(t *testing.T) {
			for i := 0; i < 300; i++ {
				cut := lastOff + rng.Int64N(int64(len(stream))-lastOff)
				if i == 0 {
					cut = lastOff
				}
				total := max(int64(len(stream)), cut+rng.Int64N(4*BlockSize))
				damaged := make([]byte, total)
				copy(damaged, stream[:cut])
				fill(damaged[cut:], cut)
				got, _, r, err := readAll(damaged, 9)
				if err != io.EOF {
					t.Fatalf("tail from %d (%d bytes): Next: %v, want io.EOF", cut, total, err)
				}
				checkPrefix(t, got, recs, len(recs)-1)
				if r.End() != lastOff {
					t.Fatalf("tail from %d: End %d, want %d", cut, r.End(), lastOff)
				}
			}
		})
	}
}

func fillRandom(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}

// chunkAt returns the offset of the chunk that holds byte off.
func chunkAt(stream []byte, off int64) (int64, bool) {
	for _, c := range layout(stream) {
		if off >= c.off && off < c.off+HeaderSize+int64(c.length) {
			return c.off, true
		}
	}
	return 0, false // padding
}

func TestCorruptionInTheMiddle(t *testing.T) {
	// Records in blocks 0..3; damage every byte of block 0's records.
	sizes := []int{100, 0, 5000, 2 * BlockSize, 700, BlockSize}
	stream, recs, offs := writeStream(t, 3, sizes)
	step := int64(1)
	if testing.Short() {
		step = 7
	}
	for pos := int64(0); pos < offs[3]+BlockSize-1; pos += step {
		chunk, ok := chunkAt(stream, pos)
		if !ok {
			continue
		}
		damaged := bytes.Clone(stream)
		damaged[pos] ^= 0x40
		got, _, _, err := readAll(damaged, 3)
		var ce *engine.CorruptionError
		if !errors.Is(err, engine.ErrCorruption) || !errors.As(err, &ce) {
			t.Fatalf("flip at %d: err %v, want corruption", pos, err)
		}
		if ce.Offset != chunk || ce.File != "test.log" {
			t.Fatalf("flip at %d: corruption at %s:%d, want test.log:%d (%v)", pos, ce.File, ce.Offset, chunk, err)
		}
		// Every record before the damaged one is returned intact.
		n := 0
		for n < len(offs) && offs[n]+EncodedSize(offs[n], sizes[n]) <= chunk {
			n++
		}
		if chunk < offs[n] {
			t.Fatalf("flip at %d: chunk %d before record %d at %d", pos, chunk, n, offs[n])
		}
		checkPrefix(t, got, recs, n)
	}
}

// A sync-tracking writer's chunks claim only what MarkSynced reported:
// damage before the claim is corruption, after it a torn tail.
func TestTrackSyncs(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriterWithOptions(&buf, 5, WriterOptions{TrackSyncs: true})
	var recs [][]byte
	write := func(n int) {
		p := payload(len(recs), n)
		if _, err := w.WriteRecord(p); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, p)
	}
	write(1000)
	write(BlockSize) // ends in block 1
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	synced := w.Size()
	w.MarkSynced(synced)
	w.MarkSynced(10) // claims never go backwards
	write(300)       // unsynced, block 1
	write(BlockSize) // unsynced, blocks 1-2; its last chunk starts block 2
	write(10)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	stream := buf.Bytes()
	if got, _, _, err := readAll(stream, 5); err != io.EOF || len(got) != len(recs) {
		t.Fatalf("intact stream: %d records, %v", len(got), err)
	}
	// Damage in the synced part (record 0) with block 2 claiming it.
	d := bytes.Clone(stream)
	d[500] ^= 1
	if _, _, _, err := readAll(d, 5); !errors.Is(err, engine.ErrCorruption) {
		t.Fatalf("damage before the synced offset: %v, want corruption", err)
	}
	// Damage in the unsynced part: a torn tail even though later chunks
	// are intact (their pages reached the disk, the earlier one did not).
	d = bytes.Clone(stream)
	d[synced+20] ^= 1
	got, _, r, err := readAll(d, 5)
	if err != io.EOF {
		t.Fatalf("damage after the synced offset: %v, want io.EOF", err)
	}
	checkPrefix(t, got, recs, 2)
	if r.End() != synced {
		t.Fatalf("End %d, want %d", r.End(), synced)
	}
}

func TestSeal(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, 4)
	p := payload(1, BlockSize-2*HeaderSize+3) // the seal needs padding
	if _, err := w.WriteRecord(p); err != nil {
		t.Fatal(err)
	}
	sealAt := w.Size()
	if err := w.Seal(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteRecord(nil); !errors.Is(err, ErrSealed) {
		t.Fatalf("WriteRecord after Seal: %v, want ErrSealed", err)
	}
	if err := w.Seal(); !errors.Is(err, ErrSealed) {
		t.Fatalf("Seal twice: %v, want ErrSealed", err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// Stale records of the same log after the seal are never read.
	stale, _, _ := writeStream(t, 4, []int{10, 3 * BlockSize})
	stream := append(bytes.Clone(buf.Bytes()), stale[len(buf.Bytes()):]...)
	got, _, r, err := readAll(stream, 4)
	if err != io.EOF || len(got) != 1 || !bytes.Equal(got[0], p) {
		t.Fatalf("got %d records, %v", len(got), err)
	}
	if !r.Sealed() || r.End() != BlockSize {
		t.Fatalf("Sealed %v End %d, want true %d (seal after padding from %d)", r.Sealed(), r.End(), BlockSize, sealAt)
	}
}

// A stream read to its torn tail can be continued at End, overwriting the
// torn bytes, as the WAL does when it seals a crashed segment.
func TestAppendAtEnd(t *testing.T) {
	stream, recs, offs := writeStream(t, 2, []int{100, BlockSize + 5, 40})
	torn := bytes.Clone(stream[:offs[2]+HeaderSize+3]) // the last record is torn
	_, _, r, err := readAll(torn, 2)
	if err != io.EOF || r.End() != offs[2] {
		t.Fatalf("End %d, %v; want %d, io.EOF", r.End(), err, offs[2])
	}
	var buf bytes.Buffer
	w := NewWriterWithOptions(&buf, 2, WriterOptions{Offset: r.End()})
	more := payload(7, 2*BlockSize)
	if off, err := w.WriteRecord(more); err != nil || off != offs[2] {
		t.Fatalf("WriteRecord: %d, %v", off, err)
	}
	if err := w.Seal(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	joined := append(torn[:r.End()], buf.Bytes()...)
	got, _, r2, err := readAll(joined, 2)
	if err != io.EOF || !r2.Sealed() {
		t.Fatalf("%v, sealed %v", err, r2.Sealed())
	}
	checkPrefix(t, got, append(recs[:2:2], more), 3)

	if err := NewWriterWithOptions(&buf, 2, WriterOptions{Offset: -1}).Flush(); err == nil {
		t.Fatal("negative offset accepted")
	}
}

func TestWriterErrors(t *testing.T) {
	// Stream full.
	w := NewWriterWithOptions(io.Discard, 1, WriterOptions{Offset: MaxStreamSize - 100})
	if _, err := w.WriteRecord(make([]byte, 50)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteRecord(make([]byte, 50)); !errors.Is(err, ErrStreamFull) {
		t.Fatalf("err %v, want ErrStreamFull", err)
	}
	// A failed write is sticky.
	fw := &failWriter{failAfter: 1}
	w = NewWriter(fw, 1)
	for i := 0; i < 2; i++ {
		if _, err := w.WriteRecord([]byte("x")); err != nil {
			t.Fatal(err)
		}
		err := w.Flush()
		if (i == 0) != (err == nil) {
			t.Fatalf("flush %d: %v", i, err)
		}
	}
	if _, err := w.WriteRecord([]byte("y")); !errors.Is(err, errInjected) {
		t.Fatalf("after failure: %v, want the write error", err)
	}
	if err := w.Seal(); !errors.Is(err, errInjected) {
		t.Fatalf("Seal after failure: %v", err)
	}
	// Large amounts of unflushed records are written through.
	var buf bytes.Buffer
	w = NewWriter(&buf, 1)
	for w.Buffered() > 0 || buf.Len() == 0 {
		if _, err := w.WriteRecord(make([]byte, 10000)); err != nil {
			t.Fatal(err)
		}
		if w.Buffered() > 2*autoFlush {
			t.Fatalf("%d bytes buffered", w.Buffered())
		}
	}
}

var errInjected = errors.New("injected")

type failWriter struct{ failAfter int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.failAfter == 0 {
		return 0, errInjected
	}
	f.failAfter--
	return len(p), nil
}

type failReader struct {
	r   io.Reader
	n   int
	err error
}

func (f *failReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	p = p[:min(len(p), f.n)]
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

func TestReaderEdgeCases(t *testing.T) {
	// Empty stream.
	_, _, r, err := readAll(nil, 1)
	if err != io.EOF || r.End() != 0 || r.Sealed() {
		t.Fatalf("empty: %v End %d", err, r.End())
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next after EOF: %v", err)
	}
	if NewReader(nil, 1, "x").End() != -1 {
		t.Fatal("End before EOF should be -1")
	}
	// A read error is returned, not taken for an end or corruption.
	stream, _, _ := writeStream(t, 1, []int{10, BlockSize, 10})
	boom := errors.New("disk on fire")
	r = NewReader(&failReader{r: bytes.NewReader(stream), n: BlockSize + 10, err: boom}, 1, "x")
	var n int
	for {
		_, err = r.Next()
		if err != nil {
			break
		}
		n++
	}
	if !errors.Is(err, boom) || errors.Is(err, engine.ErrCorruption) || n != 1 {
		t.Fatalf("after %d records: %v, want the read error", n, err)
	}
	// Out-of-sequence valid chunks are corruption: drop the first chunk of
	// a two-block record by splicing.
	stream, _, _ = writeStream(t, 1, []int{BlockSize, 5})
	spliced := stream[BlockSize:] // starts with the last chunk
	if _, _, _, err := readAll(spliced, 1); !errors.Is(err, engine.ErrCorruption) {
		t.Fatalf("last chunk without first: %v", err)
	}
	// A first chunk followed by a full chunk.
	var buf bytes.Buffer
	w := NewWriter(&buf, 1)
	w.WriteRecord(make([]byte, BlockSize)) // first + last
	w.Flush()
	first := bytes.Clone(buf.Bytes()[:BlockSize])
	buf.Reset()
	w = NewWriterWithOptions(&buf, 1, WriterOptions{Offset: BlockSize})
	w.WriteRecord([]byte("full"))
	w.Flush()
	if _, _, _, err := readAll(append(first, buf.Bytes()...), 1); !errors.Is(err, engine.ErrCorruption) {
		t.Fatalf("full chunk inside a record: %v", err)
	}
	// A chunk claiming more synced bytes than its own offset.
	chunk := make([]byte, HeaderSize)
	putHeader(chunk, typeFull, 0, 1, 99)
	binaryPutCRC(chunk)
	if _, _, _, err := readAll(chunk, 1); !errors.Is(err, engine.ErrCorruption) {
		t.Fatalf("claim beyond the chunk: %v", err)
	}
}

func binaryPutCRC(chunk []byte) {
	c := chunkCRC(chunk)
	chunk[0], chunk[1], chunk[2], chunk[3] = byte(c), byte(c>>8), byte(c>>16), byte(c>>24)
}

// TestRandomRoundTrip writes random records with random flushes and reads
// them back, checking contents and offsets.
func TestRandomRoundTrip(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 2))
	rounds := 50
	if testing.Short() {
		rounds = 10
	}
	for round := 0; round < rounds; round++ {
		var buf bytes.Buffer
		w := NewWriter(&buf, uint64(round))
		var recs [][]byte
		var offs []int64
		for i := rng.IntN(200); i > 0; i-- {
			var n int
			switch rng.IntN(4) {
			case 0:
				n = rng.IntN(20)
			case 1:
				n = rng.IntN(1000)
			case 2:
				n = BlockSize - HeaderSize - rng.IntN(40)
			default:
				n = rng.IntN(3 * BlockSize)
			}
			p := payload(rng.IntN(1000), n)
			off, err := w.WriteRecord(p)
			if err != nil {
				t.Fatal(err)
			}
			recs, offs = append(recs, p), append(offs, off)
			if rng.IntN(5) == 0 {
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
		}
		sealed := rng.IntN(2) == 0
		if sealed {
			if err := w.Seal(); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		got, gotOffs, r, err := readAll(buf.Bytes(), uint64(round))
		if err != io.EOF {
			t.Fatalf("round %d: %v", round, err)
		}
		checkPrefix(t, got, recs, len(recs))
		if fmt.Sprint(gotOffs) != fmt.Sprint(offs) {
			t.Fatalf("round %d: offsets differ", round)
		}
		if r.Sealed() != sealed {
			t.Fatalf("round %d: sealed %v, want %v", round, r.Sealed(), sealed)
		}
	}
}

// The witness of a seal vouches for every byte before it: damage anywhere
// in a sealed strict stream is corruption, even in its last block.
func TestSealedStreamDamage(t *testing.T) {
	for _, track := range []bool{false, true} {
		var buf bytes.Buffer
		w := NewWriterWithOptions(&buf, 6, WriterOptions{TrackSyncs: track})
		for i, n := range []int{10, 300, 0, 1000} {
			if _, err := w.WriteRecord(payload(i, n)); err != nil {
				t.Fatal(err)
			}
		}
		sealAt := w.Size()
		if track {
			w.MarkSynced(sealAt) // as the WAL does once the data is synced
		}
		if err := w.Seal(); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		stream := buf.Bytes()
		for pos := int64(0); pos < sealAt; pos++ {
			chunk, _ := chunkAt(stream, pos)
			d := bytes.Clone(stream)
			d[pos] ^= 0x01
			_, _, _, err := readAll(d, 6)
			var ce *engine.CorruptionError
			if !errors.As(err, &ce) || ce.Offset != chunk {
				t.Fatalf("track %v: flip at %d: %v, want corruption at %d", track, pos, err, chunk)
			}
		}
	}
	// Without a claim, the witness proves nothing: a torn tail.
	var buf bytes.Buffer
	w := NewWriterWithOptions(&buf, 6, WriterOptions{TrackSyncs: true})
	w.WriteRecord(payload(0, 100))
	w.WriteRecord(payload(1, 100))
	w.Seal()
	w.Flush()
	d := bytes.Clone(buf.Bytes())
	d[HeaderSize+100+20] ^= 1
	got, _, r, err := readAll(d, 6)
	if err != io.EOF || len(got) != 1 || r.Sealed() {
		t.Fatalf("unsynced damage before an unvouched seal: %d records, %v, sealed %v", len(got), err, r.Sealed())
	}
}
