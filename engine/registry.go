package engine

import (
	"fmt"
	"maps"
	"slices"
	"sync"
)

// OpenFunc opens (creating if needed) an engine in dir. opts has already
// been prepared (cloned, defaults filled, validated) by Open.
type OpenFunc func(dir string, opts *Options) (Engine, error)

var registry = struct {
	sync.RWMutex
	m map[string]OpenFunc
}{m: map[string]OpenFunc{}}

// Register makes a backend available to Open under name. Backends call it
// from init. Registering an empty name, a nil func or a name twice is a
// programming error and panics at init time, before any data is touched.
func Register(name string, open OpenFunc) {
	registry.Lock()
	defer registry.Unlock()
	if name == "" || open == nil {
		panic("engine: Register with empty name or nil OpenFunc")
	}
	if _, dup := registry.m[name]; dup {
		panic(fmt.Sprintf("engine: Register called twice for backend %q", name))
	}
	registry.m[name] = open
}

// Backends returns the registered backend names, sorted.
func Backends() []string {
	registry.RLock()
	defer registry.RUnlock()
	return slices.Sorted(maps.Keys(registry.m))
}

// Open opens the engine registered as name in dir. opts may be nil; it is
// cloned, completed with defaults and validated, and never modified.
func Open(name, dir string, opts *Options) (Engine, error) {
	registry.RLock()
	open := registry.m[name]
	registry.RUnlock()
	if open == nil {
		return nil, fmt.Errorf("%w %q (registered: %v)", ErrUnknownBackend, name, Backends())
	}
	o, err := opts.Prepare()
	if err != nil {
		return nil, err
	}
	return open(dir, o)
}
