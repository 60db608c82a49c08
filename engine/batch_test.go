package engine_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

func dumpBatch(b *engine.Batch) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "seq=%d len=%d\n", b.Seq(), b.Len())
	r := b.Reader()
	for {
		kind, k, v, ok := r.Next()
		if !ok {
			break
		}
		if kind == engine.KindSet {
			fmt.Fprintf(&sb, "%s %q=%q\n", kind, k, v)
		} else {
			fmt.Fprintf(&sb, "%s %q\n", kind, k)
		}
	}
	if r.Err() != nil {
		fmt.Fprintf(&sb, "error: %v\n", r.Err())
	}
	return sb.String()
}

func TestBatchScenario(t *testing.T) {
	var b engine.Batch // zero value is ready
	if got := dumpBatch(&b); got != "seq=0 len=0\n" {
		t.Fatalf("empty: %q", got)
	}
	key := []byte("a\x00\xff")
	b.Set(key, []byte("v1"))
	key[0] = 'z' // the batch copied it
	b.Delete([]byte("b"))
	b.Set([]byte("c"), nil)
	b.SetSeq(42)
	want := "seq=42 len=3\n" +
		"SET \"a\\x00\\xff\"=\"v1\"\n" +
		"DEL \"b\"\n" +
		"SET \"c\"=\"\"\n"
	if got := dumpBatch(&b); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}

	var c engine.Batch
	if err := c.SetRepr(b.Repr()); err != nil {
		t.Fatal(err)
	}
	if got := dumpBatch(&c); got != want {
		t.Fatalf("decoded:\n%s", got)
	}
	if b.Size() != len(b.Repr()) {
		t.Fatal("Size != len(Repr)")
	}
	b.Reset()
	if b.Len() != 0 || b.Seq() != 0 || !b.Empty() || b.Size() != engine.BatchHeaderLen {
		t.Fatalf("after Reset: %s", dumpBatch(&b))
	}
}

func TestBatchSetReprErrors(t *testing.T) {
	var good engine.Batch
	good.Set([]byte("key"), []byte("value"))
	good.Delete([]byte("k2"))
	repr := append([]byte(nil), good.Repr()...)

	badCount := append([]byte(nil), repr...)
	badCount[8] = 5
	badKind := append([]byte(nil), repr...)
	badKind[engine.BatchHeaderLen] = 7

	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"short", repr[:5], "shorter than the 12-byte header"},
		{"count", badCount, "header says 5 ops, found 2"},
		{"kind", badKind, "op 0 at byte 12: unknown kind 7"},
		{"truncated value", repr[:len(repr)-5], "op 0 at byte 12: bad value length"},
		{"truncated last key", repr[:len(repr)-1], "op 1 at byte 23: bad key length"},
		{"truncated key", repr[:engine.BatchHeaderLen+3], "op 0 at byte 12: bad key length"},
	} {
		var b engine.Batch
		err := b.SetRepr(tc.data)
		if !errors.Is(err, engine.ErrBatchFormat) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err=%v, want %q", tc.name, err, tc.want)
		}
		if b.Len() != 0 {
			t.Errorf("%s: batch not empty after error", tc.name)
		}
	}
}

// FuzzBatchSetRepr checks that decoding arbitrary bytes never panics and
// that whatever decodes re-encodes to the same bytes.
func FuzzBatchSetRepr(f *testing.F) {
	var b engine.Batch
	f.Add(b.Repr())
	b.Set([]byte("user123"), bytes.Repeat([]byte("x"), 100))
	b.Delete([]byte("gone"))
	b.SetSeq(7)
	f.Add(append([]byte(nil), b.Repr()...))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		var d engine.Batch
		if err := d.SetRepr(data); err != nil {
			if !errors.Is(err, engine.ErrBatchFormat) {
				t.Fatalf("error not ErrBatchFormat: %v", err)
			}
			return
		}
		var e engine.Batch
		r := d.Reader()
		for {
			kind, k, v, ok := r.Next()
			if !ok {
				break
			}
			if kind == engine.KindSet {
				e.Set(k, v)
			} else {
				e.Delete(k)
			}
		}
		e.SetSeq(d.Seq())
		// Varints may be non-minimal in the input; compare op by op.
		if dumpBatch(&d) != dumpBatch(&e) {
			t.Fatalf("re-encode differs")
		}
	})
}
