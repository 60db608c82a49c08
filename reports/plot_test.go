package reports

import (
	"bytes"
	"fmt"
	"image"
	_ "image/png" // decode the PNGs written
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine/vfs"
)

// TestWriteAllSmoke writes every file of a multi-backend report (and of
// an open-loop report) to an in-memory FS and opens them: PNGs decode to
// the plot size and are not blank, SVGs are SVG, the JSON decodes, the
// .hgrm files parse.
func TestWriteAllSmoke(t *testing.T) {
	backends := []string{"mem", "lsm", "btree"}
	if testing.Short() {
		backends = backends[:2]
	}
	for _, tc := range []struct {
		name string
		rep  *Report
		want []string
	}{
		{"several backends", synthReport(t, backends...), []string{
			SummaryFile, JSONFile, CSVFile, BenchFile,
			"test_mem_load_insert.hgrm", "test_lsm_run_scan.hgrm",
			"latency_test_mem_run.png", "latency_test_lsm_load.svg", "throughput_test_lsm_run.png",
			"latency_test_run_read_backends.png", "latency_test_load_insert_backends.png",
			"throughput_test_run_backends.png", "backends_run.png", "backends_load.svg"}},
		{"open loop", openLoopReport(t), []string{
			"test_mem_run_read.hgrm", "test_mem_run_read_intended.hgrm", "latency_test_mem_run.png"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewMem()
			files, err := WriteAll(fs, "out", tc.rep, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !slices.Contains(files, w) {
					t.Errorf("%s not written (wrote %v)", w, files)
				}
			}
			if strings.Contains(strings.Join(files, " "), "backends") != (tc.name == "several backends") {
				t.Errorf("backend comparison plots: %v", files)
			}
			for _, f := range files {
				data, err := vfs.ReadFile(fs, filepath.Join("out", f))
				if err != nil {
					t.Fatal(err)
				}
				switch filepath.Ext(f) {
				case ".png":
					checkPNG(t, f, data)
				case ".svg":
					if !bytes.Contains(data[:min(len(data), 512)], []byte("<svg")) {
						t.Errorf("%s is not SVG", f)
					}
				case ".hgrm":
					if _, err := ParseHgrm(f, data); err != nil {
						t.Error(err)
					}
				case ".json":
					if _, err := DecodeJSON(f, data); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
}

// checkPNG fails the test if pngProblem finds one.
func checkPNG(t *testing.T, name string, data []byte) {
	t.Helper()
	if p := pngProblem(data); p != "" {
		t.Errorf("%s: %s", name, p)
	}
}

// pngProblem decodes a PNG and checks it is the plot size and not blank:
// at least 1% of its pixels are not white (axes, text, grid, data) and at
// least 0.1% are coloured (the data: axes, text and grid are grey). It
// returns what is wrong, or "".
func pngProblem(data []byte) string {
	img, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return err.Error()
	}
	b := img.Bounds()
	if format != "png" || b.Dx() < 800 || b.Dy() < 480 {
		return fmt.Sprintf("%s %dx%d", format, b.Dx(), b.Dy())
	}
	ink, colored := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				ink++
			}
			if max(r, g, bl)-min(r, g, bl) > 0x3000 {
				colored++
			}
		}
	}
	n := float64(b.Dx() * b.Dy())
	if float64(ink)/n < 0.01 || float64(colored)/n < 0.001 {
		return fmt.Sprintf("looks blank: %.2f%% ink, %.2f%% coloured", 100*float64(ink)/n, 100*float64(colored)/n)
	}
	return ""
}

// TestPNGProblemFindsBlank: the smoke test's blank check rejects a plot
// with axes and a title but no data.
func TestPNGProblemFindsBlank(t *testing.T) {
	p := newPlot("nothing", "x", "y")
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 10, 0, 10
	var buf bytes.Buffer
	if err := render(p, "png", &buf); err != nil {
		t.Fatal(err)
	}
	if pngProblem(buf.Bytes()) == "" {
		t.Error("a plot without data passed the blank check")
	}
}

func TestPlotErrors(t *testing.T) {
	if _, err := LatencyPlot("empty", nil); err == nil {
		t.Error("latency plot without data")
	}
	if _, err := LatencyPlot("empty", []Series{{Label: "x"}}); err == nil {
		t.Error("latency plot with an empty series")
	}
	if _, err := ThroughputPlot("empty", []Series{{Label: "x"}}); err == nil {
		t.Error("throughput plot without points")
	}
	if _, err := BarPlot("b", "x", "y", []string{"a"}, []string{"g"}, [][]float64{{1, 2}}); err == nil {
		t.Error("bar plot with more values than categories")
	}
	if _, err := BarPlot("b", "x", "y", nil, nil, nil); err == nil {
		t.Error("bar plot without data")
	}
	// Degenerate but valid data draws: zero latencies (below the log
	// floor), one point, all-zero throughput, a missing bar.
	fs := vfs.NewMem()
	p, err := LatencyPlot("zeros", []Series{{Label: "a", Points: []Point{{1, 0}}}, {Label: "b", Points: []Point{{1, 0}, {1e9, 0}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SavePlot(fs, "", "zeros", p); err != nil {
		t.Error(err)
	}
	p, err = ThroughputPlot("flat", []Series{{Label: "a", Points: []Point{{1, 0}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SavePlot(fs, "", "flat", p); err != nil {
		t.Error(err)
	}
	p, err = BarPlot("gaps", "x", "y", []string{"a", "b"}, []string{"g", "h"}, [][]float64{{1, math.NaN()}, {0, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SavePlot(fs, "", "gaps", p); err != nil {
		t.Error(err)
	}
}

func TestPercentileTicks(t *testing.T) {
	var labels []string
	for _, tk := range percentileTicks(1e5) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got, want := strings.Join(labels, " "), "0% 50% 90% 99% 99.9% 99.99% 99.999%"; got != want {
		t.Errorf("labels %q, want %q", got, want)
	}
}

func TestLogTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   string
	}{
		{0.1, 1000, "100ns 1µs 10µs 100µs 1ms"},
		{1, 100, "1µs 2µs 5µs 10µs 20µs 50µs 100µs"},
		{0.001, 0.01, "1ns 2ns 5ns 10ns"},
		{0.01, 1e6, "10ns 100ns 1µs 10µs 100µs 1ms 10ms 100ms 1s"},
		{0, 10, ""},
		{10, 1, ""},
	} {
		var labels []string
		for _, tk := range (logTicks{}).Ticks(tc.lo, tc.hi) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if got := strings.Join(labels, " "); got != tc.want {
			t.Errorf("logTicks(%g, %g) = %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
}

func TestSITicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 5, "0 1 2 3 4 5"},
		{0, 1.35e6, "0 200k 400k 600k 800k 1M 1.2M"},
		{0, 2e7, "0 5M 10M 15M 20M"},
		{0, 9, "0 1 2 3 4 5 6 7 8 9"},
		{0, 0, ""},
	} {
		var labels []string
		for _, tk := range (siTicks{}).Ticks(tc.lo, tc.hi) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if got := strings.Join(labels, " "); got != tc.want {
			t.Errorf("siTicks(%g, %g) = %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
}

func TestSILabel(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{{0, "0"}, {950, "950"}, {1000, "1k"}, {12500, "12.5k"}, {14.4e6, "14.4M"}, {356000, "356k"}, {1.2e9, "1.2G"}, {0.5, "0.5"}, {477340, "477k"}, {1123197, "1.12M"}, {215600, "216k"}, {12.345, "12.3"}} {
		if got := siLabel(tc.v); got != tc.want {
			t.Errorf("siLabel(%g) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
