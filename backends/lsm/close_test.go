package lsm

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// TestCloseDuringWork closes the DB while writers, Flush, Compact,
// iterators and snapshots are busy: every call returns (nil or an error
// wrapping engine.ErrClosed), nothing panics or hangs, and the database
// reopens with every write acknowledged before Close.
func TestCloseDuringWork(t *testing.T) {
	fs := vfs.NewMem()
	d := mustOpen(t, "db", smallOptions(t, fs, nil))
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[string]string{}
	bad := make(chan error, 100)
	check := func(what string, err error) bool {
		if err != nil && !errors.Is(err, engine.ErrClosed) {
			bad <- fmt.Errorf("%s: %w", what, err)
		}
		return err == nil
	}
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				k, v := fmt.Sprintf("w%d-%05d", w, i%2000), fmt.Sprintf("%d-%0150d", i, i)
				err := d.Set([]byte(k), []byte(v), engine.NoSync)
				if !check("Set", err) {
					return
				}
				mu.Lock()
				acked[k] = v
				mu.Unlock()
			}
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		for check("Compact", d.Compact()) {
		}
	}()
	go func() {
		defer wg.Done()
		for {
			it, err := d.NewIter(engine.IterOptions{})
			if !check("NewIter", err) {
				return
			}
			for ok := it.First(); ok; ok = it.Next() {
			}
			if !check("iterate", it.Close()) {
				return
			}
			s, err := d.NewSnapshot()
			if !check("NewSnapshot", err) {
				return
			}
			_, err = s.Get([]byte("w0-00001"), nil)
			if err != nil && !errors.Is(err, engine.ErrNotFound) {
				check("snapshot Get", err)
			}
			check("snapshot Close", s.Close())
		}
	}()
	time.Sleep(300 * time.Millisecond)
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("calls still running 30 s after Close")
	}
	close(bad)
	for err := range bad {
		t.Error(err)
	}
	d = mustOpen(t, "db", smallOptions(t, fs, nil))
	defer d.Close()
	mu.Lock()
	defer mu.Unlock()
	for k, v := range acked {
		got, err := d.Get([]byte(k), nil)
		if err != nil {
			t.Fatalf("Get(%q): %v; want %.20q", k, err, v)
		}
		// A later write of the key may have been applied but not
		// acknowledged when Close came: a newer value is fine.
		var gi, wi int
		fmt.Sscanf(string(got), "%d-", &gi)
		fmt.Sscanf(v, "%d-", &wi)
		if gi < wi {
			t.Fatalf("Get(%q) = %.20q, older than the acknowledged %.20q", k, got, v)
		}
	}
}
