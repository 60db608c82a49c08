//go:build !linux

package lsm

func peakRSS() uint64 { return 0 }
