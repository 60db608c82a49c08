package btree

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKidList checks the chunked child list against a plain slice through
// random sets, with copies (share) taken along the way: a change to a copy
// never shows in the original, nor the other way round.
func TestKidList(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 11))
	nodes := make([]*node, 8)
	for i := range nodes {
		nodes[i] = &node{}
	}
	for _, n := range []int{1, 2, kidChunk - 1, kidChunk, kidChunk + 1, 3*kidChunk + 5, 63 * kidChunk} {
		var k kidList
		if !k.empty() || k.at(0) != nil {
			t.Fatal("the zero list is not empty")
		}
		if got := k.slice(n); len(got) != n || slices.ContainsFunc(got, func(x *node) bool { return x != nil }) {
			t.Fatalf("slice of the empty list: %v", got)
		}
		model := make([]*node, n)
		k.ensure(n)
		type copyState struct {
			k     kidList
			model []*node
		}
		var copies []copyState
		for op := 0; op < 300; op++ {
			switch rng.IntN(6) {
			case 0:
				copies = append(copies, copyState{k.share(), slices.Clone(model)})
				// The original must not change once shared: continue on
				// a second copy, as a writer does.
				k = k.share()
			case 1:
				if len(copies) > 0 {
					c := &copies[rng.IntN(len(copies))]
					i := rng.IntN(n)
					x := nodes[rng.IntN(len(nodes))]
					c.k.set(i, x)
					c.model[i] = x
				}
			default:
				i := rng.IntN(n)
				x := nodes[rng.IntN(len(nodes))]
				if rng.IntN(4) == 0 {
					x = nil
				}
				k.set(i, x)
				model[i] = x
			}
		}
		check := func(what string, k *kidList, model []*node) {
			for i := range model {
				if k.at(i) != model[i] {
					t.Fatalf("n=%d, %s: entry %d differs", n, what, i)
				}
			}
			if !slices.Equal(k.slice(n), model) {
				t.Fatalf("n=%d, %s: slice differs", n, what)
			}
		}
		check("list", &k, model)
		for j := range copies {
			check("copy", &copies[j].k, copies[j].model)
		}
		rebuilt := newKidList(model)
		if rebuilt.empty() != !slices.ContainsFunc(model, func(x *node) bool { return x != nil }) {
			t.Fatalf("n=%d: newKidList emptiness", n)
		}
		if !rebuilt.empty() {
			check("newKidList", &rebuilt, model)
		}
	}
	var nilList *kidList
	if nilList.at(3) != nil {
		t.Fatal("a nil list holds a child")
	}
}
