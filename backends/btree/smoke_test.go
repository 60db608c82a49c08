package btree

import (
	"fmt"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

func TestSmoke(t *testing.T) {
	fs := vfs.NewMem()
	opts := &engine.Options{FS: fs, MemTableSize: 64 << 10, Extra: map[string]string{OptPageSize: "4096"}}
	db, err := Open("db", opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5000; i++ {
		if err := db.Set([]byte(fmt.Sprintf("k%06d", i)), []byte(fmt.Sprintf("v%d", i)), engine.NoSync); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 5000; i += 2 {
		if err := db.Delete([]byte(fmt.Sprintf("k%06d", i)), engine.NoSync); err != nil {
			t.Fatal(err)
		}
	}
	check := func(db *DB) {
		for i := 0; i < 5000; i++ {
			v, err := db.Get([]byte(fmt.Sprintf("k%06d", i)), nil)
			if i%2 == 0 {
				if err != engine.ErrNotFound {
					t.Fatalf("%d: %q %v", i, v, err)
				}
			} else if err != nil || string(v) != fmt.Sprintf("v%d", i) {
				t.Fatalf("%d: %q %v", i, v, err)
			}
		}
		it, _ := db.NewIter(engine.IterOptions{})
		n := 0
		for ok := it.First(); ok; ok = it.Next() {
			n++
		}
		if n != 2500 || it.Close() != nil {
			t.Fatalf("iterated %d", n)
		}
	}
	check(db)
	t.Log(db.Metrics())
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := CheckWithStats(fs, "db", nil)
	t.Logf("%+v", st)
	if err != nil {
		t.Fatal(err)
	}
	db, err = Open("db", opts)
	if err != nil {
		t.Fatal(err)
	}
	check(db)
	db.Close()
}
