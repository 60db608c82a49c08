package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/harness/compare"
	"github.com/lightningdb/lightning/reports"
)

func TestBenchPlan(t *testing.T) {
	for _, tc := range []struct {
		workloads int
		backends  []string
		repeat    int
		want      string // steps as workload.backend#repeat
	}{
		{1, []string{"mem"}, 1, "0.mem#0"},
		{1, []string{"a", "b"}, 1, "0.a#0 0.b#0"},
		{1, []string{"a", "b"}, 3, "0.a#1 0.b#1 0.a#2 0.b#2 0.a#3 0.b#3"},
		{2, []string{"a", "b"}, 2, "0.a#1 0.b#1 1.a#1 1.b#1 0.a#2 0.b#2 1.a#2 1.b#2"},
		{2, []string{"x"}, 3, "0.x#1 1.x#1 0.x#2 1.x#2 0.x#3 1.x#3"},
		{3, []string{"a", "b", "c"}, 1, "0.a#0 0.b#0 0.c#0 1.a#0 1.b#0 1.c#0 2.a#0 2.b#0 2.c#0"},
	} {
		var got []string
		for _, st := range benchPlan(tc.workloads, tc.backends, tc.repeat) {
			got = append(got, fmt.Sprintf("%d.%s#%d", st.workload, st.backend, st.repeat))
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("benchPlan(%d, %v, %d) = %s, want %s", tc.workloads, tc.backends, tc.repeat, g, tc.want)
		}
	}
}

// TestBenchRepeat runs lbench bench -repeat 3 over two workloads and two
// backends: the runs are interleaved and numbered, no file of one repeat
// overwrites another's, the temporary databases are gone, and lbench
// compare reads the report as 3 samples per benchmark (ratio mode pairs
// each run with the reference's run of the same repeat).
func TestBenchRepeat(t *testing.T) {
	tmp := tempEnv(t)
	out := filepath.Join(t.TempDir(), "report")
	code, stdout, stderr := lbench(t, "bench", "-workloads", "smoke,workloadc", "-backends", "mem,null", "-repeat", "3",
		"-p", "recordcount=300", "-p", "operationcount=1000", "-p", "lightning.warmup=0", "-threads", "1",
		"-plots=false", "-out", out)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"load smoke/mem #1: 300 operations", "run workloadc/null #3: 1000 operations"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "# == smoke/null/run#2:") || !strings.Contains(stdout, "median of the repeated runs") {
		t.Errorf("summary does not name repeats or medians:\n%s", stdout)
	}
	rep := checkReportDir(t, out, 24, []string{"smoke_mem_run_r1_read.hgrm", "smoke_mem_run_r3_read.hgrm", "workloadc_null_load_r2_insert.hgrm"})
	var order []string
	for _, r := range rep.Runs {
		if r.Phase == "run" {
			order = append(order, fmt.Sprintf("%s/%s#%d", r.Workload, r.Backend, r.Repeat))
		}
	}
	want := "smoke/mem#1 smoke/null#1 workloadc/mem#1 workloadc/null#1 " +
		"smoke/mem#2 smoke/null#2 workloadc/mem#2 workloadc/null#2 " +
		"smoke/mem#3 smoke/null#3 workloadc/mem#3 workloadc/null#3"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("run order %s\nwant      %s", got, want)
	}
	names, err := vfs.Default.List(out)
	if err != nil {
		t.Fatal(err)
	}
	hgrm := 0
	for _, n := range names {
		if strings.HasSuffix(n, ".hgrm") {
			hgrm++
		}
	}
	// Per repeat: smoke load (insert) and run (5 ops), workloadc load
	// (insert) and run (read), on 2 backends.
	if want := 3 * 2 * (1 + 5 + 1 + 1); hgrm != want {
		t.Errorf("%d .hgrm files, want %d (one repeat overwrote another?)", hgrm, want)
	}
	if left, _ := vfs.Default.List(tmp); len(left) != 0 {
		t.Errorf("temporary databases not removed: %v", left)
	}

	side, err := compare.Load(vfs.Default, out)
	if err != nil {
		t.Fatal(err)
	}
	res, err := compare.Compare(side, side, &compare.Options{Reference: "mem", Metrics: []compare.Metric{compare.Throughput}})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range res.Rows {
		if row.Backend != "null" || row.Base.N != 3 || row.New.N != 3 {
			t.Errorf("%s %s %s: backend %s, %d/%d runs; want null, 3/3", row.Benchmark(), row.Op, row.Metric, row.Backend, row.Base.N, row.New.N)
		}
	}
	if len(res.Rows) == 0 {
		t.Error("no rows compared")
	}
	// Ratio mode paired each null run with the mem run of its repeat.
	for _, row := range res.Rows {
		if row.Workload != "smoke" || row.Phase != "run" || row.Op != compare.Overall {
			continue
		}
		for k := range 3 {
			var mem, null *reports.Run
			for i := range rep.Runs {
				r := &rep.Runs[i]
				if r.Workload == "smoke" && r.Phase == "run" && r.Repeat == k+1 {
					if r.Backend == "mem" {
						mem = r
					} else {
						null = r
					}
				}
			}
			if got, want := row.Base.Values[k], null.Throughput/mem.Throughput; got != want {
				t.Errorf("repeat %d: ratio %v, want %v", k+1, got, want)
			}
		}
	}
}

// TestBenchDelay runs a bench with -debug-delay: it warns on stderr,
// records the flag in the report's args, and slows only the backend it
// names: every read of the delayed run takes at least the delay (a lower
// bound the busy-wait guarantees, not a speed measurement).
func TestBenchDelay(t *testing.T) {
	tempEnv(t)
	out := filepath.Join(t.TempDir(), "report")
	code, stdout, stderr := lbench(t, "bench", "-workloads", "workloadc", "-backends", "mem,null", "-quiet",
		"-debug-delay", "null:get=20us", "-p", "recordcount=100", "-p", "operationcount=200", "-p", "lightning.warmup=0",
		"-plots=false", "-out", out)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "WARNING: -debug-delay null:get=20µs") {
		t.Errorf("no warning on stderr:\n%s", stderr)
	}
	rep := checkReportDir(t, out, 4, nil)
	if !strings.Contains(strings.Join(rep.Args, " "), "-debug-delay null:get=20us") {
		t.Errorf("report args %q lack the delay", rep.Args)
	}
	for _, r := range rep.Runs {
		o := r.Op("read")
		if r.Phase != "run" || o == nil {
			continue
		}
		if r.Backend == "null" && o.Service.MinNS < 20000 {
			t.Errorf("null read took %d ns at least, under the 20µs delay", o.Service.MinNS)
		}
	}
	// A delay naming an unknown backend is bad input.
	if code, _, stderr := lbench(t, "bench", "-debug-delay", "nosuch:get=1us"); code != exitUsage || !strings.Contains(stderr, `unknown backend "nosuch"`) {
		t.Errorf("unknown backend in -debug-delay: exit %d, %s", code, stderr)
	}
}
