package reports

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// repeatedReport builds a report of backends mem and lsm, each run twice
// (repeats 1 and 2, interleaved), with a run phase only.
func repeatedReport(t *testing.T) *Report {
	t.Helper()
	rep := NewReport("bench", []string{"-repeat", "2"}, fixedTime, fixedMachine)
	w := workloadOf(t, testWorkload)
	for k := 1; k <= 2; k++ {
		for i, b := range []string{"mem", "lsm"} {
			res := synthResult(t, w, "run", uint64(10*k+i), 1000*float64(i+k), false)
			run, err := NewRun(RunMeta{Workload: "test", Backend: b, Options: engine.DefaultOptions().String(), Repeat: k}, res)
			if err != nil {
				t.Fatal(err)
			}
			rep.Runs = append(rep.Runs, run)
		}
	}
	return rep
}

// TestRepeatNames: repeated runs of one configuration get distinct
// names, .hgrm files and plots, a repeat column in the CSV, and survive
// a JSON round trip; the by-backend table shows the median.
func TestRepeatNames(t *testing.T) {
	rep := repeatedReport(t)
	var names []string
	for i := range rep.Runs {
		names = append(names, rep.Runs[i].Name())
	}
	if got, want := strings.Join(names, " "), "test/mem/run#1 test/lsm/run#1 test/mem/run#2 test/lsm/run#2"; got != want {
		t.Errorf("names %s, want %s", got, want)
	}
	r1 := rep.Runs[0]
	r1.Repeat = 0
	if r1.Name() != "test/mem/run" || hgrmName(&r1, "read", false) != "test_mem_run_read.hgrm" || runID(&r1) != "test_mem_run" {
		t.Errorf("a run that is not repeated changed names: %s %s %s", r1.Name(), hgrmName(&r1, "read", false), runID(&r1))
	}

	fs := vfs.NewMem()
	files, err := WriteAll(fs, "out", rep, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f] {
			t.Errorf("%s written twice: one repeat overwrote another", f)
		}
		seen[f] = true
	}
	for _, want := range []string{"test_mem_run_r1_read.hgrm", "test_mem_run_r2_read.hgrm", "test_lsm_run_r2_scan.hgrm",
		"latency_test_lsm_run_r1.png", "throughput_test_mem_run_r2.svg", "backends_run.png"} {
		if !seen[want] {
			t.Errorf("%s not written", want)
		}
	}

	data, err := vfs.ReadFile(fs, "out/"+JSONFile)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeJSON(JSONFile, data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range back.Runs {
		if back.Runs[i].Repeat != rep.Runs[i].Repeat {
			t.Errorf("run %d: repeat %d after the round trip, want %d", i, back.Runs[i].Repeat, rep.Runs[i].Repeat)
		}
	}

	var buf bytes.Buffer
	if err := WriteCSV(&buf, rep); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[0][len(rows[0])-1]; got != "repeat" {
		t.Fatalf("last CSV column %q, want repeat", got)
	}
	var reps []string
	for _, row := range rows[1:] {
		if !slices.Contains(reps, row[len(row)-1]) {
			reps = append(reps, row[len(row)-1])
		}
	}
	if !slices.Equal(reps, []string{"1", "2"}) {
		t.Errorf("CSV repeat values %v, want [1 2]", reps)
	}

	_, rows2 := byBackend(rep)
	want := median([]float64{rep.Runs[1].Throughput, rep.Runs[3].Throughput})
	if got := rows2[0].vals["lsm"]; got != want {
		t.Errorf("by-backend lsm throughput %v, want the median %v", got, want)
	}
	if tbl := throughputTable(rep); !strings.Contains(tbl, "median of the repeated runs") {
		t.Errorf("table does not say it shows medians:\n%s", tbl)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1}, 2},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		in := slices.Clone(tc.in)
		if got := median(in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
		if !slices.Equal(in, tc.in) {
			t.Errorf("median reordered its input: %v", in)
		}
	}
}
