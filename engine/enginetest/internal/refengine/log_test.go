package refengine

import (
	"bytes"
	"errors"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

func batchRepr(seq uint64, kvs ...string) []byte {
	var b engine.Batch
	for i := 0; i+1 < len(kvs); i += 2 {
		b.Set([]byte(kvs[i]), []byte(kvs[i+1]))
	}
	b.SetSeq(seq)
	return append([]byte{}, b.Repr()...)
}

func TestParseSegment(t *testing.T) {
	r1 := appendRecord(nil, typeBatch, batchRepr(1, "a", "1"))
	r2 := appendRecord(nil, typeBatch, batchRepr(2, "b", "22"))
	two := append(append([]byte{}, r1...), r2...)
	flip := func(p []byte, off int) []byte {
		q := append([]byte{}, p...)
		q[off] ^= 0x40
		return q
	}
	tests := []struct {
		name     string
		data     []byte
		last     bool
		wantRecs int
		wantLen  int
		corrupt  bool
	}{
		{"empty", nil, true, 0, 0, false},
		{"two records", two, false, 2, len(two), false},
		{"short header, last", append(append([]byte{}, r1...), r2[:5]...), true, 1, len(r1), false},
		{"short header, not last", append(append([]byte{}, r1...), r2[:5]...), false, 0, 0, true},
		{"short payload, last", two[:len(two)-1], true, 1, len(r1), false},
		{"short payload, not last", two[:len(two)-1], false, 0, 0, true},
		{"bad payload in last record, last", flip(two, len(two)-1), true, 1, len(r1), false},
		{"bad payload in last record, not last", flip(two, len(two)-1), false, 0, 0, true},
		{"bad payload before the end", flip(two, len(r1)-1), true, 0, 0, true},
		{"bad header checksum", flip(two, len(r1)+5), true, 0, 0, true},
		{"bad header crc field", flip(two, 1), true, 0, 0, true},
		{"zeroed tail, last", append(append([]byte{}, r1...), make([]byte, 40)...), true, 1, len(r1), false},
		{"zeroed tail, not last", append(append([]byte{}, r1...), make([]byte, 40)...), false, 0, 0, true},
		{"unknown type", appendRecord(nil, 9, batchRepr(1)), true, 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs, valid, err := parseSegment("seg", tc.data, tc.last, false)
			if tc.corrupt {
				if !errors.Is(err, engine.ErrCorruption) {
					t.Fatalf("err = %v, want corruption", err)
				}
				var ce *engine.CorruptionError
				if !errors.As(err, &ce) || ce.File != "seg" || ce.Offset < 0 {
					t.Fatalf("corruption error without file and offset: %v", err)
				}
				return
			}
			if err != nil || len(recs) != tc.wantRecs || valid != int64(tc.wantLen) {
				t.Fatalf("got %d records, valid %d, err %v; want %d records, valid %d", len(recs), valid, err, tc.wantRecs, tc.wantLen)
			}
		})
	}
	// With ignoreBadPayload (the broken variant) a bad payload is accepted.
	recs, _, err := parseSegment("seg", flip(two, len(r1)-1), true, true)
	if err != nil || len(recs) != 2 {
		t.Fatalf("ignoreBadPayload: %d records, %v", len(recs), err)
	}
}

// FuzzParseSegment checks that any bytes parse without panicking, that the
// valid prefix re-encodes to itself, and that a non-last segment is either
// fully valid or corrupt.
func FuzzParseSegment(f *testing.F) {
	r1 := appendRecord(nil, typeBatch, batchRepr(1, "a", "1"))
	r2 := appendRecord(nil, typeBase, batchRepr(7, "b", "22", "c", ""))
	f.Add(r1, true)
	f.Add(append(append([]byte{}, r1...), r2...), false)
	f.Add(append(append([]byte{}, r1...), r2[:20]...), true)
	f.Add(append(append([]byte{}, r1...), make([]byte, 13)...), true)
	f.Add([]byte{}, true)
	f.Add([]byte{1, 2, 3}, false)
	f.Fuzz(func(t *testing.T, data []byte, last bool) {
		recs, valid, err := parseSegment("seg", data, last, false)
		if err != nil {
			if !errors.Is(err, engine.ErrCorruption) {
				t.Fatalf("error not marked corruption: %v", err)
			}
			return
		}
		if valid < 0 || valid > int64(len(data)) {
			t.Fatalf("valid length %d outside [0, %d]", valid, len(data))
		}
		if !last && valid != int64(len(data)) {
			t.Fatalf("non-last segment: valid %d of %d without an error", valid, len(data))
		}
		var re []byte
		for _, r := range recs {
			re = appendRecord(re, r.typ, r.batch)
		}
		if !bytes.Equal(re, data[:valid]) {
			t.Fatalf("records do not re-encode to the valid prefix")
		}
		// Replaying must not panic either; a bad batch is corruption.
		db := &DB{data: map[string][]byte{}, cache: map[string][]byte{}}
		for _, r := range recs {
			if err := db.replay("seg", r); err != nil {
				if !errors.Is(err, engine.ErrCorruption) {
					t.Fatalf("replay error not marked corruption: %v", err)
				}
				return
			}
		}
	})
}
