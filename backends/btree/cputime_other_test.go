//go:build !linux

package btree

// threadCPU is not available here.
func threadCPU() (int64, bool) { return 0, false }
