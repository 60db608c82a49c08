package memengine_test

import (
	"fmt"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/memengine"
)

func Example() {
	db, err := memengine.Open("", nil) // the directory is ignored
	if err != nil {
		panic(err)
	}
	defer db.Close()

	b := engine.NewBatch()
	b.Set([]byte("apple"), []byte("red"))
	b.Set([]byte("banana"), []byte("yellow"))
	b.Set([]byte("cherry"), []byte("dark red"))
	if err := db.Apply(b, engine.NoSync); err != nil { // all or nothing
		panic(err)
	}

	snap, _ := db.NewSnapshot()
	defer snap.Close()
	db.Delete([]byte("banana"), engine.NoSync)

	v, err := db.Get([]byte("banana"), nil)
	fmt.Printf("now: %q %v\n", v, err)
	v, err = snap.Get([]byte("banana"), nil)
	fmt.Printf("snapshot: %q %v\n", v, err)

	it, _ := db.NewIter(engine.IterOptions{Lower: []byte("b")})
	for ok := it.First(); ok; ok = it.Next() {
		fmt.Printf("%s=%s\n", it.Key(), it.Value())
	}
	if err := it.Close(); err != nil {
		panic(err)
	}
	// Output:
	// now: "" engine: not found
	// snapshot: "yellow" <nil>
	// cherry=dark red
}

func Example_registry() {
	// Programs that pick a backend by name import memengine for its
	// registration and open "mem" through the engine package.
	e, err := engine.Open("mem", "", nil)
	if err != nil {
		panic(err)
	}
	defer e.Close()
	fmt.Println(e.Metrics().Backend)
	// Output: mem
}
