package sstable

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/checksum"
	"github.com/lightningdb/lightning/engine/compress"
	"github.com/lightningdb/lightning/engine/vfs"
)

// readAll opens a table held in data and reads everything a caller can:
// a forward and a backward scan and a Get of every model key. Every answer
// must be the model's or an error satisfying ErrCorruption; a panic fails
// the test. detected reports whether any corruption error came back.
func readAll(t *testing.T, what string, data []byte, es []entry) (detected bool) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("%s: panic: %v", what, p)
		}
	}()
	check := func(op string, err error) {
		if err == nil {
			return
		}
		if !errors.Is(err, engine.ErrCorruption) {
			t.Fatalf("%s: %s: error %v does not satisfy ErrCorruption", what, op, err)
		}
		var ce *engine.CorruptionError
		if !errors.As(err, &ce) || ce.File != "t.sst" || ce.Offset < 0 || ce.Offset > int64(len(data)) {
			t.Fatalf("%s: %s: corruption error %v lacks file or offset", what, op, err)
		}
		detected = true
	}
	fs := vfs.NewMem()
	if err := vfs.WriteFileSync(fs, "t.sst", data); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Open("t.sst")
	if err != nil {
		t.Fatal(err)
	}
	rd, err := Open(f, "t.sst", 1, ReaderOptions{})
	if err != nil {
		check("Open", err)
		return detected
	}
	defer rd.Close()

	for _, forward := range []bool{true, false} {
		it := rd.NewIter(nil, nil)
		want := es
		if !forward {
			want = reversed(es)
		}
		n := 0
		ok := it.First()
		if !forward {
			ok = it.Last()
		}
		for ; ok; ok = step(it, forward) {
			if n >= len(want) || !sameEntry(it, want[n]) {
				t.Fatalf("%s: scan (forward %v) entry %d is %s, not the model's", what, forward, n, entry{it.Key(), it.Value()})
			}
			n++
		}
		if err := it.Close(); err != nil {
			check("scan", err)
		} else if n != len(want) {
			t.Fatalf("%s: scan (forward %v) ended after %d of %d entries without an error", what, forward, n, len(want))
		}
	}
	for _, e := range es {
		v, kind, found, err := rd.Get(e.key.UserKey, e.key.Seq())
		if err != nil {
			check("Get", err)
			continue
		}
		if !found || kind != e.key.Kind() || !bytes.Equal(v, e.value) {
			t.Fatalf("%s: Get(%s) = %q %v found %v, want %s", what, e.key, v, kind, found, e)
		}
	}
	return detected
}

func smallTable(t *testing.T, r *rand.Rand, n int, wo WriterOptions) ([]byte, []entry) {
	es := genEntries(r, genParams{n: n, alphabet: "abc", maxKeyLen: 6, maxVersions: 3, maxValueLen: 30})
	fs := vfs.NewMem()
	writeTable(t, fs, "t.sst", es, wo)
	data, err := vfs.ReadFile(fs, "t.sst")
	if err != nil {
		t.Fatal(err)
	}
	return data, es
}

// TestCorruptEveryByte damages each byte of small tables in turn. Every
// byte of a table is covered by a block checksum or the footer CRC, so
// every damage must be detected, and nothing wrong may be returned first.
func TestCorruptEveryByte(t *testing.T) {
	r := newRand(t)
	for _, wo := range []WriterOptions{
		{BlockSize: 128, RestartInterval: 3, Checksum: checksum.CRC32C},
		{BlockSize: 256, Checksum: checksum.XXH3, Compression: compress.Snappy},
		{BlockSize: 200, Checksum: checksum.CRC32C, Compression: compress.Zstd, FilterBitsPerKey: NoFilter},
	} {
		data, es := smallTable(t, r, 40, wo)
		undetected := 0
		for off := range data {
			bad := bytes.Clone(data)
			bad[off] ^= byte(1 + r.IntN(255))
			if !readAll(t, fmt.Sprintf("%+v, byte %d of %d changed", wo, off, len(data)), bad, es) {
				undetected++
			}
		}
		if undetected > 0 {
			t.Errorf("%+v: %d of %d damaged bytes went undetected", wo, undetected, len(data))
		}
	}
}

// TestCorruptSampledBytes damages a seeded sample of offsets of a larger
// table, one byte or a short run at a time.
func TestCorruptSampledBytes(t *testing.T) {
	r := newRand(t)
	n, samples := 4000, 200
	if testing.Short() {
		n, samples = 1500, 60
	}
	data, es := smallTable(t, r, n, WriterOptions{BlockSize: 1024, Compression: compress.S2})
	for range samples {
		off := r.IntN(len(data))
		bad := bytes.Clone(data)
		run := 1 + r.IntN(16)
		for i := off; i < min(off+run, len(bad)); i++ {
			bad[i] = byte(r.Uint32())
		}
		if bytes.Equal(bad, data) {
			continue
		}
		if !readAll(t, fmt.Sprintf("bytes %d..%d of %d changed", off, off+run, len(data)), bad, es) {
			t.Errorf("damage at %d (%d bytes) went undetected", off, run)
		}
	}
}

func TestTruncatedTable(t *testing.T) {
	r := newRand(t)
	data, es := smallTable(t, r, 30, WriterOptions{BlockSize: 100})
	for n := range len(data) {
		if !readAll(t, fmt.Sprintf("truncated to %d of %d bytes", n, len(data)), data[:n], es) {
			t.Fatalf("truncation to %d bytes went undetected", n)
		}
	}
	// Extra bytes after the footer: the footer is no longer at the end.
	if !readAll(t, "appended byte", append(bytes.Clone(data), 0), es) {
		t.Error("an appended byte went undetected")
	}
}

// TestCorruptionErrorNamesBlock checks that damage in a data block is
// reported at that block's offset.
func TestCorruptionErrorNamesBlock(t *testing.T) {
	r := newRand(t)
	data, es := smallTable(t, r, 100, WriterOptions{BlockSize: 128})
	fs := vfs.NewMem()
	vfs.WriteFileSync(fs, "t.sst", data)
	rd := openTable(t, fs, "t.sst", 1, ReaderOptions{})
	// Find the second data block through the index.
	it := rd.NewIter(nil, nil)
	it.First()
	it.index.Next()
	h, err := rd.dataHandle(it.index.val)
	if err != nil {
		t.Fatal(err)
	}
	it.Close()
	rd.Close()
	bad := bytes.Clone(data)
	bad[h.offset+1] ^= 0x40
	vfs.WriteFileSync(fs, "t.sst", bad)
	rd = openTable(t, fs, "t.sst", 1, ReaderOptions{})
	defer rd.Close()
	var gotErr error
	for _, e := range es {
		if _, _, _, err := rd.Get(e.key.UserKey, base.MaxSeq); err != nil {
			gotErr = err
			break
		}
	}
	var ce *engine.CorruptionError
	if !errors.As(gotErr, &ce) || ce.Offset != int64(h.offset) || ce.File != "t.sst" {
		t.Fatalf("error %v, want corruption in t.sst at offset %d", gotErr, h.offset)
	}
}
