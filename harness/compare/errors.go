package compare

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Errors of this package wrap one of them (or an error of
// package reports or the file system) and name the file, run or option
// at fault.
var (
	// ErrIncompatible is wrapped by the *IncompatibleError Compare returns
	// when the two sides did not measure the same thing: a workload
	// property, the engine options or the thread count differ, or they
	// have no benchmark in common.
	ErrIncompatible = errors.New("compare: incompatible reports")
	// ErrNoReports is returned by Load for a path holding no report, and
	// by Compare for a side without runs.
	ErrNoReports = errors.New("compare: no reports")
	// ErrBadReport is wrapped by errors about reports that decode but
	// cannot be compared: a negative value, a ratio-mode report without
	// the reference backend.
	ErrBadReport = errors.New("compare: unusable report")
	// ErrOptions is wrapped by errors about invalid Options.
	ErrOptions = errors.New("compare: invalid options")
)

// IncompatibleError lists every reason two sides cannot be compared. It
// matches ErrIncompatible under errors.Is.
type IncompatibleError struct {
	// Mismatches are the benchmarks whose configurations differ.
	Mismatches []Mismatch
	// NothingInCommon is set when the sides share no benchmark; the
	// benchmarks of each side are then listed in Baseline and New.
	NothingInCommon bool
	Baseline, New   []string
}

// Mismatch is one benchmark (workload/phase/backend) measured with
// different configurations, either across the two sides or between runs
// of one side.
type Mismatch struct {
	// Benchmark is "workload/phase/backend".
	Benchmark string
	// Between names what was compared: "baseline and new", or
	// "runs of baseline (a.json and b.json)".
	Between string
	// Diffs are the differing keys, sorted.
	Diffs []KeyDiff
}

// KeyDiff is one configuration key with different values. Key is a
// workload property name ("recordcount"), "threads", or "option " plus
// an engine option name ("option cache_size"). A value absent on one side
// is "(unset)".
type KeyDiff struct {
	Key, A, B string
}

// maxDiffsShown bounds the keys listed per mismatch in the message.
const maxDiffsShown = 8

// Error implements error: one line per mismatch.
func (e *IncompatibleError) Error() string {
	var sb strings.Builder
	sb.WriteString(ErrIncompatible.Error())
	if e.NothingInCommon {
		fmt.Fprintf(&sb, ": no benchmark in common\n  baseline has: %s\n  new has:      %s",
			listOrNone(e.Baseline), listOrNone(e.New))
	}
	for i, m := range e.Mismatches {
		if i == 0 && !e.NothingInCommon {
			sb.WriteString(": configurations differ")
		}
		fmt.Fprintf(&sb, "\n  %s: %s differ in ", m.Benchmark, m.Between)
		for j, d := range m.Diffs {
			if j == maxDiffsShown {
				fmt.Fprintf(&sb, ", and %d more", len(m.Diffs)-j)
				break
			}
			if j > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "%s (%s vs %s)", d.Key, d.A, d.B)
		}
	}
	return sb.String()
}

// Is reports whether target is ErrIncompatible.
func (e *IncompatibleError) Is(target error) bool { return target == ErrIncompatible }

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "(nothing)"
	}
	const maxShown = 12
	if len(s) > maxShown {
		return strings.Join(s[:maxShown], ", ") + fmt.Sprintf(", and %d more", len(s)-maxShown)
	}
	return strings.Join(s, ", ")
}
