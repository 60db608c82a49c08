package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/reports"
)

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := vfs.Default.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
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

// goldenResult is a fixed comparison: lsm 20% slower in new, mem
// unchanged, 6 runs a side (fixed seeds, so the output is too).
func goldenResult(t *testing.T, opts *Options, runs int) *Result {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	s := defaultSynth()
	n := s.clone()
	n.speeds["lsm"] = 0.8
	n.commit = "fedcba9876543210fedcba9876543210fedcba98"
	res, err := Compare(s.side(t, rng, "base", runs), n.side(t, rng, "new", runs), opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func render(t *testing.T, res *Result, fn func(*bytes.Buffer, *Result) error) string {
	t.Helper()
	var buf bytes.Buffer
	if err := fn(&buf, res); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestGolden(t *testing.T) {
	text := func(b *bytes.Buffer, r *Result) error { return WriteText(b, r) }
	md := func(b *bytes.Buffer, r *Result) error { return WriteMarkdown(b, r) }
	js := func(b *bytes.Buffer, r *Result) error { return WriteJSON(b, r) }

	res := goldenResult(t, nil, 6)
	golden(t, "slowdown.txt", render(t, res, text))
	golden(t, "slowdown.md", render(t, res, md))
	golden(t, "slowdown.json", render(t, res, js))
	golden(t, "slowdown_ratio.txt", render(t, goldenResult(t, &Options{Reference: "mem"}, 6), text))
	few := goldenResult(t, nil, 3)
	few.Notes = append(few.Notes, "a note with | pipes and <html> for the Markdown escaper")
	golden(t, "toofew.txt", render(t, few, text))
	golden(t, "toofew.md", render(t, few, md))
}

// TestJSON checks the JSON output decodes to what the result holds.
func TestJSON(t *testing.T) {
	res := goldenResult(t, &Options{Reference: "mem"}, 6)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, res); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Schema    string         `json:"schema"`
		Regressed bool           `json:"regressed"`
		Mode      string         `json:"mode"`
		Reference string         `json:"reference"`
		Counts    map[string]int `json:"counts"`
		Rows      []Row          `json:"rows"`
		OnlyNew   []string       `json:"only_new"`
		Metrics   []Metric       `json:"metrics"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Schema != Schema || !got.Regressed || got.Mode != "ratio" || got.Reference != "mem" ||
		got.Counts["regression"] != res.Count(Regression) || len(got.Rows) != len(res.Rows) || got.OnlyNew == nil || len(got.Metrics) != 4 {
		t.Errorf("decoded %+v", got)
	}
	for i, r := range got.Rows {
		w := res.Rows[i]
		if r.Verdict != w.Verdict || r.Metric != w.Metric || r.Ratio != w.Ratio || r.Base.N != w.Base.N || r.Op != w.Op {
			t.Errorf("row %d: decoded %+v, want %+v", i, r, w)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{fmtSI(1234567), "1.23M"}, {fmtSI(617000), "617k"}, {fmtSI(950), "950"}, {fmtSI(12.5), "12.5"},
		{fmtSI(14.4e6), "14.4M"}, {fmtSI(2.5e9), "2.50G"}, {fmtSI(0), "0"},
		{fmtNS(850), "850ns"}, {fmtNS(1234), "1.23µs"}, {fmtNS(45.6e6), "45.6ms"}, {fmtNS(1.2e9), "1.20s"}, {fmtNS(12), "12.0ns"},
		{sig3(0.412), "0.412"}, {sig3(0.87), "0.870"}, {sig3(0.00123), "0.00123"}, {sig3(3.14159), "3.14"}, {sig3(123.4), "123"},
		{fmtP(0.0004), "<0.001"}, {fmtP(0.0431), "0.043"}, {fmtP(1), "1.000"},
		{fmtPct(0.05), "5%"}, {fmtPct(0.95), "95%"}, {fmtPct(0.025), "2.5%"},
		{fmtG(0.05), "0.05"}, {fmtG(2.0 / 70), "0.0286"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestLoad reads sides from report folders on the in-memory FS, as lbench
// bench writes them, and compares them.
func TestLoad(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t, 0), 9))
	fs := vfs.NewMem()
	s := defaultSynth()
	s.hdr = true
	s.writeSide(t, rng, fs, "/ci/base", 5)
	n := s.clone()
	n.speeds["lsm"] = 0.5
	n.writeSide(t, rng, fs, "/ci/new", 5)

	base, err := Load(fs, "/ci/base")
	if err != nil {
		t.Fatal(err)
	}
	if len(base.Files) != 5 || base.Files[0] != "/ci/base/run-a/report.json" {
		t.Errorf("files %q", base.Files)
	}
	next, err := Load(fs, "/ci/new/run-a/report.json", "/ci/new/run-b", "/ci/new/run-c", "/ci/new/run-d/report.json", "/ci/new/run-e")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Compare(base, next, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Regressed() || len(res.Rows) != 18 {
		t.Errorf("regressed %v, %d rows", res.Regressed(), len(res.Rows))
	}
	// The latencies come from the decoded reports: the synthetic median
	// is 2µs for read on mem.
	for _, r := range res.Rows {
		if r.Backend == "mem" && r.Op == "read" && r.Metric == P50 && math.Abs(r.Base.Median/2000-1) > 0.15 {
			t.Errorf("mem read p50 median %v ns, want about 2000", r.Base.Median)
		}
	}

	// Errors.
	if err := fs.MkdirAll("/empty/sub", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := vfs.WriteFileSync(fs, "/empty/sub/notes.txt", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if err := vfs.WriteFileSync(fs, "/other.json", []byte(`{"hello": 1}`)); err != nil {
		t.Fatal(err)
	}
	if err := vfs.WriteFileSync(fs, "/ci/base/run-c/report.json", []byte(`{"schema": "lightning.lbench.report/v1", "runs": [`)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		paths []string
		is    error
		says  string
	}{
		{[]string{"/nope"}, nil, "/nope"},
		{[]string{"/empty"}, ErrNoReports, "no report (*.json) under /empty"},
		{nil, ErrNoReports, "no path given"},
		{[]string{"/other.json"}, reports.ErrSchema, "/other.json"},
		{[]string{"/ci/base"}, engine.ErrCorruption, "/ci/base/run-c/report.json"},
	} {
		_, err := Load(fs, tc.paths...)
		if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) || (tc.is == nil && !vfs.IsNotExist(err)) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("Load(%q): %v; want an error matching %v saying %q", tc.paths, err, tc.is, tc.says)
		}
	}
}

// TestPlot is the plot smoke test: both files are written, the PNG
// decodes to an image of the expected size that is not blank.
func TestPlot(t *testing.T) {
	res := goldenResult(t, nil, 6)
	fs := vfs.NewMem()
	if err := fs.MkdirAll("/out", 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := SavePlot(fs, "/out", "compare", res)
	if err != nil || strings.Join(files, ",") != "compare.png,compare.svg" {
		t.Fatalf("SavePlot: %q, %v", files, err)
	}
	data, err := vfs.ReadFile(fs, "/out/compare.png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	// 6 columns (3 ops × 2 backends): 6·1.3 + 2 = 9.8 inches wide, 6
	// high; gonum renders PNG at 96 dpi: 941 x 576 pixels.
	if b := img.Bounds(); b.Dx() != 941 || b.Dy() != 6*96 {
		t.Errorf("PNG is %v, want 941x576", b)
	}
	if n := colors(img); n < 8 {
		t.Errorf("PNG has %d colours: blank?", n)
	}
	svg, err := vfs.ReadFile(fs, "/out/compare.svg")
	if err != nil || !bytes.Contains(svg, []byte("<svg")) || !bytes.Contains(svg, []byte("regression")) {
		t.Errorf("SVG: %v, %d bytes", err, len(svg))
	}
	if *plotDir != "" {
		for name, r := range map[string]*Result{"compare": res, "compare_ratio": goldenResult(t, &Options{Reference: "mem"}, 6)} {
			if _, err := SavePlot(vfs.Default, *plotDir, name, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := NewPlot(&Result{}); err == nil {
		t.Error("NewPlot of an empty result: no error")
	}
	if err := WritePlot(&bytes.Buffer{}, res, "gif"); !errors.Is(err, ErrOptions) {
		t.Errorf("WritePlot gif: %v", err)
	}
}

// colors counts the distinct colours of img, up to 100.
func colors(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if len(seen) >= 100 {
				return len(seen)
			}
		}
	}
	return len(seen)
}
