//go:build linux

package memtable

import (
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on the platforms Go
// supports; a different size only makes the advice cover less.
const hugePage = 2 << 20

// adviseHugePages asks the kernel to back the 2 MiB-aligned interior of b
// with transparent huge pages (madvise MADV_HUGEPAGE). A skiplist search
// touches nodes scattered over the whole arena, and with 4 KiB pages most
// of those touches also miss the TLB; with huge pages a 200 MiB arena needs
// only 100 TLB entries. It is only advice: an error (an old kernel, THP
// disabled) is ignored and leaves the memory as it was.
func adviseHugePages(b []byte) {
	if len(b) < 2*hugePage {
		return
	}
	p := uintptr(unsafe.Pointer(&b[0]))
	start := (p + hugePage - 1) &^ (hugePage - 1)
	end := (p + uintptr(len(b))) &^ (hugePage - 1)
	if end <= start {
		return
	}
	_ = syscall.Madvise(b[start-p:end-p], syscall.MADV_HUGEPAGE)
}
