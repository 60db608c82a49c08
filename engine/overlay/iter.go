package overlay

import "bytes"

// iterPos says where an Iter stands.
type iterPos uint8

const (
	posNone   iterPos = iota // never positioned: Next acts as First, Prev as Last
	posValid                 // at a live key within the bounds
	posBefore                // moved off the low end: Next acts as First
	posAfter                 // moved off the high end: Prev acts as Last
	posError                 // a layer failed: every move returns false
)

// layerState is one layer of an Iter and what the Iter knows of it.
type layerState struct {
	l   Layer
	key []byte // l.Key() when ok: refreshed after each move of l
	ok  bool   // l is valid
	at  bool   // l stands at the Iter's current key (a winner or a shadowed entry)
}

// Iter is the merged view of its layers, layers[0] the newest: on a key
// held by several layers the newest wins, and a key whose winning entry is
// a deletion is skipped. It has the methods of engine.Iterator except
// Close, with the same positioning semantics and bounds (see the package
// doc); it allocates nothing per move.
//
// Key and Value alias the winning layer's: valid until the next move, never
// to be modified. An Iter is not safe for concurrent use and must not be
// copied after first use (its layer slice may point into itself).
type Iter struct {
	ls       []layerState
	buf      [3]layerState // storage of ls for up to 3 layers
	lower    []byte
	upper    []byte
	hasLower bool
	hasUpper bool
	pos      iterPos
	dir      int8 // +1: layers stand at their first key >= the current; -1: last <= it
	cur      int  // the winning layer when posValid
	key      []byte
	err      error
}

// New returns an unpositioned Iter over layers (layers[0] the newest),
// bounded below by lower (inclusive) and above by upper (exclusive); a nil
// bound is unbounded. The bounds are copied; the layers are used in place
// and must not be moved by anyone else while the Iter is in use. A nil
// layer makes the Iter fail with ErrNilLayer.
func New(layers []Layer, lower, upper []byte) *Iter {
	it := new(Iter)
	it.Reset(layers, lower, upper)
	return it
}

// Reset makes it an unpositioned Iter over layers with the given bounds,
// as New does, reusing its memory: it allocates nothing when there are at
// most 3 layers (or no more than at an earlier use) and the bounds fit the
// space of earlier ones. The zero Iter may be Reset.
func (it *Iter) Reset(layers []Layer, lower, upper []byte) {
	ls := it.ls
	if cap(ls) == 0 {
		ls = it.buf[:0]
	}
	clear(ls[:cap(ls)]) // drop references to earlier layers
	ls = ls[:0]
	it.err = nil
	for _, l := range layers {
		if l == nil {
			it.err = ErrNilLayer
		}
		ls = append(ls, layerState{l: l})
	}
	it.ls = ls
	it.hasLower, it.hasUpper = lower != nil, upper != nil
	it.lower = append(it.lower[:0], lower...)
	it.upper = append(it.upper[:0], upper...)
	it.pos, it.dir, it.cur, it.key = posNone, 0, 0, nil
	if it.err != nil {
		it.pos = posError
	}
}

// moved records the result of a move of layer i.
func (it *Iter) moved(i int, ok bool) {
	s := &it.ls[i]
	s.ok = ok
	if ok {
		s.key = s.l.Key()
		return
	}
	s.key = nil
	if err := s.l.Error(); err != nil && it.err == nil {
		it.err = err
	}
}

// fail puts the Iter in its error state.
func (it *Iter) fail() bool {
	it.pos, it.key = posError, nil
	for i := range it.ls {
		it.ls[i].key, it.ls[i].at = nil, false
	}
	return false
}

// settleForward finishes a forward move: every layer stands at its first
// key >= some point. It finds the smallest key among them, skips it (and
// on) while its newest entry is a deletion, and stops at Upper.
func (it *Iter) settleForward() bool {
	it.dir = 1
	for {
		if it.err != nil {
			return it.fail()
		}
		best := -1
		for i := range it.ls {
			s := &it.ls[i]
			s.at = false
			if !s.ok {
				continue
			}
			if best >= 0 {
				c := bytes.Compare(s.key, it.ls[best].key)
				if c > 0 {
					continue
				}
				if c == 0 { // shadowed by the newer layer best
					s.at = true
					continue
				}
				for j := best; j < i; j++ { // a new smallest key
					it.ls[j].at = false
				}
			}
			best, s.at = i, true
		}
		if best < 0 || it.hasUpper && bytes.Compare(it.ls[best].key, it.upper) >= 0 {
			it.pos, it.key = posAfter, nil
			return false
		}
		if !it.ls[best].l.Deleted() {
			it.pos, it.cur, it.key = posValid, best, it.ls[best].key
			return true
		}
		for i := range it.ls {
			if it.ls[i].at {
				it.moved(i, it.ls[i].l.Next())
			}
		}
	}
}

// settleBackward finishes a backward move: every layer stands at its last
// key <= some point. It finds the largest key among them, skips deletions
// and stops below Lower.
func (it *Iter) settleBackward() bool {
	it.dir = -1
	for {
		if it.err != nil {
			return it.fail()
		}
		best := -1
		for i := range it.ls {
			s := &it.ls[i]
			s.at = false
			if !s.ok {
				continue
			}
			if best >= 0 {
				c := bytes.Compare(s.key, it.ls[best].key)
				if c < 0 {
					continue
				}
				if c == 0 { // shadowed by the newer layer best
					s.at = true
					continue
				}
				for j := best; j < i; j++ { // a new largest key
					it.ls[j].at = false
				}
			}
			best, s.at = i, true
		}
		if best < 0 || it.hasLower && bytes.Compare(it.ls[best].key, it.lower) < 0 {
			it.pos, it.key = posBefore, nil
			return false
		}
		if !it.ls[best].l.Deleted() {
			it.pos, it.cur, it.key = posValid, best, it.ls[best].key
			return true
		}
		for i := range it.ls {
			if it.ls[i].at {
				it.moved(i, it.ls[i].l.Prev())
			}
		}
	}
}

// seekGE positions every layer at its smallest key >= key and settles.
func (it *Iter) seekGE(key []byte) bool {
	for i := range it.ls {
		it.moved(i, it.ls[i].l.SeekGE(key))
	}
	return it.settleForward()
}

// seekLT positions every layer at its largest key < key and settles.
func (it *Iter) seekLT(key []byte) bool {
	for i := range it.ls {
		it.moved(i, it.ls[i].l.SeekLT(key))
	}
	return it.settleBackward()
}

// First moves to the smallest live key >= lower.
func (it *Iter) First() bool {
	if it.pos == posError {
		return false
	}
	if it.hasLower {
		return it.seekGE(it.lower)
	}
	for i := range it.ls {
		it.moved(i, it.ls[i].l.First())
	}
	return it.settleForward()
}

// Last moves to the largest live key < upper.
func (it *Iter) Last() bool {
	if it.pos == posError {
		return false
	}
	if it.hasUpper {
		return it.seekLT(it.upper)
	}
	for i := range it.ls {
		it.moved(i, it.ls[i].l.Last())
	}
	return it.settleBackward()
}

// SeekGE moves to the smallest live key >= key and >= lower.
func (it *Iter) SeekGE(key []byte) bool {
	if it.pos == posError {
		return false
	}
	if it.hasLower && bytes.Compare(key, it.lower) < 0 {
		key = it.lower
	}
	return it.seekGE(key)
}

// SeekLT moves to the largest live key < key and < upper.
func (it *Iter) SeekLT(key []byte) bool {
	if it.pos == posError {
		return false
	}
	if it.hasUpper && bytes.Compare(key, it.upper) > 0 {
		key = it.upper
	}
	return it.seekLT(key)
}

// Next moves to the next larger live key. After the Iter moved off the low
// end, and on a fresh Iter, it acts as First; off the high end it returns
// false.
func (it *Iter) Next() bool {
	switch it.pos {
	case posValid:
	case posNone, posBefore:
		return it.First()
	default:
		return false
	}
	if it.dir < 0 {
		// Layers stand at their last key <= the current key k, and those
		// not at k hold no k. Move them past k, then step the ones at k,
		// the winner last: k aliases its key.
		for i := range it.ls {
			if !it.ls[i].at {
				it.moved(i, it.ls[i].l.SeekGE(it.key))
			}
		}
		for i := range it.ls {
			if it.ls[i].at && i != it.cur {
				it.moved(i, it.ls[i].l.Next())
			}
		}
		it.moved(it.cur, it.ls[it.cur].l.Next())
		return it.settleForward()
	}
	for i := range it.ls {
		if it.ls[i].at {
			it.moved(i, it.ls[i].l.Next())
		}
	}
	return it.settleForward()
}

// Prev moves to the next smaller live key. After the Iter moved off the
// high end, and on a fresh Iter, it acts as Last; off the low end it
// returns false.
func (it *Iter) Prev() bool {
	switch it.pos {
	case posValid:
	case posNone, posAfter:
		return it.Last()
	default:
		return false
	}
	if it.dir > 0 {
		// Layers stand at their first key >= the current key k, and those
		// not at k hold no k: mirror of Next.
		for i := range it.ls {
			if !it.ls[i].at {
				it.moved(i, it.ls[i].l.SeekLT(it.key))
			}
		}
		for i := range it.ls {
			if it.ls[i].at && i != it.cur {
				it.moved(i, it.ls[i].l.Prev())
			}
		}
		it.moved(it.cur, it.ls[it.cur].l.Prev())
		return it.settleBackward()
	}
	for i := range it.ls {
		if it.ls[i].at {
			it.moved(i, it.ls[i].l.Prev())
		}
	}
	return it.settleBackward()
}

// Valid reports whether the Iter stands at a key.
func (it *Iter) Valid() bool { return it.pos == posValid }

// Key returns the current key, or nil when not Valid. It aliases the
// winning layer's key: valid until the next move; do not modify it.
func (it *Iter) Key() []byte { return it.key }

// Value returns the current value, or nil when not Valid. It aliases the
// winning layer's value: valid until the next move; do not modify it.
func (it *Iter) Value() []byte {
	if it.pos != posValid {
		return nil
	}
	return it.ls[it.cur].l.Value()
}

// Error returns the first error a layer reported (or ErrNilLayer), which
// stopped the Iter; nil otherwise.
func (it *Iter) Error() error { return it.err }
