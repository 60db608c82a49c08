package sstable

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/cache"
	"github.com/lightningdb/lightning/engine/checksum"
	"github.com/lightningdb/lightning/engine/compress"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/engine/vfs/errorfs"
)

// checkTable compares everything a Reader answers with the model es.
func checkTable(t *testing.T, r *rand.Rand, rd *Reader, es []entry, p genParams) {
	t.Helper()
	// Properties.
	props := rd.Properties()
	dels := 0
	var rawK, rawV uint64
	minSeq, maxSeq := uint64(base.MaxSeq), uint64(0)
	for _, e := range es {
		if e.key.Kind() == engine.KindDelete {
			dels++
		}
		rawK += uint64(len(e.key.UserKey))
		rawV += uint64(len(e.value))
		minSeq, maxSeq = min(minSeq, e.key.Seq()), max(maxSeq, e.key.Seq())
	}
	if props.Entries != uint64(len(es)) || props.Deletions != uint64(dels) || props.RawKeyBytes != rawK || props.RawValueBytes != rawV ||
		props.SmallestSeq != minSeq || props.LargestSeq != maxSeq ||
		base.Compare(props.Smallest, es[0].key) != 0 || props.Smallest.Trailer != es[0].key.Trailer ||
		base.Compare(props.Largest, es[len(es)-1].key) != 0 || props.Largest.Trailer != es[len(es)-1].key.Trailer {
		t.Fatalf("properties %+v do not match the model (%d entries, %d deletions, keys %s..%s)", props, len(es), dels, es[0].key, es[len(es)-1].key)
	}

	// Full scans both ways.
	it := rd.NewIter(nil, nil)
	if err := equalEntries(collect(t, it, true), es); err != nil {
		t.Fatalf("forward scan: %v", err)
	}
	if err := equalEntries(collect(t, it, false), reversed(es)); err != nil {
		t.Fatalf("backward scan: %v", err)
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}

	// Gets at random sequence numbers.
	for range 300 {
		u := randUserKey(r, es, p)
		seq := uint64(r.IntN(1100))
		if r.IntN(8) == 0 {
			seq = base.MaxSeq
		}
		v, kind, found, err := rd.Get(u, seq)
		if err != nil {
			t.Fatalf("Get(%q, %d): %v", u, seq, err)
		}
		want, ok := modelGet(es, u, seq)
		if found != ok || (ok && (kind != want.key.Kind() || !bytes.Equal(v, want.value))) {
			t.Fatalf("Get(%q, %d) = %q, %v, %v; want %s (found %v)", u, seq, v, kind, found, want, ok)
		}
	}

	// Seeks with steps, unbounded and bounded.
	for round := range 60 {
		var lower, upper []byte
		if round%2 == 1 {
			if r.IntN(3) > 0 {
				lower = randUserKey(r, es, p)
			}
			if r.IntN(3) > 0 {
				upper = randUserKey(r, es, p)
			}
		}
		bl := inBounds(es, lower, upper)
		it := rd.NewIter(lower, upper)
		if round%2 == 1 {
			if err := equalEntries(collect(t, it, true), bl); err != nil {
				t.Fatalf("bounds [%q, %q) forward: %v", lower, upper, err)
			}
			if err := equalEntries(collect(t, it, false), reversed(bl)); err != nil {
				t.Fatalf("bounds [%q, %q) backward: %v", lower, upper, err)
			}
		}
		for range 10 {
			u := randUserKey(r, es, p)
			var ok bool
			var pos int
			op := ""
			if r.IntN(2) == 0 {
				op = "SeekGE"
				ok, pos = it.SeekGE(u), modelSeekGE(bl, u)
			} else {
				op = "SeekLT"
				ok, pos = it.SeekLT(u), modelSeekGE(bl, u)-1
			}
			trace := fmt.Sprintf("bounds [%q, %q) %s(%q)", lower, upper, op, u)
			for s := 0; ; s++ {
				wantOK := pos >= 0 && pos < len(bl)
				if ok != wantOK || (ok && !sameEntry(it, bl[pos])) {
					var want any = "invalid"
					if wantOK {
						want = bl[pos]
					}
					t.Fatalf("%s: valid %v at %s, want %v (err %v)", trace, ok, entry{it.Key(), it.Value()}, want, it.Error())
				}
				if !ok || s == 6 {
					break
				}
				if r.IntN(2) == 0 {
					trace += " Next"
					ok, pos = it.Next(), pos+1
				} else {
					trace += " Prev"
					ok, pos = it.Prev(), pos-1
				}
			}
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// roundTrip writes es with wo, opens with ro and checks the table.
func roundTrip(t *testing.T, r *rand.Rand, es []entry, p genParams, wo WriterOptions, ro ReaderOptions) Meta {
	t.Helper()
	fs := vfs.NewMem()
	m := writeTable(t, fs, "t.sst", es, wo)
	fi, err := fs.Stat("t.sst")
	if err != nil {
		t.Fatal(err)
	}
	if m.Size != uint64(fi.Size()) {
		t.Fatalf("Meta.Size %d, file size %d", m.Size, fi.Size())
	}
	if m.Entries != uint64(len(es)) || base.Compare(m.Smallest, es[0].key) != 0 || base.Compare(m.Largest, es[len(es)-1].key) != 0 || m.FileNum != wo.FileNum {
		t.Fatalf("Meta %+v does not match the model", m)
	}
	rd := openTable(t, fs, "t.sst", wo.FileNum, ro)
	defer rd.Close()
	checkTable(t, r, rd, es, p)
	return m
}

func TestRoundTripCodecsAndChecksums(t *testing.T) {
	r := newRand(t)
	es := genEntries(r, defaultGen)
	for _, codec := range []compress.Codec{compress.None, compress.Snappy, compress.S2, compress.Zstd} {
		for _, kind := range []checksum.Kind{checksum.CRC32C, checksum.XXH3} {
			t.Run(fmt.Sprintf("%v/%v", codec, kind), func(t *testing.T) {
				m := roundTrip(t, r, es, defaultGen, WriterOptions{Compression: codec, Checksum: kind, BlockSize: 512, FileNum: 7}, ReaderOptions{})
				if m.Properties.Codec != codec || m.Properties.Checksum != kind {
					t.Errorf("properties codec %v kind %v", m.Properties.Codec, m.Properties.Checksum)
				}
			})
		}
	}
}

func TestRoundTripShapes(t *testing.T) {
	r := newRand(t)
	c, err := cache.New(8 << 20)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, tc := range []struct {
		name string
		p    genParams
		wo   WriterOptions
		ro   ReaderOptions
	}{
		{"one-entry blocks", defaultGen, WriterOptions{BlockSize: 1}, ReaderOptions{}},
		{"restart 1", defaultGen, WriterOptions{BlockSize: 256, RestartInterval: 1}, ReaderOptions{}},
		{"restart 2", defaultGen, WriterOptions{BlockSize: 256, RestartInterval: 2}, ReaderOptions{Cache: c}},
		{"restart large", defaultGen, WriterOptions{BlockSize: 1 << 20, RestartInterval: 1000}, ReaderOptions{}},
		{"one block", defaultGen, WriterOptions{BlockSize: 1 << 20}, ReaderOptions{Cache: c}},
		{"no filter", defaultGen, WriterOptions{FilterBitsPerKey: NoFilter}, ReaderOptions{Cache: c, PinIndex: true}},
		{"1 bit filter", defaultGen, WriterOptions{FilterBitsPerKey: 1, BlockSize: 128}, ReaderOptions{Cache: c}},
		{"many versions", genParams{n: 800, alphabet: "ab", maxKeyLen: 4, maxVersions: 40, maxValueLen: 8}, WriterOptions{BlockSize: 64, RestartInterval: 3}, ReaderOptions{Cache: c}},
		{"long keys", genParams{n: 300, alphabet: "xy", maxKeyLen: 300, maxVersions: 2, maxValueLen: 4}, WriterOptions{BlockSize: 1024, Compression: compress.Snappy}, ReaderOptions{}},
		{"big values", genParams{n: 100, alphabet: "abcdefgh", maxKeyLen: 6, maxVersions: 2, maxValueLen: 20000}, WriterOptions{BlockSize: 4096, Compression: compress.Zstd}, ReaderOptions{Cache: c}},
		{"empty values", genParams{n: 500, alphabet: "abc", maxKeyLen: 8, maxVersions: 3, maxValueLen: 0}, WriterOptions{BlockSize: 100}, ReaderOptions{}},
		{"binary keys", genParams{n: 500, alphabet: "\x00\x01\xfe\xff", maxKeyLen: 8, maxVersions: 3, maxValueLen: 10}, WriterOptions{BlockSize: 200}, ReaderOptions{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es := genEntries(r, tc.p)
			tc.wo.FileNum = uint64(100 + i) // distinct: the tables share one cache
			m := roundTrip(t, r, es, tc.p, tc.wo, tc.ro)
			t.Logf("%d entries, %d data blocks, %d bytes", m.Entries, m.Properties.DataBlocks, m.Size)
			if tc.wo.BlockSize == 1 && m.Properties.DataBlocks != m.Entries {
				t.Errorf("BlockSize 1: %d blocks for %d entries", m.Properties.DataBlocks, m.Entries)
			}
		})
	}
}

// TestRoundTripRandomOptions runs many random tables under random options.
func TestRoundTripRandomOptions(t *testing.T) {
	r := newRand(t)
	rounds := 30
	if testing.Short() {
		rounds = 4
	}
	for i := range rounds {
		p := genParams{
			n:           1 + r.IntN(2000),
			alphabet:    "abcdefghij"[:1+r.IntN(10)],
			maxKeyLen:   1 + r.IntN(30),
			maxVersions: 1 + r.IntN(8),
			maxValueLen: r.IntN(300),
		}
		wo := WriterOptions{
			BlockSize:        1 + r.IntN(8192),
			RestartInterval:  1 + r.IntN(40),
			FilterBitsPerKey: []int{NoFilter, 1, 5, 10, 20}[r.IntN(5)],
			Compression:      compress.Codec(r.IntN(4)),
			Checksum:         checksum.Kind(1 + r.IntN(2)),
			FileNum:          uint64(i),
			BlockWorkers:     []int{0, 0, 1, 2, 4}[r.IntN(5)],
		}
		es := genEntries(r, p)
		if len(es) == 0 {
			continue
		}
		t.Logf("round %d: %+v %+v (%d entries)", i, p, wo, len(es))
		roundTrip(t, r, es, p, wo, ReaderOptions{})
	}
}

func TestSingleHugeEntry(t *testing.T) {
	r := newRand(t)
	huge := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB, compressible
	c, err := cache.New(64 << 20)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, codec := range []compress.Codec{compress.None, compress.Snappy, compress.Zstd} {
		es := []entry{
			{base.MakeKey([]byte("a"), 5, engine.KindSet), []byte("small")},
			{base.MakeKey([]byte("b"), 9, engine.KindSet), huge},
			{base.MakeKey([]byte("b"), 3, engine.KindDelete), nil},
			{base.MakeKey([]byte("c"), 1, engine.KindSet), []byte("after")},
		}
		m := roundTrip(t, r, es, defaultGen, WriterOptions{Compression: codec, FileNum: uint64(2 * codec)}, ReaderOptions{Cache: c})
		if m.Properties.DataBlocks < 3 {
			t.Errorf("%v: %d data blocks, want the huge entry in a block of its own", codec, m.Properties.DataBlocks)
		}
		// Only the huge entry in one table.
		roundTrip(t, r, es[1:2], defaultGen, WriterOptions{Compression: codec, FileNum: uint64(2*codec + 1)}, ReaderOptions{Cache: c})
	}
}

func TestOneEntryTable(t *testing.T) {
	r := newRand(t)
	es := []entry{{base.MakeKey([]byte("only"), 42, engine.KindSet), []byte("v")}}
	m := roundTrip(t, r, es, defaultGen, WriterOptions{}, ReaderOptions{})
	if m.Entries != 1 || m.SmallestSeq != 42 || m.LargestSeq != 42 {
		t.Errorf("Meta %+v", m)
	}
	es = []entry{{base.MakeKey(nil, 1, engine.KindDelete), nil}} // an empty user key is allowed here
	roundTrip(t, r, es, defaultGen, WriterOptions{}, ReaderOptions{})
}

func TestEmptyTableIsAnError(t *testing.T) {
	fs := vfs.NewMem()
	f, _ := fs.Create("e.sst")
	w := NewWriter(f, "e.sst", WriterOptions{})
	if _, err := w.Close(); !errors.Is(err, ErrEmptyTable) {
		t.Fatalf("Close of an empty table: %v, want ErrEmptyTable", err)
	}
	if _, err := w.Close(); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("second Close: %v, want ErrClosed", err)
	}
}

func TestAddErrors(t *testing.T) {
	k := func(u string, seq uint64, kind engine.Kind) base.InternalKey {
		return base.MakeKey([]byte(u), seq, kind)
	}
	for _, tc := range []struct {
		name   string
		keys   []base.InternalKey
		want   error
		inText []string
	}{
		{"same key twice", []base.InternalKey{k("a", 5, engine.KindSet), k("a", 5, engine.KindSet)}, ErrOutOfOrder, []string{`"a"#5,SET added after "a"#5,SET`}},
		{"smaller user key", []base.InternalKey{k("b", 1, engine.KindSet), k("a", 1, engine.KindSet)}, ErrOutOfOrder, []string{`"a"#1,SET`, `"b"#1,SET`}},
		{"older seq first", []base.InternalKey{k("a", 1, engine.KindSet), k("a", 2, engine.KindSet)}, ErrOutOfOrder, []string{`"a"#2,SET`, `"a"#1,SET`}},
		{"set after delete same seq", []base.InternalKey{k("a", 2, engine.KindDelete), k("a", 2, engine.KindSet)}, ErrOutOfOrder, nil},
		{"bad kind", []base.InternalKey{{UserKey: []byte("a"), Trailer: base.MakeTrailer(1, 7)}}, ErrBadKind, nil},
		{"key too large", []base.InternalKey{k(strings.Repeat("k", engine.MaxKeySizeLimit+1), 1, engine.KindSet)}, ErrEntryTooLarge, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewMem()
			f, _ := fs.Create("x.sst")
			w := NewWriter(f, "x.sst", WriterOptions{})
			var err error
			for _, key := range tc.keys {
				if err = w.Add(key, nil); err != nil {
					break
				}
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			for _, s := range tc.inText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %s", err, s)
				}
			}
			// Sticky.
			if err2 := w.Add(k("zzz", 1, engine.KindSet), nil); !errors.Is(err2, tc.want) {
				t.Errorf("Add after error: %v", err2)
			}
			if _, err2 := w.Close(); !errors.Is(err2, tc.want) {
				t.Errorf("Close after error: %v", err2)
			}
		})
	}
}

func TestInvalidWriterOptions(t *testing.T) {
	for _, o := range []WriterOptions{
		{BlockSize: -1},
		{BlockSize: maxBlockSize + 1},
		{RestartInterval: -2},
		{FilterBitsPerKey: -2},
		{FilterBitsPerKey: 1000},
		{Checksum: 9},
		{Compression: 17},
		{BlockWorkers: -1},
		{BlockWorkers: 65},
	} {
		fs := vfs.NewMem()
		f, _ := fs.Create("x.sst")
		w := NewWriter(f, "x.sst", o)
		if err := w.Add(base.MakeKey([]byte("a"), 1, engine.KindSet), nil); !errors.Is(err, engine.ErrInvalidOptions) {
			t.Errorf("%+v: Add error %v, want ErrInvalidOptions", o, err)
		}
		if err := w.Abort(); err != nil {
			t.Errorf("Abort: %v", err)
		}
	}
}

func TestSeparator(t *testing.T) {
	ik := func(u string, seq uint64) []byte { return base.MakeKey([]byte(u), seq, engine.KindSet).Append(nil) }
	sep := func(u string) []byte { return binary64(u) }
	for _, tc := range []struct {
		name string
		a, b []byte
		want []byte
	}{
		{"shortened", ik("abcdef", 3), ik("abzz", 9), sep("abd")},
		{"adjacent bytes", ik("abc", 3), ik("abd", 9), ik("abc", 3)},
		{"prefix", ik("ab", 3), ik("abc", 9), ik("ab", 3)},
		{"same user key", ik("abc", 9), ik("abc", 3), ik("abc", 9)},
		{"would not be shorter", ik("ab", 1), ik("az", 1), ik("ab", 1)},
		{"0xff byte", ik("a\xffxyz", 1), ik("b", 1), ik("a\xffxyz", 1)},
		{"last block", ik("user123", 5), nil, sep("v")},
		{"last block 0xff", ik("\xff\xffab", 5), nil, sep("\xff\xffb")},
		{"last block all 0xff", ik("\xff\xff", 5), nil, ik("\xff\xff", 5)},
		{"last block one byte", ik("q", 5), nil, ik("q", 5)},
		{"empty user key", ik("", 5), ik("a", 1), ik("", 5)},
	} {
		got := appendSeparator(nil, tc.a, tc.b)
		if !bytes.Equal(got, tc.want) {
			t.Errorf("%s: separator(%s, %s) = %s, want %s", tc.name, fmtKey(tc.a), fmtKey(tc.b), fmtKey(got), fmtKey(tc.want))
		}
		if base.CompareEncoded(got, tc.a) < 0 || (tc.b != nil && base.CompareEncoded(got, tc.b) >= 0) {
			t.Errorf("%s: separator %s not in [a, b)", tc.name, fmtKey(got))
		}
	}
}

// binary64 encodes a separator: user key and the largest trailer.
func binary64(u string) []byte {
	return base.InternalKey{UserKey: []byte(u), Trailer: maxTrailer}.Append(nil)
}

func TestSeparatorRandom(t *testing.T) {
	r := newRand(t)
	for range 20000 {
		a := genKey(r)
		b := genKey(r)
		if base.CompareEncoded(a, b) == 0 {
			continue
		}
		if base.CompareEncoded(a, b) > 0 {
			a, b = b, a
		}
		s := appendSeparator(nil, a, b)
		if base.CompareEncoded(s, a) < 0 || base.CompareEncoded(s, b) >= 0 || len(s) > len(a) {
			t.Fatalf("separator(%s, %s) = %s", fmtKey(a), fmtKey(b), fmtKey(s))
		}
		if s := appendSeparator(nil, a, nil); base.CompareEncoded(s, a) < 0 || len(s) > len(a) {
			t.Fatalf("last separator(%s) = %s", fmtKey(a), fmtKey(s))
		}
	}
}

func genKey(r *rand.Rand) []byte {
	u := make([]byte, r.IntN(6))
	for i := range u {
		u[i] = []byte{0, 1, 'a', 'b', 0xfe, 0xff}[r.IntN(6)]
	}
	kind := engine.Kind(r.IntN(2))
	return base.MakeKey(u, uint64(r.IntN(4)), kind).Append(nil)
}

func TestCacheAndStats(t *testing.T) {
	r := newRand(t)
	es := genEntries(r, defaultGen)
	fs := vfs.NewMem()
	writeTable(t, fs, "t.sst", es, WriterOptions{BlockSize: 256, Compression: compress.Snappy, FileNum: 3})
	c, err := cache.New(4 << 20)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st := NewStats()
	rd := openTable(t, fs, "t.sst", 3, ReaderOptions{Cache: c, Stats: st})
	defer rd.Close()
	c.Wait()

	// Absent keys the filter rejects: no block touched.
	before := st.Counts().BlocksRead + st.Counts().CacheHits + st.Counts().CacheMisses
	rejected := 0
	for i := range 1000 {
		k := []byte(fmt.Sprintf("absent-%d", i))
		if !rd.MayContain(k) {
			rejected++
			if _, _, found, err := rd.Get(k, base.MaxSeq); found || err != nil {
				t.Fatalf("Get(%q) = found %v, %v", k, found, err)
			}
		}
	}
	if rejected < 950 {
		t.Errorf("filter rejected only %d of 1000 absent keys", rejected)
	}
	if got := st.Counts().FilterUseful; got != uint64(rejected) || st.Counts().FilterChecks != uint64(rejected) {
		t.Errorf("FilterUseful %d, FilterChecks %d, want %d", got, st.Counts().FilterChecks, rejected)
	}
	if after := st.Counts().BlocksRead + st.Counts().CacheHits + st.Counts().CacheMisses; after != before {
		t.Errorf("filtered Gets touched %d blocks", after-before)
	}

	// Two passes of Gets: the second is served from the cache.
	get := func() {
		for _, e := range es {
			if _, _, found, err := rd.Get(e.key.UserKey, e.key.Seq()); !found || err != nil {
				t.Fatalf("Get(%s): found %v, %v", e.key, found, err)
			}
		}
	}
	get()
	c.Wait()
	reads := st.Counts().BlocksRead
	get()
	if st.Counts().BlocksRead != reads {
		t.Errorf("second pass read %d blocks from the file despite a large cache", st.Counts().BlocksRead-reads)
	}
	if st.Counts().CacheHits == 0 || st.Counts().BytesRead == 0 {
		t.Errorf("stats: %d hits, %d bytes read", st.Counts().CacheHits, st.Counts().BytesRead)
	}

	// Dropping the file from the cache only costs reads.
	c.DropFile(3)
	checkTable(t, r, rd, es, defaultGen)
}

// TestTinyCache checks reads through a cache that drops or rejects most
// Sets (capacity below a block).
func TestTinyCache(t *testing.T) {
	r := newRand(t)
	es := genEntries(r, defaultGen)
	fs := vfs.NewMem()
	writeTable(t, fs, "t.sst", es, WriterOptions{BlockSize: 4096})
	c, err := cache.New(2048)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rd := openTable(t, fs, "t.sst", 1, ReaderOptions{Cache: c})
	defer rd.Close()
	checkTable(t, r, rd, es, defaultGen)
}

func TestClosedReader(t *testing.T) {
	r := newRand(t)
	es := genEntries(r, defaultGen)
	fs := vfs.NewMem()
	writeTable(t, fs, "t.sst", es, WriterOptions{})
	rd := openTable(t, fs, "t.sst", 1, ReaderOptions{})
	if err := rd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := rd.Get([]byte("a"), 1); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
	it := rd.NewIter(nil, nil)
	if it.First() || !errors.Is(it.Error(), engine.ErrClosed) {
		t.Errorf("iterator after Close: valid %v, error %v", it.Valid(), it.Error())
	}
	if err := rd.Close(); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if err := it.Close(); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("iterator Close: %v", err)
	}
	if err := it.Close(); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("second iterator Close: %v", err)
	}
}

func TestEstimatedSize(t *testing.T) {
	for _, workers := range []int{0, 2} {
		t.Run(fmt.Sprintf("BlockWorkers=%d", workers), func(t *testing.T) { testEstimatedSize(t, workers) })
	}
}

func testEstimatedSize(t *testing.T, workers int) {
	r := newRand(t)
	es := genEntries(r, genParams{n: 5000, alphabet: "abcdefgh", maxKeyLen: 16, maxVersions: 2, maxValueLen: 100})
	fs := vfs.NewMem()
	f, _ := fs.Create("t.sst")
	w := NewWriter(f, "t.sst", WriterOptions{BlockWorkers: workers})
	for i, e := range es {
		if err := w.Add(e.key, e.value); err != nil {
			t.Fatal(err)
		}
		if i == len(es)/2 && w.EstimatedSize() == 0 {
			t.Fatal("EstimatedSize 0 halfway")
		}
	}
	est := w.EstimatedSize()
	m, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if d := float64(est) - float64(m.Size); d < -0.05*float64(m.Size) || d > 0.05*float64(m.Size) {
		t.Errorf("EstimatedSize before Close %d, final size %d", est, m.Size)
	}
}

// TestWriteFaults fails each file operation of a table write in turn: the
// failure must be reported by Add or Close, and a table whose Close
// succeeded must read back.
func TestWriteFaults(t *testing.T) {
	for _, workers := range []int{0, 2} {
		t.Run(fmt.Sprintf("BlockWorkers=%d", workers), func(t *testing.T) { testWriteFaults(t, workers) })
	}
}

func testWriteFaults(t *testing.T, workers int) {
	r := newRand(t)
	es := genEntries(r, genParams{n: 3000, alphabet: "abcdef", maxKeyLen: 10, maxVersions: 2, maxValueLen: 200})
	for n := int64(0); ; n++ {
		mem := vfs.NewMem()
		fs := errorfs.Wrap(mem, errorfs.OnIndex(n))
		f, err := fs.Create("t.sst")
		if err != nil {
			continue // the injected failure hit Create
		}
		w := NewWriter(f, "t.sst", WriterOptions{BlockSize: 512, BlockWorkers: workers})
		var werr error
		for _, e := range es {
			if werr = w.Add(e.key, e.value); werr != nil {
				break
			}
		}
		if werr != nil {
			w.Abort()
			continue
		}
		if _, werr = w.Close(); werr != nil {
			continue
		}
		if fs.Ops() <= n {
			// No operation failed: the sweep is over.
			rd := openTable(t, mem, "t.sst", 1, ReaderOptions{})
			checkTable(t, r, rd, es, defaultGen)
			rd.Close()
			t.Logf("sweep over after %d fault points", n)
			return
		}
		t.Fatalf("fault at op %d was not reported", n)
	}
}

// TestGetAfterBoundary: versions of one user key split across blocks and
// separators that are not keys of the table.
func TestGetAcrossBlockBoundaries(t *testing.T) {
	var es []entry
	for seq := uint64(100); seq > 0; seq-- {
		es = append(es, entry{base.MakeKey([]byte("k"), seq, engine.KindSet), []byte(fmt.Sprint(seq))})
	}
	es = append(es, entry{base.MakeKey([]byte("kzz"), 5, engine.KindSet), []byte("z")})
	fs := vfs.NewMem()
	writeTable(t, fs, "t.sst", es, WriterOptions{BlockSize: 64, RestartInterval: 2})
	rd := openTable(t, fs, "t.sst", 1, ReaderOptions{})
	defer rd.Close()
	for seq := uint64(0); seq <= 120; seq++ {
		v, _, found, err := rd.Get([]byte("k"), seq)
		want, ok := modelGet(es, []byte("k"), seq)
		if err != nil || found != ok || (ok && !bytes.Equal(v, want.value)) {
			t.Fatalf("Get(k, %d) = %q %v %v, want %s %v", seq, v, found, err, want, ok)
		}
	}
	for _, u := range []string{"j", "ka", "kz", "kzzz", "l"} {
		if _, _, found, err := rd.Get([]byte(u), base.MaxSeq); found || err != nil {
			t.Errorf("Get(%q) found %v err %v", u, found, err)
		}
	}
}

// TestFrozenFormat pins the bytes of a small table written with fixed
// options: any change to them is a format change. The file is kept in
// testdata (regenerate with -update only for a new format version), and
// the reader must still read it.
func TestFrozenFormat(t *testing.T) {
	es := []entry{
		{base.MakeKey([]byte("apple"), 3, engine.KindSet), []byte("red")},
		{base.MakeKey([]byte("apple"), 2, engine.KindDelete), nil},
		{base.MakeKey([]byte("apricot"), 7, engine.KindSet), []byte("orange")},
		{base.MakeKey([]byte("banana"), 1, engine.KindSet), []byte("yellow")},
		{base.MakeKey([]byte("cherry"), 9, engine.KindSet), bytes.Repeat([]byte("dark red "), 10)},
	}
	for _, tc := range []struct {
		file string
		wo   WriterOptions
	}{
		{"testdata/v1-crc32c-none.sst", WriterOptions{BlockSize: 40, RestartInterval: 2, Checksum: checksum.CRC32C}},
		{"testdata/v1-xxh3-snappy.sst", WriterOptions{BlockSize: 64, RestartInterval: 2, Checksum: checksum.XXH3, Compression: compress.Snappy}},
	} {
		tc.wo.FileNum = 12
		tc.wo.CreationTime = time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
		fs := vfs.NewMem()
		writeTable(t, fs, "t.sst", es, tc.wo)
		got, err := vfs.ReadFile(fs, "t.sst")
		if err != nil {
			t.Fatal(err)
		}
		if *updateFlag {
			if err := vfs.WriteFileSync(vfs.Default, tc.file, got); err != nil {
				t.Fatal(err)
			}
		}
		want, err := vfs.ReadFile(vfs.Default, tc.file)
		if err != nil {
			t.Fatalf("golden file: %v (create it with -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the writer's output changed (%d bytes, golden %d): a format change needs a new version", tc.file, len(got), len(want))
		}
		// The golden file reads back.
		gfs := vfs.NewMem()
		if err := vfs.WriteFileSync(gfs, "g.sst", want); err != nil {
			t.Fatal(err)
		}
		rd := openTable(t, gfs, "g.sst", 12, ReaderOptions{})
		if err := equalEntries(collect(t, rd.NewIter(nil, nil), true), es); err != nil {
			t.Errorf("%s: %v", tc.file, err)
		}
		p := rd.Properties()
		if !p.CreationTime.Equal(tc.wo.CreationTime) || p.Creator != creator || p.FileNum != 12 {
			t.Errorf("%s: properties %+v", tc.file, p)
		}
		rd.Close()
	}
}

// TestFooterLayout checks the footer's fields at their documented
// offsets.
func TestFooterLayout(t *testing.T) {
	ft := footer{filter: handle{1, 20}, index: handle{30, 40}, props: handle{50, 60}, version: 1, kind: checksum.XXH3}
	b := ft.encode()
	if len(b) != FooterLen || string(b[56:]) != Magic || b[50] != 2 || b[48] != 1 || b[0] != 1 || b[8] != 20 || b[16] != 30 || b[40] != 60 {
		t.Fatalf("footer bytes %x", b)
	}
	got, err := decodeFooter("f", 110+FooterLen, b, true)
	if err != nil || got != ft {
		t.Fatalf("decodeFooter = %+v, %v", got, err)
	}
}

func TestMetaKeysAreCopies(t *testing.T) {
	fs := vfs.NewMem()
	f, _ := fs.Create("t.sst")
	w := NewWriter(f, "t.sst", WriterOptions{})
	k1, k2 := []byte("aaa"), []byte("bbb")
	w.Add(base.MakeKey(k1, 1, engine.KindSet), nil)
	w.Add(base.MakeKey(k2, 1, engine.KindSet), nil)
	copy(k1, "zzz")
	copy(k2, "zzz")
	m, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Smallest.UserKey) != "aaa" || string(m.Largest.UserKey) != "bbb" {
		t.Errorf("Meta keys %s %s alias the caller's buffers", m.Smallest, m.Largest)
	}
}

// TestIndexBudget pins index blocks while they fit the budget and caches
// the others; Close gives a pinned index's bytes back. Both kinds of
// Reader read correctly.
func TestIndexBudget(t *testing.T) {
	r := newRand(t)
	es := genEntries(r, defaultGen)
	fs := vfs.NewMem()
	writeTable(t, fs, "t.sst", es, WriterOptions{BlockSize: 256, FileNum: 1})
	c, err := cache.New(4 << 20)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	probe := openTable(t, fs, "t.sst", 1, ReaderOptions{Cache: c, PinIndex: true})
	size := int64(cap(probe.pinned))
	if probe.summary != nil {
		size += probe.summary.size()
	}
	probe.Close()
	if size == 0 {
		t.Fatal("no index")
	}
	b := NewIndexBudget(size + size/2) // room for one index, not two
	st := NewStats()
	r1 := openTable(t, fs, "t.sst", 1, ReaderOptions{Cache: c, IndexBudget: b, Stats: st})
	r2 := openTable(t, fs, "t.sst", 2, ReaderOptions{Cache: c, IndexBudget: b, Stats: st})
	if r1.pinned == nil || r2.pinned != nil || b.Used() != size {
		t.Fatalf("pinned: first %v, second %v, budget used %d of %d (index %d)", r1.pinned != nil, r2.pinned != nil, b.Used(), b.limit, size)
	}
	c.Wait()
	checkTable(t, r, r1, es, defaultGen)
	checkTable(t, r, r2, es, defaultGen)
	hits := st.Counts().CacheHits
	for _, e := range es[:10] {
		r1.Get(e.key.UserKey, base.MaxSeq)
	}
	if got := st.Counts().CacheHits - hits; got > 10 {
		t.Errorf("10 Gets on the pinned Reader made %d cache hits: the index went through the cache", got)
	}
	if err := r1.Close(); err != nil {
		t.Fatal(err)
	}
	if b.Used() != 0 {
		t.Errorf("budget used %d after Close", b.Used())
	}
	r3 := openTable(t, fs, "t.sst", 3, ReaderOptions{Cache: c, IndexBudget: b})
	if r3.pinned == nil {
		t.Error("the budget freed by Close was not reused")
	}
	r2.Close()
	r3.Close()
}

// TestInitIterReuse reuses one Iter over two tables, with and without
// bounds, in both directions, after positioning it mid-table: each run
// sees what a fresh iterator sees.
func TestInitIterReuse(t *testing.T) {
	r := newRand(t)
	fs := vfs.NewMem()
	var readers []*Reader
	var tables [][]entry
	for i := range 2 {
		es := genEntries(r, defaultGen)
		name := fmt.Sprintf("t%d.sst", i)
		writeTable(t, fs, name, es, WriterOptions{BlockSize: 256, RestartInterval: 1 + i*3})
		rd := openTable(t, fs, name, uint64(i+1), ReaderOptions{})
		defer rd.Close()
		readers, tables = append(readers, rd), append(tables, es)
	}
	var it Iter
	for round := range 8 {
		i := round % 2
		rd, es := readers[i], tables[i]
		var lower, upper []byte
		if round%4 >= 2 {
			lower, upper = randUserKey(r, es, defaultGen), randUserKey(r, es, defaultGen)
			if bytes.Compare(lower, upper) > 0 {
				lower, upper = upper, lower
			}
		}
		rd.InitIter(&it, lower, upper)
		want := inBounds(es, lower, upper)
		if err := equalEntries(collect(t, &it, true), want); err != nil {
			t.Fatalf("round %d forward: %v", round, err)
		}
		if err := equalEntries(collect(t, &it, false), reversed(want)); err != nil {
			t.Fatalf("round %d backward: %v", round, err)
		}
		it.SeekGE(randUserKey(r, es, defaultGen)) // leave it positioned
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		if it.Next() || it.First() || it.Valid() {
			t.Fatalf("round %d: a closed Iter moves", round)
		}
	}
}

// TestBlockWorkersSameBytes: a table written through the block pipeline
// (BlockWorkers > 0) is byte-for-byte the table the inline path writes,
// for every codec and checksum kind and for tiny and large blocks.
func TestBlockWorkersSameBytes(t *testing.T) {
	r := newRand(t)
	es := genEntries(r, genParams{n: 4000, alphabet: "abcdefgh", maxKeyLen: 20, maxVersions: 3, maxValueLen: 200})
	when := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	write := func(wo WriterOptions) []byte {
		fs := vfs.NewMem()
		f, err := fs.Create("t.sst")
		if err != nil {
			t.Fatal(err)
		}
		w := NewWriter(f, "t.sst", wo)
		for _, e := range es {
			if err := w.Add(e.key, e.value); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := vfs.ReadFile(fs, "t.sst")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, codec := range []compress.Codec{compress.None, compress.Snappy, compress.S2, compress.Zstd} {
		for _, kind := range []checksum.Kind{checksum.CRC32C, checksum.XXH3} {
			for _, bs := range []int{64, 4096} {
				wo := WriterOptions{BlockSize: bs, Compression: codec, Checksum: kind, CreationTime: when}
				want := write(wo)
				for _, workers := range []int{1, 3} {
					wo.BlockWorkers = workers
					if got := write(wo); !bytes.Equal(got, want) {
						t.Errorf("%v %v block %d, %d workers: %d bytes differ from the inline writer's %d", codec, kind, bs, workers, len(got), len(want))
					}
				}
			}
		}
	}
}
