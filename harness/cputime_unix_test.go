//go:build unix

package harness

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user + system) the process has used. The
// null-engine benchmark divides it by operations: on a machine shared with
// other work, wall-clock ops/s says more about the neighbours than about
// the driver, while CPU time per operation does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
