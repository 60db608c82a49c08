package overlay

import (
	"bytes"
	"fmt"
	"sort"
)

// entry is one key of a layer as a test builds it.
type entry struct {
	key   string
	value string
	del   bool
}

// sliceLayer is a Layer over sorted entries: the stand-in for the tree.
type sliceLayer struct {
	es  []entry
	kb  [][]byte // es[i].key as bytes, so that Key allocates nothing
	vb  [][]byte
	pos int // index into es; -1 or len(es) when invalid
}

func newSliceLayer(es []entry) *sliceLayer {
	es = append([]entry(nil), es...)
	sort.Slice(es, func(i, j int) bool { return es[i].key < es[j].key })
	for i := 1; i < len(es); i++ {
		if es[i].key == es[i-1].key {
			panic(fmt.Sprintf("sliceLayer: duplicate key %q", es[i].key))
		}
	}
	l := &sliceLayer{es: es, pos: -1}
	for _, e := range es {
		l.kb = append(l.kb, []byte(e.key))
		l.vb = append(l.vb, []byte(e.value))
	}
	return l
}

func (l *sliceLayer) search(key []byte) int {
	return sort.Search(len(l.kb), func(i int) bool { return bytes.Compare(l.kb[i], key) >= 0 })
}

func (l *sliceLayer) Valid() bool            { return l.pos >= 0 && l.pos < len(l.es) }
func (l *sliceLayer) First() bool            { l.pos = 0; return l.Valid() }
func (l *sliceLayer) Last() bool             { l.pos = len(l.es) - 1; return l.Valid() }
func (l *sliceLayer) SeekGE(key []byte) bool { l.pos = l.search(key); return l.Valid() }
func (l *sliceLayer) SeekLT(key []byte) bool { l.pos = l.search(key) - 1; return l.Valid() }
func (l *sliceLayer) Next() bool {
	if !l.Valid() {
		panic("sliceLayer: Next on an invalid layer")
	}
	l.pos++
	return l.Valid()
}
func (l *sliceLayer) Prev() bool {
	if !l.Valid() {
		panic("sliceLayer: Prev on an invalid layer")
	}
	l.pos--
	return l.Valid()
}
func (l *sliceLayer) Key() []byte   { return l.kb[l.pos] }
func (l *sliceLayer) Value() []byte { return l.vb[l.pos] }
func (l *sliceLayer) Deleted() bool { return l.es[l.pos].del }
func (l *sliceLayer) Error() error  { return nil }

// walkLayer lists a layer's entries by First/Next, then checks that
// Last/Prev lists the same backward.
func walkLayer(l Layer) ([]entry, error) {
	var fwd []entry
	for ok := l.First(); ok; ok = l.Next() {
		fwd = append(fwd, entry{string(l.Key()), string(l.Value()), l.Deleted()})
	}
	if err := l.Error(); err != nil {
		return nil, err
	}
	i := len(fwd)
	for ok := l.Last(); ok; ok = l.Prev() {
		i--
		got := entry{string(l.Key()), string(l.Value()), l.Deleted()}
		if i < 0 || got != fwd[i] {
			return nil, fmt.Errorf("backward walk: entry %d is %+v; forward gave %v", i, got, fwd)
		}
	}
	if i != 0 {
		return nil, fmt.Errorf("backward walk stopped at index %d; forward gave %v", i, fwd)
	}
	return fwd, nil
}
