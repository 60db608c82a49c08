package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

// FuzzReader feeds arbitrary bytes to the Reader: it must never panic and
// must end with io.EOF, a corruption or nothing else, with sane offsets.
func FuzzReader(f *testing.F) {
	valid, _, _ := writeStream(f, 1, []int{0, 10, 3000, BlockSize - 3100, 77, 3})
	f.Add(valid)
	f.Add(valid[:len(valid)-5])
	f.Add(valid[:BlockSize+3])
	flipped := bytes.Clone(valid)
	flipped[20] ^= 1
	f.Add(flipped)
	var sealed bytes.Buffer
	w := NewWriterWithOptions(&sealed, 1, WriterOptions{TrackSyncs: true})
	w.WriteRecord([]byte("a record"))
	w.MarkSynced(w.Size())
	w.Seal()
	w.Flush()
	f.Add(sealed.Bytes())
	f.Add([]byte{})
	f.Add(make([]byte, HeaderSize))
	f.Add(make([]byte, BlockSize+HeaderSize))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), 1, "fuzz")
		last := int64(-1)
		var total int
		for {
			rec, err := r.Next()
			if err != nil {
				if err != io.EOF && !errors.Is(err, engine.ErrCorruption) {
					t.Fatalf("unexpected error %v", err)
				}
				if err == io.EOF && (r.End() < 0 || r.End() > int64(len(data))) {
					t.Fatalf("End %d outside [0, %d]", r.End(), len(data))
				}
				if _, err2 := r.Next(); err2 != err {
					t.Fatalf("error not sticky: %v then %v", err, err2)
				}
				return
			}
			if r.Offset() <= last || r.Offset() >= int64(len(data)) {
				t.Fatalf("record offset %d after %d, stream of %d", r.Offset(), last, len(data))
			}
			last = r.Offset()
			total += len(rec)
			if total > len(data) {
				t.Fatalf("returned %d payload bytes from a %d-byte stream", total, len(data))
			}
		}
	})
}

// FuzzDamagedLog writes records whose sizes come from spec, truncates the
// stream at cut and flips the bits of mask at flip, then checks that the
// reader returns exactly the records wholly before the damage, intact,
// and ends with io.EOF (for truncation) or io.EOF or corruption (for a
// flip).
func FuzzDamagedLog(f *testing.F) {
	f.Add([]byte{1, 0, 2, 0, 3, 0}, uint32(1<<31), uint32(0), byte(0), false)
	f.Add([]byte{0xff, 0x7f, 0x10, 0}, uint32(40000), uint32(0), byte(0), false)
	f.Add([]byte{0xff, 0x7f, 0x10, 0, 0, 0, 9, 9}, uint32(1<<31), uint32(33000), byte(4), false)
	f.Add([]byte{0xef, 0x7f, 0x10, 0, 0, 0}, uint32(70000), uint32(5), byte(0x80), true)
	f.Add([]byte{}, uint32(0), uint32(0), byte(1), false)
	f.Fuzz(func(t *testing.T, spec []byte, cut, flip uint32, mask byte, track bool) {
		var sizes []int
		total := 0
		for i := 0; i+1 < len(spec) && total < 300<<10; i += 2 {
			n := int(binary.LittleEndian.Uint16(spec[i:])) * 3
			sizes = append(sizes, n)
			total += n
		}
		var buf bytes.Buffer
		w := NewWriterWithOptions(&buf, 7, WriterOptions{TrackSyncs: track})
		var recs [][]byte
		var offs, ends []int64
		for i, n := range sizes {
			p := payload(i, n)
			off, err := w.WriteRecord(p)
			if err != nil {
				t.Fatal(err)
			}
			recs, offs, ends = append(recs, p), append(offs, off), append(ends, w.Size())
			if track && i%3 == 2 {
				w.MarkSynced(w.Size())
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		stream := buf.Bytes()
		want := len(recs)
		cutAt := int64(len(stream))
		if int64(cut) < cutAt {
			cutAt = int64(cut)
			stream = stream[:cutAt]
			want = 0
			for want < len(ends) && ends[want] <= cutAt {
				want++
			}
		}
		flipped := false
		if mask != 0 && len(stream) > 0 {
			pos := int64(flip) % int64(len(stream))
			stream[pos] ^= mask
			for k := range offs {
				if pos >= offs[k] && pos < ends[k] {
					want = min(want, k)
					flipped = true
				}
			}
		}
		got, _, _, err := readAll(stream, 7)
		switch {
		case err == io.EOF:
		case flipped && errors.Is(err, engine.ErrCorruption):
		default:
			t.Fatalf("err %v (flipped %v)", err, flipped)
		}
		checkPrefix(t, got, recs, want)
	})
}
