package lsm

import "github.com/lightningdb/lightning/backends/lsm/internal/percpu"

// readCounters are the counters of the read path, sharded per P (package
// percpu) so that concurrent Gets on different cores write different
// cache lines.
type readCounters struct {
	c *percpu.Counters
}

// Counter numbers in readCounters.
const (
	readGets = iota
	readTables
	readRowHits
)

func newReadCounters() readCounters { return readCounters{c: percpu.NewCounters()} }

// add counts one Get that consulted tables tables and hit the row cache
// if rowHit.
func (c *readCounters) add(tables int, rowHit bool) {
	c.c.Add(readGets, 1)
	if tables > 0 {
		c.c.Add(readTables, uint64(tables))
	}
	if rowHit {
		c.c.Add(readRowHits, 1)
	}
}

// sums returns the totals.
func (c *readCounters) sums() (gets, tables, rowHits uint64) {
	return c.c.Sum(readGets), c.c.Sum(readTables), c.c.Sum(readRowHits)
}
