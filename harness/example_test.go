package harness_test

import (
	"context"
	"fmt"

	"github.com/lightningdb/lightning/harness"
	"github.com/lightningdb/lightning/harness/measure"
	"github.com/lightningdb/lightning/harness/nullengine"
	"github.com/lightningdb/lightning/harness/props"
	"github.com/lightningdb/lightning/workloads"
)

// Load and run the shipped smoke workload, as lbench does with
// "-P smoke -p lightning.seed=1", against the null engine.
func Example() {
	set, err := props.Load(nil, workloads.FS, []string{"smoke"}, []string{"lightning.seed=1"})
	if err != nil {
		fmt.Println(err) // lbench exits 2 here
		return
	}
	w, err := set.Workload()
	if err != nil {
		fmt.Println(err)
		return
	}
	eng := nullengine.New()
	load, err := harness.Load(context.Background(), eng, w, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	run, err := harness.Run(context.Background(), eng, w, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("loaded", load.Ops[measure.Insert].OK, "records")
	fmt.Println("ran", run.Total().Total(), "operations, stopped by", run.StoppedBy)
	fmt.Println("reads recorded:", run.Ops[measure.Read].Service.TotalCount() == int64(run.Ops[measure.Read].Total()))
	// Output:
	// loaded 10000 records
	// ran 100000 operations, stopped by operationcount
	// reads recorded: true
}
