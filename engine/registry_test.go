package engine_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine"
)

func TestRegistry(t *testing.T) {
	var got *engine.Options
	engine.Register("registry-test", func(dir string, o *engine.Options) (engine.Engine, error) {
		got = o
		return nil, errors.New("opened " + dir)
	})
	if !slices.Contains(engine.Backends(), "registry-test") {
		t.Fatalf("Backends() = %v", engine.Backends())
	}
	caller := &engine.Options{CacheSize: 1 << 20}
	_, err := engine.Open("registry-test", "d", caller)
	if err == nil || err.Error() != "opened d" {
		t.Fatalf("Open: %v", err)
	}
	if got == caller || got.MaxKeySize == 0 || got.CacheSize != 1<<20 || caller.MaxKeySize != 0 {
		t.Fatal("Open must pass a prepared clone and leave the caller's options alone")
	}
	_, err = engine.Open("registry-test", "d", &engine.Options{Checksum: "md5"})
	if !errors.Is(err, engine.ErrInvalidOptions) {
		t.Fatalf("invalid options: %v", err)
	}
	_, err = engine.Open("no-such-backend", "d", nil)
	if !errors.Is(err, engine.ErrUnknownBackend) || !strings.Contains(err.Error(), "registry-test") {
		t.Fatalf("unknown backend: %v", err)
	}
}

// TestBackendDefaults: a backend's own default applies where the caller
// left a field zero, in Open and PrepareFor alike; a value the caller set
// wins; other backends keep the engine's default.
func TestBackendDefaults(t *testing.T) {
	var got *engine.Options
	engine.Register("defaults-test", func(dir string, o *engine.Options) (engine.Engine, error) {
		got = o
		return nil, errors.New("opened")
	})
	engine.SetDefaults("defaults-test", func(o *engine.Options) {
		if o.MemTableSize == 0 {
			o.MemTableSize = 1 << 20
		}
	})
	engine.Register("plain-test", func(dir string, o *engine.Options) (engine.Engine, error) {
		got = o
		return nil, errors.New("opened")
	})
	engineDefault := engine.DefaultOptions().MemTableSize
	for _, c := range []struct {
		backend string
		set     int64 // the caller's MemTableSize
		want    int64
	}{
		{"defaults-test", 0, 1 << 20},
		{"defaults-test", 4 << 20, 4 << 20},
		{"plain-test", 0, engineDefault},
	} {
		caller := &engine.Options{MemTableSize: c.set}
		engine.Open(c.backend, "d", caller)
		p, err := engine.PrepareFor(c.backend, caller)
		if err != nil {
			t.Fatal(err)
		}
		if got.MemTableSize != c.want || p.MemTableSize != c.want || caller.MemTableSize != c.set {
			t.Errorf("%s with memtable_size %d: Open got %d, PrepareFor %d, want %d (caller's now %d)",
				c.backend, c.set, got.MemTableSize, p.MemTableSize, c.want, caller.MemTableSize)
		}
	}
	if _, err := engine.PrepareFor("no-such-backend", nil); !errors.Is(err, engine.ErrUnknownBackend) {
		t.Errorf("PrepareFor of an unknown backend: %v", err)
	}
}
