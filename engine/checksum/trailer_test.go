package checksum

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

func TestTrailerLen(t *testing.T) {
	tests := []struct {
		k    Kind
		want int
	}{{CRC32C, 5}, {XXH3, 9}, {0, 0}, {7, 0}}
	for _, tt := range tests {
		if got := TrailerLen(tt.k); got != tt.want {
			t.Errorf("TrailerLen(%v) = %d, want %d", tt.k, got, tt.want)
		}
	}
}

// TestTrailerLayout pins the frozen byte layout.
func TestTrailerLayout(t *testing.T) {
	stored := []byte("123456789")
	out, err := AppendTrailer(bytes.Clone(stored), 0, CRC32C, 2)
	if err != nil {
		t.Fatal(err)
	}
	covered := append(bytes.Clone(stored), 2)
	want := binary.LittleEndian.AppendUint32(bytes.Clone(covered), crc32cPortable(covered))
	if !bytes.Equal(out, want) {
		t.Errorf("crc32c trailer:\n got %x\nwant %x", out, want)
	}
	out, err = AppendTrailer(bytes.Clone(stored), 0, XXH3, 3)
	if err != nil {
		t.Fatal(err)
	}
	covered[len(covered)-1] = 3
	want = binary.LittleEndian.AppendUint64(bytes.Clone(covered), xxh3Portable(covered))
	if !bytes.Equal(out, want) {
		t.Errorf("xxh3 trailer:\n got %x\nwant %x", out, want)
	}
	// A known vector: CRC32C of the empty block with codec 0 is the CRC of
	// one zero byte, 0x527D5351.
	out, _ = AppendTrailer(nil, 0, CRC32C, 0)
	if want := []byte{0, 0x51, 0x53, 0x7d, 0x52}; !bytes.Equal(out, want) {
		t.Errorf("empty block trailer %x, want %x", out, want)
	}
}

func TestTrailerRoundTrip(t *testing.T) {
	r := newRand(t)
	for _, kind := range []Kind{CRC32C, XXH3} {
		for _, n := range []int{0, 1, 7, 100, 4096, 70000} {
			stored := randBytes(r, n)
			codec := byte(r.IntN(4))
			// Build in a buffer that already holds another block, as a
			// writer would.
			buf := []byte("previous block")
			start := len(buf)
			buf = append(buf, stored...)
			buf, err := AppendTrailer(buf, start, kind, codec)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(buf, []byte("previous block")) || len(buf)-start != n+TrailerLen(kind) {
				t.Fatalf("%v n=%d: bad layout", kind, n)
			}
			got, gotCodec, err := VerifyTrailer("f", 10, kind, buf[start:])
			if err != nil || gotCodec != codec || !bytes.Equal(got, stored) {
				t.Fatalf("%v n=%d: VerifyTrailer = %d bytes, codec %d, %v", kind, n, len(got), gotCodec, err)
			}
			if cap(got) != len(got) {
				t.Errorf("%v n=%d: stored slice has spare capacity over the trailer", kind, n)
			}
		}
	}
}

// TestTrailerDetectsDamage flips every bit of small blocks (stored bytes,
// codec byte and checksum) and truncates them: every change is reported
// as corruption naming the file and offset.
func TestTrailerDetectsDamage(t *testing.T) {
	r := newRand(t)
	for _, kind := range []Kind{CRC32C, XXH3} {
		for _, n := range []int{0, 1, 33, 300} {
			good, _ := AppendTrailer(randBytes(r, n), 0, kind, 1)
			check := func(what string, blk []byte) {
				t.Helper()
				_, _, err := VerifyTrailer("000007.sst", 8192, kind, blk)
				var ce *engine.CorruptionError
				if !errors.Is(err, engine.ErrCorruption) || !errors.As(err, &ce) || ce.File != "000007.sst" || ce.Offset != 8192 {
					t.Fatalf("%v n=%d %s: error %v, want corruption in 000007.sst at 8192", kind, n, what, err)
				}
			}
			for i := range good {
				for bit := range 8 {
					bad := bytes.Clone(good)
					bad[i] ^= 1 << bit
					check(fmt.Sprintf("byte %d bit %d", i, bit), bad)
				}
			}
			for cut := range TrailerLen(kind) {
				check(fmt.Sprintf("short by %d", len(good)-cut), good[:cut])
			}
		}
	}
}

func TestTrailerInvalidKind(t *testing.T) {
	if _, err := AppendTrailer(nil, 0, 0, 0); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("AppendTrailer(kind 0): %v", err)
	}
	for _, start := range []int{-1, 4} {
		if out, err := AppendTrailer([]byte("abc"), start, CRC32C, 0); err == nil || string(out) != "abc" {
			t.Errorf("AppendTrailer(start %d) = %q, %v; want an error and dst unchanged", start, out, err)
		}
	}
	_, _, err := VerifyTrailer("f", 0, 9, make([]byte, 20))
	if !errors.Is(err, ErrUnknownKind) || errors.Is(err, engine.ErrCorruption) {
		t.Errorf("VerifyTrailer(kind 9): %v, want ErrUnknownKind and not corruption", err)
	}
}

func TestTrailerMismatchMessage(t *testing.T) {
	good, _ := AppendTrailer([]byte("data"), 0, XXH3, 0)
	good[0] ^= 1
	_, _, err := VerifyTrailer("a.sst", 42, XXH3, good)
	if err == nil || !strings.Contains(err.Error(), "a.sst at offset 42") || !strings.Contains(err.Error(), "xxh3 checksum mismatch") {
		t.Errorf("message %q", err)
	}
}

// FuzzVerifyTrailer feeds arbitrary bytes to VerifyTrailer: it must never
// panic, must report failures as corruption, and whatever it accepts must
// be exactly what AppendTrailer produces for the returned parts.
func FuzzVerifyTrailer(f *testing.F) {
	for _, kind := range []Kind{CRC32C, XXH3} {
		for _, s := range []string{"", "x", "hello, trailer", strings.Repeat("abc", 100)} {
			blk, _ := AppendTrailer([]byte(s), 0, kind, 1)
			f.Add(uint8(kind), blk)
			f.Add(uint8(kind), blk[:len(blk)-1])
			f.Add(uint8(kind), blk[1:])
		}
	}
	f.Add(uint8(0), []byte("bad kind"))
	f.Fuzz(func(t *testing.T, k uint8, blk []byte) {
		kind := Kind(k)
		stored, codec, err := VerifyTrailer("fuzz", 0, kind, blk)
		if !kind.Valid() {
			if !errors.Is(err, ErrUnknownKind) {
				t.Fatalf("kind %d: error %v", k, err)
			}
			return
		}
		if err != nil {
			if !errors.Is(err, engine.ErrCorruption) {
				t.Fatalf("error %v is not corruption", err)
			}
			return
		}
		again, err := AppendTrailer(bytes.Clone(stored), 0, kind, codec)
		if err != nil || !bytes.Equal(again, blk) {
			t.Fatalf("accepted block %x does not re-encode to itself: %x, %v", blk, again, err)
		}
	})
}
