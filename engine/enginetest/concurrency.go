package enginetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// The Concurrency test. Writer w owns group w: a version key and
// groupKeys data keys. Version v of the group is one batch that sets the
// version key to v and either sets every data key to v or, when v is a
// multiple of deleteEvery, deletes every data key. So any point-in-time
// view (snapshot, iterator) sees a group either with every data key at the
// version key's version or with none of them at a delete version.
//
// Each writer publishes, in atomics, the last version it started and the
// last one Apply acknowledged. A read that begins after version lo was
// acknowledged and ends before version hi+1 started must see a version in
// [lo, hi]: that catches stale reads (a delete or an overwrite missed by
// some read path) and reads of versions never written. Successive views
// taken by one goroutine never go back in time.
const (
	groupKeys   = 8
	deleteEvery = 5
)

func groupLower(g int) []byte         { return []byte(fmt.Sprintf("g%02d/", g)) }
func groupUpper(g int) []byte         { return []byte(fmt.Sprintf("g%02d0", g)) } // '0' follows '/'
func groupVerKey(g int) []byte        { return []byte(fmt.Sprintf("g%02d/0ver", g)) }
func groupDataKey(g, i int) []byte    { return []byte(fmt.Sprintf("g%02d/k%02d", g, i)) }
func groupDataVal(g, i, v int) []byte { return []byte(fmt.Sprintf("%d:g%02d:k%02d", v, g, i)) }
func groupVerVal(v int) []byte        { return []byte(strconv.Itoa(v)) }
func singleKey(i int) []byte          { return []byte(fmt.Sprintf("s/%02d", i)) }
func parseVersion(v []byte) (int, error) {
	s, _, _ := strings.Cut(string(v), ":")
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("value %s is no version", fmtVal(v))
	}
	return n, nil
}

type groupProgress struct {
	started, done atomic.Int64
}

type concTest struct {
	e       engine.Engine
	groups  []groupProgress
	stop    atomic.Bool
	reads   [4]atomic.Int64 // read rounds done, by kind
	readers int
	mu      sync.Mutex
	errs    []error
}

func (c *concTest) fail(err error) {
	c.mu.Lock()
	c.errs = append(c.errs, err)
	c.mu.Unlock()
	c.stop.Store(true)
}

func (k *kit) testConcurrency(t *testing.T) {
	writers, versions, readers := 4, 600, 6
	if testing.Short() {
		versions = 200
	}
	for _, seed := range seeds(1) {
		logSeed(t, seed)
		e := k.mustOpen(t, vfs.NewMem())
		c := &concTest{e: e, groups: make([]groupProgress, writers), readers: readers}
		var wg sync.WaitGroup
		var writersDone sync.WaitGroup
		for g := range writers {
			wg.Add(1)
			writersDone.Add(1)
			go func() {
				defer wg.Done()
				defer writersDone.Done()
				c.writer(g, versions)
			}()
		}
		wg.Add(1)
		singles := make([]int, 16)
		go func() {
			defer wg.Done()
			c.singleWriter(rand.New(rand.NewPCG(uint64(seed), 3)), versions*2, singles)
		}()
		finished := make(chan struct{})
		go func() { writersDone.Wait(); close(finished) }()
		for r := range readers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(seed), uint64(100+r)))
				c.reader(r, rng, finished)
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 4 && !c.stop.Load(); i++ {
				select {
				case <-finished:
					return
				default:
				}
				if err := flush(e); err != nil {
					c.fail(err)
				}
				for j := 0; j < 50 && !c.stop.Load(); j++ {
					_ = e.Metrics() // concurrently with everything: -race checks the counters
					runtime.Gosched()
				}
			}
		}()
		wg.Wait()
		t.Logf("read rounds: %d Gets, %d iterators, %d snapshots, %d full scans",
			c.reads[0].Load(), c.reads[1].Load(), c.reads[2].Load(), c.reads[3].Load())
		for _, err := range c.errs {
			t.Error(err)
		}
		if t.Failed() {
			e.Close()
			return
		}
		m := newModel()
		for g := range writers {
			m.set(groupVerKey(g), groupVerVal(versions))
			if versions%deleteEvery != 0 {
				for i := range groupKeys {
					m.set(groupDataKey(g, i), groupDataVal(g, i, versions))
				}
			}
		}
		for i, n := range singles {
			if n > 0 {
				m.set(singleKey(i), []byte(fmt.Sprintf("%d:single", n)))
			}
		}
		expectState(t, "after the concurrent writers", e, m)
		closeEngine(t, e)
	}
}

func (c *concTest) writer(g, versions int) {
	b := engine.NewBatch()
	for v := 1; v <= versions && !c.stop.Load(); v++ {
		// Pace the writers by the readers' progress (not by time): a
		// fast engine must not finish writing before the readers start.
		for c.totalReads() < int64(v*c.readers/2) && !c.stop.Load() {
			runtime.Gosched()
		}
		b.Reset()
		b.Set(groupVerKey(g), groupVerVal(v))
		for i := range groupKeys {
			if v%deleteEvery == 0 {
				b.Delete(groupDataKey(g, i))
			} else {
				b.Set(groupDataKey(g, i), groupDataVal(g, i, v))
			}
		}
		c.groups[g].started.Store(int64(v))
		if err := c.e.Apply(b, engine.WriteOptions{Sync: v%10 == 0}); err != nil {
			c.fail(fmt.Errorf("writer %d: Apply version %d: %w", g, v, err))
			return
		}
		c.groups[g].done.Store(int64(v))
	}
}

// singleWriter sets and deletes single keys with Set and Delete; values
// carry an increasing number. last[i] is the final number of key i (0:
// deleted or never set).
func (c *concTest) singleWriter(rng *rand.Rand, n int, last []int) {
	for j := 1; j <= n && !c.stop.Load(); j++ {
		i := rng.IntN(len(last))
		var err error
		if rng.IntN(6) == 0 {
			err = c.e.Delete(singleKey(i), engine.NoSync)
			last[i] = 0
		} else {
			err = c.e.Set(singleKey(i), []byte(fmt.Sprintf("%d:single", j)), engine.NoSync)
			last[i] = j
		}
		if err != nil {
			c.fail(fmt.Errorf("single-key writer: %w", err))
			return
		}
	}
}

// reader loops over random read kinds until the writers are finished,
// then does a few more rounds.
func (c *concTest) reader(r int, rng *rand.Rand, finished <-chan struct{}) {
	lastGroup := make([]int, len(c.groups)) // last version seen in a view, per group
	lastSingle := map[string]int{}
	extra := 3
	for round := 0; !c.stop.Load(); round++ {
		select {
		case <-finished:
			if extra--; extra < 0 {
				return
			}
		default:
		}
		g := rng.IntN(len(c.groups))
		var err error
		switch kind := (r + round) % 4; kind {
		case 0:
			err = c.readGets(g, rng, lastSingle)
		case 1:
			err = c.readIter(g, lastGroup)
		case 2:
			err = c.readSnapshot(g, lastGroup)
		case 3:
			err = c.readFullScan(lastGroup)
		}
		if err != nil {
			c.fail(fmt.Errorf("reader %d round %d: %w", r, round, err))
			return
		}
		c.reads[(r+round)%4].Add(1)
	}
}

func (c *concTest) totalReads() int64 {
	var n int64
	for i := range c.reads {
		n += c.reads[i].Load()
	}
	return n
}

// window returns the versions of group g a read starting now may see at
// least (lo); call hi after the read for the most it may see.
func (c *concTest) lo(g int) int { return int(c.groups[g].done.Load()) }
func (c *concTest) hi(g int) int { return int(c.groups[g].started.Load()) }

// readGets reads keys one Get at a time: each read must fall in the
// version window of its own time span.
func (c *concTest) readGets(g int, rng *rand.Rand, lastSingle map[string]int) error {
	lo := c.lo(g)
	v, err := c.e.Get(groupVerKey(g), nil)
	hi := c.hi(g)
	switch {
	case errors.Is(err, engine.ErrNotFound):
		if lo > 0 {
			return fmt.Errorf("Get(%s) = not found after version %d was acknowledged", groupVerKey(g), lo)
		}
	case err != nil:
		return fmt.Errorf("Get(%s): %w", groupVerKey(g), err)
	default:
		ver, err := parseVersion(v)
		if err != nil {
			return err
		}
		if ver < lo || ver > hi {
			return fmt.Errorf("Get(%s) = version %d, outside [%d, %d]: a stale or invented read", groupVerKey(g), ver, lo, hi)
		}
	}
	for i := range groupKeys {
		lo := c.lo(g)
		v, err := c.e.Get(groupDataKey(g, i), nil)
		hi := c.hi(g)
		switch {
		case errors.Is(err, engine.ErrNotFound):
			// Valid only if a delete version (or nothing) falls in [lo, hi].
			if lo > 0 && lo/deleteEvery == hi/deleteEvery && lo%deleteEvery != 0 {
				return fmt.Errorf("Get(%s) = not found, but versions [%d, %d] all set it: a stale read", groupDataKey(g, i), lo, hi)
			}
		case err != nil:
			return fmt.Errorf("Get(%s): %w", groupDataKey(g, i), err)
		default:
			ver, err := parseVersion(v)
			if err != nil {
				return err
			}
			if ver < lo || ver > hi || string(v) != string(groupDataVal(g, i, ver)) {
				return fmt.Errorf("Get(%s) = %s, want a version in [%d, %d]: a stale or invented read", groupDataKey(g, i), fmtVal(v), lo, hi)
			}
		}
	}
	for range 4 {
		i := rng.IntN(16)
		v, err := c.e.Get(singleKey(i), nil)
		if errors.Is(err, engine.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("Get(%s): %w", singleKey(i), err)
		}
		n, err := parseVersion(v)
		if err != nil {
			return err
		}
		if n < lastSingle[string(singleKey(i))] {
			return fmt.Errorf("Get(%s) = %d after %d: went back in time", singleKey(i), n, lastSingle[string(singleKey(i))])
		}
		lastSingle[string(singleKey(i))] = n
	}
	return nil
}

// checkGroup checks one point-in-time view of group g: the version key and
// data keys as read, in key order.
func checkGroup(g int, keys, vals [][]byte, lo, hi int, last *int) error {
	if len(keys) == 0 {
		if lo > 0 {
			return fmt.Errorf("group %d: empty view after version %d was acknowledged", g, lo)
		}
		return nil
	}
	if string(keys[0]) != string(groupVerKey(g)) {
		return fmt.Errorf("group %d: view without its version key (first key %s)", g, fmtKey(keys[0]))
	}
	ver, err := parseVersion(vals[0])
	if err != nil {
		return err
	}
	if ver < lo || ver > hi {
		return fmt.Errorf("group %d: view at version %d, outside [%d, %d]: stale or invented", g, ver, lo, hi)
	}
	if ver < *last {
		return fmt.Errorf("group %d: view at version %d after one at version %d: went back in time", g, ver, *last)
	}
	*last = ver
	data := keys[1:]
	if ver%deleteEvery == 0 {
		if len(data) != 0 {
			return fmt.Errorf("group %d: version %d deleted every data key, view has %d of them (%s=%s): a partial batch or stale data",
				g, ver, len(data), fmtKey(data[0]), fmtVal(vals[1]))
		}
		return nil
	}
	if len(data) != groupKeys {
		return fmt.Errorf("group %d: version %d set %d data keys, view has %d: a partial batch", g, ver, groupKeys, len(data))
	}
	for i := range data {
		if string(data[i]) != string(groupDataKey(g, i)) || string(vals[i+1]) != string(groupDataVal(g, i, ver)) {
			return fmt.Errorf("group %d at version %d: %s=%s, want %s=%s: a partial batch or stale data",
				g, ver, fmtKey(data[i]), fmtVal(vals[i+1]), fmtKey(groupDataKey(g, i)), fmtVal(groupDataVal(g, i, ver)))
		}
	}
	return nil
}

// readIter reads group g through an iterator, yielding half-way so that
// writers move on while it is open.
func (c *concTest) readIter(g int, last []int) error {
	lo := c.lo(g)
	it, err := c.e.NewIter(engine.IterOptions{Lower: groupLower(g), Upper: groupUpper(g)})
	if err != nil {
		return fmt.Errorf("NewIter: %w", err)
	}
	hi := c.hi(g)
	var keys, vals [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, append([]byte{}, it.Key()...))
		vals = append(vals, append([]byte{}, it.Value()...))
		if len(keys) == groupKeys/2 {
			runtime.Gosched()
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("iterator: %w", err)
	}
	if err := checkGroup(g, keys, vals, lo, hi, &last[g]); err != nil {
		return fmt.Errorf("iterator: %w", err)
	}
	return nil
}

// readSnapshot reads group g from a snapshot with Gets, then with an
// iterator after yielding: both must show the same consistent version.
func (c *concTest) readSnapshot(g int, last []int) error {
	lo := c.lo(g)
	snap, err := c.e.NewSnapshot()
	if err != nil {
		return fmt.Errorf("NewSnapshot: %w", err)
	}
	defer snap.Close()
	hi := c.hi(g)
	var keys, vals [][]byte
	for _, k := range append([][]byte{groupVerKey(g)}, dataKeys(g)...) {
		v, err := snap.Get(k, nil)
		if errors.Is(err, engine.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("snapshot Get(%s): %w", k, err)
		}
		keys, vals = append(keys, k), append(vals, v)
	}
	if err := checkGroup(g, keys, vals, lo, hi, &last[g]); err != nil {
		return fmt.Errorf("snapshot Gets: %w", err)
	}
	runtime.Gosched()
	ks, vs, err := scan(snap, groupLower(g), groupUpper(g), false)
	if err != nil {
		return fmt.Errorf("snapshot scan: %w", err)
	}
	if fmt.Sprintf("%q%q", ks, vs) != fmt.Sprintf("%q%q", keys, vals) {
		return fmt.Errorf("group %d: a snapshot's scan differs from its Gets made before: the snapshot moved", g)
	}
	return nil
}

func dataKeys(g int) [][]byte {
	ks := make([][]byte, groupKeys)
	for i := range ks {
		ks[i] = groupDataKey(g, i)
	}
	return ks
}

// readFullScan reads every group through one reverse iterator over the
// whole engine: each group must be consistent within the one view.
func (c *concTest) readFullScan(last []int) error {
	los := make([]int, len(c.groups))
	for g := range los {
		los[g] = c.lo(g)
	}
	it, err := c.e.NewIter(engine.IterOptions{})
	if err != nil {
		return fmt.Errorf("NewIter: %w", err)
	}
	his := make([]int, len(c.groups))
	for g := range his {
		his[g] = c.hi(g)
	}
	byGroup := make([][2][][]byte, len(c.groups))
	n := 0
	for ok := it.Last(); ok; ok = it.Prev() {
		var g int
		if _, err := fmt.Sscanf(string(it.Key()), "g%02d/", &g); err == nil && g >= 0 && g < len(c.groups) {
			byGroup[g][0] = append(byGroup[g][0], append([]byte{}, it.Key()...))
			byGroup[g][1] = append(byGroup[g][1], append([]byte{}, it.Value()...))
		}
		if n++; n%10 == 0 {
			runtime.Gosched()
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("iterator: %w", err)
	}
	for g := range byGroup {
		keys, vals := byGroup[g][0], byGroup[g][1]
		for i, j := 0, len(keys)-1; i < j; i, j = i+1, j-1 {
			keys[i], keys[j] = keys[j], keys[i]
			vals[i], vals[j] = vals[j], vals[i]
		}
		if err := checkGroup(g, keys, vals, los[g], his[g], &last[g]); err != nil {
			return fmt.Errorf("full reverse scan: %w", err)
		}
	}
	return nil
}
