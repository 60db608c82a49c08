package sstable

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/backends/lsm/internal/bloom"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/cache"
	"github.com/lightningdb/lightning/engine/checksum"
	"github.com/lightningdb/lightning/engine/compress"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/internal/percpu"
)

// ReaderOptions configure a Reader. The zero value is valid: no cache, no
// stats, a shared package-level decompressor.
type ReaderOptions struct {
	// Cache holds decoded (verified, decompressed) data and index blocks,
	// keyed by (file number, block offset). Nil: no block cache, and the
	// index block is pinned in the Reader.
	Cache *cache.Cache
	// PinIndex keeps the decoded index block in the Reader for its whole
	// life instead of in the cache: one cache lookup less per Get, at the
	// price of memory the cache budget does not see.
	PinIndex bool
	// IndexBudget, if set, pins the index block (as PinIndex does) when
	// it fits in the budget, and caches it otherwise: pinned indexes then
	// stay within a memory bound the owner sets aside. The Reader gives
	// its share back at Close. Ignored when PinIndex is set.
	IndexBudget *IndexBudget
	// Compressor decompresses blocks; it may be shared (it is safe for
	// concurrent use) and the Reader does not close it. Its MaxDecodedSize
	// must admit the table's largest block. Nil: a package-level
	// decompressor admitting any block a Writer can write.
	Compressor *compress.Compressor
	// Stats, if set, receives the Reader's counters. One Stats may be
	// shared by many Readers.
	Stats *Stats

	// noVerify skips block checksum verification and the footer CRC. Only
	// tests set it, so that fuzzing reaches the decoders the checksums
	// otherwise shield.
	noVerify bool
}

// Stats counts what Readers do. One Stats may be shared by many Readers
// (the LSM aggregates them that way): its counters are sharded per P
// (package percpu), so that concurrent Gets on different cores do not
// write one shared cache line. Create it with NewStats; a nil *Stats
// counts nothing.
type Stats struct {
	c *percpu.Counters
}

// Counter numbers in Stats.
const (
	statFilterChecks = iota
	statFilterUseful
	statCacheHits
	statCacheMisses
	statBlocksRead
	statBytesRead
)

// NewStats returns zeroed counters.
func NewStats() *Stats { return &Stats{c: percpu.NewCounters()} }

func (s *Stats) add(i int, delta uint64) {
	if s != nil {
		s.c.Add(i, delta)
	}
}

// StatCounts is a copy of the counters of a Stats.
type StatCounts struct {
	// FilterChecks counts Gets that consulted a bloom filter.
	FilterChecks uint64
	// FilterUseful counts Gets the filter answered alone ("absent").
	FilterUseful uint64
	// CacheHits and CacheMisses count block lookups in the block cache.
	CacheHits, CacheMisses uint64
	// BlocksRead and BytesRead count blocks read from files (cache misses
	// and reads without a cache), trailers included.
	BlocksRead, BytesRead uint64
}

// Counts returns the totals. Each includes every count made by a call
// that returned before Counts started.
func (s *Stats) Counts() StatCounts {
	if s == nil {
		return StatCounts{}
	}
	return StatCounts{
		FilterChecks: s.c.Sum(statFilterChecks),
		FilterUseful: s.c.Sum(statFilterUseful),
		CacheHits:    s.c.Sum(statCacheHits),
		CacheMisses:  s.c.Sum(statCacheMisses),
		BlocksRead:   s.c.Sum(statBlocksRead),
		BytesRead:    s.c.Sum(statBytesRead),
	}
}

// IndexBudget bounds the bytes of index blocks that Readers pin. One
// budget is shared by many Readers; it is safe for concurrent use.
type IndexBudget struct {
	limit int64
	used  atomic.Int64
}

// NewIndexBudget returns a budget of limit bytes.
func NewIndexBudget(limit int64) *IndexBudget { return &IndexBudget{limit: limit} }

// reserve takes n bytes if they fit.
func (b *IndexBudget) reserve(n int64) bool {
	for {
		u := b.used.Load()
		if u+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

// Used returns the bytes pinned now.
func (b *IndexBudget) Used() int64 { return b.used.Load() }

var defaultCompressor = sync.OnceValues(func() (*compress.Compressor, error) {
	return compress.New(compress.None, &compress.Options{MaxDecodedSize: maxDecodedBlock})
})

// Reader reads one table. Get, NewIter, Properties and the iterators'
// methods are safe for concurrent use from many goroutines (each iterator
// is used by one goroutine at a time). Close must be called once, after
// every iterator is closed.
type Reader struct {
	f       vfs.File
	name    string
	fileNum uint64
	size    int64
	opts    ReaderOptions
	comp    *compress.Compressor
	kind    checksum.Kind
	ft      footer

	index     handle
	pinned    []byte        // decoded index block when pinned, else nil
	summary   *indexSummary // of the pinned index, if it has one
	reserved  int64         // bytes of opts.IndexBudget taken by pinned
	hasFilter bool
	filter    bloom.Filter
	props     Properties

	getPool sync.Pool // *getState
	closed  atomic.Bool
}

// getState is the scratch of one Get.
type getState struct {
	index, data blockIter
	seek        []byte
}

// Open opens the table in f (read-only use; name is its path, for errors;
// fileNum identifies it in the cache). It reads and verifies the footer,
// the properties, the filter and the index block. A file that is not a
// valid table (truncated, bad checksum, bad format) gives an error
// satisfying errors.Is(err, engine.ErrCorruption) with the file and
// offset. The Reader owns f from then on (Close closes it) — also when
// Open fails, in which case f is closed.
func Open(f vfs.File, name string, fileNum uint64, opts ReaderOptions) (*Reader, error) {
	r, err := open(f, name, fileNum, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func open(f vfs.File, name string, fileNum uint64, opts ReaderOptions) (*Reader, error) {
	r := &Reader{f: f, name: name, fileNum: fileNum, opts: opts, comp: opts.Compressor}
	r.getPool.New = func() any { return new(getState) }
	if r.comp == nil {
		var err error
		if r.comp, err = defaultCompressor(); err != nil {
			return nil, err
		}
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("sstable: stat %s: %w", name, err)
	}
	r.size = fi.Size()
	if r.size < FooterLen {
		return nil, engine.Corruptf(name, 0, "file of %d bytes is shorter than a %d-byte footer (truncated?)", r.size, FooterLen)
	}
	fb := make([]byte, FooterLen)
	if err := r.readAt(fb, r.size-FooterLen); err != nil {
		return nil, err
	}
	if r.ft, err = decodeFooter(name, r.size, fb, !opts.noVerify); err != nil {
		return nil, err
	}
	r.kind, r.index = r.ft.kind, r.ft.index

	pb, err := r.readRaw(r.ft.props)
	if err != nil {
		return nil, err
	}
	if r.props, err = decodeProperties(name, int64(r.ft.props.offset), pb); err != nil {
		return nil, err
	}
	if r.props.Checksum != r.kind {
		return nil, engine.Corruptf(name, int64(r.ft.props.offset), "properties say checksum %v, footer %v", r.props.Checksum, r.kind)
	}

	if r.ft.filter != (handle{}) {
		fb, err := r.readRaw(r.ft.filter)
		if err != nil {
			return nil, err
		}
		if r.filter, err = bloom.Decode(fb); err != nil {
			return nil, engine.Corruptf(name, int64(r.ft.filter.offset), "filter: %v", err)
		}
		r.hasFilter = true
	}

	// The index: read and verify it now, keep it pinned or cached.
	idx, err := r.readRaw(r.index)
	if err != nil {
		return nil, err
	}
	var it blockIter
	if err := it.init(name, int64(r.index.offset), idx, true); err != nil {
		return nil, err
	}
	pin := opts.PinIndex || opts.Cache == nil || opts.IndexBudget != nil
	var sum *indexSummary
	if pin {
		if sum, err = buildSummary(&it); err != nil {
			return nil, err
		}
	}
	n := int64(cap(idx))
	if sum != nil {
		n += sum.size()
	}
	switch {
	case opts.PinIndex || opts.Cache == nil:
		r.pinned, r.summary = idx, sum
	case opts.IndexBudget != nil && opts.IndexBudget.reserve(n):
		r.pinned, r.summary, r.reserved = idx, sum, n
	default:
		opts.Cache.Set(fileNum, r.index.offset, idx)
	}
	return r, nil
}

// readAt fills b from offset off; a short read is corruption (the file
// is shorter than its footer says).
func (r *Reader) readAt(b []byte, off int64) error {
	n, err := r.f.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return engine.Corruptf(r.name, off, "short read: %d of %d bytes (truncated?)", n, len(b))
	}
	return fmt.Errorf("sstable: read %s at %d: %w", r.name, off, err)
}

// readRaw reads the block at h from the file, verifies its trailer and
// returns its decoded bytes (freshly allocated, never reused: they may be
// cached and shared).
func (r *Reader) readRaw(h handle) ([]byte, error) {
	if err := checkHandle(r.name, int64(h.offset), "block", h, r.kind, uint64(r.size-FooterLen)); err != nil {
		return nil, err
	}
	buf := make([]byte, h.length)
	if err := r.readAt(buf, int64(h.offset)); err != nil {
		return nil, err
	}
	r.opts.Stats.add(statBlocksRead, 1)
	r.opts.Stats.add(statBytesRead, h.length)
	var stored []byte
	var cb byte
	if r.opts.noVerify {
		n := len(buf) - checksum.TrailerLen(r.kind)
		stored, cb = buf[:n:n], buf[n]
	} else {
		var err error
		if stored, cb, err = checksum.VerifyTrailer(r.name, int64(h.offset), r.kind, buf); err != nil {
			return nil, err
		}
	}
	codec, err := compress.CodecOf(cb)
	if err != nil {
		return nil, engine.Corruptf(r.name, int64(h.offset), "block trailer: %v", err)
	}
	if codec == compress.None {
		return stored, nil
	}
	out, err := r.comp.Decompress(nil, stored, codec)
	if err != nil {
		return nil, compress.Locate(err, r.name, int64(h.offset))
	}
	return out, nil
}

// readBlock returns the decoded block at h, from the cache if it is there.
// The returned bytes are immutable and shared.
func (r *Reader) readBlock(h handle) ([]byte, error) {
	c := r.opts.Cache
	if c != nil {
		if b, ok := c.Get(r.fileNum, h.offset); ok {
			r.opts.Stats.add(statCacheHits, 1)
			return b, nil
		}
		r.opts.Stats.add(statCacheMisses, 1)
	}
	b, err := r.readRaw(h)
	if err != nil {
		return nil, err
	}
	c.Set(r.fileNum, h.offset, b) // a dropped Set only costs a later read
	return b, nil
}

// indexBlock returns the decoded index block.
func (r *Reader) indexBlock() ([]byte, error) {
	if r.pinned != nil {
		return r.pinned, nil
	}
	return r.readBlock(r.index)
}

// dataHandle decodes an index entry's value and checks that it lies among
// the data blocks.
func (r *Reader) dataHandle(v []byte) (handle, error) {
	h, ok := decodeHandle(v)
	if !ok {
		return handle{}, engine.Corruptf(r.name, int64(r.index.offset), "index: bad block handle %x", v)
	}
	if err := checkHandle(r.name, int64(r.index.offset), "data", h, r.kind, r.index.offset); err != nil {
		return handle{}, err
	}
	return h, nil
}

// Properties returns the table's properties. The caller must not modify
// the keys' bytes.
func (r *Reader) Properties() *Properties { return &r.props }

// FileNum returns the file number the Reader was opened with.
func (r *Reader) FileNum() uint64 { return r.fileNum }

// Size returns the file's size.
func (r *Reader) Size() int64 { return r.size }

// MayContain reports whether the table's filter admits userKey (always
// true without a filter). It does not count in Stats.
func (r *Reader) MayContain(userKey []byte) bool {
	return !r.hasFilter || r.filter.MayContain(userKey)
}

// Get returns the newest version of userKey with sequence number <= seq:
// its value and kind (a KindDelete is a tombstone: found is true, value
// empty). found is false if the table holds no such version. It consults
// the bloom filter first.
//
// The value aliases an immutable decoded block: it stays valid as long as
// the caller holds it (blocks are never reused), and must not be modified.
// On the cached path Get does not allocate.
func (r *Reader) Get(userKey []byte, seq uint64) (value []byte, kind engine.Kind, found bool, err error) {
	return r.GetHashed(userKey, bloom.Hash(userKey), seq)
}

// GetHashed is Get for a key whose bloom.Hash the caller computed once for
// many tables.
func (r *Reader) GetHashed(userKey []byte, hash uint64, seq uint64) (value []byte, kind engine.Kind, found bool, err error) {
	if r.closed.Load() {
		return nil, 0, false, fmt.Errorf("sstable: %s: %w", r.name, engine.ErrClosed)
	}
	if r.hasFilter {
		r.opts.Stats.add(statFilterChecks, 1)
		if !r.filter.MayContainHash(hash) {
			r.opts.Stats.add(statFilterUseful, 1)
			return nil, 0, false, nil
		}
	}
	st := r.getPool.Get().(*getState)
	defer r.getPool.Put(st)
	st.seek = base.SeekKey(userKey, seq).Append(st.seek[:0])

	idx, err := r.indexBlock()
	if err != nil {
		return nil, 0, false, err
	}
	if err := st.index.init(r.name, int64(r.index.offset), idx, true); err != nil {
		return nil, 0, false, err
	}
	if r.summary != nil {
		i, ok := r.summary.search(&st.index, userKey, st.seek)
		if !ok {
			return nil, 0, false, st.index.err
		}
		if i == len(r.summary.keys) || !st.index.seekRestart(i) {
			return nil, 0, false, st.index.err
		}
	} else if !st.index.SeekGE(st.seek) {
		return nil, 0, false, st.index.err
	}
	// The first key >= seek is in this block or, if every key of the block
	// is smaller (the separator is above the block's last key), it is the
	// first key of the next block.
	for range 2 {
		h, err := r.dataHandle(st.index.val)
		if err != nil {
			return nil, 0, false, err
		}
		blk, err := r.readBlock(h)
		if err != nil {
			return nil, 0, false, err
		}
		if err := st.data.init(r.name, int64(h.offset), blk, true); err != nil {
			return nil, 0, false, err
		}
		if st.data.SeekGE(st.seek) {
			if !st.data.keyEqualUser(userKey) {
				return nil, 0, false, nil
			}
			k, err := decodeInternalKey(r.name, int64(h.offset), st.data.key)
			if err != nil {
				return nil, 0, false, err
			}
			return st.data.val, k.Kind(), true, nil
		}
		if st.data.err != nil {
			return nil, 0, false, st.data.err
		}
		if !st.index.Next() {
			return nil, 0, false, st.index.err
		}
	}
	return nil, 0, false, nil
}

// Close closes the file. The Reader must not be used afterwards; Gets
// return an error wrapping engine.ErrClosed. When the table's file is
// deleted, the owner should also call Cache.DropFile(fileNum) once no read
// of it is in flight (file numbers must not be reused before that; see
// engine/cache).
func (r *Reader) Close() error {
	if r.closed.Swap(true) {
		return fmt.Errorf("sstable: %s: %w", r.name, engine.ErrClosed)
	}
	if r.reserved > 0 {
		r.opts.IndexBudget.used.Add(-r.reserved)
	}
	return r.f.Close()
}
