//go:build !amd64

package tsc

func rdtsc() uint64 { return 0 }

func haveInvariantTSC() bool { return false }
