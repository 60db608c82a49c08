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
	m        map[string]OpenFunc
	defaults map[string]func(*Options)
}{m: map[string]OpenFunc{}, defaults: map[string]func(*Options){}}

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

// SetDefaults gives the backend registered as name its own defaults:
// Open (and PrepareFor) call fill on a clone of the caller's options
// before the engine's defaults are filled in, and fill sets the fields it
// has a default for when they are zero (Options.PrepareWith). A backend
// calls it from init, after Register, and its own Open function applies
// the same fill. A nil fill or an unregistered name is a programming error
// and panics at init time.
func SetDefaults(name string, fill func(*Options)) {
	registry.Lock()
	defer registry.Unlock()
	if fill == nil || registry.m[name] == nil {
		panic(fmt.Sprintf("engine: SetDefaults(%q): nil func or backend not registered", name))
	}
	registry.defaults[name] = fill
}

// PrepareFor returns opts as Open(name, dir, opts) hands them to the
// backend: cloned, the backend's defaults and then the engine's filled
// in, validated. Reports use it to print the configuration a backend
// actually ran with.
func PrepareFor(name string, opts *Options) (*Options, error) {
	registry.RLock()
	open, fill := registry.m[name], registry.defaults[name]
	registry.RUnlock()
	if open == nil {
		return nil, fmt.Errorf("%w %q (registered: %v)", ErrUnknownBackend, name, Backends())
	}
	return opts.PrepareWith(fill)
}

// Open opens the engine registered as name in dir. opts may be nil; it is
// cloned, completed with defaults (the backend's, then the engine's; see
// SetDefaults) and validated, and never modified.
func Open(name, dir string, opts *Options) (Engine, error) {
	o, err := PrepareFor(name, opts)
	if err != nil {
		return nil, err
	}
	registry.RLock()
	open := registry.m[name]
	registry.RUnlock()
	return open(dir, o)
}
