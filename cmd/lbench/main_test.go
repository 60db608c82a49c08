package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"image"
	_ "image/png"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/harness"
	"github.com/lightningdb/lightning/harness/measure"
	"github.com/lightningdb/lightning/reports"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// lbench runs the CLI with args, a fixed clock and a short status
// period, and returns its exit code, stdout and stderr.
func lbench(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{ctx: context.Background(), stdout: &stdout, stderr: &stderr,
		now: func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }, statusEvery: 50 * time.Millisecond}
	code := e.main(args)
	return code, stdout.String(), stderr.String()
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := vfs.WriteFileSync(vfs.Default, path, []byte(got)); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := vfs.ReadFile(vfs.Default, path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// tempEnv points the temporary directory at a fresh test directory, so
// tests see what lbench leaves in it.
func tempEnv(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return dir
}

func TestList(t *testing.T) {
	code, stdout, stderr := lbench(t, "list")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	golden(t, "list.txt", stdout)
	for _, s := range []string{"backends", "workloads", "properties"} {
		code, out, _ := lbench(t, "list", s)
		if code != exitOK || !strings.Contains(stdout, out) {
			t.Errorf("list %s: exit %d, output not part of the full listing:\n%s", s, code, out)
		}
	}
	code, stdout, _ = lbench(t, "help")
	if code != exitOK || !strings.Contains(stdout, "Usage: lbench <command>") {
		t.Errorf("help: exit %d:\n%s", code, stdout)
	}
	for _, c := range commands {
		code, stdout, stderr := lbench(t, c.name, "-h")
		if code != exitOK || stdout != "" || !strings.HasPrefix(stderr, "Usage: lbench "+c.name) {
			t.Errorf("%s -h: exit %d, stdout %q, stderr:\n%s", c.name, code, stdout, stderr)
		}
	}
}

// TestBadInput runs lbench on bad input: every case exits 2 with a
// message naming the problem, pinned in testdata/badinput.txt.
func TestBadInput(t *testing.T) {
	tmp := tempEnv(t)
	cases := [][]string{
		{},
		{"frobnicate"},
		{"bench", "-frob"},
		{"load", "-threads", "many"},
		{"plot", "-out"},
		{"bench", "-backends", "nosuch", "-quiet"},
		{"bench", "-backends", "mem,mem"},
		{"bench", "-workloads", "smoke,smoke"},
		{"bench", "-workloads", "nosuchworkload"},
		{"bench", "-p", "readproportion=x"},
		{"bench", "-p", "recordcont=10"},
		{"bench", "-p", "readproportion=0.9"},
		{"bench", "-p", "lightning.option.cache_size=lots"},
		{"bench", "-p", "lightning.target.read.ops=fast"},
		{"bench", "-threads", "-1"},
		{"bench", "-workloads", "testdata/bad.workload"},
		{"bench", "extra"},
		{"bench", "-repeat", "0"},
		{"bench", "-repeat", "1001"},
		{"bench", "-debug-delay", "get"},
		{"bench", "-debug-delay", "read=1us"},
		{"run", "-P", "smoke", "-debug-delay", "nosuch:get=1us"},
		{"load"},
		{"load", "-P", "smoke", "-backend", "nosuch"},
		{"run", "-P", "smoke", "-p", "operationcount=0", "-p", "maxexecutiontime=0"},
		{"plot"},
		{"plot", "testdata/nosuch.json"},
		{"plot", "testdata/corrupt.json"},
		{"plot", "testdata/other.json"},
		{"plot", "testdata/corrupt.hgrm"},
		{"plot", "testdata/nosuch.hgrm"},
		{"plot", "-hgrm-unit", "furlongs", "testdata/corrupt.hgrm"},
		{"list", "nosuch"},
	}
	var sb strings.Builder
	for _, args := range cases {
		code, stdout, stderr := lbench(t, args...)
		if code != exitUsage {
			t.Errorf("lbench %s: exit %d, want %d; stderr:\n%s", strings.Join(args, " "), code, exitUsage, stderr)
		}
		if stdout != "" {
			t.Errorf("lbench %s: wrote to stdout:\n%s", strings.Join(args, " "), stdout)
		}
		if !strings.Contains(stderr, "lbench") {
			t.Errorf("lbench %s: stderr does not say who is talking:\n%s", strings.Join(args, " "), stderr)
		}
		if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
			t.Errorf("lbench %s panicked:\n%s", strings.Join(args, " "), stderr)
		}
		// The general usage after an unknown command is pinned once.
		if i := strings.Index(stderr, "Usage: lbench "); i > 0 && len(args) > 0 {
			stderr = stderr[:i] + "<usage>\n"
		}
		sb.WriteString("$ lbench " + strings.Join(args, " ") + "\n" + stderr + "exit " + strconv.Itoa(code) + "\n\n")
	}
	golden(t, "badinput.txt", sb.String())
	if left, _ := vfs.Default.List(tmp); len(left) != 0 {
		t.Errorf("bad input left files in the temporary directory: %v", left)
	}
}

// TestBenchSmoke runs the default bench, cut down, and opens every file
// it writes; the temporary database is gone afterwards.
func TestBenchSmoke(t *testing.T) {
	tmp := tempEnv(t)
	out := filepath.Join(t.TempDir(), "report")
	code, stdout, stderr := lbench(t, "bench", "-p", "recordcount=2000", "-p", "operationcount=20000", "-out", out)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"[OVERALL], Throughput(ops/sec)", "[READ-MODIFY-WRITE], 99thPercentileLatency(us)",
		"report written to " + out + " (summary.txt, report.json, timeseries.csv, bench.txt, *.hgrm, *.png, *.svg"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, want := range []string{"load smoke/mem: 2000 operations", "run smoke/mem: 20000 operations"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	checkReportDir(t, out, 2, []string{"latency_smoke_mem_run.png", "throughput_smoke_mem_load.svg", "smoke_mem_run_scan.hgrm"})
	if left, _ := vfs.Default.List(tmp); len(left) != 0 {
		t.Errorf("temporary database not removed: %v", left)
	}
	summary, err := vfs.ReadFile(vfs.Default, filepath.Join(out, reports.SummaryFile))
	if err != nil || !strings.HasPrefix(stdout, string(summary)) {
		t.Errorf("summary.txt is not what stdout shows (%v)", err)
	}

	// plot redraws from the folder and from .hgrm files; the same report
	// twice is drawn as two backends, "mem" and "mem-2".
	replot := filepath.Join(t.TempDir(), "replot")
	code, stdout, stderr = lbench(t, "plot", "-out", replot, out, filepath.Join(out, reports.JSONFile),
		filepath.Join(out, "smoke_mem_run_read.hgrm"))
	if code != exitOK {
		t.Fatalf("plot: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, f := range []string{"latency_smoke_mem_run.png", "throughput_smoke_mem-2_run.png", "backends_run.png",
		"latency_smoke_run_read_backends.svg", "latency_hgrm.png", "latency_hgrm.svg"} {
		if !strings.Contains(stdout, "  "+f+"\n") {
			t.Errorf("plot did not write %s:\n%s", f, stdout)
		}
		if _, err := vfs.Default.Stat(filepath.Join(replot, f)); err != nil {
			t.Error(err)
		}
	}
}

// checkReportDir opens the files of a report folder: the JSON decodes
// with runs runs, every .hgrm parses, every PNG decodes, the CSV and the
// benchmark lines have rows, and the named files exist.
func checkReportDir(t *testing.T, dir string, runs int, want []string) *reports.Report {
	t.Helper()
	rep, err := reports.ReadJSON(vfs.Default, filepath.Join(dir, reports.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != runs {
		t.Fatalf("report has %d runs, want %d", len(rep.Runs), runs)
	}
	names, err := vfs.Default.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range append([]string{reports.SummaryFile, reports.CSVFile, reports.BenchFile}, want...) {
		if !slices.Contains(names, w) {
			t.Errorf("%s not written (have %v)", w, names)
		}
	}
	for _, n := range names {
		data, err := vfs.ReadFile(vfs.Default, filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(n) {
		case ".hgrm":
			if _, err := reports.ParseHgrm(n, data); err != nil {
				t.Error(err)
			}
		case ".png":
			img, _, err := image.Decode(bytes.NewReader(data))
			if err != nil {
				t.Errorf("%s: %v", n, err)
			} else if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 480 {
				t.Errorf("%s: %dx%d", n, b.Dx(), b.Dy())
			}
		case ".csv":
			rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
			if err != nil || len(rows) < 2 {
				t.Errorf("%s: %d rows, %v", n, len(rows), err)
			}
		case ".txt":
			if n == reports.BenchFile && !strings.Contains(string(data), "\nBenchmarkYCSB/") {
				t.Errorf("%s has no benchmark lines", n)
			}
		}
	}
	return rep
}

// TestBenchBackends runs two workloads on two backends: four runs each
// with a load and a run phase, the comparison plots, the table.
func TestBenchBackends(t *testing.T) {
	tempEnv(t)
	out := filepath.Join(t.TempDir(), "report")
	args := []string{"bench", "-workloads", "smoke,workloadc", "-backends", "mem,null",
		"-p", "recordcount=1000", "-p", "operationcount=5000", "-p", "lightning.warmup=0", "-threads", "1", "-out", out, "-quiet"}
	plots := []string{"backends_run.png", "backends_load.svg",
		"latency_workloadc_run_read_backends.png", "throughput_smoke_run_backends.png"}
	if testing.Short() { // TestBenchSmoke's replot draws comparison plots too
		args, plots = append(args, "-plots=false"), nil
	}
	code, stdout, stderr := lbench(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if stderr != "" {
		t.Errorf("-quiet wrote to stderr:\n%s", stderr)
	}
	if !strings.Contains(stdout, "# throughput by backend (ops/s)") {
		t.Errorf("no backend table:\n%s", stdout)
	}
	rep := checkReportDir(t, out, 8, plots)
	var order []string
	for _, r := range rep.Runs {
		order = append(order, r.Name())
		if r.Threads != 1 {
			t.Errorf("%s ran with %d threads, -threads 1", r.Name(), r.Threads)
		}
	}
	want := "smoke/mem/load smoke/mem/run smoke/null/load smoke/null/run workloadc/mem/load workloadc/mem/run workloadc/null/load workloadc/null/run"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("runs %s, want %s", got, want)
	}
}

// TestCheck: -check exits 1 on a failed target, 0 when targets pass;
// without -check a failed target is reported and the exit is 0.
func TestCheck(t *testing.T) {
	tempEnv(t)
	base := []string{"bench", "-p", "recordcount=1000", "-p", "operationcount=2000", "-plots=false", "-quiet"}
	for _, tc := range []struct {
		target string
		check  bool
		code   int
		want   string
	}{
		{"lightning.target.read.ops=1e12", true, exitFail, "FAIL"},
		{"lightning.target.read.ops=1e12", false, exitOK, "FAIL"},
		{"lightning.target.read.ops=1", true, exitOK, "PASS"},
		{"lightning.target.overall.p50=1m", true, exitOK, "PASS"},
		{"lightning.target.insert.p99=1ns", true, exitFail, "FAIL"},
		{"lightning.target.scan.ops=1e12", true, exitFail, "FAIL"},
	} {
		args := append(append([]string(nil), base...), "-p", tc.target, "-out", t.TempDir())
		if tc.check {
			args = append(args, "--check") // Go's flag package takes one or two dashes
		}
		code, stdout, stderr := lbench(t, args...)
		if code != tc.code {
			t.Errorf("%s check=%v: exit %d, want %d\n%s", tc.target, tc.check, code, tc.code, stderr)
		}
		if !strings.Contains(stdout, "[TARGET], ") || !strings.Contains(stdout, ", "+tc.want+"\n") {
			t.Errorf("%s: no %s target line:\n%s", tc.target, tc.want, stdout)
		}
		if tc.code == exitFail && !strings.Contains(stderr, "-check failed:") {
			t.Errorf("%s: stderr does not explain the failure:\n%s", tc.target, stderr)
		}
	}
}

// TestLoadRun runs load and run as separate commands on a kept database.
func TestLoadRun(t *testing.T) {
	tmp := tempEnv(t)
	db := filepath.Join(t.TempDir(), "db")
	out := t.TempDir()
	args := []string{"-P", "smoke", "-p", "recordcount=1000", "-p", "operationcount=3000", "-dir", db, "-plots=false"}
	code, stdout, stderr := lbench(t, append([]string{"load", "-out", filepath.Join(out, "load")}, args...)...)
	if code != exitOK || !strings.Contains(stdout, "[INSERT], Operations, 1000\n") {
		t.Fatalf("load: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = lbench(t, append([]string{"run", "-out", filepath.Join(out, "run")}, args...)...)
	if code != exitOK || !strings.Contains(stdout, "[READ], Operations") || strings.Contains(stderr, "note: no -dir") {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
	}
	checkReportDir(t, filepath.Join(out, "run"), 1, []string{"smoke_mem_run_read.hgrm"})
	if _, err := vfs.Default.Stat(db); err != nil {
		t.Errorf("-dir removed: %v", err)
	}
	// run without -dir notes the empty database; -keep keeps it.
	code, _, stderr = lbench(t, "run", "-P", "smoke", "-p", "recordcount=100", "-p", "operationcount=500", "-keep",
		"-plots=false", "-out", filepath.Join(out, "run2"))
	if code != exitOK || !strings.Contains(stderr, "note: no -dir") || !strings.Contains(stderr, "database kept in "+tmp) {
		t.Errorf("run without -dir: exit %d\n%s", code, stderr)
	}
	if left, _ := vfs.Default.List(tmp); len(left) != 1 {
		t.Errorf("-keep: temporary directory holds %v", left)
	}
}

// TestStatusLines: the status line appears every period during a long
// enough phase, on a non-terminal as plain lines.
func TestStatusLines(t *testing.T) {
	tempEnv(t)
	code, _, stderr := lbench(t, "bench", "-backends", "null", "-p", "recordcount=1000", "-p", "operationcount=0",
		"-p", "maxexecutiontime=1", "-plots=false", "-out", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	n := strings.Count(stderr, "run smoke/null ")
	if n < 3 || !strings.Contains(stderr, "| READ ") || strings.Contains(stderr, "\r") {
		t.Errorf("%d status lines:\n%s", n, stderr)
	}
}

// TestInterrupt: an interrupt (a canceled context) stops the phase; the
// report holds what ran, the exit code is 1, the database is removed.
func TestInterrupt(t *testing.T) {
	tmp := tempEnv(t)
	for _, cmd := range []string{"bench", "run"} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		var stdout, stderr bytes.Buffer
		e := &env{ctx: ctx, stdout: &stdout, stderr: &stderr, now: time.Now, statusEvery: time.Second}
		out := filepath.Join(t.TempDir(), "report")
		args := []string{cmd, "-p", "recordcount=1000", "-p", "operationcount=0", "-p", "maxexecutiontime=60",
			"-plots=false", "-quiet", "-out", out}
		if cmd == "run" {
			args = append(args, "-P", "smoke")
		} else {
			args = append(args, "-backends", "null")
		}
		code := e.main(args)
		cancel()
		if code != exitFail || !strings.Contains(stderr.String(), "interrupted") {
			t.Errorf("%s: exit %d, stderr:\n%s", cmd, code, stderr.String())
		}
		rep := checkReportDir(t, out, map[string]int{"bench": 2, "run": 1}[cmd], nil)
		if last := rep.Runs[len(rep.Runs)-1]; last.Complete || last.StoppedBy != "canceled" {
			t.Errorf("%s: last run complete=%v stopped by %q", cmd, last.Complete, last.StoppedBy)
		}
	}
	if left, _ := vfs.Default.List(tmp); len(left) != 0 {
		t.Errorf("temporary database not removed: %v", left)
	}
}

func TestFormatStatus(t *testing.T) {
	var ops [measure.NumOps]harness.OpStatus
	ops[measure.Read] = harness.OpStatus{OpsPerSec: 32100, P50: 1234, P99: 56789}
	ops[measure.Update] = harness.OpStatus{OpsPerSec: 1500}
	for _, tc := range []struct {
		name string
		s    harness.Status
		bar  bool
		want string
	}{
		{"load bar", harness.Status{Phase: "load", Elapsed: 4 * time.Second, Done: 4500, Total: 10000, OpsPerSec: 123400}, true,
			"load w/b [##########..............]  45% 4500/10000 123.4k ops/s 4s"},
		{"load plain", harness.Status{Phase: "load", Elapsed: 4 * time.Second, Done: 4500, Total: 10000, OpsPerSec: 123400}, false,
			"load w/b  45% 4500/10000 123.4k ops/s 4s"},
		{"run", harness.Status{Phase: "run", Elapsed: 3 * time.Second, OpsPerSec: 33600, Ops: ops}, false,
			"load w/b 3s 33.6k ops/s | READ 32.1k/s p50 1.23µs p99 56.8µs | UPDATE 1.5k/s"},
		{"warm-up", harness.Status{Phase: "run", Elapsed: time.Second, Warmup: true, OpsPerSec: 12}, false,
			"load w/b 1s 12 ops/s (warm-up)"},
	} {
		if got := formatStatus("load w/b", tc.s, tc.bar); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestClipRunes(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{{"abcdef", 3, "abc"}, {"aµcdef", 2, "aµ"}, {"abc", 10, "abc"}, {"abc", 0, "abc"}, {"abc", -1, "abc"}, {"", 2, ""}} {
		if got := clipRunes(tc.s, tc.n); got != tc.want {
			t.Errorf("clipRunes(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

func TestRemoveAll(t *testing.T) {
	fs := vfs.NewMem()
	for _, d := range []string{"a/b/c", "a/d"} {
		if err := fs.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"a/x", "a/b/y", "a/b/c/z"} {
		if err := vfs.WriteFileSync(fs, f, []byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := removeAll(fs, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat("a"); !vfs.IsNotExist(err) {
		t.Errorf("a still there: %v", err)
	}
	if err := removeAll(fs, "nothing"); err != nil {
		t.Errorf("removeAll of a missing path: %v", err)
	}
}

// TestCPUProfile: -cpuprofile writes a profile (gzip-compressed, as
// runtime/pprof writes them) of the whole command.
func TestCPUProfile(t *testing.T) {
	tempEnv(t)
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	code, stdout, stderr := lbench(t, "bench", "-quiet", "-plots=false", "-p", "recordcount=2000", "-p", "operationcount=20000",
		"-out", filepath.Join(t.TempDir(), "report"), "-cpuprofile", prof)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	b, err := vfs.ReadFile(vfs.Default, prof)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("%s is no gzip-compressed profile (%d bytes)", prof, len(b))
	}
	code, _, stderr = lbench(t, "bench", "-quiet", "-cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.prof"))
	if code == exitOK || !strings.Contains(stderr, "-cpuprofile") {
		t.Errorf("an unwritable -cpuprofile: exit %d, stderr:\n%s", code, stderr)
	}
}
