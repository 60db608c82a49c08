package props

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/harness/measure"
)

// TestDefaultsAreYCSBs pins every YCSB default against the values in
// YCSB's site.ycsb.Client, site.ycsb.workloads.CoreWorkload and
// site.ycsb.generator.ExponentialGenerator (the *_DEFAULT constants).
func TestDefaultsAreYCSBs(t *testing.T) {
	ycsb := map[string]string{
		"recordcount":               "0", // Client.DEFAULT_RECORD_COUNT
		"operationcount":            "0",
		"threadcount":               "1",
		"target":                    "0",
		"maxexecutiontime":          "0",
		"insertstart":               "0",
		"insertorder":               "hashed",
		"zeropadding":               "1",
		"readproportion":            "0.95",
		"updateproportion":          "0.05",
		"insertproportion":          "0.0",
		"scanproportion":            "0.0",
		"readmodifywriteproportion": "0.0",
		"requestdistribution":       "uniform",
		"hotspotdatafraction":       "0.2",
		"hotspotopnfraction":        "0.8",
		"exponential.percentile":    "95",
		"exponential.frac":          "0.8571428571",
		"fieldcount":                "10",
		"fieldlength":               "100",
		"minfieldlength":            "1",
		"fieldlengthdistribution":   "constant",
		"fieldnameprefix":           "field",
		"readallfields":             "true",
		"writeallfields":            "false",
		"minscanlength":             "1",
		"maxscanlength":             "1000",
		"scanlengthdistribution":    "uniform",
		"dataintegrity":             "false",
		"insertcount":               "", // computed: recordcount - insertstart
	}
	for name, want := range ycsb {
		d, ok := Lookup(name)
		if !ok {
			t.Errorf("%s: not defined", name)
			continue
		}
		if d.Default != want {
			t.Errorf("%s: default %q, YCSB's is %q", name, d.Default, want)
		}
	}
	for _, d := range Defs() {
		if _, ok := ycsb[d.Name]; !ok && !d.Lightning() && d.Name != "workload" {
			t.Errorf("%s: YCSB property without a pinned default", d.Name)
		}
		if d.Doc == "" {
			t.Errorf("%s: no doc", d.Name)
		}
		if d.Default != "" {
			if msg := checkValue(d, d.Default); msg != "" {
				t.Errorf("%s: default %q does not parse: %s", d.Name, d.Default, msg)
			}
		}
	}
	// The resolved defaults (recordcount set, since YCSB's 0 is refused).
	s := New()
	if err := s.SetArg("recordcount=1000"); err != nil {
		t.Fatal(err)
	}
	w, err := s.Workload()
	if err != nil {
		t.Fatal(err)
	}
	if w.InsertCount != 1000 || w.ThreadCount != 1 || w.MaxScanLength != 1000 || w.FieldCount != 10 ||
		w.FieldLength != 100 || w.ZeroPadding != 1 || w.OrderedInserts || w.RequestDistribution != "uniform" ||
		w.Proportions != [measure.NumOps]float64{0.95, 0.05, 0, 0, 0} || w.ZipfianConstant != 0.99 ||
		w.Interval != time.Second || w.KeyFormat != "ycsb" || w.KeyPrefix != "user" || !w.ReadAllFields {
		t.Errorf("resolved defaults: %+v", w)
	}
}

func TestParseSyntax(t *testing.T) {
	s := New()
	src := "# comment\n! also a comment\n\n  recordcount = 42  \nreadproportion=1\nupdateproportion=0\n" +
		"recordcount=43\nfieldnameprefix=a=b\r\n"
	if err := s.Parse("f", []byte(src)); err != nil {
		t.Fatal(err)
	}
	v, _ := s.Get("recordcount")
	if v.Value != "43" || v.Source != (Source{"f", 7}) {
		t.Errorf("recordcount = %+v, want 43 from f:7 (later line wins)", v)
	}
	if v, _ := s.Get("fieldnameprefix"); v.Value != "a=b" {
		t.Errorf("value with '=' = %q", v.Value)
	}
	if v, _ := s.Get("maxscanlength"); v.Value != "1000" || v.Source.String() != "default" {
		t.Errorf("default = %+v", v)
	}
	// Round trip through String.
	s2 := New()
	if err := s2.Parse("g", []byte(s.String())); err != nil {
		t.Fatal(err)
	}
	if s2.String() != s.String() {
		t.Errorf("round trip:\n%s\nvs\n%s", s2.String(), s.String())
	}
	// Overrides win over files and are numbered.
	if err := s.SetArg("recordcount=7"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get("recordcount"); v.Value != "7" || v.Source.String() != "-p #1" {
		t.Errorf("override = %+v", v)
	}
}

// TestErrors walks every error path: each case is a file (or -p list),
// the sentinel, and the place and property the error must name.
func TestErrors(t *testing.T) {
	const base = "recordcount=100\n"
	cases := []struct {
		name     string
		file     string   // parsed as "w"
		args     []string // -p overrides after the file
		sentinel error
		where    string // "w:3", "-p:1" or "" (no place)
		prop     string
		msg      string // substring of the message
	}{
		{"no equals", base + "recordcount 5\n", nil, ErrSyntax, "w:2", "", "want key=value"},
		{"empty name", base + "=5\n", nil, ErrSyntax, "w:2", "", "empty property name"},
		{"unknown", base + "recordcont=5\n", nil, ErrUnknownProperty, "w:2", "recordcont", "did you mean recordcount"},
		{"unknown lightning", base + "lightning.valusize=5\n", nil, ErrUnknownProperty, "w:2", "lightning.valusize", "unknown property"},
		{"unknown -p", base, []string{"nosuchthing=1"}, ErrUnknownProperty, "-p:1", "nosuchthing", "unknown"},
		{"-p syntax", base, []string{"threadcount"}, ErrSyntax, "-p:1", "", "want key=value"},
		{"bad int", base + "threadcount=two\n", nil, ErrBadValue, "w:2", "threadcount", "non-negative integer"},
		{"negative int", base + "recordcount=-5\n", nil, ErrBadValue, "w:2", "recordcount", "non-negative integer"},
		{"bad float", base + "readproportion=half\n", nil, ErrBadValue, "w:2", "readproportion", "non-negative number"},
		{"negative float", base + "readproportion=-0.5\n", nil, ErrBadValue, "w:2", "readproportion", "non-negative number"},
		{"NaN", base + "target=NaN\n", nil, ErrBadValue, "w:2", "target", "non-negative number"},
		{"bad bool", base + "readallfields=yes\n", nil, ErrBadValue, "w:2", "readallfields", "true or false"},
		{"bad enum", base + "requestdistribution=gaussian\n", nil, ErrBadValue, "w:2", "requestdistribution", "want one of uniform"},
		{"bad insertorder", base + "insertorder=random\n", nil, ErrBadValue, "w:2", "insertorder", "hashed, ordered"},
		{"histogram lengths", base + "fieldlengthdistribution=histogram\n", nil, ErrBadValue, "w:2", "fieldlengthdistribution", "constant"},
		{"bad duration", base + "lightning.warmup=soon\n", nil, ErrBadValue, "w:2", "lightning.warmup", "duration"},
		{"negative duration", base + "lightning.warmup=-1s\n", nil, ErrBadValue, "w:2", "lightning.warmup", "duration"},
		{"dataintegrity", base + "dataintegrity=true\n", nil, ErrUnsupported, "w:2", "dataintegrity", "not supported"},
		{"multi-line -p", base, []string{"label=a\nb"}, ErrBadValue, "-p:1", "label", "one line"},
		{"option bad value", base + "lightning.option.cache_size=big\n", nil, ErrBadValue, "w:2", "lightning.option.cache_size", "bad value"},
		{"option unknown", base + "lightning.option.cache=1\n", nil, ErrBadValue, "w:2", "lightning.option.cache", "unknown option"},
		{"option invalid", base + "lightning.option.memtable_size=10\n", nil, ErrBadValue, "w:2", "lightning.option.memtable_size", "at least 64 KiB"},
		{"option extra bad name", base + "lightning.option.lsm.a b=1\n", nil, ErrBadValue, "w:2", "lightning.option.lsm.a b", "backend.setting"},
		{"option empty", base + "lightning.option.=1\n", nil, ErrBadValue, "w:2", "lightning.option.", "empty engine option"},
		{"target op", base + "lightning.target.get.ops=5\n", nil, ErrBadValue, "w:2", "lightning.target.get.ops", "<op> one of"},
		{"target no metric", base + "lightning.target.read=5\n", nil, ErrBadValue, "w:2", "lightning.target.read", "<op> one of"},
		{"target ops zero", base + "lightning.target.read.ops=0\n", nil, ErrBadValue, "w:2", "lightning.target.read.ops", "positive number"},
		{"target metric", base + "lightning.target.read.max=1s\n", nil, ErrBadValue, "w:2", "lightning.target.read.max", "unknown target metric"},
		{"target percentile", base + "lightning.target.read.p100=1ms\n", nil, ErrBadValue, "w:2", "lightning.target.read.p100", "bad percentile"},
		{"target latency", base + "lightning.target.scan.p99=fast\n", nil, ErrBadValue, "w:2", "lightning.target.scan.p99", "positive latency"},
		{"target op case", base + "lightning.target.READ.ops=5\n", nil, ErrBadValue, "w:2", "lightning.target.READ.ops", "<op> one of"},
		// Cross-property rules, reported at the property to fix.
		{"proportions", base + "readproportion=0.9\ninsertproportion=0.2\n", nil, ErrProportions, "w:3", "insertproportion", "sum to 1.15"},
		{"proportions default named", base + "readproportion=0.9\n", nil, ErrProportions, "w:2", "readproportion", "updateproportion 0.05 (default)"},
		{"proportions -p", base, []string{"scanproportion=0.5"}, ErrProportions, "-p:1", "scanproportion", "sum to 1.5"},
		{"no recordcount", "threadcount=2\n", nil, ErrBadValue, "", "recordcount", "at least 1"},
		{"insertstart", base + "insertstart=101\n", nil, ErrBadValue, "w:2", "insertstart", "past recordcount"},
		{"insertcount", base + "insertstart=50\ninsertcount=51\n", nil, ErrBadValue, "w:3", "insertcount", "exceeds recordcount"},
		{"insertcount zero", base + "insertcount=0\n", nil, ErrBadValue, "w:2", "insertcount", "at least 1"},
		{"threads", base + "threadcount=0\n", nil, ErrBadValue, "w:2", "threadcount", "[1, 4096]"},
		{"zeropadding", base + "zeropadding=65\n", nil, ErrBadValue, "w:2", "zeropadding", "at most 64"},
		{"hot data", base + "hotspotdatafraction=1.5\n", nil, ErrBadValue, "w:2", "hotspotdatafraction", "[0, 1]"},
		{"hot opn", base + "hotspotopnfraction=2\n", nil, ErrBadValue, "w:2", "hotspotopnfraction", "[0, 1]"},
		{"exp percentile", base + "exponential.percentile=100\n", nil, ErrBadValue, "w:2", "exponential.percentile", "(0, 100)"},
		{"exp frac", base + "exponential.frac=0\n", nil, ErrBadValue, "w:2", "exponential.frac", "positive"},
		{"fieldcount", base + "fieldcount=0\n", nil, ErrBadValue, "w:2", "fieldcount", "at least 1"},
		{"fieldcount big", base + "fieldcount=70000\n", nil, ErrBadValue, "w:2", "fieldcount", "at most"},
		{"fieldlength big", base + "fieldlength=999999999\n", nil, ErrBadValue, "w:2", "fieldlength", "at most"},
		{"minfieldlength", base + "fieldlengthdistribution=uniform\nminfieldlength=200\n", nil, ErrBadValue, "w:3", "minfieldlength", "exceeds fieldlength"},
		{"zipf field", base + "fieldlengthdistribution=zipfian\nminfieldlength=100\n", nil, ErrBadValue, "w:3", "minfieldlength", "minfieldlength < fieldlength"},
		{"minscan", base + "minscanlength=0\n", nil, ErrBadValue, "w:2", "minscanlength", "at least 1"},
		{"maxscan", base + "minscanlength=10\nmaxscanlength=5\n", nil, ErrBadValue, "w:3", "maxscanlength", "below minscanlength"},
		{"zipf scan", base + "scanlengthdistribution=zipfian\nminscanlength=5\nmaxscanlength=5\n", nil, ErrBadValue, "w:4", "maxscanlength", "minscanlength < maxscanlength"},
		{"valuesize", base + "lightning.valuesize=2000000000\n", nil, ErrBadValue, "w:2", "lightning.valuesize", "at most 1 GiB"},
		{"zipf constant", base + "lightning.zipfian.constant=1\n", nil, ErrBadValue, "w:2", "lightning.zipfian.constant", "(0, 1)"},
		{"interval", base + "lightning.interval=0\n", nil, ErrBadValue, "w:2", "lightning.interval", "at least 1ms"},
		{"empty key", base + "lightning.keyprefix=\nzeropadding=0\n", nil, ErrBadValue, "w:2", "lightning.keyprefix", "empty key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := New()
			err := s.Parse("w", []byte(c.file))
			for _, a := range c.args {
				if err == nil {
					err = s.SetArg(a)
				}
			}
			if err == nil {
				_, err = s.Workload()
			}
			if err == nil {
				t.Fatal("no error")
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("%v: not an *Error", err)
			}
			if !errors.Is(err, c.sentinel) || !errors.Is(err, ErrInvalid) {
				t.Errorf("%v: want %v and ErrInvalid", err, c.sentinel)
			}
			where := ""
			if pe.File != "" {
				where = pe.File + ":" + itoa(pe.Line)
			}
			if where != c.where || pe.Property != c.prop {
				t.Errorf("%v: at %q property %q, want %q %q", err, where, pe.Property, c.where, c.prop)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("%v: want %q in the message", err, c.msg)
			}
			if c.where != "" && !strings.HasPrefix(err.Error(), strings.Replace(c.where, "-p:", "-p:", 1)) {
				t.Errorf("%v: message does not start with the place", err)
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func TestIgnoredAccepted(t *testing.T) {
	s := New()
	var file strings.Builder
	file.WriteString("recordcount=10\n")
	for name := range Ignored() {
		file.WriteString(name + "=whatever\n")
	}
	if err := s.Parse("w", []byte(file.String())); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Workload(); err != nil {
		t.Fatal(err)
	}
	res := s.Resolved()
	if len(res) != len(Defs())+len(Ignored()) {
		t.Errorf("resolved has %d entries, want %d", len(res), len(Defs())+len(Ignored()))
	}
	for name := range Ignored() {
		if _, ok := Lookup(name); ok {
			t.Errorf("%s is both defined and ignored", name)
		}
	}
}

func TestLightningProperties(t *testing.T) {
	s := New()
	src := `recordcount=1000
readproportion=1
updateproportion=0
lightning.valuesize=100
lightning.warmup=2
lightning.interval=250ms
lightning.keyformat=compact
lightning.sync=TRUE
lightning.seed=42
lightning.option.cache_size=1048576
lightning.option.lsm.level_ratio=8
lightning.target.read.ops=14400000
lightning.target.read.p99.9=2ms
lightning.target.overall.p50=0.001
`
	if err := s.Parse("w", []byte(src)); err != nil {
		t.Fatal(err)
	}
	w, err := s.Workload()
	if err != nil {
		t.Fatal(err)
	}
	if w.ValueSize != 100 || w.Warmup != 2*time.Second || w.Interval != 250*time.Millisecond ||
		w.KeyFormat != "compact" || !w.Sync || w.Seed != 42 {
		t.Errorf("workload %+v", w)
	}
	wantT := []string{"overall p50 <= 1ms", "read ops >= 14400000/s", "read p99.9 <= 2ms"}
	if len(w.Targets) != len(wantT) {
		t.Fatalf("targets %v", w.Targets)
	}
	for i, tg := range w.Targets {
		if tg.String() != wantT[i] {
			t.Errorf("target %d = %q, want %q", i, tg, wantT[i])
		}
	}
	o, err := w.EngineOpts(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.CacheSize != 1<<20 || o.Extra["lsm.level_ratio"] != "8" || o.MemTableSize != 0 {
		t.Errorf("engine options %+v", o)
	}
	if err := o.EnsureDefaults().Validate(); err != nil {
		t.Error(err)
	}
}

func TestLoadFile(t *testing.T) {
	builtin := fstest.MapFS{"workloadx": {Data: []byte("recordcount=5\n")}}
	fs := vfs.NewMem()
	if err := vfs.WriteFileSync(fs, "mine", []byte("recordcount=9\nthreadcount=3\n")); err != nil {
		t.Fatal(err)
	}
	s := New()
	if err := s.LoadFile(fs, builtin, "workloads/workloadx"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get("recordcount"); v.Value != "5" || v.Source.File != "builtin:workloadx" {
		t.Errorf("builtin: %+v", v)
	}
	if err := s.LoadFile(fs, builtin, "mine"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get("recordcount"); v.Value != "9" || v.Source != (Source{"mine", 1}) {
		t.Errorf("on disk, later file wins: %+v", v)
	}
	err := s.LoadFile(fs, builtin, "nope")
	var pe *Error
	if !errors.Is(err, ErrMissingFile) || !errors.As(err, &pe) || pe.File != "nope" {
		t.Errorf("missing file: %v", err)
	}
	if err := s.LoadFile(nil, nil, "nope"); !errors.Is(err, ErrMissingFile) {
		t.Errorf("missing file without FS: %v", err)
	}
}

func TestLoadArgs(t *testing.T) {
	builtin := fstest.MapFS{
		"a": {Data: []byte("recordcount=10\nthreadcount=2\n")},
		"b": {Data: []byte("threadcount=3\n")},
	}
	s, err := Load(nil, builtin, []string{"a", "b"}, []string{"recordcount=20"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Workload()
	if err != nil {
		t.Fatal(err)
	}
	if w.RecordCount != 20 || w.ThreadCount != 3 {
		t.Errorf("recordcount %d threadcount %d: later settings must win", w.RecordCount, w.ThreadCount)
	}
	if _, err := Load(nil, builtin, []string{"a", "c"}, nil); !errors.Is(err, ErrMissingFile) {
		t.Errorf("missing -P file: %v", err)
	}
	if _, err := Load(nil, builtin, nil, []string{"x=1"}); !errors.Is(err, ErrUnknownProperty) {
		t.Errorf("bad -p: %v", err)
	}
}
