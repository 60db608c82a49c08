//go:build !linux

package memtable

// adviseHugePages does nothing on this platform (see the Linux version).
func adviseHugePages([]byte) {}
