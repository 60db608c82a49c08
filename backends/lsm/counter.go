package lsm

import "github.com/lightningdb/lightning/internal/percpu"

// opCounters count the operations of the read and write paths, sharded
// per P (package percpu) so that concurrent calls on different cores
// write different cache lines.
type opCounters struct {
	c *percpu.Counters
}

// Counter numbers in opCounters.
const (
	opGets      = iota
	opTables    // tables consulted by Gets
	opRowHits   // Gets served by the row cache
	opSets      // Set calls
	opDeletes   // Delete calls
	opBatches   // Apply calls
	opUserBytes // key and value bytes written
	opIterators // iterators opened
	opL0Wasted  // level-0 tables a Get consulted without finding its key
)

func newOpCounters() opCounters { return opCounters{c: percpu.NewCounters()} }

// add adds n to counter i.
func (c *opCounters) add(i int, n uint64) { c.c.Add(i, n) }

// get counts one Get that consulted tables tables and hit the row cache
// if rowHit.
func (c *opCounters) get(tables int, rowHit bool) {
	c.c.Add(opGets, 1)
	if tables > 0 {
		c.c.Add(opTables, uint64(tables))
	}
	if rowHit {
		c.c.Add(opRowHits, 1)
	}
}

// sum returns the total of counter i.
func (c *opCounters) sum(i int) uint64 { return c.c.Sum(i) }
