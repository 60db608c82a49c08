package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/harness/measure"
)

var seedFlag = flag.Uint64("seed", 0, "seed of the randomized tests (0: from the clock)")

func testSeed(t *testing.T) uint64 {
	s := *seedFlag
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -seed=%d)", s, s)
	return s
}

func TestSummaryGolden(t *testing.T) {
	for _, tc := range []struct {
		name     string
		backends []string
	}{{"summary_one.txt", []string{"mem"}}, {"summary_three.txt", []string{"mem", "lsm", "btree"}}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSummary(&buf, synthReport(t, tc.backends...)); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, buf.Bytes())
		})
	}
}

// openLoopReport is a report of one open-loop run.
func openLoopReport(t *testing.T) *Report {
	rep := NewReport("run", []string{"-P", "test"}, fixedTime, fixedMachine)
	w := workloadOf(t, testWorkload, "target=1000", "lightning.target.overall.p99.9=1ms")
	res := synthResult(t, w, "run", 9, 1000, true)
	run, err := NewRun(RunMeta{Workload: "test", Sources: []string{"test.workload"}, Backend: "mem",
		Options: engine.DefaultOptions().String()}, res)
	if err != nil {
		t.Fatal(err)
	}
	rep.Runs = append(rep.Runs, run)
	return rep
}

func TestSummaryOpenLoopGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, openLoopReport(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary_openloop.txt", buf.Bytes())
	for _, want := range []string{"[Intended-READ], 99thPercentileLatency(us)", "open loop at 1000 ops/s",
		"[TARGET], overall p99.9 <= 1ms"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("summary lacks %q", want)
		}
	}
}

// hdrField matches the histogram encodings in JSON, which depend on the
// zlib implementation: the golden file holds a placeholder.
var hdrField = regexp.MustCompile(`"hdr": "[^"]*"`)

func TestJSONGolden(t *testing.T) {
	rep := synthReport(t, "mem")
	var buf bytes.Buffer
	if err := WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json", hdrField.ReplaceAll(buf.Bytes(), []byte(`"hdr": "<encoded histogram>"`)))
}

func TestJSONRoundTrip(t *testing.T) {
	for _, rep := range []*Report{synthReport(t, "mem", "lsm"), openLoopReport(t)} {
		var buf bytes.Buffer
		if err := WriteJSON(&buf, rep); err != nil {
			t.Fatal(err)
		}
		got, err := DecodeJSON("report.json", buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		var again bytes.Buffer
		if err := WriteJSON(&again, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), again.Bytes()) {
			t.Fatal("report changed through DecodeJSON and WriteJSON")
		}
		for i := range rep.Runs {
			for j := range rep.Runs[i].Ops {
				want, have := &rep.Runs[i].Ops[j], &got.Runs[i].Ops[j]
				if !mustHist(t, want.Service).Equals(mustHist(t, have.Service)) {
					t.Errorf("%s %s: service histogram changed", rep.Runs[i].Name(), want.Op)
				}
				if want.Intended != nil && !mustHist(t, want.Intended).Equals(mustHist(t, have.Intended)) {
					t.Errorf("%s %s: intended histogram changed", rep.Runs[i].Name(), want.Op)
				}
			}
		}
	}
}

// TestLatencyRandom checks that NewLatency's summary matches the
// histogram and survives encoding, for random latency distributions.
func TestLatencyRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 2))
	n := 200
	if testing.Short() {
		n = 20
	}
	for range n {
		h := measure.NewHistogram()
		count := 1 + rng.IntN(5000)
		scale := math.Pow(10, 1+rng.Float64()*8)
		for range count {
			h.RecordValue(min(int64(scale*math.Exp(rng.NormFloat64())), measure.HighestNS))
		}
		l, err := NewLatency(h)
		if err != nil {
			t.Fatal(err)
		}
		if l.Count != int64(count) || l.MinNS != h.Min() || l.MaxNS != h.Max() || l.P99NS != h.ValueAtPercentile(99) {
			t.Fatalf("summary %+v does not match the histogram", l)
		}
		if !(l.MinNS <= l.P50NS && l.P50NS <= l.P90NS && l.P90NS <= l.P95NS && l.P95NS <= l.P99NS &&
			l.P99NS <= l.P999NS && l.P999NS <= l.P9999NS && l.P9999NS <= l.P99999NS && l.P99999NS <= l.MaxNS) {
			t.Fatalf("percentiles out of order: %+v", l)
		}
		back, err := decodeHDR(l.HDR)
		if err != nil {
			t.Fatal(err)
		}
		if !back.Equals(h) {
			t.Fatal("histogram changed through its encoding")
		}
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, synthReport(t, "mem")); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	// other histogram geometry, same values
	other := hdr.New(1, 1000, 2)
	other.RecordValue(5)
	otherEnc, _ := other.Encode(hdr.V2CompressedEncodingCookieBase)
	firstHDR := hdrField.FindString(good)
	for _, tc := range []struct {
		name    string
		data    string
		corrupt bool // else ErrSchema
	}{
		{"empty", "", true},
		{"truncated", good[:len(good)/2], true},
		{"not an object", "[1,2]", true},
		{"no schema", `{"runs": []}`, false},
		{"other schema", `{"schema": "lightning.lbench.report/v2", "runs": []}`, false},
		{"wrong type", strings.Replace(good, `"threads": 2`, `"threads": "two"`, 1), true},
		{"trailing data", good + "{}", true},
		{"bad hdr base64", strings.Replace(good, firstHDR, `"hdr": "!!!"`, 1), true},
		{"empty hdr", strings.Replace(good, firstHDR, `"hdr": ""`, 1), true},
		{"other geometry", strings.Replace(good, firstHDR, `"hdr": "`+string(otherEnc)+`"`, 1), true},
		{"count mismatch", strings.Replace(good, `"count": 1000,`, `"count": 999,`, 1), true},
		{"unknown op", strings.Replace(good, `"op": "insert",`, `"op": "frobnicate",`, 1), true},
		{"bad phase", strings.Replace(good, `"phase": "load"`, `"phase": "warp"`, 1), true},
		{"no service", strings.Replace(good, `"service": {`, `"service": null, "x": {`, 1), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.data == good {
				t.Fatal("test case does not change the report")
			}
			_, err := DecodeJSON("r.json", []byte(tc.data))
			if err == nil {
				t.Fatal("no error")
			}
			if tc.corrupt != errors.Is(err, engine.ErrCorruption) || !tc.corrupt != errors.Is(err, ErrSchema) {
				t.Fatalf("error %v: corruption=%v schema=%v, want corruption=%v", err,
					errors.Is(err, engine.ErrCorruption), errors.Is(err, ErrSchema), tc.corrupt)
			}
			if !strings.Contains(err.Error(), "r.json") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestNewRunFields(t *testing.T) {
	rep := synthReport(t, "mem")
	load, run := &rep.Runs[0], &rep.Runs[1]
	if load.Phase != "load" || run.Phase != "run" {
		t.Fatalf("phases %s, %s", load.Phase, run.Phase)
	}
	if len(load.Ops) != 1 || load.Ops[0].Op != "insert" || load.Operations != 1000 {
		t.Fatalf("load ops %+v", load.Ops)
	}
	var names []string
	var total uint64
	for _, o := range run.Ops {
		names = append(names, o.Op)
		total += o.Operations
		if o.Operations != o.Counts.Total() || o.Service.Count != int64(o.Operations) {
			t.Errorf("%s: operations %d, counts %+v, histogram %d", o.Op, o.Operations, o.Counts, o.Service.Count)
		}
	}
	if strings.Join(names, ",") != "read,update,scan" || total != run.Operations {
		t.Fatalf("run ops %v, total %d of %d", names, total, run.Operations)
	}
	if len(run.Intervals) != 5 {
		t.Fatalf("%d intervals", len(run.Intervals))
	}
	for _, iv := range run.Intervals {
		last := iv.Ops[len(iv.Ops)-1]
		var sum uint64
		for _, o := range iv.Ops[:len(iv.Ops)-1] {
			sum += o.Operations
		}
		if last.Op != Overall || last.Operations != sum || last.Throughput != float64(sum) {
			t.Errorf("interval %d overall %+v, sum %d", iv.Index, last, sum)
		}
		if last.P50NS == 0 || last.P99NS < last.P50NS || last.MaxNS < last.P999NS {
			t.Errorf("interval %d overall percentiles %+v", iv.Index, last)
		}
	}
	// The digest ignores the seed and targets, not the options.
	w2 := workloadOf(t, testWorkload, "lightning.seed=99", "lightning.target.read.ops=1")
	r2, err := NewRun(RunMeta{Workload: "test", Backend: "mem", Options: engine.DefaultOptions().String()},
		synthResult(t, w2, "run", 1, 800, false))
	if err != nil {
		t.Fatal(err)
	}
	if r2.Config != run.Config {
		t.Errorf("seed or target changed the config digest: %s vs %s", r2.Config, run.Config)
	}
	if d := ConfigDigest("mem", "run", 2, "other options", run.Properties); d == run.Config {
		t.Error("options did not change the config digest")
	}
	if _, err := NewRun(RunMeta{}, nil); err == nil {
		t.Error("NewRun(nil) did not fail")
	}
}

func TestWorkloadName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"workloada", "workloada"},
		{"builtin:smoke", "smoke"},
		{"/home/me/work/my.workload", "my"},
		{`C:\w\ycsb\workloadb`, "workloadb"},
		{"conf/with space.props", "with-space"},
		{"a/b/.hidden", ".hidden"},
		{"..", "workload"},
		{"", "workload"},
		{"ünïcode", "-n-code"},
	} {
		if got := WorkloadName(tc.in); got != tc.want {
			t.Errorf("WorkloadName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseCPUModel(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"x86", "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n\nprocessor\t: 1\nmodel name\t: Other\n", "Intel(R) Xeon(R) CPU @ 2.20GHz"},
		{"arm hardware", "processor\t: 0\nBogoMIPS\t: 50.00\nHardware\t: BCM2835\n", "BCM2835"},
		{"mips", "system type\t\t: X\ncpu model\t\t: MIPS 24Kc V7.4\n", "MIPS 24Kc V7.4"},
		{"empty model", "model name\t:\nHardware\t: Y\n", "Y"},
		{"nothing", "processor\t: 0\n", ""},
		{"garbage", "\x00\xff no colon", ""},
	} {
		if got := ParseCPUModel(tc.in); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCollectMachine(t *testing.T) {
	m := CollectMachine(nil)
	if m.Cores < 1 || m.GOMAXPROCS < 1 || m.GoVersion == "" || m.OS == "" || m.Arch == "" {
		t.Fatalf("machine %+v", m)
	}
	if m.Checksum["crc32c"] == "" || m.Checksum["xxh3"] == "" {
		t.Fatalf("checksum implementations %v", m.Checksum)
	}
	t.Logf("%s; checksum %v; commit %q", m, m.Checksum, m.Commit)
}

func TestCheckTargets(t *testing.T) {
	w := workloadOf(t, testWorkload, "lightning.target.insert.ops=100", "lightning.target.overall.p50=1s",
		"lightning.target.update.p99=1ns")
	load := CheckTargets(synthResult(t, w, "load", 1, 800, false))
	run := CheckTargets(synthResult(t, w, "run", 1, 800, false))
	verdicts := func(ts []TargetReport) string {
		var s []string
		for _, tr := range ts {
			s = append(s, tr.Op+"."+tr.Metric+"="+tr.Verdict())
		}
		return strings.Join(s, " ")
	}
	// load: only insert and overall targets apply.
	if got, want := verdicts(load), "insert.ops=PASS overall.p50=PASS"; got != want {
		t.Errorf("load targets %s, want %s", got, want)
	}
	// run: read 500 ops/s < 1000 FAIL; read p99 20us vs ~4us PASS; scan
	// 200 ops/s < 5000 FAIL; no insert in the run FAIL with a note;
	// overall p50 PASS; update p99 <= 1ns FAIL.
	if got, want := verdicts(run), "insert.ops=FAIL overall.p50=PASS read.ops=FAIL read.p99=PASS scan.ops=FAIL update.p99=FAIL"; got != want {
		t.Errorf("run targets %s, want %s", got, want)
	}
	for _, tr := range run {
		switch {
		case tr.Op == "insert":
			if tr.Note == "" || !strings.Contains(tr.MeasuredText(), "no insert operations") {
				t.Errorf("insert target without a note: %+v", tr)
			}
		case tr.Op == "read" && tr.Metric == "ops":
			if tr.Measured != 500 || tr.Ratio != 0.5 || tr.Want != 1000 || tr.Target() != "read ops >= 1000/s" {
				t.Errorf("read ops target %+v (%s)", tr, tr.Target())
			}
		case tr.Op == "read" && tr.Metric == "p99":
			if tr.Want != 20e3 || tr.Ratio != tr.Want/tr.Measured || tr.Target() != "read p99 <= 20µs" {
				t.Errorf("read p99 target %+v (%s)", tr, tr.Target())
			}
		}
	}
	if CheckTargets(nil) != nil {
		t.Error("CheckTargets(nil) returned targets")
	}
}

func TestCSV(t *testing.T) {
	rep := synthReport(t, "mem")
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rep); err != nil {
		t.Fatal(err)
	}
	golden(t, "timeseries.csv", buf.Bytes())
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	// load: 5 intervals x (insert + overall); run: 5 x (3 ops + overall).
	if got, want := len(lines), 1+5*2+5*4; got != want {
		t.Fatalf("%d lines, want %d", got, want)
	}
	if lines[0] != strings.Join(csvHeader, ",") {
		t.Fatalf("header %q", lines[0])
	}
}

func TestGoBench(t *testing.T) {
	rep := synthReport(t, "mem", "lsm")
	var buf bytes.Buffer
	if err := WriteGoBench(&buf, rep); err != nil {
		t.Fatal(err)
	}
	golden(t, "bench.txt", buf.Bytes())
	line := regexp.MustCompile(`^BenchmarkYCSB/test/(mem|lsm)/(load|read|update|scan|overall)-2\t\d+\t[0-9.]+ ns/op\t[0-9.]+ ops/s\t\d+ p50-ns\t\d+ p99-ns$`)
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if strings.HasPrefix(l, "Benchmark") {
			n++
			if !line.MatchString(l) {
				t.Errorf("bad benchmark line %q", l)
			}
		}
	}
	if n != 2*(1+4) {
		t.Errorf("%d benchmark lines, want 10", n)
	}
}

// TestReportJSONFields pins the JSON names compare relies on.
func TestReportJSONFields(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, synthReport(t, "mem")); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	run := m["runs"].([]any)[1].(map[string]any)
	for _, k := range []string{"workload", "backend", "phase", "config", "options", "properties", "throughput", "runtime_ns", "ops", "intervals", "targets", "metrics"} {
		if _, ok := run[k]; !ok {
			t.Errorf("run has no %q", k)
		}
	}
	op := run["ops"].([]any)[0].(map[string]any)
	svc := op["service"].(map[string]any)
	for _, k := range []string{"count", "p50_ns", "p99_ns", "p99_9_ns", "p99_99_ns", "hdr"} {
		if _, ok := svc[k]; !ok {
			t.Errorf("latency has no %q", k)
		}
	}
}
