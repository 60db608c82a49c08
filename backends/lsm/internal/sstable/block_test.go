package sstable

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine"
)

// TestBlockBytes pins the encoding of a small block (frozen format).
func TestBlockBytes(t *testing.T) {
	bw := blockWriter{restartInterval: 2}
	bw.add([]byte("apple"), []byte("1"))
	bw.add([]byte("apricot"), []byte("22"))
	bw.add([]byte("banana"), nil)
	size := bw.size()
	got := bw.finish()
	want := []byte{
		0, 5, 1, 'a', 'p', 'p', 'l', 'e', '1', // restart 0 at offset 0
		2, 5, 2, 'r', 'i', 'c', 'o', 't', '2', '2', // shares "ap"
		0, 6, 0, 'b', 'a', 'n', 'a', 'n', 'a', // restart 1 at offset 19
		0, 0, 0, 0, 19, 0, 0, 0, // restart array
		2, 0, 0, 0, // restart count
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("block bytes\n got %v\nwant %v", got, want)
	}
	if size != len(want) {
		t.Errorf("size before finish %d, want %d", size, len(want))
	}
}

func TestEmptyBlock(t *testing.T) {
	var bw blockWriter
	b := bw.finish()
	if !bytes.Equal(b, []byte{0, 0, 0, 0}) {
		t.Fatalf("empty block %v", b)
	}
	var it blockIter
	if err := it.init("f", 0, b, true); err != nil {
		t.Fatal(err)
	}
	if it.First() || it.Last() || it.SeekGE(ikey("a", 1)) || it.SeekLT(ikey("a", 1)) || it.err != nil {
		t.Error("empty block has entries")
	}
}

func ikey(u string, seq uint64) []byte {
	return base.MakeKey([]byte(u), seq, engine.KindSet).Append(nil)
}

// TestBlockIter checks every iterator operation against the sorted key
// list, for several restart intervals.
func TestBlockIter(t *testing.T) {
	r := newRand(t)
	for _, interval := range []int{1, 2, 3, 16, 1000} {
		var keys [][]byte
		for _, e := range genEntries(r, genParams{n: 300, alphabet: "abc", maxKeyLen: 7, maxVersions: 3, maxValueLen: 5}) {
			keys = append(keys, e.key.Append(nil))
		}
		bw := blockWriter{restartInterval: interval}
		for i, k := range keys {
			bw.add(k, []byte{byte(i), byte(i >> 8)})
		}
		data := bw.finish()
		var it blockIter
		if err := it.init("f", 0, data, true); err != nil {
			t.Fatal(err)
		}
		at := func(i int) bool {
			return it.Valid() && bytes.Equal(it.key, keys[i]) && bytes.Equal(it.val, []byte{byte(i), byte(i >> 8)})
		}
		// Forward and backward.
		i := 0
		for ok := it.First(); ok; ok = it.Next() {
			if !at(i) {
				t.Fatalf("interval %d: forward entry %d is %x", interval, i, it.key)
			}
			i++
		}
		if i != len(keys) || it.err != nil {
			t.Fatalf("interval %d: forward saw %d of %d (%v)", interval, i, len(keys), it.err)
		}
		i = len(keys) - 1
		for ok := it.Last(); ok; ok = it.Prev() {
			if !at(i) {
				t.Fatalf("interval %d: backward entry %d is %x", interval, i, it.key)
			}
			i--
		}
		if i != -1 || it.err != nil {
			t.Fatalf("interval %d: backward stopped at %d (%v)", interval, i, it.err)
		}
		// Seeks followed by random steps.
		for range 500 {
			target := genKey(r)
			pos, _ := slices.BinarySearchFunc(keys, target, base.CompareEncoded)
			var ok bool
			if r.IntN(2) == 0 {
				ok = it.SeekGE(target)
			} else {
				ok, pos = it.SeekLT(target), pos-1
			}
			for s := 0; s < 8; s++ {
				want := pos >= 0 && pos < len(keys)
				if ok != want || (ok && !at(pos)) {
					t.Fatalf("interval %d: seek %s step %d: valid %v key %x, want position %d", interval, fmtKey(target), s, ok, it.key, pos)
				}
				if !ok {
					break
				}
				if r.IntN(2) == 0 {
					ok, pos = it.Next(), pos+1
				} else {
					ok, pos = it.Prev(), pos-1
				}
			}
		}
	}
}

// TestBlockDecodeErrors feeds malformed blocks to the decoder: each is a
// corruption error, never a panic or a wrong entry.
func TestBlockDecodeErrors(t *testing.T) {
	good := func() []byte {
		bw := blockWriter{restartInterval: 2}
		bw.add(ikey("aaa", 3), []byte("x"))
		bw.add(ikey("aab", 2), []byte("y"))
		bw.add(ikey("b", 1), []byte("z"))
		return slices.Clone(bw.finish())
	}
	le32 := func(b []byte, off int, v uint32) []byte {
		b[off], b[off+1], b[off+2], b[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"too short", []byte{1, 0}},
		{"restart count too large", le32(good(), len(good())-4, 1000)},
		{"entries without restarts", []byte{0, 9, 0, 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 0, 0, 0, 0}},
		{"first restart not 0", func() []byte { b := good(); return le32(b, len(b)-12, 5) }()},
		{"restart past entries", func() []byte { b := good(); return le32(b, len(b)-8, 4000) }()},
		{"shared too long", func() []byte { b := good(); b[0] = 0; b[len(ikey("aaa", 3))+4] = 60; return b }()},
		{"key overruns", func() []byte { b := good(); b[1] = 200; return b }()},
		{"short internal key", func() []byte {
			bw := blockWriter{restartInterval: 1}
			bw.add([]byte("abc"), nil)
			return bw.finish()
		}()},
		{"bad varint", func() []byte { b := good(); b[0] = 0xff; b[1] = 0xff; b[2] = 0xff; return b }()},
		{"huge shared length", func() []byte {
			// shared = 2^63+..., which must not wrap to a negative int.
			b := []byte{0xaa, 0xf6, 0xcd, 0xbc, 0xf0, 0xb4, 0xc8, 0xa5, 0xaa, 0x01, 0, 0}
			return append(b, 0, 0, 0, 0, 1, 0, 0, 0)
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var it blockIter
			err := it.init("f", 7, tc.data, true)
			if err == nil {
				// Damage found while iterating.
				for ok := it.First(); ok; ok = it.Next() {
				}
				if it.err == nil {
					for ok := it.Last(); ok; ok = it.Prev() {
					}
				}
				if it.err == nil {
					it.SeekGE(ikey("aab", 9))
				}
				err = it.err
			}
			var ce *engine.CorruptionError
			if !errors.As(err, &ce) || ce.File != "f" || ce.Offset != 7 {
				t.Fatalf("error %v, want corruption in f at 7", err)
			}
		})
	}
}
