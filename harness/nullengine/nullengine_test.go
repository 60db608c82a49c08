package nullengine

import (
	"errors"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

func TestNullEngine(t *testing.T) {
	e, err := engine.Open("null", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	dst := []byte("x")
	if v, err := e.Get([]byte("k"), dst); err != nil || string(v) != "x" {
		t.Errorf("Get = %q, %v", v, err)
	}
	if err := e.Set([]byte("k"), []byte("v"), engine.NoSync); err != nil {
		t.Error(err)
	}
	if err := e.Delete([]byte("k"), engine.Sync); err != nil {
		t.Error(err)
	}
	if err := e.Apply(engine.NewBatch(), engine.NoSync); err != nil {
		t.Error(err)
	}
	it, err := e.NewIter(engine.IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if it.First() || it.Last() || it.SeekGE([]byte("a")) || it.SeekLT([]byte("a")) || it.Next() || it.Prev() ||
		it.Valid() || it.Key() != nil || it.Value() != nil || it.Error() != nil {
		t.Error("iterator not empty")
	}
	if err := it.Close(); err != nil {
		t.Error(err)
	}
	if err := it.Close(); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	snap, err := e.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snap.Get([]byte("k"), nil); err != nil {
		t.Error(err)
	}
	sit, _ := snap.NewIter(engine.IterOptions{})
	if sit.First() {
		t.Error("snapshot iterator not empty")
	}
	if snap.Close() != nil || e.Flush() != nil || e.Metrics().Backend != "null" || e.Close() != nil {
		t.Error("snapshot close, flush, metrics or close")
	}
}
