//go:build !unix

package lsm

import "time"

func cpuTime() time.Duration { return 0 }
