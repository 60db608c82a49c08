package memengine

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestRec(t *testing.T) {
	tests := []struct {
		seq      uint64
		key, val string
		tomb     bool
	}{
		{1, "k", "v", false},
		{1 << 40, "key", "", false},
		{7, "\x00\xff", "", true},
		{0, "a", "ignored", true},
	}
	for _, tc := range tests {
		r := newRec(tc.seq, []byte(tc.key), []byte(tc.val), tc.tomb)
		r2 := recOf(&r[0])
		wantVal := tc.val
		if tc.tomb {
			wantVal = ""
		}
		if len(r2) != len(r) || recSeq(r2) != tc.seq || string(recKey(r2)) != tc.key ||
			string(recValue(r2)) != wantVal || recTomb(r2) != tc.tomb {
			t.Errorf("rec(%d, %q, %q, %v) reads back as (%d, %q, %q, %v), len %d/%d", tc.seq, tc.key, tc.val, tc.tomb,
				recSeq(r2), recKey(r2), recValue(r2), recTomb(r2), len(r2), len(r))
		}
		if k := recKey(r2); cap(k) != len(k) {
			t.Errorf("recKey capacity %d, want %d", cap(k), len(k))
		}
	}
}

// TestTableRandom drives the hash table with hashes chosen to collide
// (equal tags for different keys, long probe runs, wrap-around) and checks
// every key after each step against a model.
func TestTableRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(testSeed(t), 1))
	steps := 20000
	if testing.Short() {
		steps = 3000
	}
	hashes := []func(k []byte) uint64{
		func(k []byte) uint64 { return 1 + uint64(len(k)%3) },                // few tags: every lookup compares keys
		func(k []byte) uint64 { return ^uint64(0) - uint64(k[0]%5) },         // starts at the last slots: probes wrap
		func(k []byte) uint64 { return 1 + uint64(k[0])*0x9E3779B97F4A7C15 }, // spread
	}
	for hi, hash := range hashes {
		tb := newTable(0)
		model := map[string]string{}
		live := 0
		seq := uint64(0)
		for step := range steps {
			seq++
			if tb.needsRebuild(1) {
				tb = tb.rebuild(live, 1)
				for i := range tb.slots {
					if tb.slots[i].tag.Load() != 0 && recTomb(recOf(tb.slots[i].rec.Load())) {
						t.Fatalf("hash %d step %d: tombstone survived a rebuild", hi, step)
					}
				}
				if tb.used != live {
					t.Fatalf("hash %d step %d: rebuilt table uses %d slots for %d live keys", hi, step, tb.used, live)
				}
			}
			k := fmt.Appendf(nil, "%c%d", 'a'+r.IntN(26), r.IntN(8))
			h := hash(k)
			if r.IntN(3) == 0 {
				if _, ok := model[string(k)]; ok {
					live--
				}
				delete(model, string(k))
				tb.tombstone(newRec(seq, k, nil, true), h)
			} else {
				v := fmt.Sprint(step)
				if _, ok := model[string(k)]; !ok {
					live++
				}
				model[string(k)] = v
				tb.put(newRec(seq, k, []byte(v), false), h)
			}
			if step%97 != 0 {
				continue
			}
			for c := 'a'; c <= 'z'; c++ {
				for d := range 8 {
					k := fmt.Appendf(nil, "%c%d", c, d)
					got := tb.lookup(k, hash(k))
					want, ok := model[string(k)]
					switch {
					case ok && (got == nil || recTomb(got) || string(recValue(got)) != want):
						t.Fatalf("hash %d step %d: lookup(%s) = %q, want value %q", hi, step, k, got, want)
					case !ok && got != nil && !recTomb(got):
						t.Fatalf("hash %d step %d: lookup(%s) = %q, want absent or tombstone", hi, step, k, got)
					}
				}
			}
		}
		if tb.used > tb.limit {
			t.Fatalf("hash %d: %d slots used, limit %d", hi, tb.used, tb.limit)
		}
	}
}
