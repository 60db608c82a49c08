package memengine

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var seedFlag = flag.Uint64("seed", 0, "seed for the randomized tests (0: pick one from the clock)")

// testSeed returns the seed of a randomized test and logs it so that a
// failure can be replayed with -seed.
func testSeed(t testing.TB) uint64 {
	t.Helper()
	s := *seedFlag
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed=%d)", s, s)
	return s
}

func TestLoad8(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
	}{
		{"", 0},
		{"\x01", 0x01 << 56},
		{"ab", 0x6162 << 48},
		{"\x00\x00\x00\x00\x00\x00\x00\x01", 1},
		{"12345678", 0x3132333435363738},
		{"123456789", 0x3132333435363738},
		{"\xff\xff\xff\xff\xff\xff\xff\xff\xff", ^uint64(0)},
	}
	for _, tc := range tests {
		if got := load8([]byte(tc.in)); got != tc.want {
			t.Errorf("load8(%q) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
}

func TestLoad8Order(t *testing.T) {
	// load8(a) < load8(b) must imply a < b.
	words := []string{"", "\x00", "\x00\x00", "a", "a\x00", "ab", "abcdefgh", "abcdefgh\x00", "abcdefgi", "b", "\xff", "\xff\xff\xff\xff\xff\xff\xff\xff\x00"}
	for _, a := range words {
		for _, b := range words {
			if load8([]byte(a)) < load8([]byte(b)) && a >= b {
				t.Errorf("load8(%q) < load8(%q) but %q >= %q", a, b, a, b)
			}
		}
	}
}

func TestLCP(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"a", "", 0},
		{"abc", "abd", 2},
		{"abc", "abc", 3},
		{"abc", "abcd", 3},
		{"user12345678901", "user12345678999", 13},
		{"0123456789abcdefXYZ", "0123456789abcdefXYw", 18},
		{"\x00\x00", "\x00\x01", 1},
	}
	for _, tc := range tests {
		if got := lcp([]byte(tc.a), []byte(tc.b)); got != tc.want {
			t.Errorf("lcp(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	if got := boundsPrefix(nil, []byte("abc")); got != 0 {
		t.Errorf("boundsPrefix(nil, abc) = %d, want 0", got)
	}
	if got := boundsPrefix([]byte("abc"), nil); got != 0 {
		t.Errorf("boundsPrefix(abc, nil) = %d, want 0", got)
	}
	if got := boundsPrefix([]byte("abc"), []byte("abd")); got != 2 {
		t.Errorf("boundsPrefix(abc, abd) = %d, want 2", got)
	}
}

// leafOf builds a leaf holding keys (sorted) with bounds [lo, hi).
func leafOf(lo, hi string, keys ...string) *node {
	n := &node{}
	for _, k := range keys {
		n.keys = append(n.keys, []byte(k))
		n.vals = append(n.vals, []byte("v"+k))
	}
	var blo, bhi []byte
	if lo != "" {
		blo = []byte(lo)
	}
	if hi != "" {
		bhi = []byte(hi)
	}
	n.reindex(blo, bhi)
	return n
}

func TestSeek(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi string
		keys   []string
		search string
		want   int
		eq     bool
	}{
		{"empty", "", "", nil, "a", 0, false},
		{"before all", "", "", []string{"b", "c"}, "a", 0, false},
		{"exact first", "", "", []string{"b", "c"}, "b", 0, true},
		{"between", "", "", []string{"b", "d"}, "c", 1, false},
		{"after all", "", "", []string{"b", "d"}, "e", 2, false},
		{"zero padding tie short first", "", "", []string{"ab", "ab\x00", "ab\x00\x00"}, "ab\x00", 1, true},
		{"zero padding absent", "", "", []string{"ab", "ab\x00\x00"}, "ab\x00", 1, false},
		{"long tie", "", "", []string{"abcdefgh1", "abcdefgh2", "abcdefgh3"}, "abcdefgh2", 1, true},
		{"long tie absent", "", "", []string{"abcdefgh1", "abcdefgh3"}, "abcdefgh2", 1, false},
		{"long vs short tie", "", "", []string{"abcdefgh", "abcdefgh\x00"}, "abcdefgh\x00", 1, true},
		{"shared prefix", "user100", "user200", []string{"user100", "user150", "user1999"}, "user150", 1, true},
		{"shared prefix absent", "user100", "user200", []string{"user100", "user150", "user1999"}, "user16", 2, false},
		{"prefix equals bound", "user1", "user2", []string{"user1", "user1\x00", "user1\xff"}, "user1", 0, true},
		{"binary keys", "", "", []string{"\x00", "\x00\xff", "\xff", "\xff\xff"}, "\xff", 2, true},
		{"short search key fallback", "user100", "user200", []string{"user100", "user150"}, "u", 0, false},
	}
	for _, tc := range tests {
		n := leafOf(tc.lo, tc.hi, tc.keys...)
		got, eq := n.seek([]byte(tc.search))
		if got != tc.want || eq != tc.eq {
			t.Errorf("%s: seek(%q) in %q (cp %d) = %d,%v; want %d,%v", tc.name, tc.search, tc.keys, n.cp, got, eq, tc.want, tc.eq)
		}
	}
}

// checkTree verifies every invariant of the tree rooted at root (see the
// node type) and returns the number of entries.
func checkTree(t testing.TB, root *node) int {
	t.Helper()
	if root == nil {
		return 0
	}
	if root.leaf() && len(root.keys) == 0 {
		t.Fatalf("empty root leaf (an empty tree must be nil)")
	}
	leafDepth := -1
	var walk func(n *node, lo, hi []byte, depth int) int
	walk = func(n *node, lo, hi []byte, depth int) int {
		where := fmt.Sprintf("node at depth %d bounds [%q, %q)", depth, lo, hi)
		if n.size() > maxEntries || (n != root && n.size() < minEntries) {
			t.Fatalf("%s: size %d outside [%d, %d]", where, n.size(), minEntries, maxEntries)
		}
		if n.cp > boundsPrefix(lo, hi) {
			t.Fatalf("%s: cp %d > bounds prefix %d", where, n.cp, boundsPrefix(lo, hi))
		}
		for i, k := range n.keys {
			if i > 0 && bytes.Compare(n.keys[i-1], k) >= 0 {
				t.Fatalf("%s: keys %d, %d out of order: %q, %q", where, i-1, i, n.keys[i-1], k)
			}
			if lo != nil && bytes.Compare(k, lo) < 0 || hi != nil && bytes.Compare(k, hi) >= 0 {
				t.Fatalf("%s: key %q out of bounds", where, k)
			}
			if n.heads[i] != load8(k[n.cp:]) {
				t.Fatalf("%s: head %d of %q is %#x, want %#x", where, i, k, n.heads[i], load8(k[n.cp:]))
			}
		}
		if n.leaf() {
			if len(n.vals) != len(n.keys) {
				t.Fatalf("%s: %d keys, %d values", where, len(n.keys), len(n.vals))
			}
			if leafDepth == -1 {
				leafDepth = depth
			} else if leafDepth != depth {
				t.Fatalf("%s: leaf at depth %d, another at %d", where, depth, leafDepth)
			}
			return len(n.keys)
		}
		if n.vals != nil || len(n.kids) != len(n.keys)+1 || len(n.kids) < 2 {
			t.Fatalf("%s: inner node with %d keys, %d kids, vals %v", where, len(n.keys), len(n.kids), n.vals != nil)
		}
		total := 0
		for i, kid := range n.kids {
			clo, chi := n.childBounds(i, lo, hi)
			total += walk(kid, clo, chi, depth+1)
		}
		return total
	}
	return walk(root, nil, nil, 0)
}

// treeContents lists the tree's entries in order as "key=value".
func treeContents(root *node) []string {
	var out []string
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil {
			return
		}
		if n.leaf() {
			for i, k := range n.keys {
				out = append(out, fmt.Sprintf("%q=%q", k, n.vals[i]))
			}
			return
		}
		for _, kid := range n.kids {
			walk(kid)
		}
	}
	walk(root)
	return out
}

func modelContents(m map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, fmt.Sprintf("%q=%q", k, m[k]))
	}
	return out
}

// randKey returns a key from a small space with long shared prefixes,
// zero and 0xff bytes, so that prefixes, heads and ties are exercised.
func randKey(r *rand.Rand, space int) []byte {
	prefixes := []string{"", "a", "user", "\x00", "\xff\xff", "0123456789abcdef"}
	alphabet := []byte{0x00, 0x01, 'a', 'b', 0xfe, 0xff}
	k := []byte(prefixes[r.IntN(len(prefixes))])
	n := r.IntN(space)
	for n > 0 || len(k) == 0 {
		k = append(k, alphabet[n%len(alphabet)])
		n /= len(alphabet)
	}
	return k
}

// TestTreeRandom applies random transactions to the tree and, after each,
// checks the invariants and the contents against a map, and checks that
// older versions kept by the test were not changed (persistence).
func TestTreeRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(testSeed(t), 0))
	txns := 3000
	if testing.Short() {
		txns = 400
	}
	type kept struct {
		root *node
		want []string
	}
	var old []kept
	var root *node
	model := map[string]string{}
	space := 50
	for g := uint64(1); g <= uint64(txns); g++ {
		if g%500 == 0 && space < 5000 {
			space *= 4 // grow the tree, then let deletions shrink it again
		}
		tx := &txn{gen: g}
		ops := 1 + r.IntN(40)
		delBias := r.IntN(3) // 0: grow, 1: balanced, 2: shrink
		for range ops {
			k := randKey(r, space)
			if r.IntN(4) < 1+delBias {
				var found bool
				var oldv []byte
				root, oldv, found = tx.del(root, k)
				want, had := model[string(k)]
				if found != had || (found && string(oldv) != want) {
					t.Fatalf("txn %d: del(%q) = %q,%v; model %q,%v", g, k, oldv, found, want, had)
				}
				delete(model, string(k))
			} else {
				v := fmt.Sprintf("v%d", r.IntN(1000))
				var replaced bool
				var oldv []byte
				root, oldv, replaced = tx.set(root, slices.Clone(k), []byte(v))
				want, had := model[string(k)]
				if replaced != had || (replaced && string(oldv) != want) {
					t.Fatalf("txn %d: set(%q) replaced %q,%v; model %q,%v", g, k, oldv, replaced, want, had)
				}
				model[string(k)] = v
			}
		}
		if n := checkTree(t, root); n != len(model) {
			t.Fatalf("txn %d: tree has %d entries, model %d", g, n, len(model))
		}
		if len(model) > 1000 && g%20 != 0 {
			continue // full comparisons on big trees only now and then
		}
		want := modelContents(model)
		if got := treeContents(root); !slices.Equal(got, want) {
			t.Fatalf("txn %d: contents differ:\n got %q\nwant %q", g, got, want)
		}
		for k, v := range model {
			got, ok := get(root, []byte(k))
			if !ok || string(got) != v {
				t.Fatalf("txn %d: get(%q) = %q,%v, want %q", g, k, got, ok, v)
			}
		}
		if r.IntN(20) == 0 {
			old = append(old, kept{root, want})
		}
		for _, o := range old {
			if got := treeContents(o.root); !slices.Equal(got, o.want) {
				t.Fatalf("txn %d: an old version changed:\n got %q\nwant %q", g, got, o.want)
			}
		}
		if len(old) > 10 {
			old = old[1:]
		}
	}
}

// TestTreeSequential loads keys in order and removes them in order and in
// reverse, the patterns that hit one edge of the tree.
func TestTreeSequential(t *testing.T) {
	for _, reverse := range []bool{false, true} {
		var root *node
		const n = 5000
		key := func(i int) []byte { return fmt.Appendf(nil, "key%08d", i) }
		tx := &txn{gen: 1}
		for i := range n {
			root, _, _ = tx.set(root, key(i), key(i))
			if i%97 == 0 {
				tx = &txn{gen: tx.gen + 1}
			}
		}
		if got := checkTree(t, root); got != n {
			t.Fatalf("loaded %d, tree has %d", n, got)
		}
		for i := range n {
			j := i
			if reverse {
				j = n - 1 - i
			}
			var found bool
			root, _, found = tx.del(root, key(j))
			if !found {
				t.Fatalf("del(%s) not found", key(j))
			}
			if i%131 == 0 {
				tx = &txn{gen: tx.gen + 1}
				checkTree(t, root)
			}
		}
		if root != nil {
			t.Fatalf("tree not empty after deleting every key: %d left", checkTree(t, root))
		}
	}
}
