package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/harness/compare"
	"github.com/lightningdb/lightning/reports"
)

// TestCompare runs lbench compare over real smoke reports: a folder
// against itself (exit 0), against copies with half the throughput and
// twice the latency (exit 1), and against copies with another record
// count (exit 2, naming the key).
func TestCompare(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base")
	for i := range 4 {
		out := filepath.Join(base, "r"+strconv.Itoa(i))
		if code, _, stderr := lbench(t, "bench", "-quiet", "-plots=false", "-p", "recordcount=500", "-p", "operationcount=2000", "-out", out); code != exitOK {
			t.Fatalf("bench: exit %d: %s", code, stderr)
		}
	}
	side, err := compare.Load(vfs.Default, base)
	if err != nil {
		t.Fatal(err)
	}
	// derive writes a copy of every report changed by fn under name.
	derive := func(name string, fn func(r *reports.Run)) string {
		for i, rep := range side.Reports {
			c := *rep
			c.Runs = append([]reports.Run(nil), rep.Runs...)
			for j := range c.Runs {
				fn(&c.Runs[j])
			}
			out := filepath.Join(dir, name, "r"+strconv.Itoa(i))
			if err := vfs.Default.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			if err := reports.WriteJSON(&sb, &c); err != nil {
				t.Fatal(err)
			}
			if err := vfs.WriteFileSync(vfs.Default, filepath.Join(out, reports.JSONFile), []byte(sb.String())); err != nil {
				t.Fatal(err)
			}
		}
		return filepath.Join(dir, name)
	}
	slow := derive("slow", func(r *reports.Run) {
		r.Throughput /= 2
		for k := range r.Ops {
			o := &r.Ops[k]
			o.Throughput /= 2
			l := *o.Service
			l.P50NS, l.P99NS, l.P999NS = 2*l.P50NS, 2*l.P99NS, 2*l.P999NS
			o.Service = &l
		}
	})
	other := derive("other", func(r *reports.Run) {
		r.Properties = append([]reports.Property(nil), r.Properties...)
		for k := range r.Properties {
			if r.Properties[k].Name == "recordcount" {
				r.Properties[k].Value = "999"
			}
		}
	})

	code, stdout, stderr := lbench(t, "compare", base, base)
	if code != exitOK || !strings.Contains(stdout, "0 regressions") {
		t.Errorf("same runs: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = lbench(t, "compare", "-format", "markdown", "-plot", filepath.Join(dir, "plots"), base, slow)
	if code != exitFail || !strings.Contains(stdout, "**regression**") || !strings.Contains(stderr, "regressions") {
		t.Errorf("half as fast: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := vfs.Default.Stat(filepath.Join(dir, "plots", "compare.png")); err != nil {
		t.Error(err)
	}
	code, _, stderr = lbench(t, "compare", base, other)
	if code != exitUsage || !strings.Contains(stderr, "differ in recordcount (500 vs 999)") {
		t.Errorf("other record count: exit %d\n%s", code, stderr)
	}
	for _, args := range [][]string{{base}, {base, "vs"}, {"-format", "xml", base, base}, {"-min-effect", "x", base, base}, {base, filepath.Join(dir, "nosuch")}} {
		if code, _, stderr := lbench(t, append([]string{"compare"}, args...)...); code != exitUsage {
			t.Errorf("compare %q: exit %d, want 2\n%s", args, code, stderr)
		}
	}
}
