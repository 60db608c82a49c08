package workloads_test

import (
	"strings"
	"testing"

	"github.com/lightningdb/lightning/harness/measure"
	"github.com/lightningdb/lightning/harness/props"
	"github.com/lightningdb/lightning/workloads"
)

// TestShipped checks that every shipped workload starts with a comment
// block, resolves without error, and has the mix its name promises.
func TestShipped(t *testing.T) {
	want := map[string][measure.NumOps]float64{ // read, update, insert, scan, rmw
		"workloada":     {0.5, 0.5, 0, 0, 0},
		"workloadb":     {0.95, 0.05, 0, 0, 0},
		"workloadc":     {1, 0, 0, 0, 0},
		"workloadd":     {0.95, 0, 0.05, 0, 0},
		"workloade":     {0, 0, 0.05, 0.95, 0},
		"workloadf":     {0.5, 0, 0, 0, 0.5},
		"target-reads":  {1, 0, 0, 0, 0},
		"target-writes": {0, 0, 1, 0, 0},
		"scanheavy":     {0, 0.05, 0.05, 0.9, 0},
		"writeheavy":    {0.1, 0.4, 0.5, 0, 0},
		"smoke":         {0.4, 0.2, 0.1, 0.2, 0.1},
	}
	names := workloads.Names()
	if len(names) != len(want) {
		t.Errorf("shipped %v, want %d workloads", names, len(want))
	}
	for _, name := range names {
		data, err := workloads.Read(name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), "# ") {
			t.Errorf("%s: does not start with a comment block", name)
		}
		s := props.New()
		if err := s.Parse(name, data); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		w, err := s.Workload()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if w.Proportions != want[name] {
			t.Errorf("%s: proportions %v, want %v", name, w.Proportions, want[name])
		}
		if w.OperationCount == 0 && w.MaxExecutionTime == 0 {
			t.Errorf("%s: the run phase would never end", name)
		}
		if name != "smoke" && (w.RecordCount != 1000000 || w.ValueSize != 100) {
			t.Errorf("%s: not the reference configuration: %d records of %d bytes", name, w.RecordCount, w.ValueSize)
		}
	}
	wantDist := map[string]string{"workloada": "zipfian", "workloadb": "zipfian", "workloadc": "zipfian",
		"workloadd": "latest", "workloade": "zipfian", "workloadf": "zipfian"}
	for name, dist := range wantDist {
		s := props.New()
		data, _ := workloads.Read(name)
		if err := s.Parse(name, data); err != nil {
			t.Fatal(err)
		}
		w, _ := s.Workload()
		if w.RequestDistribution != dist {
			t.Errorf("%s: requestdistribution %s, want %s", name, w.RequestDistribution, dist)
		}
		if name == "workloade" && (w.MaxScanLength != 100 || w.ScanLengthDistribution != "uniform") {
			t.Errorf("workloade: scans %d %s", w.MaxScanLength, w.ScanLengthDistribution)
		}
	}
	for name, tgt := range map[string]string{"target-reads": "read ops >= 14400000/s", "target-writes": "insert ops >= 356000/s"} {
		s := props.New()
		data, _ := workloads.Read(name)
		_ = s.Parse(name, data)
		w, _ := s.Workload()
		if len(w.Targets) != 1 || w.Targets[0].String() != tgt {
			t.Errorf("%s: targets %v, want %s", name, w.Targets, tgt)
		}
	}
}
