//go:build unix

package sstable

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user + system) the process has used.
// Benchmarks report it per operation (cpu-ns/op): on a machine shared
// with other work, wall-clock ns/op says as much about the neighbours as
// about the code, CPU time per operation much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
