package enginetest

import (
	"strings"
	"testing"
)

func modelOf(kvs ...string) *model {
	m := newModel()
	for i := 0; i+1 < len(kvs); i += 2 {
		m.set([]byte(kvs[i]), []byte(kvs[i+1]))
	}
	return m
}

func TestModelIter(t *testing.T) {
	m := modelOf("b", "1", "d", "2", "f", "3")
	tests := []struct {
		name         string
		lower, upper string // "-" is nil
		moves        []iterMove
		want         string // key after the last move, "" for not valid
	}{
		{"first", "-", "-", []iterMove{{name: "First"}}, "b"},
		{"last", "-", "-", []iterMove{{name: "Last"}}, "f"},
		{"first lower", "c", "-", []iterMove{{name: "First"}}, "d"},
		{"last upper exclusive", "-", "f", []iterMove{{name: "Last"}}, "d"},
		{"lower inclusive", "d", "-", []iterMove{{name: "First"}}, "d"},
		{"empty range", "c", "d", []iterMove{{name: "First"}}, ""},
		{"seekge present", "-", "-", []iterMove{{name: "SeekGE", arg: []byte("d")}}, "d"},
		{"seekge absent", "-", "-", []iterMove{{name: "SeekGE", arg: []byte("c")}}, "d"},
		{"seekge past end", "-", "-", []iterMove{{name: "SeekGE", arg: []byte("g")}}, ""},
		{"seekge below lower", "c", "-", []iterMove{{name: "SeekGE", arg: []byte("a")}}, "d"},
		{"seekge at upper", "-", "f", []iterMove{{name: "SeekGE", arg: []byte("f")}}, ""},
		{"seeklt present", "-", "-", []iterMove{{name: "SeekLT", arg: []byte("d")}}, "b"},
		{"seeklt absent", "-", "-", []iterMove{{name: "SeekLT", arg: []byte("e")}}, "d"},
		{"seeklt before start", "-", "-", []iterMove{{name: "SeekLT", arg: []byte("b")}}, ""},
		{"seeklt above upper", "-", "e", []iterMove{{name: "SeekLT", arg: []byte("z")}}, "d"},
		{"seeklt at lower", "d", "-", []iterMove{{name: "SeekLT", arg: []byte("d")}}, ""},
		{"next prev", "-", "-", []iterMove{{name: "First"}, {name: "Next"}, {name: "Next"}, {name: "Prev"}}, "d"},
		{"next off end", "-", "-", []iterMove{{name: "Last"}, {name: "Next"}}, ""},
		{"prev off start", "-", "-", []iterMove{{name: "First"}, {name: "Prev"}}, ""},
		{"next stays in bounds", "-", "f", []iterMove{{name: "SeekGE", arg: []byte("d")}, {name: "Next"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var lower, upper []byte
			if tc.lower != "-" {
				lower = []byte(tc.lower)
			}
			if tc.upper != "-" {
				upper = []byte(tc.upper)
			}
			it := m.newIter(lower, upper)
			var valid bool
			for _, mv := range tc.moves {
				valid = mv.doModel(it)
			}
			got := ""
			if valid {
				got = string(it.key())
			}
			if got != tc.want || valid != it.valid() {
				t.Fatalf("got %q (valid %v), want %q", got, valid, tc.want)
			}
		})
	}
}

func set(k, v string) op { return op{key: []byte(k), value: []byte(v)} }
func del(k string) op    { return op{del: true, key: []byte(k)} }

func TestHistoryMatch(t *testing.T) {
	w := func(sync bool, ops ...op) write { return write{ops: ops, sync: sync, batch: len(ops) > 1} }
	type hw struct {
		w      write
		failed bool
	}
	tests := []struct {
		name    string
		writes  []hw
		durable int // -1: as the writes' Sync flags say
		got     *model
		wantJ   int // -1: no match
	}{
		{"empty history", nil, -1, modelOf(), 0},
		{"everything", []hw{{w: w(false, set("a", "1"))}, {w: w(false, set("b", "2"))}}, -1, modelOf("a", "1", "b", "2"), 2},
		{"unsynced suffix lost", []hw{{w: w(true, set("a", "1"))}, {w: w(false, set("b", "2"))}}, -1, modelOf("a", "1"), 1},
		{"synced write lost", []hw{{w: w(true, set("a", "1"))}, {w: w(true, set("b", "2"))}}, -1, modelOf("a", "1"), -1},
		{"hole", []hw{{w: w(false, set("a", "1"))}, {w: w(false, set("b", "2"))}}, -1, modelOf("b", "2"), -1},
		{"resurrected delete", []hw{{w: w(false, set("a", "1"))}, {w: w(true, del("a"))}}, -1, modelOf("a", "1"), -1},
		{"deleted as written", []hw{{w: w(false, set("a", "1"))}, {w: w(true, del("a"))}}, -1, modelOf(), 2},
		{"partial batch", []hw{{w: w(false, set("a", "1"), set("b", "2"))}}, -1, modelOf("a", "1"), -1},
		{"whole batch lost", []hw{{w: w(false, set("a", "1"), set("b", "2"))}}, -1, modelOf(), 0},
		{"flush makes durable", []hw{{w: w(false, set("a", "1"))}}, 1, modelOf(), -1},
		{"failed write absent", []hw{{w: w(true, set("a", "1"))}, {w: w(true, set("b", "2")), failed: true}, {w: w(true, set("c", "3"))}}, -1, modelOf("a", "1", "c", "3"), 3},
		{"failed write present", []hw{{w: w(true, set("a", "1"))}, {w: w(true, set("b", "2")), failed: true}, {w: w(true, set("c", "3"))}}, -1, modelOf("a", "1", "b", "2", "c", "3"), 3},
		{"failed write does not excuse a later hole", []hw{{w: w(true, set("b", "2")), failed: true}, {w: w(true, set("c", "3"))}}, -1, modelOf("b", "2"), -1},
		{"wrong value", []hw{{w: w(true, set("a", "1"))}}, -1, modelOf("a", "2"), -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHistory(newModel())
			for _, x := range tc.writes {
				var err error
				if x.failed {
					err = errTest
				}
				h.add(x.w, err)
			}
			if tc.durable >= 0 {
				h.durable = tc.durable
			}
			j, err := h.match(tc.got)
			if tc.wantJ < 0 {
				if err == nil {
					t.Fatalf("matched prefix %d, want no match", j)
				}
				if !strings.Contains(err.Error(), "history:") {
					t.Fatalf("mismatch report lacks the history: %v", err)
				}
				return
			}
			if err != nil || j != tc.wantJ {
				t.Fatalf("match = %d, %v; want %d", j, err, tc.wantJ)
			}
		})
	}
}

var errTest = &panicError{val: "test error"}

func TestConsistent(t *testing.T) {
	m := modelOf("a", "1", "b", "2", "c", "3")
	obs := func(kvs ...string) []observation {
		var o []observation
		for i := 0; i+1 < len(kvs); i += 2 {
			var v []byte
			if kvs[i+1] != "<nil>" {
				v = []byte(kvs[i+1])
			}
			o = append(o, observation{[]byte(kvs[i]), v})
		}
		return o
	}
	full := obs("a", "1", "b", "2", "c", "3")
	rev := obs("c", "3", "b", "2", "a", "1")
	tests := []struct {
		name     string
		gets     []observation
		fwd      []observation
		fwdCut   bool
		rev      []observation
		revCut   bool
		wantFail bool
	}{
		{"all right", full, full, false, rev, false, false},
		{"cut after a correct prefix", full, full[:1], true, rev[:2], true, false},
		{"nothing read, all corrupt", nil, nil, true, nil, true, false},
		{"short without error", full, full[:2], false, rev, false, true},
		{"wrong value", obs("a", "9"), full, false, rev, false, true},
		{"missing key", obs("a", "<nil>"), full, false, rev, false, true},
		{"extra key", obs("z", "1"), full, false, rev, false, true},
		{"skipped key then cut", nil, obs("a", "1", "c", "3"), true, rev, false, true},
		{"reverse wrong", nil, full, false, full, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := consistent(m, tc.gets, tc.fwd, tc.fwdCut, tc.rev, tc.revCut)
			if (err != nil) != tc.wantFail {
				t.Fatalf("consistent = %v, want failure %v", err, tc.wantFail)
			}
		})
	}
}

func TestFmtBytes(t *testing.T) {
	tests := []struct {
		in   []byte
		max  int
		want string
	}{
		{nil, 10, `""`},
		{[]byte("abc"), 10, `"abc"`},
		{[]byte{0, 0xff, '"'}, 10, `"\x00\xff\x22"`},
		{[]byte("abcdef"), 3, `"abc..."(6 bytes)`},
	}
	for _, tc := range tests {
		if got := fmtBytes(tc.in, tc.max); got != tc.want {
			t.Errorf("fmtBytes(%q, %d) = %s, want %s", tc.in, tc.max, got, tc.want)
		}
	}
	if got := fmtKey(nil); got != "nil" {
		t.Errorf("fmtKey(nil) = %s", got)
	}
	if got := fmtVal(nil); got != "<absent>" {
		t.Errorf("fmtVal(nil) = %s", got)
	}
}

func TestReplayCommand(t *testing.T) {
	got := replayCommand("TestX/Randomized", 42)
	if !strings.Contains(got, `-run '^TestX$/^Randomized$' -enginetest.seed=42`) {
		t.Fatalf("replayCommand = %s", got)
	}
}
