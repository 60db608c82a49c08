package page

import (
	"errors"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/checksum"
)

// FuzzDecodePage feeds arbitrary bytes to the page decoders. Each input is
// tried twice as a data page: as it is (the checksum must reject almost
// everything) and resealed with a correct checksum, so that the structural
// validation sees the damage. It is also decoded as a meta page. Every
// outcome must be success or an error satisfying ErrCorruption; a page
// that passes must survive every accessor; nothing may panic.
func FuzzDecodePage(f *testing.F) {
	l, err := NewLayout("fuzz", MinPageSize, checksum.CRC32C)
	if err != nil {
		f.Fatal(err)
	}
	// Seeds are trimmed of their zero tails (the body pads inputs with
	// zeros to a page): the fuzzer minimizes new inputs byte by byte, and
	// whole 4 KiB pages would keep it minimizing instead of fuzzing.
	for _, p := range sealedPages(f, &l) {
		f.Add(trimZeros(p))
		f.Add(p[:100])
	}
	m := make([]byte, MinPageSize)
	EncodeMeta(m, &Meta{Checkpoint: 1, PageSize: MinPageSize, Checksum: checksum.CRC32C, PageCount: 9,
		Root: Ref{ID: 4, LSN: 1}, Height: 2, Freelist: Ref{ID: 5, LSN: 1}, FreeCount: 3})
	f.Add(trimZeros(m))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := make([]byte, l.PageSize)
		copy(p, data)
		check := func(err error) {
			if err != nil && !errors.Is(err, engine.ErrCorruption) {
				t.Fatalf("error is not corruption, or a validated page broke an accessor: %v", err)
			}
		}
		check(exercise(&l, p))
		sealWith(p, l.Kind)
		check(exercise(&l, p))
		// Short input as a page: a length error.
		if len(data) != l.PageSize {
			h := ReadHeader(p)
			if _, err := l.Check(data, Ref{ID: h.ID}, 0); !errors.Is(err, engine.ErrCorruption) {
				t.Fatalf("page of %d bytes: %v", len(data), err)
			}
		}
		for id := uint64(0); id < 2; id++ {
			_, err := DecodeMeta("fuzz", id, data)
			check(err)
			// Padded to a page and resealed, the meta's fields are checked.
			q := make([]byte, MinPageSize)
			copy(q, data)
			sealWith(q, MetaChecksum)
			_, err = DecodeMeta("fuzz", id, q)
			check(err)
		}
	})
}

func trimZeros(p []byte) []byte {
	n := len(p)
	for n > 0 && p[n-1] == 0 {
		n--
	}
	return p[:n:n]
}
