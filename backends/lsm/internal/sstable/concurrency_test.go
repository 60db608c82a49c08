package sstable

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine/cache"
	"github.com/lightningdb/lightning/engine/compress"
	"github.com/lightningdb/lightning/engine/vfs"
)

// TestConcurrentReads runs Gets and iterators on one Reader from many
// goroutines, through a small cache (so blocks are read, cached and
// evicted concurrently), with shared Stats. Run it with -race.
func TestConcurrentReads(t *testing.T) {
	r := newRand(t)
	es := genEntries(r, genParams{n: 3000, alphabet: "abcdef", maxKeyLen: 10, maxVersions: 3, maxValueLen: 60})
	fs := vfs.NewMem()
	writeTable(t, fs, "t.sst", es, WriterOptions{BlockSize: 512, Compression: compress.Snappy})
	c, err := cache.New(64 << 10)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st := NewStats()
	rd := openTable(t, fs, "t.sst", 1, ReaderOptions{Cache: c, Stats: st})
	defer rd.Close()

	ops := 2000
	if testing.Short() {
		ops = 300
	}
	seed := r.Uint64()
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gr := rand.New(rand.NewPCG(seed, uint64(g)))
			for range ops {
				if gr.IntN(4) == 0 {
					// A short scan from a random key.
					u := randUserKey(gr, es, defaultGen)
					it := rd.NewIter(nil, nil)
					pos := modelSeekGE(es, u)
					for ok := it.SeekGE(u); ok && pos < len(es) && pos < modelSeekGE(es, u)+20; ok = it.Next() {
						if !sameEntry(it, es[pos]) {
							errs <- "scan mismatch at " + es[pos].String()
							it.Close()
							return
						}
						pos++
					}
					if err := it.Close(); err != nil {
						errs <- err.Error()
						return
					}
					continue
				}
				e := es[gr.IntN(len(es))]
				v, kind, found, err := rd.Get(e.key.UserKey, e.key.Seq())
				if err != nil || !found || kind != e.key.Kind() || !bytes.Equal(v, e.value) {
					errs <- "Get mismatch for " + e.String()
					return
				}
				if _, _, _, err := rd.Get(slices.Concat(e.key.UserKey, []byte("zzq")), base.MaxSeq); err != nil {
					errs <- err.Error()
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	t.Logf("stats: %d filter checks, %d useful, %d hits, %d misses, %d blocks read",
		st.Counts().FilterChecks, st.Counts().FilterUseful, st.Counts().CacheHits, st.Counts().CacheMisses, st.Counts().BlocksRead)
}
