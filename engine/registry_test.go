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
