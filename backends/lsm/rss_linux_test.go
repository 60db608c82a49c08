//go:build linux

package lsm

import "syscall"

// peakRSS returns the process's peak resident set size in bytes (0 if
// unknown).
func peakRSS() uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return uint64(ru.Maxrss) << 10 // kilobytes on Linux
}
