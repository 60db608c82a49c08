package props

import (
	"errors"
	"testing"

	"github.com/lightningdb/lightning/workloads"
)

// FuzzParse feeds arbitrary text to the parser and resolver: they must
// never panic, every failure must be an *Error matching ErrInvalid, and a
// text that parses must round-trip through Set.String to an equal Set and
// resolve to the same workload. The seed corpus is every shipped workload.
func FuzzParse(f *testing.F) {
	for _, name := range workloads.Names() {
		data, err := workloads.Read(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("recordcount=10\nreadproportion=0.5\nupdateproportion=0.5\n"))
	f.Add([]byte("recordcount=1\nlightning.target.read.p99.9=1ms\nlightning.option.lsm.x=1\n"))
	f.Add([]byte("recordcount=5\ninsertstart=3\ninsertcount=3\n"))
	f.Add([]byte("=\n#\n!x\n a = b \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := New()
		err := s.Parse("f", data)
		if err != nil {
			checkErr(t, err)
			return
		}
		w, werr := s.Workload()
		if werr != nil {
			checkErr(t, werr)
		}
		s2 := New()
		if err := s2.Parse("g", []byte(s.String())); err != nil {
			t.Fatalf("String output does not parse: %v\n%s", err, s.String())
		}
		if s2.String() != s.String() {
			t.Fatalf("round trip differs:\n%s\nvs\n%s", s.String(), s2.String())
		}
		w2, werr2 := s2.Workload()
		if (werr == nil) != (werr2 == nil) {
			t.Fatalf("round trip changes validity: %v vs %v", werr, werr2)
		}
		if werr == nil && (w.RecordCount != w2.RecordCount || w.Proportions != w2.Proportions ||
			len(w.Targets) != len(w2.Targets) || w.RequestDistribution != w2.RequestDistribution) {
			t.Fatalf("round trip changes the workload")
		}
	})
}

func checkErr(t *testing.T, err error) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) || !errors.Is(err, ErrInvalid) || err.Error() == "" {
		t.Fatalf("error %v (%T) is not a proper *Error", err, err)
	}
}
