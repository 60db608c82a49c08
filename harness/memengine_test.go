package harness

import (
	"context"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/memengine"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/harness/measure"
)

// TestMemEngine runs the smoke workload's load and run phases on the
// in-memory engine (on the in-memory FS): every record loaded, every
// operation counted, no errors, no misses.
func TestMemEngine(t *testing.T) {
	seed := testSeed(t)
	opts := engine.DefaultOptions()
	opts.FS = vfs.NewMem()
	db, err := memengine.Open("db", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w := workload(t, seed, "operationcount=20000")
	lres, err := Load(context.Background(), db, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, lres)
	if lres.Ops[measure.Insert].OK != uint64(w.RecordCount) {
		t.Fatalf("loaded %+v", lres.Ops[measure.Insert].Counts)
	}
	res, err := Run(context.Background(), db, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, res)
	tot := res.Total()
	if tot.Total() != 20000 || tot.Errors != 0 || tot.NotFound != 0 {
		t.Errorf("run: %+v", tot)
	}
	for op := range measure.NumOps {
		if res.Ops[op].Total() == 0 {
			t.Errorf("smoke did no %v", Op(op))
		}
	}
	if res.ScanRecords == 0 || res.Metrics.Backend == "" {
		t.Errorf("scan records %d, metrics %+v", res.ScanRecords, res.Metrics)
	}
	t.Logf("memengine smoke: load %.0f ops/s, run %.0f ops/s", lres.Throughput, res.Throughput)
}
