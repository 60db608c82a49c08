package reports

import (
	"bytes"
	"errors"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

// FuzzDecodeJSON: DecodeJSON never panics, fails only with corruption or
// schema errors, and what it accepts writes back and decodes again to the
// same text.
func FuzzDecodeJSON(f *testing.F) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, synthReport(f, "mem")); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"schema": "lightning.lbench.report/v1", "runs": []}`))
	f.Add([]byte(`{"schema": "lightning.lbench.report/v1", "runs": [{"workload": "w", "backend": "b", "phase": "run", "ops": [{"op": "read", "service": {"count": 1, "hdr": "HISTFAAAACl42pJpmSzMwMDAzAABMJqRgYGB94d7BIP9B4jAYmEmQAAAAP//W7YE2Q=="}}]}]}`))
	f.Add([]byte(`{"schema": "lightning.lbench.report/v1", "runs": [{"workload": "w", "backend": "b", "phase": "load", "repeat": 2}, {"workload": "w", "backend": "b", "phase": "load", "repeat": 3}]}`))
	f.Add([]byte(`{"schema": "lightning.lbench.report/v1", "runs": [{"workload": "w", "backend": "b", "phase": "run", "repeat": -1}]}`))
	f.Add([]byte(`{"schema": 1}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := DecodeJSON("f.json", data)
		if err != nil {
			if !errors.Is(err, engine.ErrCorruption) && !errors.Is(err, ErrSchema) {
				t.Fatalf("error %v is neither corruption nor schema", err)
			}
			return
		}
		var out bytes.Buffer
		if err := WriteJSON(&out, rep); err != nil {
			t.Fatal(err)
		}
		rep2, err := DecodeJSON("f.json", out.Bytes())
		if err != nil {
			t.Fatalf("accepted report does not decode after writing: %v", err)
		}
		var out2 bytes.Buffer
		if err := WriteJSON(&out2, rep2); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), out2.Bytes()) {
			t.Fatal("report changed through a second round trip")
		}
		// Everything drawn from an accepted report works without panic.
		for _, w := range []func(*bytes.Buffer) error{
			func(b *bytes.Buffer) error { return WriteSummary(b, rep) },
			func(b *bytes.Buffer) error { return WriteCSV(b, rep) },
			func(b *bytes.Buffer) error { return WriteGoBench(b, rep) },
		} {
			var b bytes.Buffer
			if err := w(&b); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzParseHgrm: ParseHgrm never panics, fails only with corruption
// errors, and what it accepts is a non-decreasing distribution.
func FuzzParseHgrm(f *testing.F) {
	rep := synthReport(f, "mem")
	var buf bytes.Buffer
	h, err := rep.Runs[1].Ops[0].Service.Histogram()
	if err != nil {
		f.Fatal(err)
	}
	if err := WriteHgrm(&buf, h); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(javaHgrm))
	f.Add([]byte("1 0 1 1.00\n2 1 2\n"))
	f.Add([]byte("# only a comment\n"))
	f.Add([]byte("1e308 0.5 9223372036854775807 inf\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pts, err := ParseHgrm("f.hgrm", data)
		if err != nil {
			if !errors.Is(err, engine.ErrCorruption) {
				t.Fatalf("error %v is not corruption", err)
			}
			return
		}
		if len(pts) == 0 {
			t.Fatal("accepted with no points")
		}
		for i := 1; i < len(pts); i++ {
			if pts[i].Value < pts[i-1].Value || pts[i].Percentile < pts[i-1].Percentile || pts[i].Count < pts[i-1].Count {
				t.Fatalf("accepted a decreasing distribution at %d", i)
			}
		}
		curve := HgrmPercentilePoints(pts)
		for i := 1; i < len(curve); i++ {
			if curve[i].X <= curve[i-1].X {
				t.Fatalf("curve X not increasing at %d: %v", i, curve)
			}
		}
	})
}
