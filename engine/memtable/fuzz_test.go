package memtable

import (
	"errors"
	"math"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

// FuzzMemtable decodes the input into a sequence of operations (add, get,
// seeks, full iteration) and checks each against the sorted-slice model.
//
// Encoding: byte 0 picks the arena size (small ones exercise
// ErrArenaFull); then each operation is an opcode byte followed by its
// arguments, and input that runs out ends the sequence:
//
//	op%4 == 0, 1: add   key-byte seq-byte kind-byte vlen-byte
//	op%4 == 2:    probe key-byte seq-byte   (Get, SeekGE, SeekGESeq, SeekLT)
//	op%4 == 3:    check                     (whole list both ways)
//
// A key byte b selects a user key from a small space with shared prefixes
// and the empty key; seq 255 stands for math.MaxUint64. Input past 2048
// bytes is ignored.
func FuzzMemtable(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{255, 0, 1, 1, 1, 5, 3})
	f.Add([]byte{255, 0, 1, 1, 1, 5, 0, 1, 2, 0, 0, 2, 1, 1, 2, 1, 2, 3})
	f.Add([]byte{0, 0, 1, 1, 1, 200, 0, 2, 1, 1, 200, 0, 3, 1, 1, 200, 3})
	f.Add([]byte{8, 0, 10, 1, 1, 9, 0, 10, 1, 1, 9, 0, 10, 2, 0, 0, 2, 10, 1, 2, 10, 255, 3})
	f.Add([]byte{100, 0, 0, 255, 1, 0, 1, 0, 0, 0, 0, 2, 0, 255, 2, 0, 0, 3})
	f.Add([]byte{50, 0, 7, 3, 1, 20, 0, 15, 3, 0, 0, 0, 23, 3, 1, 20, 2, 7, 2, 2, 15, 4, 2, 31, 255, 3})
	f.Fuzz(runOps)
}

// runOps is FuzzMemtable's body.
func runOps(t *testing.T, data []byte) {
	{
		if len(data) == 0 {
			return
		}
		// Every check walks the whole list: bound the work per input.
		data = data[:min(len(data), 2048)]
		s := New(MinCapacity + 64*int(data[0]))
		s.Seed(uint64(len(data)))
		m := &model{}
		keyOf := func(b byte) string {
			const alphabet = "abcdefgh"
			k := alphabet[b%8 : b%8+1]
			switch (b / 8) % 4 {
			case 1:
				k += k
			case 2:
				k = "a" + k + "\x00"
			case 3:
				k = ""
			}
			return k
		}
		seqOf := func(b byte) uint64 {
			if b == 255 {
				return math.MaxUint64
			}
			return uint64(b)
		}
		p := data[1:]
		take := func(n int) ([]byte, bool) {
			if len(p) < n {
				return nil, false
			}
			b := p[:n]
			p = p[n:]
			return b, true
		}
		for {
			op, ok := take(1)
			if !ok {
				break
			}
			switch op[0] % 4 {
			case 0, 1:
				a, ok := take(4)
				if !ok {
					break
				}
				e := entry{keyOf(a[0]), seqOf(a[1]), engine.Kind(a[2] % 3), ""}
				v := valueFor([]byte(e.key), e.seq)
				e.value = string(v[:min(int(a[3]), len(v))])
				_, dup := m.find(e.key, e.seq)
				size := s.Size()
				err := s.Add([]byte(e.key), e.seq, e.kind, []byte(e.value))
				switch {
				case err == nil:
					if dup {
						t.Fatalf("Add(%v) accepted a duplicate", e)
					}
					m.add(e)
				case errors.Is(err, ErrDuplicate):
					if !dup {
						t.Fatalf("Add(%v): %v, but the model has no such entry", e, err)
					}
				case errors.Is(err, ErrArenaFull), errors.Is(err, ErrEntryTooLarge):
					if s.Size() != size {
						t.Fatalf("failed Add changed Size from %d to %d", size, s.Size())
					}
				default:
					t.Fatalf("Add(%v): %v", e, err)
				}
				if s.Size() > s.Capacity() {
					t.Fatalf("Size %d over Capacity %d", s.Size(), s.Capacity())
				}
			case 2:
				a, ok := take(2)
				if !ok {
					break
				}
				checkProbe(t, s, m, keyOf(a[0]), seqOf(a[1]))
			case 3:
				checkAll(t, s, m)
			}
		}
		checkAll(t, s, m)
	}
}
