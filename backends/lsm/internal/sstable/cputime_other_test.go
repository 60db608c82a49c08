//go:build !unix

package sstable

import "time"

func cpuTime() time.Duration { return 0 }
