package sstable

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/checksum"
	"github.com/lightningdb/lightning/engine/compress"
	"github.com/lightningdb/lightning/engine/vfs"
)

// FuzzBlockDecoder decodes arbitrary bytes as a data block (and as a
// properties block): iterating both ways and seeking must never panic, and
// every failure must be a corruption error.
func FuzzBlockDecoder(f *testing.F) {
	add := func(interval int, keys ...string) {
		bw := blockWriter{restartInterval: interval}
		for i, k := range keys {
			bw.add(base.MakeKey([]byte(k), uint64(100-i), engine.KindSet).Append(nil), []byte(k))
		}
		f.Add(append([]byte(nil), bw.finish()...), []byte("b"))
	}
	add(1, "a", "b", "c")
	add(2, "apple", "apricot", "banana", "band", "bandana")
	add(16, "k1", "k2", "k3", "k4", "k5", "k6")
	add(1)
	f.Add([]byte{0, 0, 0, 0}, []byte(""))
	f.Add([]byte{0, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 1, 0, 0, 0}, []byte("x"))
	var pb blockWriter
	pb.restartInterval = DefaultRestartInterval
	p := Properties{Entries: 1, Checksum: checksum.CRC32C, Smallest: base.MakeKey([]byte("a"), 1, engine.KindSet), Largest: base.MakeKey([]byte("a"), 1, engine.KindSet)}
	f.Add(append([]byte(nil), p.encode(&pb)...), []byte("lightning."))

	f.Fuzz(func(t *testing.T, data, user []byte) {
		target := base.MakeKey(user, 50, engine.KindSet).Append(nil)
		fail := func(err error) {
			if err != nil && !errors.Is(err, engine.ErrCorruption) {
				t.Fatalf("error %v is not corruption", err)
			}
		}
		var it blockIter
		if err := it.init("fuzz", 0, data, true); err != nil {
			fail(err)
		} else {
			n := 0
			for ok := it.First(); ok; ok = it.Next() {
				n++
			}
			fail(it.err)
			m := 0
			for ok := it.Last(); ok; ok = it.Prev() {
				m++
			}
			fail(it.err)
			// n and m may differ without an error: damage the decoder
			// cannot see (restart points inside entries) is the block
			// checksum's to catch.
			_, _ = n, m
			for _, ge := range []bool{true, false} {
				var ok bool
				if ge {
					ok = it.SeekGE(target)
				} else {
					ok = it.SeekLT(target)
				}
				for s := 0; ok && s < 4; s++ {
					if s%2 == 0 {
						ok = it.Next()
					} else {
						ok = it.Prev()
					}
				}
				fail(it.err)
			}
		}
		_, err := decodeProperties("fuzz", 0, data)
		fail(err)
	})
}

// fuzzTables returns a few small valid tables for the seed corpus.
func fuzzTables() [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	var out [][]byte
	for _, wo := range []WriterOptions{
		{BlockSize: 64, RestartInterval: 2},
		{BlockSize: 128, Checksum: checksum.XXH3, Compression: compress.Snappy},
		{BlockSize: 4096, FilterBitsPerKey: NoFilter, Compression: compress.Zstd},
	} {
		es := genEntries(r, genParams{n: 20, alphabet: "abc", maxKeyLen: 5, maxVersions: 2, maxValueLen: 10})
		fs := vfs.NewMem()
		f, _ := fs.Create("t.sst")
		w := NewWriter(f, "t.sst", wo)
		for _, e := range es {
			w.Add(e.key, e.value)
		}
		if _, err := w.Close(); err != nil {
			panic(err)
		}
		data, _ := vfs.ReadFile(fs, "t.sst")
		out = append(out, data)
	}
	return out
}

// FuzzReaderOpen opens arbitrary bytes as a table and reads all of it:
// never a panic, and every failure a corruption error. The checksums stop
// almost every mutation at the door, so the target runs each input twice:
// as is, and with checksum verification off, which lets the fuzzer reach
// the footer, properties, filter, index and block decoders behind them.
func FuzzReaderOpen(f *testing.F) {
	for _, tbl := range fuzzTables() {
		f.Add(tbl)
		f.Add(tbl[:len(tbl)-1])
		f.Add(tbl[len(tbl)/2:])
		bad := append([]byte(nil), tbl...)
		bad[len(bad)/3] ^= 0x10
		f.Add(bad)
	}
	f.Add([]byte{})
	f.Add(make([]byte, FooterLen))
	f.Fuzz(func(t *testing.T, data []byte) {
		fail := func(err error) {
			if err != nil && !errors.Is(err, engine.ErrCorruption) {
				t.Fatalf("error %v is not corruption", err)
			}
		}
		fs := vfs.NewMem()
		if err := vfs.WriteFileSync(fs, "t.sst", data); err != nil {
			t.Fatal(err)
		}
		for _, verify := range []bool{true, false} {
			file, err := fs.Open("t.sst")
			if err != nil {
				t.Fatal(err)
			}
			readFuzzed(file, verify, fail)
		}
	})
}

// fuzzCompressor bounds decoded blocks at 64 KiB, so that a fuzzed block
// header cannot make the target allocate a gigabyte.
var fuzzCompressor, _ = compress.New(compress.None, &compress.Options{MaxDecodedSize: 64 << 10})

// readFuzzed opens file and reads all of it; fail checks every error.
func readFuzzed(file vfs.File, verify bool, fail func(error)) {
	rd, err := Open(file, "t.sst", 1, ReaderOptions{noVerify: !verify, Compressor: fuzzCompressor})
	if err != nil {
		fail(err)
		return
	}
	defer rd.Close()
	it := rd.NewIter(nil, nil)
	var keys [][]byte
	// Steps are bounded: a damaged index may point every entry at one
	// large block, which each step then reads and decodes again.
	for ok := it.First(); ok && len(keys) < 200; ok = it.Next() {
		keys = append(keys, append([]byte(nil), it.Key().UserKey...))
	}
	for ok, n := it.Last(), 0; ok && n < 200; ok, n = it.Prev(), n+1 {
	}
	it.SeekGE([]byte("b"))
	it.SeekLT([]byte("b"))
	fail(it.Close())
	for _, k := range append(keys, []byte("a"), []byte("zz")) {
		_, _, _, err := rd.Get(k, base.MaxSeq)
		fail(err)
	}
}
