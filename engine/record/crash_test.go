package record

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

// trackedStream writes records of random sizes with a sync-tracking
// writer, flushing and "syncing" (MarkSynced after a Flush) at random, and
// returns the stream, the records, their end offsets and the durable
// prefix: the size at the last sync.
func trackedStream(t *testing.T, rng *rand.Rand, logNum uint64) (stream []byte, recs [][]byte, ends []int64, durable int64) {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriterWithOptions(&buf, logNum, WriterOptions{TrackSyncs: true})
	for i := rng.IntN(120); i >= 0; i-- {
		var n int
		switch rng.IntN(8) {
		case 0:
			n = rng.IntN(3 * BlockSize)
		case 1:
			n = BlockSize - 2*HeaderSize - rng.IntN(20) // ends near a block boundary
		default:
			n = rng.IntN(2000)
		}
		p := payload(len(recs), n)
		if _, err := w.WriteRecord(p); err != nil {
			t.Fatal(err)
		}
		recs, ends = append(recs, p), append(ends, w.Size())
		if rng.IntN(6) == 0 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if rng.IntN(2) == 0 {
				durable = w.Size()
				w.MarkSynced(durable)
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), recs, ends, durable
}

// A power failure keeps the synced prefix of a stream and, of the pages
// written after the last sync, any subset (the disk writes back dirty
// pages in any order); a lost page reads as zeros, as garbage, or as the
// stale bytes of another log that the file held before. Whatever survives,
// the reader must end the stream with io.EOF at a torn tail — never report
// corruption — after returning every record synced and only intact
// records, in order.
func TestCrashLosesUnsyncedPagesInAnyOrder(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 11))
	const page = 4096
	rounds := 400
	if testing.Short() {
		rounds = 100
	}
	for round := range rounds {
		stream, recs, ends, durable := trackedStream(t, rng, 9)
		stale, _, _, _ := trackedStream(t, rng, 8) // a recycled file's old log
		crashed := bytes.Clone(stream)
		// The file may also have lost its tail entirely.
		if rng.IntN(4) == 0 {
			cut := durable + rng.Int64N(int64(len(stream))-durable+1)
			crashed = crashed[:cut]
		}
		for p := durable / page * page; p < int64(len(crashed)); p += page {
			lo, hi := max(p, durable), min(p+page, int64(len(crashed)))
			switch rng.IntN(4) {
			case 0: // lost: zeros
				clear(crashed[lo:hi])
			case 1: // lost: garbage
				for i := lo; i < hi; i++ {
					crashed[i] = byte(rng.Uint32())
				}
			case 2: // lost: stale bytes of the file's previous log
				for i := lo; i < hi; i++ {
					if i < int64(len(stale)) {
						crashed[i] = stale[i]
					} else {
						crashed[i] = 0
					}
				}
			}
		}
		got, _, r, err := readAll(crashed, 9)
		if err != io.EOF {
			t.Fatalf("round %d: %v, want io.EOF (durable prefix %d of %d bytes)", round, err, durable, len(stream))
		}
		synced := 0
		for synced < len(ends) && ends[synced] <= durable {
			synced++
		}
		if len(got) < synced {
			t.Fatalf("round %d: %d records, the first %d were synced", round, len(got), synced)
		}
		checkPrefix(t, got, recs, len(got))
		if r.End() < durable || r.End() > int64(len(crashed)) {
			t.Fatalf("round %d: End %d outside [%d, %d]", round, r.End(), durable, len(crashed))
		}
	}
}

// A flip of one byte of a sync-tracking stream is corruption exactly when
// a chunk starting a later block claims that the damaged chunk was synced
// (see the package documentation); otherwise it is a torn tail at the
// damaged record. Either way the records before it are returned intact.
func TestFlipVerdictFollowsClaims(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 12))
	rounds := 300
	if testing.Short() {
		rounds = 80
	}
	for round := range rounds {
		stream, recs, ends, _ := trackedStream(t, rng, 5)
		if len(stream) == 0 {
			continue
		}
		chunks := layout(stream)
		pos := rng.Int64N(int64(len(stream)))
		var bad *chunkInfo
		for i := range chunks {
			if c := &chunks[i]; pos >= c.off && pos < c.off+HeaderSize+int64(c.length) {
				bad = c
			}
		}
		d := bytes.Clone(stream)
		d[pos] ^= byte(1 + rng.IntN(255))
		got, _, _, err := readAll(d, 5)
		if bad == nil { // padding: never read
			if err != io.EOF || len(got) != len(recs) {
				t.Fatalf("round %d: flip in padding at %d: %d records, %v", round, pos, len(got), err)
			}
			continue
		}
		wantCorrupt := false
		for _, c := range chunks {
			if c.off%BlockSize == 0 && c.off/BlockSize > bad.off/BlockSize {
				if claim := int64(decodeHeader(stream[c.off:]).synced); claim > bad.off {
					wantCorrupt = true
				}
			}
		}
		var ce *engine.CorruptionError
		switch {
		case wantCorrupt && (!errors.As(err, &ce) || ce.Offset != bad.off):
			t.Fatalf("round %d: flip at %d in the chunk at %d: %v, want corruption there", round, pos, bad.off, err)
		case !wantCorrupt && err != io.EOF:
			t.Fatalf("round %d: flip at %d in the chunk at %d: %v, want a torn tail", round, pos, bad.off, err)
		}
		// The records wholly before the damaged chunk come back.
		n := 0
		for n < len(ends) && ends[n] <= bad.off {
			n++
		}
		checkPrefix(t, got, recs, n)
	}
}
