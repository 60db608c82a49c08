// Package workloads holds the workload files Lightning ships, in YCSB's
// property format (see harness/props), embedded in the binary so lbench
// runs them by name from any directory:
//
//	workloada .. workloadf  YCSB's core workloads A-F (YCSB's mixes and
//	                        distributions, sized for the reference benchmark)
//	target-reads            workload C with the 14.4M reads/s target
//	target-writes           the load phase with the 356K writes/s target
//	scanheavy               90% long scans
//	writeheavy              90% inserts and updates, uniform keys
//	smoke                   10k records, every op type, about a second
//
// Each file starts with a comment saying what it models.
package workloads

import (
	"embed"
	"io/fs"
	"sort"
)

// FS holds the workload files at its root, by name ("workloada").
//
//go:embed workload? target-reads target-writes scanheavy writeheavy smoke
var FS embed.FS

// Names returns the names of the shipped workloads, sorted.
func Names() []string {
	ents, _ := fs.ReadDir(FS, ".")
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// Read returns the text of the workload named name.
func Read(name string) ([]byte, error) { return FS.ReadFile(name) }
