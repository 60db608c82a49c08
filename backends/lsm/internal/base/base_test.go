package base

import (
	"slices"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

func TestOrderAndEncoding(t *testing.T) {
	keys := []InternalKey{
		MakeKey([]byte("a"), 9, engine.KindSet),
		MakeKey([]byte("a"), 3, engine.KindDelete),
		MakeKey([]byte("a"), 3, engine.KindDelete),
		MakeKey([]byte("a\x00"), 100, engine.KindSet),
		MakeKey([]byte("b"), 1, engine.KindSet),
	}
	for i := 0; i+1 < len(keys); i++ {
		want := -1
		if i == 1 {
			want = 0
		}
		if got := Compare(keys[i], keys[i+1]); got != want {
			t.Errorf("Compare(%s, %s) = %d, want %d", keys[i], keys[i+1], got, want)
		}
		ea, eb := keys[i].Append(nil), keys[i+1].Append(nil)
		if got := CompareEncoded(ea, eb); got != want {
			t.Errorf("CompareEncoded(%s, %s) = %d, want %d", keys[i], keys[i+1], got, want)
		}
	}
	for _, k := range keys {
		d, ok := Decode(k.Append(nil))
		if !ok || Compare(d, k) != 0 || d.Seq() != k.Seq() || d.Kind() != k.Kind() {
			t.Errorf("round trip %s -> %s", k, d)
		}
	}
	if _, ok := Decode([]byte("short")); ok {
		t.Error("decoded a key shorter than the trailer")
	}
	bad := slices.Concat([]byte("k"), []byte{7, 0, 0, 0, 0, 0, 0, 0})
	if _, ok := Decode(bad); ok {
		t.Error("decoded unknown kind 7")
	}
	if s := keys[1].String(); s != `"a"#3,DEL` {
		t.Errorf("String = %s", s)
	}
	if Compare(SeekKey([]byte("a"), 3), keys[1]) >= 0 || Compare(SeekKey([]byte("a"), 3), keys[0]) <= 0 {
		t.Error("SeekKey does not sort between newer and visible versions")
	}
}
