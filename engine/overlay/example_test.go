package overlay_test

import (
	"fmt"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/memtable"
	"github.com/lightningdb/lightning/engine/overlay"
)

// A frozen memtable under an active one, read at two snapshots: the
// active memtable's tombstone (seq 4) hides b from snapshot 4 on, and its
// newer c (seq 5) is invisible at snapshot 4.
func Example() {
	frozen, active := memtable.New(1<<16), memtable.New(1<<16)
	for _, e := range []struct {
		sl    *memtable.Skiplist
		key   string
		seq   uint64
		kind  engine.Kind
		value string
	}{
		{frozen, "a", 1, engine.KindSet, "a1"},
		{frozen, "b", 2, engine.KindSet, "b2"},
		{frozen, "c", 3, engine.KindSet, "c3"},
		{active, "b", 4, engine.KindDelete, ""},
		{active, "c", 5, engine.KindSet, "c5"},
	} {
		if err := e.sl.Add([]byte(e.key), e.seq, e.kind, []byte(e.value)); err != nil {
			fmt.Println(err)
			return
		}
	}

	for _, snap := range []uint64{3, 4, 5} {
		it := overlay.New([]overlay.Layer{overlay.Mem(active, snap), overlay.Mem(frozen, snap)}, nil, nil)
		fmt.Printf("snapshot %d:", snap)
		for ok := it.First(); ok; ok = it.Next() {
			fmt.Printf(" %s=%s", it.Key(), it.Value())
		}
		fmt.Println()
	}
	// Output:
	// snapshot 3: a=a1 b=b2 c=c3
	// snapshot 4: a=a1 c=c3
	// snapshot 5: a=a1 c=c5
}
