package btree

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// TestCheckpointWorkersSameBytes checks that checkpoints sealing pages on
// workers (OptCheckpointWorkers) write the very file the checkpoint
// writes by itself: the same history, with checkpoints only at Flush,
// gives byte-identical data files, which pass Check and hold the data.
func TestCheckpointWorkersSameBytes(t *testing.T) {
	seed := testSeed(t)
	var files [][]byte
	for _, workers := range []string{"0", "1", "3"} {
		rng := rand.New(rand.NewPCG(seed, 3))
		fs := vfs.NewMem()
		opts := testOptions(fs)
		opts.MemTableSize = 1 << 30 // checkpoints at Flush only
		opts.Extra[OptCheckpointWorkers] = workers
		db := mustOpen(t, "db", opts)
		model := map[string]string{}
		for round := 0; round < 4; round++ {
			for i := 0; i < 1500; i++ {
				k := fmt.Sprintf("key%06d", rng.IntN(4000))
				if rng.IntN(50) == 0 {
					k += string(bytes.Repeat([]byte{'k'}, 300+rng.IntN(500))) // a key in an overflow run
				}
				if rng.IntN(5) == 0 {
					must(t, "Delete", db.Delete([]byte(k), engine.WriteOptions{}))
					delete(model, k)
					continue
				}
				v := bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, rng.IntN(200))
				if rng.IntN(40) == 0 {
					v = bytes.Repeat([]byte{'v'}, 3000+rng.IntN(9000)) // overflow pages
				}
				must(t, "Set", db.Set([]byte(k), v, engine.WriteOptions{}))
				model[k] = string(v)
			}
			must(t, "Flush", db.Flush())
		}
		must(t, "Close", db.Close())
		f, err := fs.Open("db/" + DataFile)
		must(t, "Open data file", err)
		b, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<40))
		f.Close()
		must(t, "read data file", err)
		files = append(files, b)
		if err := Check(fs, "db", testOptions(fs)); err != nil {
			t.Fatalf("workers=%s: Check: %v", workers, err)
		}
		db = mustOpen(t, "db", testOptions(fs))
		var got map[string]string
		got, err = dump(db)
		must(t, "dump", err)
		if len(got) != len(model) {
			t.Fatalf("workers=%s: %d keys after reopening, want %d", workers, len(got), len(model))
		}
		for k, v := range model {
			if got[k] != v {
				t.Fatalf("workers=%s: key %.20q: value of %d bytes, want %d", workers, k, len(got[k]), len(v))
			}
		}
		must(t, "Close", db.Close())
	}
	for i := 1; i < len(files); i++ {
		if !bytes.Equal(files[0], files[i]) {
			t.Errorf("the data file differs with workers (file %d: %d bytes, inline: %d bytes)", i, len(files[i]), len(files[0]))
		}
	}
}
