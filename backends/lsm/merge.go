package lsm

import (
	"errors"
	"slices"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
)

// errDirection reports an internal misuse of a mergingIter: Next after a
// backward positioning or Prev after a forward one.
var errDirection = errors.New("lsm: internal error: merging iterator stepped against its direction")

// mergingIter merges child iterators into one internal-key order. It has a
// direction: First and SeekGE start forward (then only Next may be
// called), Last and SeekLT start backward (then only Prev). The user
// iterator changes direction by seeking again. Children earlier in the
// list win ties (no two sources hold the same internal key, but the rule
// keeps the order total).
//
// An error of any child stops the merge: the iterator becomes invalid and
// Error returns it.
type mergingIter struct {
	iters   []internalIterator
	heap    []int // indices of the valid children, a binary heap
	forward bool
	err     error
}

func newMergingIter(iters []internalIterator) *mergingIter {
	m := &mergingIter{}
	m.reset(iters)
	return m
}

// reset makes m an unpositioned merge of iters, reusing its heap.
func (m *mergingIter) reset(iters []internalIterator) {
	m.iters, m.heap, m.forward, m.err = iters, slices.Grow(m.heap[:0], len(iters)), false, nil
}

// less orders two children by their current keys in the direction.
func (m *mergingIter) less(a, b int) bool {
	c := base.Compare(m.iters[a].Key(), m.iters[b].Key())
	if c == 0 {
		return a < b
	}
	if m.forward {
		return c < 0
	}
	return c > 0
}

func (m *mergingIter) down(i int) {
	h := m.heap
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && m.less(h[r], h[l]) {
			j = r
		}
		if !m.less(h[j], h[i]) {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

// init rebuilds the heap after every child was positioned.
func (m *mergingIter) init(forward bool) bool {
	m.forward = forward
	m.heap = m.heap[:0]
	for i, it := range m.iters {
		if it.Valid() {
			m.heap = append(m.heap, i)
		} else if err := it.Error(); err != nil {
			m.err = err
			m.heap = m.heap[:0]
			return false
		}
	}
	for i := len(m.heap)/2 - 1; i >= 0; i-- {
		m.down(i)
	}
	return len(m.heap) > 0
}

func (m *mergingIter) First() bool {
	if m.err != nil {
		return false
	}
	for _, it := range m.iters {
		it.First()
	}
	return m.init(true)
}

func (m *mergingIter) Last() bool {
	if m.err != nil {
		return false
	}
	for _, it := range m.iters {
		it.Last()
	}
	return m.init(false)
}

func (m *mergingIter) SeekGE(userKey []byte) bool {
	if m.err != nil {
		return false
	}
	for _, it := range m.iters {
		it.SeekGE(userKey)
	}
	return m.init(true)
}

func (m *mergingIter) SeekLT(userKey []byte) bool {
	if m.err != nil {
		return false
	}
	for _, it := range m.iters {
		it.SeekLT(userKey)
	}
	return m.init(false)
}

// step moves the top child (Next or Prev) and restores the heap.
func (m *mergingIter) step(next bool) bool {
	if len(m.heap) == 0 {
		return false
	}
	top := m.heap[0]
	it := m.iters[top]
	var ok bool
	if next {
		ok = it.Next()
	} else {
		ok = it.Prev()
	}
	if !ok {
		if err := it.Error(); err != nil {
			m.err = err
			m.heap = m.heap[:0]
			return false
		}
		n := len(m.heap) - 1
		m.heap[0] = m.heap[n]
		m.heap = m.heap[:n]
	}
	if len(m.heap) > 0 {
		m.down(0)
	}
	return len(m.heap) > 0
}

// Next moves forward; the iterator must be in the forward direction.
func (m *mergingIter) Next() bool {
	if !m.forward {
		m.err, m.heap = errDirection, m.heap[:0]
		return false
	}
	return m.step(true)
}

// Prev moves backward; the iterator must be in the backward direction.
func (m *mergingIter) Prev() bool {
	if m.forward {
		m.err, m.heap = errDirection, m.heap[:0]
		return false
	}
	return m.step(false)
}

func (m *mergingIter) Valid() bool { return len(m.heap) > 0 }

func (m *mergingIter) Key() base.InternalKey { return m.iters[m.heap[0]].Key() }

func (m *mergingIter) Value() []byte { return m.iters[m.heap[0]].Value() }

func (m *mergingIter) Error() error { return m.err }

// Close closes every child and returns the first error.
func (m *mergingIter) Close() error {
	err := m.err
	for _, it := range m.iters {
		if cerr := it.Close(); err == nil {
			err = cerr
		}
	}
	m.heap = m.heap[:0]
	return err
}
