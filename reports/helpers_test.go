package reports

import (
	"flag"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/harness"
	"github.com/lightningdb/lightning/harness/measure"
	"github.com/lightningdb/lightning/harness/props"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixedMachine is the machine of golden reports.
var fixedMachine = Machine{CPUModel: "Test CPU @ 3.00GHz", Cores: 2, GOMAXPROCS: 2, GoVersion: "go1.26.0",
	OS: "linux", Arch: "amd64", Checksum: map[string]string{"crc32c": "crc32c/sse4.2", "xxh3": "xxh3/avx2"},
	Commit: "0123456789abcdef0123456789abcdef01234567"}

// fixedTime is the creation time of golden reports.
var fixedTime = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// workloadOf parses workload text with a fixed source name.
func workloadOf(t testing.TB, text string, args ...string) *props.Workload {
	t.Helper()
	s := props.New()
	if err := s.Parse("test.workload", []byte(text)); err != nil {
		t.Fatal(err)
	}
	for _, a := range args {
		if err := s.SetArg(a); err != nil {
			t.Fatal(err)
		}
	}
	w, err := s.Workload()
	if err != nil {
		t.Fatal(err)
	}
	return w
}

const testWorkload = `recordcount=1000
operationcount=5000
threadcount=2
lightning.valuesize=100
readproportion=0.5
updateproportion=0.3
scanproportion=0.2
requestdistribution=zipfian
lightning.seed=7
lightning.target.read.ops=1000
lightning.target.read.p99=20us
lightning.target.scan.ops=5000
`

// synthResult builds a deterministic harness.Result for phase ("load" or
// "run"): every op type with a nonzero proportion gets latencies drawn
// from a seeded log-normal around base ns, spread over five 1 s
// intervals; openLoop adds intended latencies.
func synthResult(t testing.TB, w *props.Workload, phase string, seed uint64, base float64, openLoop bool) *harness.Result {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	const intervals = 5
	res := &harness.Result{Phase: phase, Workload: w, Properties: w.Props.Resolved(), Seed: w.Seed,
		Threads: w.ThreadCount, OpenLoop: openLoop, IntervalLength: time.Second,
		Start: time.Date(2026, 11, 25, 11, 59, 0, 0, time.UTC), Elapsed: 5500 * time.Millisecond,
		RunTime: 5 * time.Second, Complete: true, StoppedBy: "operationcount", ClockSource: "tsc", ClockCost: 8.5,
		Metrics: engine.Metrics{Backend: "test", Checksum: "crc32c/sse4.2", Gets: 2500, Sets: 1500}}
	if openLoop {
		res.Target = 1000
	}
	ops := map[measure.Op]int{}
	if phase == "load" {
		ops[measure.Insert] = 1000
		res.StoppedBy = "inserted all"
	} else {
		for _, op := range measure.Ops() {
			ops[op] = int(math.Round(w.Proportions[op] * 5000))
		}
		res.Warmup = 500 * time.Millisecond
		res.WarmupCounts[measure.Read] = measure.Counts{OK: 40, NotFound: 2}
	}
	res.Intervals = make([]measure.Interval, intervals)
	for i := range res.Intervals {
		res.Intervals[i] = measure.Interval{Index: i, Start: time.Duration(i) * time.Second, End: time.Duration(i+1) * time.Second}
	}
	for _, op := range measure.Ops() {
		o := &res.Ops[op]
		o.Op = op
		n := ops[op]
		if n == 0 {
			o.Service = measure.NewHistogram()
			continue
		}
		o.Service = measure.NewHistogram()
		if openLoop {
			o.Intended = measure.NewHistogram()
		}
		mult := 1.0 + float64(op)*0.7
		if op == measure.Scan {
			mult = 40
		}
		for j := range n {
			iv := &res.Intervals[j*intervals/n].Ops[op]
			v := int64(base * mult * math.Exp(rng.NormFloat64()*0.6))
			status := measure.OK
			switch {
			case op == measure.Read && j%97 == 0:
				status = measure.NotFound
			case op == measure.Update && j%499 == 0:
				status = measure.Failed
			}
			switch status {
			case measure.OK:
				o.OK++
				iv.OK++
			case measure.NotFound:
				o.NotFound++
				iv.NotFound++
			default:
				o.Errors++
				iv.Errors++
			}
			o.Service.RecordValue(v)
			if iv.Service == nil {
				iv.Service = measure.NewPacked()
			}
			iv.Service.RecordValue(v)
			if openLoop {
				o.Intended.RecordValue(v + int64(rng.ExpFloat64()*base*3))
			}
		}
		if o.Errors > 0 {
			o.FirstErrors = []string{"engine: injected failure"}
		}
	}
	res.Throughput = float64(res.Total().Total()) / res.RunTime.Seconds()
	if phase == "run" {
		res.ScanRecords = uint64(ops[measure.Scan]) * 37
	}
	return res
}

// synthReport builds a report of the given backends, each with a load and
// a run phase of testWorkload.
func synthReport(t testing.TB, backends ...string) *Report {
	t.Helper()
	rep := NewReport("bench", []string{"-workloads", "test"}, fixedTime, fixedMachine)
	w := workloadOf(t, testWorkload)
	for i, b := range backends {
		for _, phase := range []string{"load", "run"} {
			res := synthResult(t, w, phase, uint64(i+1), 800*float64(i+1), false)
			res.Metrics.Backend = b
			run, err := NewRun(RunMeta{Workload: "test", Sources: []string{"test.workload"}, Backend: b,
				Options: engine.DefaultOptions().String()}, res)
			if err != nil {
				t.Fatal(err)
			}
			rep.Runs = append(rep.Runs, run)
		}
	}
	return rep
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := vfs.Default.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := vfs.WriteFileSync(vfs.Default, path, got); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := vfs.ReadFile(vfs.Default, path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// mustHist decodes l's histogram.
func mustHist(t testing.TB, l *Latency) *hdr.Histogram {
	t.Helper()
	h, err := l.Histogram()
	if err != nil {
		t.Fatal(err)
	}
	return h
}
