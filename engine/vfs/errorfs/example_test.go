package errorfs_test

import (
	"errors"
	"fmt"

	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/engine/vfs/errorfs"
)

// replaceFile atomically replaces /db/CURRENT with data: write a temporary
// file, sync it, rename it over the target, sync the directory. It is the
// workload under test.
func replaceFile(fs vfs.FS, data string) error {
	if err := vfs.WriteFileSync(fs, "/db/CURRENT.tmp", []byte(data)); err != nil {
		return err
	}
	if err := fs.Rename("/db/CURRENT.tmp", "/db/CURRENT"); err != nil {
		return err
	}
	return fs.SyncDir("/db")
}

// newDB returns a MemFS whose /db/CURRENT durably holds "v1".
func newDB() *vfs.MemFS {
	mem := vfs.NewMem()
	if err := mem.MkdirAll("/db", 0o755); err != nil {
		panic(err)
	}
	if err := replaceFile(mem, "v1"); err != nil {
		panic(err)
	}
	return mem
}

// A fault sweep: count the workload's operations, then fail each one in
// turn. Every failure must be reported, and after a crash CURRENT must hold
// the old or the new content, never anything else; after a success it must
// hold the new one.
func Example_faultSweep() {
	var c errorfs.Counter
	if err := replaceFile(errorfs.Wrap(newDB(), &c), "v2"); err != nil {
		panic(err)
	}
	fmt.Println("operations:", c.Count())
	// n == c.Count() fails nothing: the workload must then succeed.
	for n := range c.Count() + 1 {
		mem := newDB()
		err := replaceFile(errorfs.Wrap(mem, errorfs.OnIndex(n)), "v2")
		if n < c.Count() && !errors.Is(err, errorfs.ErrInjected) {
			fmt.Printf("op %d: failure not reported: %v\n", n, err)
		}
		got, rerr := vfs.ReadFile(mem.CrashClone(vfs.CrashOptions{}), "/db/CURRENT")
		fmt.Printf("fail op %d: %v -> after crash %q %v\n", n, err, got, rerr)
	}
	// Output:
	// operations: 5
	// fail op 0: errorfs: injected error: create /db/CURRENT.tmp (op 0) -> after crash "v1" <nil>
	// fail op 1: errorfs: injected error: write /db/CURRENT.tmp (op 1) -> after crash "v1" <nil>
	// fail op 2: errorfs: injected error: sync /db/CURRENT.tmp (op 2) -> after crash "v1" <nil>
	// fail op 3: errorfs: injected error: rename /db/CURRENT.tmp -> /db/CURRENT (op 3) -> after crash "v1" <nil>
	// fail op 4: errorfs: injected error: syncdir /db (op 4) -> after crash "v1" <nil>
	// fail op 5: <nil> -> after crash "v2" <nil>
}
