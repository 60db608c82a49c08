package enginetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// withEngine runs f on a fresh engine with small options on a fresh MemFS
// and closes it afterwards.
func (k *kit) withEngine(t *testing.T, f func(t *testing.T, e engine.Engine)) {
	t.Helper()
	e := k.mustOpen(t, vfs.NewMem())
	defer closeEngine(t, e)
	f(t, e)
}

func (k *kit) testCRUD(t *testing.T) {
	sub := func(name string, f func(t *testing.T, e engine.Engine)) {
		t.Run(name, func(t *testing.T) { k.withEngine(t, f) })
	}
	sub("SetGetDelete", crudSetGetDelete)
	sub("Overwrite", crudOverwrite)
	sub("DeleteAbsent", crudDeleteAbsent)
	sub("EmptyValue", crudEmptyValue)
	sub("BinaryKeys", crudBinaryKeys)
	sub("BytewiseOrder", crudOrder)
	sub("EmptyKey", crudEmptyKey)
	sub("GetAppends", crudGetAppends)
	sub("CallerBuffers", crudCallerBuffers)
	sub("SmallLimits", crudSmallLimits)
	t.Run("DefaultLimits", k.crudDefaultLimits)
	t.Run("Closed", k.crudClosed)
}

func crudSetGetDelete(t *testing.T, e engine.Engine) {
	mustAbsent(t, "empty engine", e, []byte("a"))
	must(t, "Set", e.Set([]byte("a"), []byte("1"), engine.NoSync))
	must(t, "Set", e.Set([]byte("b"), []byte("2"), engine.Sync))
	mustGet(t, "after Set", e, []byte("a"), []byte("1"))
	mustGet(t, "after Set", e, []byte("b"), []byte("2"))
	mustAbsent(t, "never written", e, []byte("c"))
	mustAbsent(t, "longer key with an existing prefix", e, []byte("ab"))
	must(t, "Delete", e.Delete([]byte("a"), engine.NoSync))
	mustAbsent(t, "after Delete", e, []byte("a"))
	mustGet(t, "other key after Delete", e, []byte("b"), []byte("2"))
	_, err := e.Get([]byte("a"), nil)
	if !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("Get of a deleted key: %v, want an error wrapping ErrNotFound", err)
	}
	m := newModel()
	m.set([]byte("b"), []byte("2"))
	expectState(t, "final", e, m, []byte("a"), []byte("c"))
}

func crudOverwrite(t *testing.T, e engine.Engine) {
	k := []byte("key")
	m := newModel()
	for i := range 50 {
		v := []byte(fmt.Sprintf("value-%d-%s", i, bytes.Repeat([]byte{'x'}, i*7)))
		must(t, "Set", e.Set(k, v, engine.NoSync))
		m.set(k, v)
		mustGet(t, fmt.Sprintf("overwrite %d", i), e, k, v)
	}
	// Shorter value after longer ones, then delete and set again.
	must(t, "Set", e.Set(k, []byte("s"), engine.NoSync))
	mustGet(t, "shorter overwrite", e, k, []byte("s"))
	must(t, "Delete", e.Delete(k, engine.NoSync))
	must(t, "Set", e.Set(k, []byte("again"), engine.NoSync))
	mustGet(t, "set after delete", e, k, []byte("again"))
	m.set(k, []byte("again"))
	expectState(t, "final", e, m)
}

func crudDeleteAbsent(t *testing.T, e engine.Engine) {
	must(t, "Delete of an absent key in an empty engine", e.Delete([]byte("nope"), engine.NoSync))
	must(t, "Set", e.Set([]byte("b"), []byte("1"), engine.NoSync))
	must(t, "Delete of an absent key", e.Delete([]byte("a"), engine.Sync))
	must(t, "Delete of an absent key", e.Delete([]byte("c"), engine.NoSync))
	must(t, "Delete", e.Delete([]byte("b"), engine.NoSync))
	must(t, "Delete twice", e.Delete([]byte("b"), engine.NoSync))
	expectState(t, "final", e, newModel(), []byte("a"), []byte("b"), []byte("c"), []byte("nope"))
}

func crudEmptyValue(t *testing.T, e engine.Engine) {
	must(t, "Set empty value", e.Set([]byte("e"), nil, engine.NoSync))
	must(t, "Set empty value", e.Set([]byte("f"), []byte{}, engine.NoSync))
	for _, k := range []string{"e", "f"} {
		v, err := e.Get([]byte(k), nil)
		if err != nil {
			t.Fatalf("Get of a key with an empty value: %v; an empty value is present, not absent", err)
		}
		if len(v) != 0 {
			t.Fatalf("Get of a key with an empty value = %s", fmtVal(v))
		}
		v, err = e.Get([]byte(k), []byte("prefix"))
		if err != nil || string(v) != "prefix" {
			t.Fatalf("Get(empty value, dst=\"prefix\") = %s, %v; want \"prefix\"", fmtVal(v), err)
		}
	}
	mustAbsent(t, "absent next to empty value", e, []byte("g"))
	m := newModel()
	m.set([]byte("e"), nil)
	m.set([]byte("f"), nil)
	expectState(t, "empty values", e, m, []byte("g"))
	must(t, "Delete", e.Delete([]byte("e"), engine.NoSync))
	mustAbsent(t, "deleted empty value", e, []byte("e"))
}

// binaryKeys returns keys with 0x00 and 0xff bytes at both ends and in the
// middle, and keys that are prefixes of each other.
func binaryKeys() [][]byte {
	return [][]byte{
		{0x00}, {0x00, 0x00}, {0x00, 0x01}, {0x00, 0xff},
		{0x01}, {'a'}, {'a', 0x00}, {'a', 0x00, 'b'}, {'a', 0xff}, {'a', 'b'},
		{0x7f}, {0x80}, {0xfe, 0xff}, {0xff}, {0xff, 0x00}, {0xff, 0xff}, {0xff, 0xff, 0xff},
	}
}

func crudBinaryKeys(t *testing.T, e engine.Engine) {
	m := newModel()
	for i, k := range binaryKeys() {
		v := []byte{byte(i), 0x00, 0xff, byte(i)}
		must(t, "Set", e.Set(k, v, engine.NoSync))
		m.set(k, v)
	}
	expectState(t, "binary keys", e, m, []byte{0x00, 0x00, 0x00}, []byte{0xff, 0xfe}, []byte("a\x00a"))
	for _, k := range [][]byte{{0x00}, {0xff, 0xff}, {'a', 0x00}} {
		must(t, "Delete", e.Delete(k, engine.NoSync))
		m.del(k)
	}
	expectState(t, "binary keys after deletes", e, m, []byte{0x00}, []byte{0xff, 0xff}, []byte{'a', 0x00})
}

func crudOrder(t *testing.T, e engine.Engine) {
	keys := append(binaryKeys(), []byte("b"), []byte("ba"), []byte("b\x00"), []byte("B"), []byte("aa"), []byte("aaa"))
	// Insert in a scrambled order.
	for i := range keys {
		j := (i * 7) % len(keys)
		must(t, "Set", e.Set(keys[j], keys[j], engine.NoSync))
	}
	want := slices.Clone(keys)
	slices.SortFunc(want, bytes.Compare)
	want = slices.CompactFunc(want, bytes.Equal)
	got, vals, err := scan(e, nil, nil, false)
	must(t, "scan", err)
	if len(got) != len(want) {
		t.Fatalf("scan finds %d keys, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) || !bytes.Equal(vals[i], want[i]) {
			t.Fatalf("scan position %d: %s=%s, want %s (bytewise order)", i, fmtKey(got[i]), fmtVal(vals[i]), fmtKey(want[i]))
		}
	}
}

func crudEmptyKey(t *testing.T, e engine.Engine) {
	must(t, "Set", e.Set([]byte("a"), []byte("1"), engine.NoSync))
	if err := e.Set(nil, []byte("x"), engine.Sync); !errors.Is(err, engine.ErrEmptyKey) {
		t.Fatalf("Set(nil key) = %v, want ErrEmptyKey", err)
	}
	if err := e.Set([]byte{}, []byte("x"), engine.NoSync); !errors.Is(err, engine.ErrEmptyKey) {
		t.Fatalf("Set(empty key) = %v, want ErrEmptyKey", err)
	}
	if err := e.Delete(nil, engine.NoSync); !errors.Is(err, engine.ErrEmptyKey) {
		t.Fatalf("Delete(nil key) = %v, want ErrEmptyKey", err)
	}
	b := engine.NewBatch()
	b.Set([]byte("b"), []byte("2"))
	b.Delete([]byte("a"))
	b.Set(nil, []byte("x"))
	b.Set([]byte("c"), []byte("3"))
	if err := e.Apply(b, engine.Sync); !errors.Is(err, engine.ErrEmptyKey) {
		t.Fatalf("Apply(batch with an empty key) = %v, want ErrEmptyKey", err)
	}
	b = engine.NewBatch()
	b.Set([]byte("b"), []byte("2"))
	b.Delete(nil)
	if err := e.Apply(b, engine.NoSync); !errors.Is(err, engine.ErrEmptyKey) {
		t.Fatalf("Apply(batch deleting the empty key) = %v, want ErrEmptyKey", err)
	}
	m := newModel()
	m.set([]byte("a"), []byte("1"))
	expectState(t, "after rejected writes (a rejected batch must not be applied at all)", e, m, []byte("b"), []byte("c"))
}

func crudGetAppends(t *testing.T, e engine.Engine) {
	must(t, "Set", e.Set([]byte("k"), []byte("value"), engine.NoSync))
	dst := make([]byte, 3, 64)
	copy(dst, "pre")
	got, err := e.Get([]byte("k"), dst)
	must(t, "Get", err)
	if string(got) != "prevalue" {
		t.Fatalf("Get(dst=\"pre\") = %s, want \"prevalue\" (Get appends to dst)", fmtVal(got))
	}
	if &got[0] != &dst[0] {
		t.Errorf("Get with room in dst did not use dst's array")
	}
	got, err = e.Get([]byte("k"), []byte("p"))
	if err != nil || string(got) != "pvalue" {
		t.Fatalf("Get(dst=\"p\" without room) = %s, %v; want \"pvalue\"", fmtVal(got), err)
	}
	// The returned memory belongs to the caller: changing it changes
	// nothing stored.
	got, err = e.Get([]byte("k"), nil)
	must(t, "Get", err)
	for i := range got {
		got[i] = '!'
	}
	mustGet(t, "after scribbling over a Get result", e, []byte("k"), []byte("value"))
	// Absent key: ErrNotFound and dst preserved in the result.
	got, err = e.Get([]byte("absent"), []byte("pre"))
	if !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("Get(absent) = %v, want ErrNotFound", err)
	}
	_ = got
}

func crudCallerBuffers(t *testing.T, e engine.Engine) {
	k := []byte("key1")
	v := []byte("val1")
	must(t, "Set", e.Set(k, v, engine.NoSync))
	copy(k, "XXXX")
	copy(v, "YYYY")
	mustGet(t, "after reusing Set's buffers", e, []byte("key1"), []byte("val1"))
	mustAbsent(t, "after reusing Set's buffers", e, []byte("XXXX"))
	b := engine.NewBatch()
	bk, bv := []byte("key2"), []byte("val2")
	b.Set(bk, bv)
	must(t, "Apply", e.Apply(b, engine.NoSync))
	b.Reset()
	b.Set([]byte("key3"), []byte("val3"))
	mustGet(t, "after resetting an applied batch", e, []byte("key2"), []byte("val2"))
	mustAbsent(t, "a batch changed after Apply", e, []byte("key3"))
}

func crudSmallLimits(t *testing.T, e engine.Engine) {
	checkLimits(t, e, 1024, 64<<10)
}

// checkLimits checks that the largest key and value are accepted and read
// back and that one byte more is refused with nothing written.
func checkLimits(t *testing.T, e engine.Engine, maxKey, maxVal int) {
	bigKey := bytes.Repeat([]byte{'k'}, maxKey)
	bigKey[maxKey-1] = 0xff
	// A non-repeating-looking pattern (a 251-byte cycle), filled by
	// doubling copies so that it stays cheap under -race.
	bigVal := make([]byte, maxVal)
	for i := 0; i < len(bigVal) && i < 251; i++ {
		bigVal[i] = byte(i*31 + 7)
	}
	for n := 251; n < len(bigVal); n *= 2 {
		copy(bigVal[n:], bigVal[:n])
	}
	must(t, "Set of the largest key and value", e.Set(bigKey, bigVal, engine.NoSync))
	got, err := e.Get(bigKey, nil)
	must(t, "Get of the largest key", err)
	if !bytes.Equal(got, bigVal) {
		t.Fatalf("largest value read back differs (len %d, want %d)", len(got), len(bigVal))
	}
	overKey := append(bytes.Repeat([]byte{'o'}, maxKey), 'x')
	if err := e.Set(overKey, []byte("v"), engine.NoSync); !errors.Is(err, engine.ErrKeyTooLarge) {
		t.Fatalf("Set of a %d-byte key (limit %d) = %v, want ErrKeyTooLarge", len(overKey), maxKey, err)
	}
	if err := e.Delete(overKey, engine.NoSync); !errors.Is(err, engine.ErrKeyTooLarge) {
		t.Fatalf("Delete of a %d-byte key (limit %d) = %v, want ErrKeyTooLarge", len(overKey), maxKey, err)
	}
	overVal := make([]byte, maxVal+1)
	if err := e.Set([]byte("over"), overVal, engine.NoSync); !errors.Is(err, engine.ErrValueTooLarge) {
		t.Fatalf("Set of a %d-byte value (limit %d) = %v, want ErrValueTooLarge", len(overVal), maxVal, err)
	}
	if err := e.Set(bigKey, overVal, engine.NoSync); !errors.Is(err, engine.ErrValueTooLarge) {
		t.Fatalf("overwrite with a %d-byte value (limit %d) = %v, want ErrValueTooLarge", len(overVal), maxVal, err)
	}
	b := engine.NewBatch()
	b.Set([]byte("in-batch"), []byte("1"))
	b.Delete(bigKey)
	b.Set([]byte("over"), overVal)
	if err := e.Apply(b, engine.NoSync); !errors.Is(err, engine.ErrValueTooLarge) {
		t.Fatalf("Apply of a batch with a too-large value = %v, want ErrValueTooLarge", err)
	}
	b.Reset()
	b.Delete(bigKey)
	b.Set(overKey, nil)
	if err := e.Apply(b, engine.NoSync); !errors.Is(err, engine.ErrKeyTooLarge) {
		t.Fatalf("Apply of a batch with a too-large key = %v, want ErrKeyTooLarge", err)
	}
	mustAbsent(t, "after a refused too-large key", e, overKey)
	mustAbsent(t, "after a refused too-large value", e, []byte("over"))
	mustAbsent(t, "after a refused batch", e, []byte("in-batch"))
	got, err = e.Get(bigKey, nil)
	must(t, "Get of the largest key after refused writes", err)
	if !bytes.Equal(got, bigVal) {
		t.Fatalf("largest value changed by a refused write")
	}
	keys, _, err := scan(e, nil, nil, false)
	must(t, "scan", err)
	if len(keys) != 1 {
		t.Fatalf("scan after refused writes finds %d keys, want 1", len(keys))
	}
}

func (k *kit) crudDefaultLimits(t *testing.T) {
	fs := vfs.NewMem()
	opts := k.prepare(t, &engine.Options{FS: fs})
	e, err := k.openWith(fs, opts)
	must(t, "Open with default options", err)
	defer closeEngine(t, e)
	checkLimits(t, e, opts.MaxKeySize, opts.MaxValueSize)
}

func (k *kit) crudClosed(t *testing.T) {
	e := k.mustOpen(t, vfs.NewMem())
	must(t, "Set", e.Set([]byte("a"), []byte("1"), engine.NoSync))
	snap, err := e.NewSnapshot()
	must(t, "NewSnapshot", err)
	must(t, "Close", e.Close())
	closed := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, engine.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", what, err)
		}
	}
	_, err = e.Get([]byte("a"), nil)
	closed("Get", err)
	closed("Set", e.Set([]byte("b"), []byte("2"), engine.NoSync))
	closed("Delete", e.Delete([]byte("a"), engine.NoSync))
	b := engine.NewBatch()
	b.Set([]byte("c"), nil)
	closed("Apply", e.Apply(b, engine.Sync))
	it, err := e.NewIter(engine.IterOptions{})
	if err == nil {
		it.Close()
	}
	closed("NewIter", err)
	s, err := e.NewSnapshot()
	if err == nil {
		s.Close()
	}
	closed("NewSnapshot", err)
	closed("Flush", e.Flush())
	_, err = snap.Get([]byte("a"), nil)
	closed("Get on a snapshot left open at Close", err)
	closed("second Close", e.Close())
	_ = e.Metrics() // must not panic after Close
}
