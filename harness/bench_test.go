package harness

import (
	"context"
	"fmt"
	"testing"

	"github.com/lightningdb/lightning/harness/nullengine"
	"github.com/lightningdb/lightning/harness/props"
)

// BenchmarkNullEngine measures the driver's ceiling: workload C's shape
// (100% reads, scrambled zipfian keys over 1M records, YCSB keys) against
// an engine that does nothing, every operation timed and recorded. It
// reports ops/s over all threads (wall clock) and the CPU time per
// operation, with the rate that implies when each thread has a core to
// itself: the driver must reach 30M ops/s on 2 threads on the reference
// 2-core machine, i.e. at most about 66 CPU-ns per operation.
func BenchmarkNullEngine(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			s := props.New()
			for _, kv := range []string{"recordcount=1000000", "readproportion=1", "updateproportion=0",
				"requestdistribution=zipfian", "lightning.valuesize=100", "lightning.seed=1",
				fmt.Sprintf("threadcount=%d", threads), fmt.Sprintf("operationcount=%d", max(b.N, threads))} {
				if err := s.SetArg(kv); err != nil {
					b.Fatal(err)
				}
			}
			w, err := s.Workload()
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu0 := cpuTime()
			res, err := Run(context.Background(), nullengine.New(), w, nil)
			if err != nil {
				b.Fatal(err)
			}
			cpu := cpuTime() - cpu0
			b.StopTimer()
			b.ReportMetric(res.Throughput, "ops/s")
			if cpu > 0 {
				// CPU time per operation, and the rate that implies with
				// each thread on a core of its own.
				perOp := float64(cpu) / float64(max(b.N, threads))
				b.ReportMetric(perOp, "cpu-ns/op")
				b.ReportMetric(1e9/perOp*float64(threads), "ops/s-if-cores-free")
			}
			if got := res.Total().Total(); got != uint64(max(b.N, threads)) {
				b.Fatalf("ran %d ops, want %d", got, b.N)
			}
		})
	}
}
